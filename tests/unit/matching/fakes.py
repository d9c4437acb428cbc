"""Matching's unit of work held in memory: the use cases run against it as against the database,
without one (nor NATS).

`FakeDatabase` is what the units of work share, like the database: each `FakeMatchingUnitOfWork`
works on its own copy of it from the moment it starts, and a commit writes that copy back (with
the events emitted) unless a request it saved was changed and committed meanwhile, which raises
`StaleRequest` as the SQL repository does. Leaving without a commit forgets it all.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from services.matching.adapters.repository import ANSWERED, StaleRequest
from services.matching.domain.model import UNMATCHED, HelpRequest, Proposal
from services.matching.domain.reports import RequestFact
from services.matching.domain.rules import Scope, Slot, VolunteerSnapshot
from shared.areas import AreaRef, area_of
from shared.clock import Clock
from shared.errors import NotFound
from shared.events import MatchingPolicy
from tests.in_memory import InMemoryDatabase, InMemoryUnitOfWork

EARLIEST = datetime.min.replace(tzinfo=UTC)


@dataclass
class Member:
    """A row of the read model's `members`."""

    member_id: str
    municipality: str | None = None
    district: str | None = None
    neighbourhood: str | None = None
    roles: list[str] = field(default_factory=list)
    language: str = "nl"
    consents: dict[str, bool] = field(default_factory=dict)
    erased: bool = False


@dataclass
class Volunteer:
    """A row of the read model's `volunteers` (availability as the profile event's dicts)."""

    member_id: str
    categories: list[str]
    availability: list[dict[str, Any]]
    flexible: bool
    radius_km: float
    languages: list[str]
    max_open: int
    active: bool
    matching_consent: bool
    certificate_of_conduct: bool


@dataclass
class Cooperative:
    cooperative_id: str
    parent_id: str | None
    level: str
    area_codes: list[str]
    coordinator_ids: list[str]
    policy: MatchingPolicy


@dataclass
class Tables:
    """Everything matching stores: what a unit of work copies, changes and writes back."""

    requests: dict[str, HelpRequest] = field(default_factory=dict)
    keys: dict[tuple[str, str], str] = field(default_factory=dict)  # (requester, key) -> id
    timers: dict[tuple[str, str], datetime] = field(default_factory=dict)  # (id, kind) -> due
    members: dict[str, Member] = field(default_factory=dict)
    volunteers: dict[str, Volunteer] = field(default_factory=dict)
    cooperatives: dict[str, Cooperative] = field(default_factory=dict)


class FakeDatabase(InMemoryDatabase[Tables]):
    def __init__(self, clock: Clock) -> None:
        super().__init__(clock, Tables())

    def uow(self) -> FakeMatchingUnitOfWork:
        return FakeMatchingUnitOfWork(self)

    def request(self, request_id: str) -> HelpRequest:
        """The request as committed."""
        return self.tables.requests[request_id]


class FakeMatchingUnitOfWork(InMemoryUnitOfWork[Tables]):
    """Implements the service layer's `MatchingUnitOfWork` Protocol."""

    source = "matching"
    requests: FakeRequests
    readmodel: FakeReadModel

    def _begin(self) -> None:
        self._versions = {i: r.version for i, r in self._tables.requests.items()}
        self.requests = FakeRequests(self._tables)
        self.readmodel = FakeReadModel(self._tables)

    def _check(self) -> None:
        """A request saved is still the version read, a new key still new; then the requests
        added are written, as the SQL repository does at commit."""
        committed = self._db.tables.requests
        for request_id in self.requests.saved:
            if committed[request_id].version != self._versions[request_id]:
                raise StaleRequest(f"request {request_id} changed meanwhile")
        for key in self.requests.new_keys:
            if key in self._db.tables.keys:
                raise StaleRequest("a create with this idempotency key won meanwhile")
        self.requests.write_added()

    async def commit(self) -> None:
        await super().commit()
        self._versions = {i: r.version for i, r in self._tables.requests.items()}
        self.requests.saved.clear()
        self.requests.new_keys.clear()


def _in(area: AreaRef, request: HelpRequest) -> bool:
    if area.neighbourhood:
        return request.area.neighbourhood == area.neighbourhood
    if area.district:
        return request.area.district == area.district
    return request.area.municipality == area.municipality


def _stored(request: HelpRequest) -> HelpRequest:
    """What the database keeps of a request: not the events it announced (they went out)."""
    kept = copy.deepcopy(request)
    kept.events = []
    return kept


