"""The read model of members, volunteers and cooperatives, built from registry events alone
(and, for a requester whose events are late, from the registry's answer)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, Table, bindparam, delete, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.matching.adapters.orm import (
    UtcDateTime,
    candidates,
    cooperative_areas,
    cooperatives,
    members,
    proposals,
    requests,
    volunteers,
)
from services.matching.adapters.repository import ANSWERED, upsert
from services.matching.domain.rules import SCOPES, Scope, Slot, VolunteerSnapshot
from shared.areas import AreaRef, area_of
from shared.events import MatchingPolicy


class ReadModel:
    """Members, volunteer profiles and cooperatives as the registry's events describe them."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection
        # Policies read along with a requester's home, by area codes (most specific first).
        self._policies: dict[tuple[str, ...], list[Any]] = {}

    async def member_row(self, member_id: str) -> Any:
        return (await self.connection.execute(_MEMBER, {"member_id": member_id})).one_or_none()

    async def requester(self, member_id: str) -> Any:
        """Where a member asking for help lives (`municipality`, `district`, `neighbourhood`)
        and whether they were `erased`; None when matching does not know them. The policies of
        the cooperatives around that home come in the same statement and are kept for
        `policy_for` in this unit of work: asking for help needs both."""
        rows = (await self.connection.execute(_REQUESTER, {"member_id": member_id})).all()
        if not rows:
            return None
        home = rows[0]
        codes = tuple(c for c in (home.neighbourhood, home.district, home.municipality) if c)
        self._policies[codes] = [row for row in rows if row.cooperative_id is not None]
        return home

    async def volunteer_row(self, member_id: str) -> Any:
        return (
            await self.connection.execute(
                select(volunteers).where(volunteers.c.member_id == member_id)
            )
        ).one_or_none()

    async def home_area(self, member_id: str) -> AreaRef | None:
        row = await self.member_row(member_id)
        if row is None or row.erased or row.district is None:
            return None
        return area_of(row.municipality, row.district, row.neighbourhood)

    async def put_member(
        self,
        member_id: str,
        *,
        area: AreaRef,
        roles: list[str] | None,
        language: str | None,
        consents: dict[str, bool] | None,
        now: datetime,
    ) -> bool:
        """Apply what a member event says; False for an erased member (ignored)."""
        row = await self.member_row(member_id)
        if row is not None and row.erased:
            return False
        values: dict[str, Any] = {
            "member_id": member_id,
            "municipality": row.municipality if row else None,
            "district": row.district if row else None,
            "neighbourhood": row.neighbourhood if row else None,
            "roles": row.roles if row else [],
            "language": row.language if row else "nl",
            "consents": dict(row.consents) if row else {},
            "erased": False,
            "updated_at": now,
        }
        if area.district is not None:  # a home: a neighbourhood, or a district without one
            values.update(
                municipality=area.municipality,
                district=area.district,
                neighbourhood=area.neighbourhood,
            )
        if roles is not None:
            values["roles"] = sorted(set(roles))
        if language is not None:
            values["language"] = language
        if consents is not None:
            values["consents"] = {**values["consents"], **consents}
        await upsert(self.connection, members, values, ["member_id"])
        await self.refresh_candidates(member_id)
        return True

    async def put_volunteer(self, member_id: str, profile: dict[str, Any], now: datetime) -> None:
        await upsert(
            self.connection,
            volunteers,
            {"member_id": member_id, **profile, "updated_at": now},
            ["member_id"],
        )
        await self.refresh_candidates(member_id)

    async def erase(self, member_id: str, now: datetime) -> None:
        """Forget the member; a tombstone keeps late events from bringing them back."""
        await self.connection.execute(delete(candidates).where(candidates.c.member_id == member_id))
        await self.connection.execute(delete(volunteers).where(volunteers.c.member_id == member_id))
        await upsert(
            self.connection,
            members,
            {
                "member_id": member_id,
                "municipality": None,
                "district": None,
                "neighbourhood": None,
                "roles": [],
                "language": "nl",
                "consents": {},
                "erased": True,
                "updated_at": now,
            },
            ["member_id"],
        )

    async def refresh_candidates(self, member_id: str) -> None:
        """Keep the candidate index in line: one row per category of an eligible volunteer."""
        await self.connection.execute(delete(candidates).where(candidates.c.member_id == member_id))
        member = await self.member_row(member_id)
        volunteer = await self.volunteer_row(member_id)
        if member is None or volunteer is None or member.erased or member.district is None:
            return
        if "volunteer" not in member.roles or not volunteer.active:
            return
        if not volunteer.matching_consent or not member.consents.get("matching", True):
            return
        rows = [
            {
                "member_id": member_id,
                "category": category,
                "municipality": member.municipality,
                "district": member.district,
                "neighbourhood": member.neighbourhood,
            }
            for category in sorted(set(volunteer.categories))
        ]
        if rows:
            await self.connection.execute(insert(candidates), rows)

    async def put_cooperative(
        self,
        cooperative_id: str,
        *,
        parent_id: str | None,
        level: str,
        area_codes: list[str],
        coordinator_ids: list[str],
        policy: MatchingPolicy,
    ) -> None:
        await upsert(
            self.connection,
            cooperatives,
            {
                "cooperative_id": cooperative_id,
                "parent_id": parent_id,
                "level": level,
                "area_codes": sorted(area_codes),
                "coordinator_ids": sorted(coordinator_ids),
                "policy": policy.model_dump(mode="json"),
            },
            ["cooperative_id"],
        )
        await self.connection.execute(
            delete(cooperative_areas).where(cooperative_areas.c.cooperative_id == cooperative_id)
        )
        if area_codes:
            await self.connection.execute(
                insert(cooperative_areas),
                [
                    {
                        "area_code": code,
                        "cooperative_id": cooperative_id,
                        "has_coordinators": bool(coordinator_ids),
                    }
                    for code in sorted(set(area_codes))
                ],
            )

    async def cooperatives_by_area(self, area: AreaRef) -> dict[str, list[tuple[str, bool]]]:
        codes = [c for c in (area.neighbourhood, area.district, area.municipality) if c]
        rows = await self.connection.execute(
            select(cooperative_areas).where(cooperative_areas.c.area_code.in_(codes))
        )
        found: dict[str, list[tuple[str, bool]]] = {}
        for r in rows:
            found.setdefault(r.area_code, []).append((r.cooperative_id, r.has_coordinators))
        return found

    async def policy_for(self, area: AreaRef) -> tuple[str | None, MatchingPolicy]:
        """The most local cooperative whose areas hold `area`, and its policy."""
        codes = [c for c in (area.neighbourhood, area.district, area.municipality) if c]
        rows = self._policies.get(tuple(codes))
        if rows is None:
            rows = list((await self.connection.execute(_POLICIES, {"codes": codes})).all())
        for code in codes:  # most specific first
            for row in sorted((r for r in rows if r.area_code == code), key=_by_cooperative):
                return row.cooperative_id, MatchingPolicy.model_validate(row.policy or {})
        return None, MatchingPolicy()

    async def candidate_snapshots(
        self,
        category: str,
        area: AreaRef,
        scope: Scope,
        *,
        now: datetime,
        fairness_days: int,
    ) -> list[VolunteerSnapshot]:
        """Eligible volunteers offering `category` in one ring around `area` (one index range of
        `candidates`): its neighbourhood, the rest of its district, or the rest of its
        municipality."""
        params = {
            "category": category,
            "municipality": area.municipality,
            "district": area.district,
            "neighbourhood": area.neighbourhood,
            "since": now - timedelta(days=fairness_days),
        }
        statement = _RING_QUERIES[scope]
        rows = (await self.connection.execute(statement, params)).all()
        return [_snapshot(r, area_of(r[1], r[2], r[3]), None) for r in rows]

    async def snapshot(
        self, member_id: str, *, now: datetime, fairness_days: int = 30
    ) -> VolunteerSnapshot | None:
        """A volunteer as matching sees them, whether or not they are a candidate now."""
        member = await self.member_row(member_id)
        if member is None or member.erased:
            return None
        row = (
            await self.connection.execute(
                select(
                    volunteers,
                    *_stat_columns(volunteers.c.member_id, now - timedelta(days=fairness_days)),
                ).where(volunteers.c.member_id == member_id)
            )
        ).one_or_none()
        if row is None:
            return None
        home = area_of(member.municipality, member.district, member.neighbourhood)
        return _snapshot(row, home, member)

    async def dump(self) -> dict[str, list[dict[str, Any]]]:
        """The whole read model as plain rows (to compare a rebuild with the original)."""
        out: dict[str, list[dict[str, Any]]] = {}
        for table, key in (
            (members, [members.c.member_id]),
            (volunteers, [volunteers.c.member_id]),
            (candidates, [candidates.c.member_id, candidates.c.category]),
            (cooperatives, [cooperatives.c.cooperative_id]),
            (
                cooperative_areas,
                [cooperative_areas.c.area_code, cooperative_areas.c.cooperative_id],
            ),
        ):
            rows = await self.connection.execute(select(table).order_by(*key))
            out[table.name] = [
                {k: v for k, v in row._mapping.items() if k != "updated_at"} for row in rows
            ]
        return out


