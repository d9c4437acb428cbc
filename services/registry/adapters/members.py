"""Reads and writes of the members' tables (members, their consents, import keys and
invitations), turned into the domain's `Member` and `ConsentChange`."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, bindparam, delete, func, insert, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.adapters import orm
from services.registry.adapters.repository import neighbourhood_prefix
from services.registry.adapters.volunteer_profiles import split_list
from services.registry.domain.imports import ImportedMember
from services.registry.domain.members import ConsentChange, Member, MemberSearch

# What an import adds, for the planner to count again.
IMPORTED_TABLES = (
    orm.members,
    orm.member_import_keys,
    orm.member_consents,
    orm.volunteer_profiles,
    orm.member_invitations,
)


def member_of(row: RowMapping) -> Member:
    return Member(
        member_id=row["member_id"],
        name=row["name"],
        first_name=row["first_name"],
        email=row["email"],
        phone=row["phone"],
        postcode=row["postcode"],
        house_number=row["house_number"],
        language=row["language"],
        roles=split_list(row["roles"]),
        municipality=row["municipality"],
        district=row["district"],
        neighbourhood=row["neighbourhood"],
        area_confidence=row["area_confidence"],
        registered_by=row["registered_by"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        erased_at=row["erased_at"],
    )


def member_values(member: Member) -> dict[str, Any]:
    return {
        "member_id": member.member_id,
        "name": member.name,
        "first_name": member.first_name,
        "email": member.email,
        "phone": member.phone,
        "postcode": member.postcode,
        "house_number": member.house_number,
        "language": member.language,
        "roles": ",".join(member.roles),
        "municipality": member.municipality,
        "district": member.district,
        "neighbourhood": member.neighbourhood,
        "area_confidence": member.area_confidence,
        "registered_by": member.registered_by,
        "created_at": member.created_at,
        "updated_at": member.updated_at,
        "erased_at": member.erased_at,
    }


def consent_of(row: RowMapping) -> ConsentChange:
    return ConsentChange(purpose=row["purpose"], granted=row["granted"], at=row["at"], by=row["by"])


def consent_values(member_id: str, change: ConsentChange) -> dict[str, Any]:
    return {
        "member_id": member_id,
        "purpose": change.purpose,
        "granted": change.granted,
        "at": change.at,
        "by": change.by,
    }


class SqlMemberRepository:
    """Implements the service layer's `MemberRepository`."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        # The members as read, by id: saving one writes only the fields changed since, so a
        # change made meanwhile to another field stays.
        self._read: dict[str, dict[str, Any]] = {}

    def _loaded(self, row: RowMapping) -> Member:
        member = member_of(row)
        self._read[member.member_id] = member_values(member)
        return member

    async def get(self, member_id: str) -> Member | None:
        query = select(orm.members).where(orm.members.c.member_id == member_id)
        row = (await self.session.execute(query)).mappings().first()
        return self._loaded(row) if row else None

    async def by_ids(self, member_ids: Sequence[str]) -> list[Member]:
        if not member_ids:
            return []
        rows = await self.session.execute(_MEMBERS_BY_IDS, {"member_ids": list(member_ids)})
        return [member_of(r) for r in rows.mappings()]

    async def by_email(self, email: str) -> Member | None:
        query = select(orm.members).where(orm.members.c.email == email)
        row = (await self.session.execute(query)).mappings().first()
        return self._loaded(row) if row else None

    async def emails_taken(self, emails: Sequence[str]) -> set[str]:
        taken: set[str] = set()
        for start in range(0, len(emails), 500):
            chunk = emails[start : start + 500]
            taken.update(
                (
                    await self.session.execute(
                        select(orm.members.c.email).where(orm.members.c.email.in_(chunk))
                    )
                )
                .scalars()
                .all()
            )
        return taken

    async def add(self, member: Member) -> None:
        await self.session.execute(insert(orm.members).values(**member_values(member)))

    async def save(self, member: Member) -> None:
        values = member_values(member)
        before = self._read.get(member.member_id, {})
        values = {k: v for k, v in values.items() if k not in before or before[k] != v}
        if not values:
            return
        self._read[member.member_id] = member_values(member)
        await self.session.execute(
            update(orm.members).where(orm.members.c.member_id == member.member_id).values(**values)
        )

    async def search(self, wanted: MemberSearch) -> tuple[int, list[Member]]:
        m = orm.members
        query = select(m).where(m.c.erased_at.is_(None))
        if wanted.area_codes is not None:
            if not wanted.area_codes:
                return 0, []
            query = query.where(
                or_(*(m.c.neighbourhood.like(neighbourhood_prefix(c)) for c in wanted.area_codes))
            )
        if wanted.role:
            query = query.where(m.c.roles.like(f"%{wanted.role}%"))
        if wanted.category:
            v = orm.volunteer_profiles
            query = query.where(
                m.c.member_id.in_(
                    select(v.c.member_id).where(v.c.categories.like(f"%,{wanted.category},%"))
                )
            )
        if wanted.q:
            query = query.where(func.lower(m.c.name).like(f"%{wanted.q.lower()}%"))
        total = await self.session.scalar(select(func.count()).select_from(query.subquery()))
        rows = (
            (
                await self.session.execute(
                    query.order_by(m.c.name, m.c.member_id)
                    .limit(wanted.limit)
                    .offset(wanted.offset)
                )
            )
            .mappings()
            .all()
        )
        return int(total or 0), [member_of(r) for r in rows]

    async def registered_by(self, member_id: str) -> list[str]:
        m = orm.members
        return list(
            (
                await self.session.execute(
                    select(m.c.member_id)
                    .where(m.c.registered_by == member_id)
                    .order_by(m.c.member_id)
                )
            )
            .scalars()
            .all()
        )

    async def consents(self, member_id: str) -> list[ConsentChange]:
        t = orm.member_consents
        rows = await self.session.execute(
            select(t).where(t.c.member_id == member_id).order_by(t.c.at, t.c.id)
        )
        return [consent_of(r) for r in rows.mappings()]

    async def consents_of(self, member_ids: Sequence[str]) -> dict[str, list[ConsentChange]]:
        """Consent records per member, oldest first."""
        if not member_ids:
            return {}
        rows = (
            await self.session.execute(_CONSENTS_OF, {"member_ids": list(member_ids)})
        ).mappings()
        grouped: dict[str, list[ConsentChange]] = {}
        for row in rows:
            grouped.setdefault(row["member_id"], []).append(consent_of(row))
        return grouped

    async def add_consents(self, member_id: str, changes: Sequence[ConsentChange]) -> None:
        if changes:
            await self.session.execute(
                insert(orm.member_consents), [consent_values(member_id, c) for c in changes]
            )

    async def delete_consents(self, member_id: str) -> None:
        t = orm.member_consents
        await self.session.execute(delete(t).where(t.c.member_id == member_id))

    async def import_keys_known(self, keys: Sequence[str]) -> set[str]:
        t = orm.member_import_keys
        known: set[str] = set()
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            known.update(
                (await self.session.execute(select(t.c.key).where(t.c.key.in_(chunk))))
                .scalars()
                .all()
            )
        return known

    async def delete_import_keys(self, member_id: str) -> None:
        t = orm.member_import_keys
        await self.session.execute(delete(t).where(t.c.member_id == member_id))

    async def add_imported(self, imported: Sequence[ImportedMember], now: datetime) -> None:
        batches: list[tuple[Any, list[dict[str, Any]]]] = [
            (orm.members, [member_values(i.member) for i in imported]),
            (
                orm.member_import_keys,
                [
                    {"key": i.key, "member_id": i.member.member_id, "imported_at": now}
                    for i in imported
                ],
            ),
            (
                orm.member_consents,
                [consent_values(i.member.member_id, c) for i in imported for c in i.consents],
            ),
            (
                orm.member_invitations,
                [
                    {"member_id": i.member.member_id, "requested_at": now}
                    for i in imported
                    if i.invite
                ],
            ),
        ]
        for table, rows in batches:
            if rows:
                await self.session.execute(insert(table), rows)

    async def refresh_statistics(self) -> None:
        for table in IMPORTED_TABLES:  # known tables: never a name from outside
            await self.session.execute(text(f"ANALYZE {table.name}"))

    async def invitations_due(self, limit: int) -> list[Member]:
        i, m = orm.member_invitations, orm.members
        rows = await self.session.execute(
            select(m)
            .join(i, m.c.member_id == i.c.member_id)
            .where(i.c.done_at.is_(None), m.c.erased_at.is_(None), m.c.email.is_not(None))
            .order_by(i.c.requested_at, i.c.member_id)
            .limit(limit)
        )
        return [member_of(r) for r in rows.mappings()]

    async def invitation_done(self, member_id: str, now: datetime) -> None:
        i = orm.member_invitations
        await self.session.execute(
            update(i).where(i.c.member_id == member_id, i.c.done_at.is_(None)).values(done_at=now)
        )


# The contact look-ups notify makes for every delivery round, built once.
_MEMBERS_BY_IDS = select(orm.members).where(
    orm.members.c.member_id.in_(bindparam("member_ids", expanding=True))
)
_CONSENTS_OF = (
    select(orm.member_consents)
    .where(orm.member_consents.c.member_id.in_(bindparam("member_ids", expanding=True)))
    .order_by(orm.member_consents.c.at, orm.member_consents.c.id)
)