def _listed(request: HelpRequest) -> HelpRequest:
    """A copy for a list: like the SQL repository's, without its proposals."""
    listed = copy.deepcopy(request)
    listed.proposals = []
    return listed


def _fact(r: HelpRequest) -> RequestFact:
    return RequestFact(
        category=str(r.category),
        state=r.state,
        neighbourhood=r.area.neighbourhood,
        district=r.area.district,
        created_at=r.created_at,
        matched_at=r.matched_at,
        ever_escalated=r.escalated_at is not None,
        matched_volunteer_id=r.matched_volunteer_id,
        hours=r.hours,
        completed_at=r.completed_at,
        ratings=tuple(r.ratings()),
        requester_id=r.requester_id,
    )


class FakeRequests:
    """Implements the service layer's `RequestRepository` Protocol over a unit of work's copy."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables
        self._added: list[HelpRequest] = []
        self.saved: set[str] = set()
        self.new_keys: dict[tuple[str, str], str] = {}

    # -- one request ----------------------------------------------------------------

    async def get(self, request_id: str) -> HelpRequest:
        if request_id not in self._t.requests:
            raise NotFound(f"request {request_id} not found")
        return copy.deepcopy(self._t.requests[request_id])

    async def get_by_proposal(self, proposal_id: str) -> HelpRequest:
        for request in self._t.requests.values():
            if any(p.id == proposal_id for p in request.proposals):
                return await self.get(request.id)
        raise NotFound(f"proposal {proposal_id} not found")

    def add(self, request: HelpRequest) -> None:
        request.version = 1
        self._added.append(request)

    def write_added(self) -> None:
        """At the commit, as the SQL repository writes its new requests."""
        added, self._added = self._added, []
        for request in added:
            self._t.requests[request.id] = _stored(request)
            self._sync_timers(request)
        self._t.keys.update(self.new_keys)

    async def save(self, request: HelpRequest) -> None:
        if self._t.requests[request.id].version != request.version:
            raise StaleRequest(f"request {request.id} changed meanwhile")
        request.version += 1
        self._t.requests[request.id] = _stored(request)
        self.saved.add(request.id)
        self._sync_timers(request)

    async def id_for_key(self, requester_id: str, idempotency_key: str) -> str | None:
        return self._t.keys.get((requester_id, idempotency_key))

    def remember_key(self, request: HelpRequest, idempotency_key: str) -> None:
        self.new_keys[(request.requester_id, idempotency_key)] = request.id

    async def forget_keys(self, requester_id: str) -> None:
        for key in [k for k in self._t.keys if k[0] == requester_id]:
            del self._t.keys[key]

    async def rename_volunteer(self, request: HelpRequest, old: str, new: str) -> None:
        for p in self._t.requests[request.id].proposals:
            if p.volunteer_id == old:
                p.volunteer_id = new

    # -- timers -----------------------------------------------------------------------

    def _sync_timers(self, request: HelpRequest) -> None:
        for kind in ("round", "expiry"):
            self._t.timers.pop((request.id, kind), None)
        if request.state == "proposed" and request.round_deadline is not None:
            self._t.timers[(request.id, "round")] = request.round_deadline
        if request.state in UNMATCHED and request.expires_at is not None:
            self._t.timers[(request.id, "expiry")] = request.expires_at

    async def resync_timers(self, request: HelpRequest, *, drop_due_before: datetime) -> None:
        self._sync_timers(request)
        for key, due in list(self._t.timers.items()):
            if key[0] == request.id and due <= drop_due_before:
                del self._t.timers[key]

    async def drop_timers(self, request_id: str) -> None:
        for key in [k for k in self._t.timers if k[0] == request_id]:
            del self._t.timers[key]

    async def due_timers(self, now: datetime, limit: int = 100) -> list[tuple[str, str]]:
        due = sorted((at, key) for key, at in self._t.timers.items() if at <= now)
        return [key for _, key in due[:limit]]

    # -- lists --------------------------------------------------------------------------

    def _all(self) -> Iterable[HelpRequest]:
        return self._t.requests.values()

    async def of_member(
        self,
        member_id: str,
        role: Literal["requester", "volunteer"],
        *,
        states: Collection[str] | None,
        limit: int,
    ) -> list[HelpRequest]:
        if role == "requester":
            mine = [r for r in self._all() if member_id in (r.requester_id, r.entered_by)]
        else:
            mine = [r for r in self._all() if r.matched_volunteer_id == member_id]
        if states:
            mine = [r for r in mine if r.state in states]
        mine.sort(key=lambda r: r.created_at, reverse=True)
        return [_listed(r) for r in mine[:limit]]

    async def unmatched_in(self, area: AreaRef, *, limit: int) -> list[HelpRequest]:
        waiting = [r for r in self._all() if _in(area, r) and r.state in UNMATCHED]
        # SQLite's order: a request without a needed-from time comes first.
        waiting.sort(key=lambda r: (r.needed_from or EARLIEST, r.created_at))
        return [_listed(r) for r in waiting[:limit]]

    def _on_board(self, areas: Sequence[AreaRef], state: str) -> list[HelpRequest]:
        return [r for r in self._all() if r.state == state and any(_in(a, r) for a in areas)]

    async def board(self, areas: Sequence[AreaRef], state: str, *, limit: int) -> list[HelpRequest]:
        shown = self._on_board(areas, state)
        if state == "escalated":
            shown.sort(key=lambda r: (not r.urgent, r.escalated_at or EARLIEST, r.created_at))
        else:
            shown.sort(key=lambda r: (not r.urgent, r.created_at))
        return [_listed(r) for r in shown[:limit]]

    async def count_on_board(self, areas: Sequence[AreaRef], state: str) -> int:
        return len(self._on_board(areas, state))

    async def proposals_of(
        self, volunteer_id: str, *, states: Collection[str] | None, limit: int
    ) -> list[tuple[Proposal, HelpRequest]]:
        made = [
            (copy.deepcopy(p), r)
            for r in self._all()
            for p in r.proposals
            if p.volunteer_id == volunteer_id and (not states or p.state in states)
        ]
        made.sort(key=lambda pr: (-pr[0].proposed_at.timestamp(), pr[0].id))
        return [(p, _listed(r)) for p, r in made[:limit]]

    async def helped_by(self, volunteer_id: str, *, limit: int) -> list[HelpRequest]:
        return [_listed(r) for r in self._all() if r.matched_volunteer_id == volunteer_id][:limit]

    async def report_cohort(
        self, area: AreaRef, period_from: datetime, period_until: datetime, *, limit: int
    ) -> list[RequestFact]:
        made = [r for r in self._all() if _in(area, r)]
        return [_fact(r) for r in made if period_from <= r.created_at < period_until][:limit]

    async def report_completed(
        self, area: AreaRef, period_from: datetime, period_until: datetime, *, limit: int
    ) -> list[RequestFact]:
        done = [
            r
            for r in self._all()
            if _in(area, r) and r.completed_at and period_from <= r.completed_at < period_until
        ]
        return [_fact(r) for r in done][:limit]

    async def ids_asked_by(self, member_id: str) -> list[str]:
        return [r.id for r in self._all() if r.requester_id == member_id]

    async def ids_asked_or_entered_by(self, member_id: str) -> list[str]:
        return [r.id for r in self._all() if member_id in (r.requester_id, r.entered_by)]

    async def ids_helped_by(self, volunteer_id: str) -> list[str]:
        return [r.id for r in self._all() if r.matched_volunteer_id == volunteer_id]

    async def proposal_request_ids(self, volunteer_id: str) -> list[str]:
        return sorted(
            {r.id for r in self._all() for p in r.proposals if p.volunteer_id == volunteer_id}
        )


class FakeReadModel:
    """Implements the service layer's `ReadModel` Protocol, by the SQL read model's rules."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def member_row(self, member_id: str) -> Member | None:
        return self._t.members.get(member_id)

    async def requester(self, member_id: str) -> Member | None:
        return self._t.members.get(member_id)

    async def volunteer_row(self, member_id: str) -> Volunteer | None:
        return self._t.volunteers.get(member_id)

    async def home_area(self, member_id: str) -> AreaRef | None:
        m = self._t.members.get(member_id)
        if m is None or m.erased or m.neighbourhood is None:
            return None
        return area_of(m.municipality, m.district, m.neighbourhood)

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
        member = self._t.members.setdefault(member_id, Member(member_id))
        if member.erased:
            return False
        if area.neighbourhood is not None:
            member.municipality = area.municipality
            member.district = area.district
            member.neighbourhood = area.neighbourhood
        if roles is not None:
            member.roles = sorted(set(roles))
        if language is not None:
            member.language = language
        if consents is not None:
            member.consents = {**member.consents, **consents}
        return True

    async def put_volunteer(self, member_id: str, profile: dict[str, Any], now: datetime) -> None:
        self._t.volunteers[member_id] = Volunteer(member_id=member_id, **profile)

    async def erase(self, member_id: str, now: datetime) -> None:
        self._t.volunteers.pop(member_id, None)
        self._t.members[member_id] = Member(member_id, erased=True)

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
        self._t.cooperatives[cooperative_id] = Cooperative(
            cooperative_id, parent_id, level, sorted(area_codes), sorted(coordinator_ids), policy
        )

    async def cooperatives_by_area(self, area: AreaRef) -> dict[str, list[tuple[str, bool]]]:
        found: dict[str, list[tuple[str, bool]]] = {}
        for code in (area.neighbourhood, area.district, area.municipality):
            for c in self._t.cooperatives.values():
                if code and code in c.area_codes:
                    found.setdefault(code, []).append((c.cooperative_id, bool(c.coordinator_ids)))
        return found

    async def policy_for(self, area: AreaRef) -> tuple[str | None, MatchingPolicy]:
        for code in (area.neighbourhood, area.district, area.municipality):
            holding = sorted(
                (c for c in self._t.cooperatives.values() if code and code in c.area_codes),
                key=lambda c: c.cooperative_id,
            )
            if holding:
                return holding[0].cooperative_id, holding[0].policy
        return None, MatchingPolicy()

    def _eligible(self, member: Member, category: str) -> bool:
        """Whether the SQL read model keeps this member in its candidate index."""
        v = self._t.volunteers.get(member.member_id)
        return (
            v is not None
            and not member.erased
            and member.neighbourhood is not None
            and "volunteer" in member.roles
            and v.active
            and v.matching_consent
            and member.consents.get("matching", True)
            and category in v.categories
        )

    async def candidate_snapshots(
        self,
        category: str,
        area: AreaRef,
        scope: Scope,
        *,
        now: datetime,
        fairness_days: int,
    ) -> list[VolunteerSnapshot]:
        def in_ring(m: Member) -> bool:
            if scope == "neighbourhood":
                return m.neighbourhood == area.neighbourhood
            if scope == "rest_of_district":
                return m.district == area.district and m.neighbourhood != area.neighbourhood
            return m.municipality == area.municipality and m.district != area.district

        since = now - timedelta(days=fairness_days)
        return [
            self._snapshot(m, since, from_index=True)
            for m in self._t.members.values()
            if self._eligible(m, category) and in_ring(m)
        ]

    async def snapshot(
        self, member_id: str, *, now: datetime, fairness_days: int = 30
    ) -> VolunteerSnapshot | None:
        member = self._t.members.get(member_id)
        if member is None or member.erased or member_id not in self._t.volunteers:
            return None
        return self._snapshot(member, now - timedelta(days=fairness_days), from_index=False)

    def _snapshot(self, m: Member, since: datetime, *, from_index: bool) -> VolunteerSnapshot:
        v = self._t.volunteers[m.member_id]
        requests = self._t.requests.values()
        helped = [r for r in requests if r.matched_volunteer_id == m.member_id]
        offered = [p for r in requests for p in r.proposals if p.volunteer_id == m.member_id]
        # The candidate index holds eligible volunteers only, and knows no roles or consents.
        consents = {} if from_index else m.consents
        return VolunteerSnapshot(
            member_id=m.member_id,
            home=area_of(m.municipality, m.district, m.neighbourhood),
            categories=frozenset(v.categories),
            radius_km=float(v.radius_km),
            languages=frozenset(v.languages),
            availability=tuple(Slot(s["weekday"], s["start"], s["end"]) for s in v.availability),
            flexible=v.flexible,
            max_open=v.max_open,
            active=v.active,
            consent=v.matching_consent and consents.get("matching", True),
            is_volunteer=from_index or "volunteer" in m.roles,
            certificate_of_conduct=v.certificate_of_conduct,
            open_assignments=sum(1 for r in helped if r.state == "matched"),
            recent_assignments=sum(1 for r in helped if r.matched_at and r.matched_at >= since),
            proposals_answered=sum(1 for p in offered if p.state in ANSWERED),
            proposals_accepted=sum(1 for p in offered if p.state == "accepted"),
        )
