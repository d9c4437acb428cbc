"""Reads and writes of volunteer profiles: saving one, the pauses that end, and the
certificates of conduct due a notice, turned into the domain's `Profile`."""

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import RowMapping, and_, delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.adapters import orm
from services.registry.domain.volunteers import Profile, ProfileDraft
from shared.categories import Category
from shared.events import AvailabilitySlot


def join_list(values: Iterable[str]) -> str:
    """`["a", "b"]` -> `",a,b,"`: a `LIKE '%,a,%'` finds one value."""
    items = list(values)
    return f",{','.join(items)}," if items else ""


def split_list(text: str | None) -> list[str]:
    return [v for v in (text or "").split(",") if v]


def profile_of(row: RowMapping) -> Profile:
    return Profile(
        member_id=row["member_id"],
        draft=ProfileDraft(
            categories=[Category(c) for c in split_list(row["categories"])],
            availability=[AvailabilitySlot.model_validate(s) for s in row["availability"]],
            flexible=row["flexible"],
            radius_km=row["radius_km"],
            languages=list(row["languages"]),
            max_open=row["max_open"],
            active=row["active"],
            certificate_of_conduct_date=row["certificate_of_conduct_date"],
            paused_until=row["paused_until"],
        ),
        updated_at=row["updated_at"],
        certificate_notice=row["certificate_notice"],
    )


def profile_values(draft: ProfileDraft, now: datetime) -> dict[str, Any]:
    return {
        "paused_until": draft.paused_until if not draft.active else None,
        "categories": join_list(draft.categories),
        "availability": [s.model_dump() for s in draft.availability],
        "flexible": draft.flexible,
        "radius_km": draft.radius_km,
        "languages": list(draft.languages),
        "max_open": draft.max_open,
        "active": draft.active,
        "certificate_of_conduct_date": draft.certificate_of_conduct_date,
        "updated_at": now,
    }


class SqlProfileRepository:
    """Implements the service layer's `ProfileRepository`."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, member_id: str) -> Profile | None:
        t = orm.volunteer_profiles
        row = (
            (await self.session.execute(select(t).where(t.c.member_id == member_id)))
            .mappings()
            .first()
        )
        return profile_of(row) if row else None

    async def to_resume(self, today: date, limit: int) -> list[str]:
        t = orm.volunteer_profiles
        rows = await self.session.execute(
            select(t.c.member_id)
            .where(t.c.paused_until.is_not(None), t.c.paused_until <= today)
            .order_by(t.c.paused_until, t.c.member_id)
            .limit(limit)
        )
        return list(rows.scalars())

    async def resume(self, member_id: str, today: date, now: datetime) -> bool:
        t = orm.volunteer_profiles
        result = await self.session.execute(
            update(t)
            .where(t.c.member_id == member_id, t.c.paused_until.is_not(None))
            .where(t.c.paused_until <= today)
            .values(active=True, paused_until=None, updated_at=now)
        )
        return bool(getattr(result, "rowcount", 0))

    async def save(self, member_id: str, draft: ProfileDraft, now: datetime) -> None:
        t = orm.volunteer_profiles
        values = profile_values(draft, now)
        existing = await self.get(member_id)
        if existing is None:
            await self.session.execute(insert(t).values(member_id=member_id, **values))
        else:
            if existing.draft.certificate_of_conduct_date != draft.certificate_of_conduct_date:
                values["certificate_notice"] = None  # a new certificate: its own reminders
            await self.session.execute(update(t).where(t.c.member_id == member_id).values(**values))

    async def add_imported(self, profiles: Sequence[Profile]) -> None:
        if profiles:
            await self.session.execute(
                insert(orm.volunteer_profiles),
                [
                    {"member_id": p.member_id, **profile_values(p.draft, p.updated_at)}
                    for p in profiles
                ],
            )

    async def certificates_to_remind(
        self, *, warn_issued_by: date, expired_issued_by: date, limit: int
    ) -> list[Profile]:
        t = orm.volunteer_profiles
        issued = t.c.certificate_of_conduct_date
        notice = t.c.certificate_notice
        rows = await self.session.execute(
            select(t)
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
        return [profile_of(r) for r in rows.mappings()]

    async def mark_certificate_notice(self, member_id: str, issued: date, notice: str) -> bool:
        t = orm.volunteer_profiles
        result = await self.session.execute(
            update(t)
            .where(t.c.member_id == member_id, t.c.certificate_of_conduct_date == issued)
            .values(certificate_notice=notice)
        )
        return bool(getattr(result, "rowcount", 0))

    async def delete(self, member_id: str) -> None:
        t = orm.volunteer_profiles
        await self.session.execute(delete(t).where(t.c.member_id == member_id))
