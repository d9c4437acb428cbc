"""Reads and writes of volunteer profiles: saving one, the pauses that end, and the
certificates of conduct due a notice (part of the registry's repository)."""

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from sqlalchemy import RowMapping, and_, delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.adapters import orm
from shared.events import AvailabilitySlot


def join_list(values: Iterable[str]) -> str:
    """`["a", "b"]` -> `",a,b,"`: a `LIKE '%,a,%'` finds one value."""
    items = list(values)
    return f",{','.join(items)}," if items else ""


def split_list(text: str | None) -> list[str]:
    return [v for v in (text or "").split(",") if v]


class VolunteerProfiles:
    session: AsyncSession

    async def profile(self, member_id: str) -> RowMapping | None:
        t = orm.volunteer_profiles
        return (
            (await self.session.execute(select(t).where(t.c.member_id == member_id)))
            .mappings()
            .first()
        )

    async def profiles_to_resume(self, today: date, limit: int) -> list[str]:
        """Members whose pause ends on or before `today` (the cooperative's local day)."""
        t = orm.volunteer_profiles
        rows = await self.session.execute(
            select(t.c.member_id)
            .where(t.c.paused_until.is_not(None), t.c.paused_until <= today)
            .order_by(t.c.paused_until, t.c.member_id)
            .limit(limit)
        )
        return list(rows.scalars())

    async def resume_profile(self, member_id: str, today: date, now: datetime) -> bool:
        """Active again, if its pause is still the one that ended (not changed meanwhile)."""
        t = orm.volunteer_profiles
        result = await self.session.execute(
            update(t)
            .where(t.c.member_id == member_id, t.c.paused_until.is_not(None))
            .where(t.c.paused_until <= today)
            .values(active=True, paused_until=None, updated_at=now)
        )
        return bool(getattr(result, "rowcount", 0))

    async def save_profile(
        self,
        member_id: str,
        *,
        categories: Sequence[str],
        availability: Sequence[AvailabilitySlot],
        flexible: bool,
        radius_km: float,
        languages: Sequence[str],
        max_open: int,
        active: bool,
        certificate_of_conduct_date: date | None,
        now: datetime,
        paused_until: date | None = None,
    ) -> None:
        t = orm.volunteer_profiles
        values = {
            "paused_until": paused_until if not active else None,
            "categories": join_list(categories),
            "availability": [s.model_dump() for s in availability],
            "flexible": flexible,
            "radius_km": radius_km,
            "languages": list(languages),
            "max_open": max_open,
            "active": active,
            "certificate_of_conduct_date": certificate_of_conduct_date,
            "updated_at": now,
        }
        existing = await self.profile(member_id)
        if existing is None:
            await self.session.execute(insert(t).values(member_id=member_id, **values))
        else:
            if existing["certificate_of_conduct_date"] != certificate_of_conduct_date:
                values["certificate_notice"] = None  # a new certificate: its own reminders
            await self.session.execute(update(t).where(t.c.member_id == member_id).values(**values))

    async def certificates_to_remind(
        self, *, warn_issued_by: date, expired_issued_by: date, limit: int
    ) -> list[RowMapping]:
        """Profiles whose certificate entered its warning time without a reminder yet, or
        ran out without the notice that it did (`shared.certificates` gives the bounds)."""
        t = orm.volunteer_profiles
        issued = t.c.certificate_of_conduct_date
        notice = t.c.certificate_notice
        rows = await self.session.execute(
            select(t.c.member_id, issued, notice, t.c.categories)
            .where(issued.is_not(None))
            .where(
                or_(
                    and_(issued <= warn_issued_by, notice.is_(None)),
                    and_(issued <= expired_issued_by, or_(notice.is_(None), notice != "expired")),
                )
            )
            .order_by(issued, t.c.member_id)
            .limit(limit)
        )
        return list(rows.mappings())

    async def mark_certificate_notice(self, member_id: str, issued: date, notice: str) -> bool:
        """Note the reminder sent, if the certificate is still the one it was about."""
        t = orm.volunteer_profiles
        result = await self.session.execute(
            update(t)
            .where(t.c.member_id == member_id, t.c.certificate_of_conduct_date == issued)
            .values(certificate_notice=notice)
        )
        return bool(getattr(result, "rowcount", 0))

    async def delete_profile(self, member_id: str) -> None:
        t = orm.volunteer_profiles
        await self.session.execute(delete(t).where(t.c.member_id == member_id))