def _stat_columns(member_id: Any, since: Any) -> list[Any]:
    """Correlated counts per volunteer, each answered from an index: open assignments,
    assignments since `since` (fairness), answered and accepted proposals."""

    def count(table: Table, *where: Any) -> Any:
        return select(func.count()).select_from(table).where(*where).scalar_subquery()

    r, p = requests.c, proposals.c
    return [
        count(requests, r.matched_volunteer_id == member_id, r.state == "matched").label(
            "open_now"
        ),
        count(requests, r.matched_volunteer_id == member_id, r.matched_at >= since).label("recent"),
        count(proposals, p.volunteer_id == member_id, p.state.in_(ANSWERED)).label("answered"),
        count(proposals, p.volunteer_id == member_id, p.state == "accepted").label("accepted"),
    ]


def _ring_query(scope: Scope) -> Any:
    """The candidate lookup of one ring, built once (bound parameters: category,
    municipality, district, neighbourhood, since)."""
    c = candidates.c
    where: list[Any] = [c.category == bindparam("category")]
    if scope == "neighbourhood":
        where.append(c.neighbourhood == bindparam("neighbourhood"))
    elif scope == "rest_of_district":
        # Those in the district outside the request's neighbourhood: in another one, or in
        # none known (all of the district, when the request's own neighbourhood is not known).
        where += [
            c.district == bindparam("district"),
            or_(
                c.neighbourhood.is_(None),
                bindparam("neighbourhood", type_=String).is_(None),
                c.neighbourhood != bindparam("neighbourhood", type_=String),
            ),
        ]
    else:
        where += [
            c.municipality == bindparam("municipality"),
            c.district != bindparam("district"),
        ]
    return (
        select(
            c.member_id,
            c.municipality,
            c.district,
            c.neighbourhood,
            volunteers,
            *_stat_columns(c.member_id, bindparam("since", type_=UtcDateTime)),
        )
        .join(volunteers, volunteers.c.member_id == c.member_id)
        .where(*where)
    )


