"""The help requests of the matching database, with their proposals and timers (the read
model of members, volunteers and cooperatives is `readmodel.py`)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Table, delete, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from services.matching.adapters.orm import (
    proposals,
    request_keys,
    requests,
    timers,
)
from services.matching.domain.model import UNMATCHED, HelpRequest, Proposal
from services.matching.domain.reports import RequestFact
from shared.areas import AreaRef, area_of
from shared.categories import Category
from shared.errors import Conflict, NotFound

ANSWERED = ("accepted", "declined", "expired")


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
            proposal_from_row(p)
            for p in sorted(proposal_rows, key=lambda p: (p.round, p.proposed_at, p.id))
        ],
    )


def proposal_from_row(p: Any) -> Proposal:
    return Proposal(
        id=p.id,
        request_id=p.request_id,
        volunteer_id=p.volunteer_id,
        round=p.round,
        state=p.state,
        proposed_at=p.proposed_at,
        expires_at=p.expires_at,
        answered_at=p.answered_at,
    )


class _ColumnsOf:
    """One table's columns of a row that joins two, by name: the names both tables have are
    labelled apart in the row (`id`, `id_1`), so they are looked up by their column."""

    __slots__ = ("_columns", "_mapping")

    def __init__(self, row: Any, table: Table) -> None:
        self._mapping = row._mapping
        self._columns = table.c

    def __getattr__(self, name: str) -> Any:
        return self._mapping[self._columns[name]]


def _fact_from_row(r: Any) -> RequestFact:
    return RequestFact(
        category=r.category,
        state=r.state,
        neighbourhood=r.neighbourhood,
        district=r.district,
        created_at=r.created_at,
        matched_at=r.matched_at,
        ever_escalated=r.escalated_at is not None,
        matched_volunteer_id=r.matched_volunteer_id,
        hours=r.hours,
        completed_at=r.completed_at,
        ratings=tuple(s for s in (r.score, r.volunteer_score) if s is not None),
        requester_id=r.requester_id,  # only counted; erasure leaves one pseudonym each
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

    async def drop_timers(self, request_id: str) -> None:
        """Forget a request's timers: for a request this database no longer holds."""
        await self.connection.execute(delete(timers).where(timers.c.request_id == request_id))

    async def _sync_timers(self, request: HelpRequest) -> None:
        await self.drop_timers(request.id)
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

    # -- lists: one statement each; a listed request comes without its proposals ------------

    async def of_member(
        self,
        member_id: str,
        role: Literal["requester", "volunteer"],
        *,
        states: Collection[str] | None,
        limit: int,
    ) -> list[HelpRequest]:
        """Newest first: the requests a member asked for or entered for someone (`requester`),
        or helps with (`volunteer`)."""
        if role == "requester":
            where: list[Any] = [
                or_(requests.c.requester_id == member_id, requests.c.entered_by == member_id)
            ]
        else:
            where = [requests.c.matched_volunteer_id == member_id]
        if states:
            where.append(requests.c.state.in_(list(states)))
        return await self._listed(*where, order=[requests.c.created_at.desc()], limit=limit)

    async def unmatched_in(self, area: AreaRef, *, limit: int) -> list[HelpRequest]:
        """The requests in `area` still waiting for a volunteer, soonest needed first."""
        return await self._listed(
            _in_area(area),
            requests.c.state.in_(sorted(UNMATCHED)),
            order=[requests.c.needed_from, requests.c.created_at],
            limit=limit,
        )

    async def board(self, areas: Sequence[AreaRef], state: str, *, limit: int) -> list[HelpRequest]:
        """The requests in `state` in any of `areas`, urgent ones first, then the longest
        escalated (for escalated ones) and the oldest."""
        order: list[Any] = (
            [requests.c.urgent.desc(), requests.c.escalated_at, requests.c.created_at]
            if state == "escalated"
            else [requests.c.urgent.desc(), requests.c.created_at]
        )
        return await self._listed(
            _in_any(areas), requests.c.state == state, order=order, limit=limit
        )

    async def count_on_board(self, areas: Sequence[AreaRef], state: str) -> int:
        """How many requests in `state` lie in any of `areas`."""
        statement = (
            select(func.count())
            .select_from(requests)
            .where(_in_any(areas), requests.c.state == state)
        )
        return int(await self.connection.scalar(statement) or 0)

    async def proposals_of(
        self, volunteer_id: str, *, states: Collection[str] | None, limit: int
    ) -> list[tuple[Proposal, HelpRequest]]:
        """The proposals made to a volunteer, newest first, each with its request."""
        where: list[Any] = [proposals.c.volunteer_id == volunteer_id]
        if states:
            where.append(proposals.c.state.in_(list(states)))
        statement = (
            select(proposals, requests)
            .join(requests, requests.c.id == proposals.c.request_id)
            .where(*where)
            .order_by(proposals.c.proposed_at.desc(), proposals.c.id)
            .limit(limit)
        )
        return [
            (proposal_from_row(_ColumnsOf(r, proposals)), request_from_row(_ColumnsOf(r, requests)))
            for r in await self.connection.execute(statement)
        ]

    async def helped_by(self, volunteer_id: str, *, limit: int) -> list[HelpRequest]:
        """The requests a volunteer was matched to (in no particular order)."""
        return await self._listed(requests.c.matched_volunteer_id == volunteer_id, limit=limit)

    async def report_cohort(
        self, area: AreaRef, period_from: datetime, period_until: datetime, *, limit: int
    ) -> list[RequestFact]:
        """The requests in `area` made in the period, as the anonymous figures count them."""
        return await self._facts(
            _in_area(area),
            requests.c.created_at >= period_from,
            requests.c.created_at < period_until,
            limit=limit,
        )

    async def report_completed(
        self, area: AreaRef, period_from: datetime, period_until: datetime, *, limit: int
    ) -> list[RequestFact]:
        """The requests in `area` done in the period (whenever they were made)."""
        return await self._facts(
            _in_area(area),
            requests.c.completed_at >= period_from,
            requests.c.completed_at < period_until,
            limit=limit,
        )

    async def ids_asked_by(self, member_id: str) -> list[str]:
        """The requests a member asked for themselves (not those they entered for others)."""
        return await self._ids(requests.c.requester_id == member_id)

    async def ids_asked_or_entered_by(self, member_id: str) -> list[str]:
        return await self._ids(
            or_(requests.c.requester_id == member_id, requests.c.entered_by == member_id)
        )

    async def ids_helped_by(self, volunteer_id: str) -> list[str]:
        """The requests a volunteer was matched to."""
        return await self._ids(requests.c.matched_volunteer_id == volunteer_id)

    async def proposal_request_ids(self, volunteer_id: str) -> list[str]:
        """The requests with a proposal to this volunteer."""
        return list(
            (
                await self.connection.scalars(
                    select(proposals.c.request_id)
                    .where(proposals.c.volunteer_id == volunteer_id)
                    .distinct()
                )
            ).all()
        )

    async def _rows(self, *where: Any, order: Sequence[Any] = (), limit: int) -> list[Any]:
        statement = select(requests).where(*where).order_by(*order).limit(limit)
        return list((await self.connection.execute(statement)).all())

    async def _listed(
        self, *where: Any, order: Sequence[Any] = (), limit: int
    ) -> list[HelpRequest]:
        return [request_from_row(r) for r in await self._rows(*where, order=order, limit=limit)]

    async def _facts(self, *where: Any, limit: int) -> list[RequestFact]:
        return [_fact_from_row(r) for r in await self._rows(*where, limit=limit)]

    async def _ids(self, *where: Any) -> list[str]:
        return list((await self.connection.scalars(select(requests.c.id).where(*where))).all())


def _in_area(area: AreaRef) -> Any:
    """A WHERE clause: the request lies in `area` (a municipality, district or neighbourhood)."""
    if area.neighbourhood:
        return requests.c.neighbourhood == area.neighbourhood
    if area.district:
        return requests.c.district == area.district
    return requests.c.municipality == area.municipality


def _in_any(areas: Sequence[AreaRef]) -> Any:
    return or_(*(_in_area(a) for a in areas))


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


_INSERT_REQUEST = insert(requests)
_INSERT_PROPOSALS = insert(proposals)
_INSERT_TIMERS = insert(timers)
