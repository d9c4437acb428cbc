"""Reads and writes of the registry's tables, on one session (the unit of work's)."""

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    RowMapping,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.adapters import orm
from services.registry.adapters.volunteer_profiles import VolunteerProfiles
from services.registry.adapters.volunteer_profiles import join_list as join_list
from services.registry.adapters.volunteer_profiles import split_list as split_list
from services.registry.domain.areas import Area, PostcodeEntry
from services.registry.domain.cooperatives import Cooperative
from shared.events import MatchingPolicy

Row = Mapping[Any, Any]
"""A table row as a mapping (SQLAlchemy RowMapping or a plain dict)."""


def area_digits(code: str) -> str:
    return code[2:]


def neighbourhood_prefix(code: str) -> str:
    """Neighbourhood codes inside `code` match `BU<digits>%`."""
    return f"BU{area_digits(code)}%"


# The postcodes table's columns besides pc4, named as PostcodeEntry's fields.
POSTCODE_FIELDS = (
    "municipality_code",
    "po_box",
    "point_neighbourhood",
    "district_code",
    "district_share",
    "district_reliability",
    "neighbourhood_code",
    "neighbourhood_share",
    "municipality_share",
)


def _postcode_entry(row: Row, candidates: Sequence[tuple[str, int]]) -> PostcodeEntry:
    return PostcodeEntry(
        pc4=row["pc4"],
        candidates=tuple(sorted(candidates)),
        **{c: row[c] for c in POSTCODE_FIELDS},
    )


