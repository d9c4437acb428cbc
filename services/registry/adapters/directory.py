"""Reads and writes of the social map's tables: organisations, their managers, their offers."""

from collections.abc import Mapping, Sequence
from dataclasses import asdict, fields
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, String, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.adapters import orm
from services.registry.adapters.repository import area_digits
from services.registry.adapters.volunteer_profiles import split_list
from services.registry.domain.directory import Offer, OfferSearch, Organisation, openings_from_rows
from shared.categories import Category

_ORGANISATION_FIELDS = tuple(f.name for f in fields(Organisation))
_OFFER_COLUMNS = frozenset(orm.offers.c.keys())


def _organisation(row: RowMapping) -> Organisation:
    return Organisation(**{f: row[f] for f in _ORGANISATION_FIELDS})


def _offer(row: RowMapping) -> Offer:
    values = {k: v for k, v in row.items() if k not in ("categories", "opening_hours")}
    return Offer(
        categories=[Category(c) for c in split_list(row["categories"])],
        opening_hours=openings_from_rows(row["opening_hours"] or []),
        **values,
    )


def _stored(changes: Mapping[str, Any]) -> dict[str, Any]:
    """An offer's fields as its table holds them: the categories `,a,b,`, the opening hours
    as JSON; what is no column (the organisation's name) is not stored."""
    stored = {k: v for k, v in changes.items() if k in _OFFER_COLUMNS}
    if "categories" in stored:
        stored["categories"] = ",".join(["", *stored["categories"], ""])
    if "opening_hours" in stored:
        stored["opening_hours"] = [o.as_dict() for o in stored["opening_hours"]]
    return stored


