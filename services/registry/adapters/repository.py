"""Reads and writes of the areas and the cooperatives, on one session (the unit of work's)."""

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import RowMapping, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.adapters import orm
from services.registry.domain.areas import Area, PostcodeEntry
from services.registry.domain.cooperatives import Cooperative
from shared.events import MatchingPolicy


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


def _postcode_entry(row: RowMapping, candidates: Sequence[tuple[str, int]]) -> PostcodeEntry:
    return PostcodeEntry(
        pc4=row["pc4"],
        candidates=tuple(sorted(candidates)),
        **{c: row[c] for c in POSTCODE_FIELDS},
    )


class RegistryRepository:
    """The areas and the cooperatives; implements `AreaAndCooperativeRepository`."""

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