class RegistryRepository(VolunteerProfiles):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # ------------------------------------------------------------------ areas

    @staticmethod
    def _area(row: RowMapping) -> Area:
        return Area(
            code=row["code"],
            level=row["level"],
            name=row["name"],
            municipality_code=row["municipality_code"],
            parent_code=row["parent_code"],
            population=row["population"],
            lat=row["lat"],
            lon=row["lon"],
            cbs_year=row["cbs_year"],
        )

    async def area(self, code: str) -> Area | None:
        row = (
            (await self.session.execute(select(orm.areas).where(orm.areas.c.code == code)))
            .mappings()
            .first()
        )
        return self._area(row) if row else None

    async def areas_by_code(self, codes: Iterable[str]) -> dict[str, Area]:
        wanted = list(set(codes))
        if not wanted:
            return {}
        rows = (
            (await self.session.execute(select(orm.areas).where(orm.areas.c.code.in_(wanted))))
            .mappings()
            .all()
        )
        return {r["code"]: self._area(r) for r in rows}

    async def list_areas(
        self,
        *,
        parent_code: str | None = None,
        level: str | None = None,
        municipality_code: str | None = None,
    ) -> list[Area]:
        query = select(orm.areas).order_by(orm.areas.c.code)
        if parent_code:
            query = query.where(orm.areas.c.parent_code == parent_code)
        if level:
            query = query.where(orm.areas.c.level == level)
        if municipality_code:
            query = query.where(orm.areas.c.municipality_code == municipality_code)
        rows = (await self.session.execute(query)).mappings().all()
        return [self._area(r) for r in rows]

    async def has_municipality(self, code: str) -> bool:
        return await self.area(code) is not None

    async def replace_municipality(
        self, areas: Sequence[Area], postcodes: Sequence[PostcodeEntry]
    ) -> None:
        """Store one municipality's areas and postcodes, replacing what was there."""
        municipality = areas[0].municipality_code
        old_pc4s = select(orm.postcodes.c.pc4).where(
            orm.postcodes.c.municipality_code == municipality
        )
        await self.session.execute(
            delete(orm.postcode_neighbourhoods).where(
                orm.postcode_neighbourhoods.c.pc4.in_(old_pc4s)
            )
        )
        await self.session.execute(
            delete(orm.postcodes).where(orm.postcodes.c.municipality_code == municipality)
        )
        await self.session.execute(
            delete(orm.areas).where(orm.areas.c.municipality_code == municipality)
        )
        await self.session.execute(
            insert(orm.areas),
            [
                {
                    "code": a.code,
                    "level": a.level,
                    "name": a.name,
                    "parent_code": a.parent_code,
                    "municipality_code": a.municipality_code,
                    "population": a.population,
                    "lat": a.lat,
                    "lon": a.lon,
                    "cbs_year": a.cbs_year,
                }
                for a in areas
            ],
        )
        if postcodes:
            await self.session.execute(
                insert(orm.postcodes),
                [{"pc4": p.pc4, **{c: getattr(p, c) for c in POSTCODE_FIELDS}} for p in postcodes],
            )
            links = [
                {"pc4": p.pc4, "neighbourhood_code": code, "population": people}
                for p in postcodes
                for code, people in p.candidates
            ]
            if links:
                await self.session.execute(insert(orm.postcode_neighbourhoods), links)

    async def postcode(self, pc4: str) -> PostcodeEntry | None:
        row = (
            (await self.session.execute(select(orm.postcodes).where(orm.postcodes.c.pc4 == pc4)))
            .mappings()
            .first()
        )
        if row is None:
            return None
        links = (
            await self.session.execute(
                select(
                    orm.postcode_neighbourhoods.c.neighbourhood_code,
                    orm.postcode_neighbourhoods.c.population,
                ).where(orm.postcode_neighbourhoods.c.pc4 == pc4)
            )
        ).all()
        return _postcode_entry(row, [(code, people) for code, people in links])

    async def all_postcodes(self, municipality_code: str | None = None) -> dict[str, PostcodeEntry]:
        """Every stored PC4 (of one municipality)."""
        query = select(orm.postcodes)
        links_query = select(orm.postcode_neighbourhoods)
        if municipality_code:
            query = query.where(orm.postcodes.c.municipality_code == municipality_code)
            links_query = links_query.where(
                orm.postcode_neighbourhoods.c.pc4.in_(select(query.subquery().c.pc4))
            )
        rows = (await self.session.execute(query)).mappings().all()
        links = (await self.session.execute(links_query)).mappings().all()
        candidates: dict[str, list[tuple[str, int]]] = {}
        for link in links:
            candidates.setdefault(link["pc4"], []).append(
                (link["neighbourhood_code"], link["population"])
            )
        return {r["pc4"]: _postcode_entry(r, candidates.get(r["pc4"], [])) for r in rows}

    # ------------------------------------------------------------------ cooperatives

    async def _coordinators(self, ids: Sequence[str]) -> dict[str, list[str]]:
        t = orm.cooperative_coordinators
        rows = (
            await self.session.execute(
                select(t.c.cooperative_id, t.c.member_id)
                .where(t.c.cooperative_id.in_(ids))
                .order_by(t.c.cooperative_id, t.c.position)
            )
        ).all()
        result: dict[str, list[str]] = {i: [] for i in ids}
        for coop_id, member_id in rows:
            result[coop_id].append(member_id)
        return result

    async def _cooperatives(self, rows: Sequence[RowMapping]) -> list[Cooperative]:
        coordinators = await self._coordinators([r["cooperative_id"] for r in rows])
        return [
            Cooperative(
                cooperative_id=r["cooperative_id"],
                name=r["name"],
                area_codes=list(r["area_codes"]),
                parent_id=r["parent_id"],
                coordinator_ids=coordinators[r["cooperative_id"]],
                policy=MatchingPolicy.model_validate(r["policy"]),
            )
            for r in rows
        ]

    async def cooperative(self, cooperative_id: str) -> Cooperative | None:
        rows = (
            (
                await self.session.execute(
                    select(orm.cooperatives).where(
                        orm.cooperatives.c.cooperative_id == cooperative_id
                    )
                )
            )
            .mappings()
            .all()
        )
        found = await self._cooperatives(rows)
        return found[0] if found else None

    async def cooperatives(self, *, coordinator_id: str | None = None) -> list[Cooperative]:
        query = select(orm.cooperatives).order_by(orm.cooperatives.c.cooperative_id)
        if coordinator_id:
            t = orm.cooperative_coordinators
            query = query.where(
                orm.cooperatives.c.cooperative_id.in_(
                    select(t.c.cooperative_id).where(t.c.member_id == coordinator_id)
                )
            )
        rows = (await self.session.execute(query)).mappings().all()
        return await self._cooperatives(rows)

    async def save_cooperative(self, coop: Cooperative, now: datetime, *, new: bool) -> None:
        values = {
            "name": coop.name,
            "parent_id": coop.parent_id,
            "area_codes": list(coop.area_codes),
            "policy": coop.policy.model_dump(mode="json"),
            "updated_at": now,
        }
        if new:
            await self.session.execute(
                insert(orm.cooperatives).values(
                    cooperative_id=coop.cooperative_id, created_at=now, **values
                )
            )
        else:
            await self.session.execute(
                update(orm.cooperatives)
                .where(orm.cooperatives.c.cooperative_id == coop.cooperative_id)
                .values(**values)
            )
        t = orm.cooperative_coordinators
        await self.session.execute(delete(t).where(t.c.cooperative_id == coop.cooperative_id))
        if coop.coordinator_ids:
            await self.session.execute(
                insert(t),
                [
                    {"cooperative_id": coop.cooperative_id, "member_id": m, "position": i}
                    for i, m in enumerate(coop.coordinator_ids)
                ],
            )

    async def coordinated_areas(self, member_id: str) -> tuple[list[str], list[str]]:
        """(cooperative ids, area codes) of the cooperatives this member coordinates."""
        coops = await self.cooperatives(coordinator_id=member_id)
        return (
            [c.cooperative_id for c in coops],
            [code for c in coops for code in c.area_codes],
        )

    async def remove_coordinator_everywhere(self, member_id: str) -> list[str]:
        t = orm.cooperative_coordinators
        ids = list(
            (
                await self.session.execute(
                    select(t.c.cooperative_id).where(t.c.member_id == member_id)
                )
            )
            .scalars()
            .all()
        )
        if ids:
            await self.session.execute(delete(t).where(t.c.member_id == member_id))
        return ids

    # ------------------------------------------------------------------ members

    async def member(self, member_id: str, *, for_update: bool = False) -> RowMapping | None:
        query = select(orm.members).where(orm.members.c.member_id == member_id)
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).mappings().first()

    async def members_by_ids(self, member_ids: Sequence[str]) -> list[RowMapping]:
        if not member_ids:
            return []
        rows = await self.session.execute(_MEMBERS_BY_IDS, {"member_ids": list(member_ids)})
        return list(rows.mappings().all())

    async def member_by_email(self, email: str) -> RowMapping | None:
        return (
            (await self.session.execute(select(orm.members).where(orm.members.c.email == email)))
            .mappings()
            .first()
        )

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

    async def add_member(self, values: dict[str, Any]) -> None:
        await self.session.execute(insert(orm.members).values(**values))

    async def update_member(self, member_id: str, values: dict[str, Any]) -> None:
        await self.session.execute(
            update(orm.members).where(orm.members.c.member_id == member_id).values(**values)
        )

    async def list_members(
        self,
        *,
        area_codes: Sequence[str] | None,
        role: str | None,
        category: str | None,
        q: str | None,
        limit: int,
        offset: int,
    ) -> tuple[int, list[RowMapping]]:
        m = orm.members
        query = select(m).where(m.c.erased_at.is_(None))
        if area_codes is not None:
            if not area_codes:
                return 0, []
            query = query.where(
                or_(*(m.c.neighbourhood.like(neighbourhood_prefix(c)) for c in area_codes))
            )
        if role:
            query = query.where(m.c.roles.like(f"%{role}%"))
        if category:
            v = orm.volunteer_profiles
            query = query.where(
                m.c.member_id.in_(
                    select(v.c.member_id).where(v.c.categories.like(f"%,{category},%"))
                )
            )
        if q:
            query = query.where(func.lower(m.c.name).like(f"%{q.lower()}%"))
        total = await self.session.scalar(select(func.count()).select_from(query.subquery()))
        rows = (
            (
                await self.session.execute(
                    query.order_by(m.c.name, m.c.member_id).limit(limit).offset(offset)
                )
            )
            .mappings()
            .all()
        )
        return int(total or 0), list(rows)

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

    async def consents(self, member_id: str) -> list[RowMapping]:
        t = orm.member_consents
        return list(
            (
                await self.session.execute(
                    select(t).where(t.c.member_id == member_id).order_by(t.c.at, t.c.id)
                )
            )
            .mappings()
            .all()
        )

    async def consents_of(self, member_ids: Sequence[str]) -> dict[str, list[RowMapping]]:
        """Consent records per member, oldest first."""
        if not member_ids:
            return {}
        rows = (
            await self.session.execute(_CONSENTS_OF, {"member_ids": list(member_ids)})
        ).mappings()
        grouped: dict[str, list[RowMapping]] = {}
        for row in rows:
            grouped.setdefault(row["member_id"], []).append(row)
        return grouped

    async def add_consents(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            await self.session.execute(insert(orm.member_consents), rows)

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

    async def bulk_insert(self, table_name: str, rows: list[dict[str, Any]]) -> None:
        if rows:
            await self.session.execute(insert(orm.metadata.tables[table_name]), rows)

    async def refresh_statistics(self, table_names: Sequence[str]) -> None:
        """Have the database's planner count these tables again (after a bulk load)."""
        for name in table_names:
            table = orm.metadata.tables[name]  # a known table: never a name from outside
            await self.session.execute(text(f"ANALYZE {table.name}"))

    async def invitations_due(self, limit: int) -> list[RowMapping]:
        """Open invitations of members not erased, oldest first, with what an invitation
        needs (the address, roles and language)."""
        i, m = orm.member_invitations, orm.members
        rows = await self.session.execute(
            select(m.c.member_id, m.c.email, m.c.roles, m.c.language)
            .join(m, m.c.member_id == i.c.member_id)
            .where(i.c.done_at.is_(None), m.c.erased_at.is_(None), m.c.email.is_not(None))
            .order_by(i.c.requested_at, i.c.member_id)
            .limit(limit)
        )
        return list(rows.mappings())

    async def invitation_done(self, member_id: str, now: datetime) -> None:
        i = orm.member_invitations
        await self.session.execute(
            update(i).where(i.c.member_id == member_id, i.c.done_at.is_(None)).values(done_at=now)
        )

    async def delete_import_keys(self, member_id: str) -> None:
        t = orm.member_import_keys
        await self.session.execute(delete(t).where(t.c.member_id == member_id))


# The contact look-ups notify makes for every delivery round, built once.
_MEMBERS_BY_IDS = select(orm.members).where(
    orm.members.c.member_id.in_(bindparam("member_ids", expanding=True))
)
_CONSENTS_OF = (
    select(orm.member_consents)
    .where(orm.member_consents.c.member_id.in_(bindparam("member_ids", expanding=True)))
    .order_by(orm.member_consents.c.at, orm.member_consents.c.id)
)