class DirectoryRepository:
    """Implements the service layer's `DirectoryRepository`."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def organisation(self, organisation_id: str) -> Organisation | None:
        t = orm.organisations
        row = (
            (await self.session.execute(select(t).where(t.c.organisation_id == organisation_id)))
            .mappings()
            .first()
        )
        return _organisation(row) if row else None

    async def organisation_named(self, name: str, area_code: str) -> Organisation | None:
        """A listed organisation of this name (any case) based in this area: an import's row
        naming it adds offers to it rather than a second one."""
        t = orm.organisations
        query = select(t).where(
            func.lower(t.c.name) == name.lower(),
            t.c.area_code == area_code,
            t.c.retired_at.is_(None),
        )
        row = (await self.session.execute(query)).mappings().first()
        return _organisation(row) if row else None

    async def managers(self, organisation_ids: Sequence[str]) -> dict[str, list[str]]:
        t = orm.organisation_managers
        rows = (
            await self.session.execute(
                select(t.c.organisation_id, t.c.member_id)
                .where(t.c.organisation_id.in_(organisation_ids))
                .order_by(t.c.member_id)
            )
        ).all()
        result: dict[str, list[str]] = {i: [] for i in organisation_ids}
        for org_id, member_id in rows:
            result[org_id].append(member_id)
        return result

    async def organisations(
        self,
        *,
        area_codes: Sequence[str] | None = None,
        manager_id: str | None = None,
        include_retired: bool = True,
    ) -> list[Organisation]:
        t = orm.organisations
        query = select(t).order_by(t.c.name, t.c.organisation_id)
        if not include_retired:
            query = query.where(t.c.retired_at.is_(None))
        if area_codes is not None:
            # organisations based inside the area, or in an area containing it
            conditions = []
            for code in area_codes:
                digits = area_digits(code)
                prefixes = [
                    f"{kind}{digits[:n]}"
                    for kind, n in (("GM", 4), ("WK", 6), ("BU", 8))
                    if n <= len(digits)
                ]
                conditions.append(t.c.area_code.in_(prefixes))
                conditions.append(t.c.area_code.like(f"__{digits}%"))
            query = query.where(or_(*conditions))
        if manager_id:
            m = orm.organisation_managers
            query = query.where(
                t.c.organisation_id.in_(
                    select(m.c.organisation_id).where(m.c.member_id == manager_id)
                )
            )
        return [_organisation(r) for r in (await self.session.execute(query)).mappings()]

    async def add_organisation(self, org: Organisation, manager_ids: Sequence[str]) -> None:
        await self.session.execute(insert(orm.organisations).values(**asdict(org)))
        await self.set_managers(org.organisation_id, manager_ids)

    async def update_organisation(self, organisation_id: str, changes: Mapping[str, Any]) -> None:
        t = orm.organisations
        await self.session.execute(
            update(t).where(t.c.organisation_id == organisation_id).values(**changes)
        )

    async def set_managers(self, organisation_id: str, manager_ids: Sequence[str]) -> None:
        t = orm.organisation_managers
        await self.session.execute(delete(t).where(t.c.organisation_id == organisation_id))
        if manager_ids:
            await self.session.execute(
                insert(t),
                [{"organisation_id": organisation_id, "member_id": m} for m in manager_ids],
            )

    async def remove_manager_everywhere(self, member_id: str) -> None:
        t = orm.organisation_managers
        await self.session.execute(delete(t).where(t.c.member_id == member_id))

    async def offer(self, offer_id: str) -> Offer | None:
        o, org = orm.offers, orm.organisations
        query = (
            select(o, org.c.name.label("organisation_name"))
            .join(org, org.c.organisation_id == o.c.organisation_id)
            .where(o.c.offer_id == offer_id)
        )
        row = (await self.session.execute(query)).mappings().first()
        return _offer(row) if row else None

    async def add_offer(self, offer: Offer) -> None:
        values = {f.name: getattr(offer, f.name) for f in fields(Offer)}
        await self.session.execute(insert(orm.offers).values(**_stored(values)))
        await self._serve(offer.offer_id, offer.area_codes)

    async def update_offer(
        self, offer_id: str, changes: Mapping[str, Any], area_codes: Sequence[str] | None
    ) -> None:
        o = orm.offers
        await self.session.execute(
            update(o).where(o.c.offer_id == offer_id).values(**_stored(changes))
        )
        if area_codes is not None:
            a = orm.offer_areas
            await self.session.execute(delete(a).where(a.c.offer_id == offer_id))
            await self._serve(offer_id, area_codes)

    async def _serve(self, offer_id: str, area_codes: Sequence[str]) -> None:
        await self.session.execute(
            insert(orm.offer_areas),
            [{"offer_id": offer_id, "digits": area_digits(c)} for c in set(area_codes)],
        )

    async def retire_offers_of(self, organisation_id: str, at: datetime) -> list[str]:
        o = orm.offers
        ids = list(
            (
                await self.session.scalars(
                    select(o.c.offer_id).where(
                        o.c.organisation_id == organisation_id, o.c.active.is_(True)
                    )
                )
            ).all()
        )
        if ids:
            await self.session.execute(
                update(o)
                .where(o.c.offer_id.in_(ids))
                .values(active=False, retired_at=at, updated_at=at)
            )
        return ids

    async def search_offers(self, wanted: OfferSearch) -> tuple[int, list[Offer]]:
        o, org = orm.offers, orm.organisations
        organisation_id, area_code, category = (
            wanted.organisation_id,
            wanted.area_code,
            wanted.category,
        )
        language, limit = wanted.language, wanted.limit
        query = select(o, org.c.name.label("organisation_name")).join(
            org, org.c.organisation_id == o.c.organisation_id
        )
        if not wanted.include_retired:
            query = query.where(o.c.active.is_(True), org.c.retired_at.is_(None))
        if organisation_id:
            query = query.where(o.c.organisation_id == organisation_id)
        if category:
            query = query.where(o.c.categories.like(f"%,{category},%"))
        for word in wanted.words:
            query = query.where(o.c.search_text.like(f"%{word}%"))
        if language:
            query = query.where(
                func.lower(func.cast(o.c.languages, String)).like(f'%"{language}"%')
            )
        if area_code:
            digits = area_digits(area_code)
            a = orm.offer_areas
            prefixes = [digits[:n] for n in (4, 6, 8) if n <= len(digits)]
            query = query.where(
                o.c.offer_id.in_(
                    select(a.c.offer_id).where(
                        or_(a.c.digits.in_(prefixes), a.c.digits.like(f"{digits}%"))
                    )
                )
            )
        total = await self.session.scalar(select(func.count()).select_from(query.subquery()))
        query = query.order_by(o.c.name, o.c.offer_id).offset(wanted.offset)
        if limit is not None:
            query = query.limit(limit)
        rows = (await self.session.execute(query)).mappings().all()
        return int(total or 0), [_offer(r) for r in rows]

    async def organisations_by_id(self, ids: Sequence[str]) -> dict[str, Organisation]:
        if not ids:
            return {}
        t = orm.organisations
        rows = (
            (await self.session.execute(select(t).where(t.c.organisation_id.in_(list(ids)))))
            .mappings()
            .all()
        )
        return {r["organisation_id"]: _organisation(r) for r in rows}