def _snapshot(v: Any, home: AreaRef, member: Any) -> VolunteerSnapshot:
    """`v` has the volunteers columns and the `_stat_columns`; `member` the members row (or
    None for a row from the candidate index, which holds eligible volunteers only)."""
    roles = member.roles if member is not None else ["volunteer"]
    consents = member.consents if member is not None else {}
    return VolunteerSnapshot(
        member_id=v.member_id,
        home=home,
        categories=frozenset(v.categories),
        radius_km=float(v.radius_km),
        languages=frozenset(v.languages),
        # validated when the profile event came in
        availability=tuple(Slot(s["weekday"], s["start"], s["end"]) for s in v.availability),
        flexible=bool(v.flexible),
        max_open=int(v.max_open),
        active=bool(v.active),
        consent=bool(v.matching_consent) and bool(consents.get("matching", True)),
        is_volunteer="volunteer" in roles,
        certificate_of_conduct=bool(v.certificate_of_conduct),
        open_assignments=int(v.open_now or 0),
        recent_assignments=int(v.recent or 0),
        proposals_answered=int(v.answered or 0),
        proposals_accepted=int(v.accepted or 0),
    )


# Statements of the matching path, built once (building one costs more than running it).
_RING_QUERIES: dict[str, Any] = {scope: _ring_query(scope) for scope in SCOPES}
_MEMBER = select(members).where(members.c.member_id == bindparam("member_id"))
_REQUESTER = (
    select(
        members.c.municipality,
        members.c.district,
        members.c.neighbourhood,
        members.c.erased,
        cooperative_areas.c.area_code,
        cooperatives.c.cooperative_id,
        cooperatives.c.policy,
    )
    .select_from(
        members.outerjoin(
            cooperative_areas,
            cooperative_areas.c.area_code.in_(
                [members.c.neighbourhood, members.c.district, members.c.municipality]
            ),
        ).outerjoin(
            cooperatives, cooperatives.c.cooperative_id == cooperative_areas.c.cooperative_id
        )
    )
    .where(members.c.member_id == bindparam("member_id"))
)
_POLICIES = (
    select(cooperative_areas.c.area_code, cooperatives.c.cooperative_id, cooperatives.c.policy)
    .join(cooperatives, cooperatives.c.cooperative_id == cooperative_areas.c.cooperative_id)
    .where(cooperative_areas.c.area_code.in_(bindparam("codes", expanding=True)))
)


def _by_cooperative(row: Any) -> str:
    return str(row.cooperative_id)
