"""Repositories over the matching database: help requests (with their proposals and timers) and
the read model of members, volunteers and cooperatives built from registry events."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Table, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from services.matching.adapters.orm import (
    UtcDateTime,
    candidates,
    cooperative_areas,
    cooperatives,
    members,
    proposals,
    request_keys,
    requests,
    timers,
    volunteers,
)
from services.matching.domain.model import UNMATCHED, HelpRequest, Proposal
from services.matching.domain.rules import Slot, VolunteerSnapshot
from shared.areas import AreaRef, area_of
from shared.categories import Category
from shared.errors import Conflict, NotFound
from shared.events import MatchingPolicy

ANSWERED = ("accepted", "declined", "expired")
# Rings around a request, nearest first; each is one index range of `candidates`.
Scope = Literal["neighbourhood", "rest_of_district", "rest_of_municipality"]
SCOPES: tuple[Scope, ...] = ("neighbourhood", "rest_of_district", "rest_of_municipality")


class StaleRequest(Conflict):
    """Someone else changed the request since it was read: retry the use case."""


async def upsert(
    connection: AsyncConnection, table: Table, values: dict[str, Any], keys: Sequence[str]
) -> None:
    dialect = connection.dialect.name
    insert_ = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert_(table).values(values)
    statement = statement.on_conflict_do_update(
        index_elements=list(keys),
        set_={k: statement.excluded[k] for k in values if k not in keys},
    )
    await connection.execute(statement)


# ------------------------------------------------------------------ requests


def _request_row(r: HelpRequest) -> dict[str, Any]:
    return {
        "id": r.id,
        "requester_id": r.requester_id,
        "category": str(r.category),
        "description": r.description,
        "municipality": r.area.municipality,
        "district": r.area.district,
        "neighbourhood": r.area.neighbourhood,
        "needed_from": r.needed_from,
        "needed_until": r.needed_until,
        "flexible": r.flexible,
        "urgent": r.urgent,
        "languages": list(r.languages),
        "entered_by": r.entered_by,
        "state": r.state,
        "created_at": r.created_at,
        "round": r.round,
        "expires_at": r.expires_at,
        "round_deadline": r.round_deadline,
        "matched_volunteer_id": r.matched_volunteer_id,
        "matched_at": r.matched_at,
        "matched_by": r.matched_by,
        "escalated_at": r.escalated_at,
        "escalation_reason": r.escalation_reason,
        "escalated_to": r.escalated_to,
        "completed_at": r.completed_at,
        "hours": r.hours,
        "score": r.score,
        "comment": r.comment,
        "requester_feedback_at": r.requester_feedback_at,
        "volunteer_score": r.volunteer_score,
        "volunteer_comment": r.volunteer_comment,
        "volunteer_feedback_at": r.volunteer_feedback_at,
        "closed_by": r.closed_by,
        "note": r.note,
        "cancelled_at": r.cancelled_at,
        "cancelled_by": r.cancelled_by,
    }


def _proposal_row(p: Proposal) -> dict[str, Any]:
    return {
        "id": p.id,
        "request_id": p.request_id,
        "volunteer_id": p.volunteer_id,
        "round": p.round,
        "state": p.state,
        "proposed_at": p.proposed_at,
        "expires_at": p.expires_at,
        "answered_at": p.answered_at,
    }


def request_from_row(row: Any, proposal_rows: Iterable[Any] = ()) -> HelpRequest:
    return HelpRequest(
        id=row.id,
        requester_id=row.requester_id,
        category=Category(row.category),
        description=row.description,
        area=area_of(row.municipality, row.district, row.neighbourhood),
        created_at=row.created_at,
        needed_from=row.needed_from,
        needed_until=row.needed_until,
        flexible=row.flexible,
        urgent=row.urgent,
        languages=list(row.languages),
        entered_by=row.entered_by,
        state=row.state,
        round=row.round,
        expires_at=row.expires_at,
        round_deadline=row.round_deadline,
        matched_volunteer_id=row.matched_volunteer_id,
        matched_at=row.matched_at,
        matched_by=row.matched_by,
        escalated_at=row.escalated_at,
        escalation_reason=row.escalation_reason,
        escalated_to=row.escalated_to,
        completed_at=row.completed_at,
        hours=row.hours,
        score=row.score,
        comment=row.comment,
        requester_feedback_at=row.requester_feedback_at,
        volunteer_score=row.volunteer_score,
        volunteer_comment=row.volunteer_comment,
        volunteer_feedback_at=row.volunteer_feedback_at,
        closed_by=row.closed_by,
        note=row.note,
        cancelled_at=row.cancelled_at,
        cancelled_by=row.cancelled_by,
        version=row.version,
        proposals=[
            Proposal(
                id=p.id,
                request_id=p.request_id,
                volunteer_id=p.volunteer_id,
                round=p.round,
                state=p.state,
                proposed_at=p.proposed_at,
                expires_at=p.expires_at,
                answered_at=p.answered_at,
            )
            for p in sorted(proposal_rows, key=lambda p: (p.round, p.proposed_at, p.id))
        ],
    )


class RequestRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection
        self._seen: dict[str, dict[str, str]] = {}  # request id -> proposal id -> loaded state
        self._added: list[HelpRequest] = []
        self._keys: list[dict[str, str]] = []

    async def get(self, request_id: str) -> HelpRequest:
        row = (
            await self.connection.execute(select(requests).where(requests.c.id == request_id))
        ).one_or_none()
        if row is None:
            raise NotFound(f"request {request_id} not found")
        rows = (
            await self.connection.execute(
                select(proposals).where(proposals.c.request_id == request_id)
            )
        ).all()
        request = request_from_row(row, rows)
        self._seen[request.id] = {p.id: p.state for p in request.proposals}
        return request

    async def get_by_proposal(self, proposal_id: str) -> HelpRequest:
        request_id = await self.connection.scalar(
            select(proposals.c.request_id).where(proposals.c.id == proposal_id)
        )
        if request_id is None:
            raise NotFound(f"proposal {proposal_id} not found")
        return await self.get(request_id)

    def add(self, request: HelpRequest) -> None:
        """A new request, written with its proposals and timers by `write_added` (the unit of
        work's commit): the requests added in one transaction go out as one insert per table."""
        request.version = 1
        self._added.append(request)

    async def id_for_key(self, requester_id: str, idempotency_key: str) -> str | None:
        """The request a create with this Idempotency-Key made for this requester, if any."""
        found = await self.connection.scalar(
            select(request_keys.c.request_id).where(
                request_keys.c.requester_id == requester_id,
                request_keys.c.idempotency_key == idempotency_key,
            )
        )
        return str(found) if found is not None else None

    def remember_key(self, request: HelpRequest, idempotency_key: str) -> None:
        """Written with the new request: a second create with the key finds it."""
        self._keys.append(
            {
                "requester_id": request.requester_id,
                "idempotency_key": idempotency_key,
                "request_id": request.id,
            }
        )

    async def forget_keys(self, requester_id: str) -> None:
        await self.connection.execute(
            delete(request_keys).where(request_keys.c.requester_id == requester_id)
        )

    async def write_added(self) -> None:
        added, self._added = self._added, []
        keys, self._keys = self._keys, []
        if not added:
            return
        await self.connection.execute(
            _INSERT_REQUEST, [{**_request_row(r), "version": r.version} for r in added]
        )
        new_proposals = [_proposal_row(p) for r in added for p in r.proposals]
        if new_proposals:
            await self.connection.execute(_INSERT_PROPOSALS, new_proposals)
        new_timers = [row for r in added for row in _timer_rows(r)]
        if new_timers:
            await self.connection.execute(_INSERT_TIMERS, new_timers)
        if keys:
            try:
                await self.connection.execute(insert(request_keys), keys)
            except IntegrityError as exc:
                # The same key's create won meanwhile (a retry beside the first attempt, in
                # another replica): start again, and the key's look-up finds that request.
                raise StaleRequest("a create with this idempotency key won meanwhile") from exc
        for r in added:
            self._seen[r.id] = {p.id: p.state for p in r.proposals}

    async def save(self, request: HelpRequest) -> None:
        """Write the request back; `StaleRequest` if someone changed it since it was read."""
        result = await self.connection.execute(
            update(requests)
            .where(requests.c.id == request.id, requests.c.version == request.version)
            .values(**_request_row(request), version=request.version + 1)
        )
        if result.rowcount != 1:
            raise StaleRequest(f"request {request.id} changed meanwhile")
        request.version += 1
        await self._save_proposals(request)
        await self._sync_timers(request)

    async def _save_proposals(self, request: HelpRequest) -> None:
        seen = self._seen.setdefault(request.id, {})
        new = [_proposal_row(p) for p in request.proposals if p.id not in seen]
        if new:
            await self.connection.execute(_INSERT_PROPOSALS, new)
        for p in request.proposals:
            if p.id in seen and seen[p.id] != p.state:
                await self.connection.execute(
                    update(proposals)
                    .where(proposals.c.id == p.id)
                    .values(state=p.state, answered_at=p.answered_at, volunteer_id=p.volunteer_id)
                )
        self._seen[request.id] = {p.id: p.state for p in request.proposals}

    async def rename_volunteer(self, request: HelpRequest, old: str, new: str) -> None:
        await self.connection.execute(
            update(proposals)
            .where(proposals.c.request_id == request.id, proposals.c.volunteer_id == old)
            .values(volunteer_id=new)
        )

    async def resync_timers(self, request: HelpRequest, *, drop_due_before: datetime) -> None:
        """Rewrite the request's timers from its state, dropping any that would fire again for
        nothing (so a timer cannot spin)."""
        await self._sync_timers(request)
        await self.connection.execute(
            delete(timers).where(
                timers.c.request_id == request.id, timers.c.due_at <= drop_due_before
            )
        )

    async def _sync_timers(self, request: HelpRequest) -> None:
        await self.connection.execute(delete(timers).where(timers.c.request_id == request.id))
        rows = _timer_rows(request)
        if rows:
            await self.connection.execute(_INSERT_TIMERS, rows)

    # -- queries ------------------------------------------------------------------

    async def due_timers(self, now: datetime, limit: int = 100) -> list[tuple[str, str]]:
        rows = await self.connection.execute(
            select(timers.c.request_id, timers.c.kind)
            .where(timers.c.due_at <= now)
            .order_by(timers.c.due_at)
            .limit(limit)
        )
        return [(r.request_id, r.kind) for r in rows]

    async def rows(self, *where: Any, order: Sequence[Any] = (), limit: int = 1000) -> list[Any]:
        statement = select(requests).where(*where).order_by(*order).limit(limit)
        return list((await self.connection.execute(statement)).all())

    async def count(self, *where: Any) -> int:
        statement = select(func.count()).select_from(requests).where(*where)
        return int(await self.connection.scalar(statement) or 0)

    async def proposal_rows(self, *where: Any, limit: int = 1000) -> list[Any]:
        statement = (
            select(proposals, requests)
            .join(requests, requests.c.id == proposals.c.request_id)
            .where(*where)
            .order_by(proposals.c.proposed_at.desc(), proposals.c.id)
            .limit(limit)
        )
        return list((await self.connection.execute(statement)).all())

    async def ids_where(self, *where: Any) -> list[str]:
        return list((await self.connection.scalars(select(requests.c.id).where(*where))).all())

    async def proposal_request_ids(self, volunteer_id: str) -> list[str]:
        return list(
            (
                await self.connection.scalars(
                    select(proposals.c.request_id)
                    .where(proposals.c.volunteer_id == volunteer_id)
                    .distinct()
                )
            ).all()
        )


# ------------------------------------------------------------------ read model


def in_area(code: str) -> Any:
    """A WHERE clause: the request lies in the area `code` (GM, WK or BU)."""
    area = AreaRef.from_code(code)
    if area.neighbourhood:
        return requests.c.neighbourhood == area.neighbourhood
    if area.district:
        return requests.c.district == area.district
    return requests.c.municipality == area.municipality


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
        if row is None or row.erased or row.neighbourhood is None:
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
        if area.neighbourhood is not None:
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
        if member is None or volunteer is None or member.erased or member.neighbourhood is None:
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
        """Eligible volunteers offering `category` in one ring around `area` (one index range):
        its neighbourhood, the rest of its district, or the rest of its municipality."""
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
        where += [
            c.district == bindparam("district"),
            c.neighbourhood != bindparam("neighbourhood"),
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


def _timer_rows(request: HelpRequest) -> list[dict[str, Any]]:
    """The timers a request in its present state needs: the round's deadline, its expiry."""
    due = {
        "round": request.round_deadline if request.state == "proposed" else None,
        "expiry": request.expires_at if request.state in UNMATCHED else None,
    }
    return [
        {"request_id": request.id, "kind": kind, "due_at": at}
        for kind, at in due.items()
        if at is not None
    ]


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
_INSERT_REQUEST = insert(requests)
_INSERT_PROPOSALS = insert(proposals)
_INSERT_TIMERS = insert(timers)


def _by_cooperative(row: Any) -> str:
    return str(row.cooperative_id)
