"""Use cases behind the RPC verbs: one function each, taking a unit of work.

Each command commits its change and the events that announce it in one transaction.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from services.matching.domain.model import FINAL, UNMATCHED, HelpRequest
from services.matching.domain.rules import (
    SCOPES,
    LatLon,
    area_distance_km,
    rank,
    tier_of,
    why_not,
    within_radius,
    within_rings,
)
from services.matching.service_layer.matching import commit_change, needs_of, next_round, record
from services.matching.service_layer.uow import MatchingUnitOfWork, retrying
from services.matching.service_layer.views import (
    ALL_SIDES,
    proposal_view,
    request_view,
    summary_of,
)
from shared.areas import AreaRef, area_level
from shared.clock import Clock
from shared.contracts.matching import (
    Board,
    BoardQuery,
    Candidate,
    CandidateList,
    CandidatesQuery,
    CoordinatorCancel,
    CoordinatorClose,
    CoordinatorMatch,
    MyRequestsQuery,
    NoticeBoard,
    NoticeBoardQuery,
    NoticeItem,
    ProposalAnswer,
    ProposalList,
    ProposalQuery,
    ProposalView,
    RequestCancel,
    RequestComplete,
    RequestCreate,
    RequestFeedback,
    RequestList,
    RequestQuery,
    RequestState,
    RequestSummary,
    RequestView,
)
from shared.contracts.registry import MemberPlacement
from shared.errors import Conflict, Forbidden, Invalid, NotFound, SamenError
from shared.logging import get_logger
from shared.together import Call

log = get_logger(__name__)

BOARD_STATES: tuple[RequestState, ...] = ("escalated", "open", "proposed", "matched")


@dataclass
class Context:
    """What use cases need besides the unit of work."""

    clock: Clock
    centroids: Mapping[str, LatLon]

    def now(self) -> datetime:
        return self.clock.now()


class Registry(Protocol):
    """The source of truth for members, for when matching's copy lags behind it."""

    async def placement(self, member_id: str) -> MemberPlacement | None: ...


def is_unknown_requester(exc: NotFound) -> bool:
    return bool(exc.details) and exc.details.get("reason") == "member_unknown"


async def learn_requester(
    member_id: str,
    *,
    make_uow: Callable[[], MatchingUnitOfWork],
    registry: Registry,
    ctx: Context,
) -> bool:
    """Take a requester from the registry when their events have not arrived yet, as those
    events would record them (they still come, and say the same or newer). False when the
    registry does not know them either, or they were erased here."""
    found = await registry.placement(member_id)
    if found is None or found.district is None:
        return False
    async with make_uow() as uow:
        known = await uow.readmodel.put_member(
            member_id,
            area=AreaRef(
                municipality=found.municipality,
                district=found.district,
                neighbourhood=found.neighbourhood,
            ),
            roles=list(found.roles),
            language=found.language,
            consents={str(purpose): granted for purpose, granted in found.consents.items()},
            now=ctx.now(),
        )
        await uow.commit()
    return known


def check_area_codes(codes: list[str]) -> list[AreaRef]:
    try:
        return [AreaRef.from_code(code) for code in codes]
    except ValueError as exc:
        raise Invalid(str(exc)) from exc


def covers(area_codes: list[str], area: AreaRef) -> bool:
    code = area.most_specific()
    if code is None:
        return False
    return any(a.contains(code) for a in check_area_codes(area_codes))


def require_coordinator_of(area_codes: list[str], request: HelpRequest) -> None:
    if not covers(area_codes, request.area):
        raise Forbidden("this request lies outside your cooperative's areas")


# ------------------------------------------------------------------ requests


async def create_request(
    cmd: RequestCreate, *, uow: MatchingUnitOfWork, ctx: Context
) -> RequestView:
    request = await open_request(cmd, uow=uow, ctx=ctx)
    await uow.commit()
    return created_view(request)


async def create_requests_together(
    calls: list[Call[RequestCreate, RequestView]],
    *,
    make_uow: Callable[[], MatchingUnitOfWork],
    ctx: Context,
) -> None:
    """Requests asked for at the same moment, created in one transaction: one insert per
    table and one commit for all of them, where each alone costs the same round trips. A
    refused request is answered with its error and records nothing. Should the transaction
    fail, each request is tried again alone, so one request's trouble is never another's."""
    if len(calls) > 1:
        opened: list[tuple[Call[RequestCreate, RequestView], HelpRequest]] = []
        try:
            async with make_uow() as uow:
                for call in calls:
                    with call.in_its_correlation():
                        try:
                            opened.append((call, await open_request(call.item, uow=uow, ctx=ctx)))
                        except SamenError as exc:
                            call.fail(exc)
                await uow.commit()
        except Exception as exc:
            log.warning("requests created together failed; each is tried alone", error=repr(exc))
        else:
            for call, request in opened:
                call.succeed(created_view(request))
    for call in calls:
        if not call.settled:
            await _create_alone(call, make_uow=make_uow, ctx=ctx)


async def _create_alone(
    call: Call[RequestCreate, RequestView],
    *,
    make_uow: Callable[[], MatchingUnitOfWork],
    ctx: Context,
) -> None:
    with call.in_its_correlation():
        try:
            call.succeed(
                await retrying(make_uow, lambda u: create_request(call.item, uow=u, ctx=ctx))
            )
        except Exception as exc:
            call.fail(exc)


def created_view(request: HelpRequest) -> RequestView:
    """What the requester is told about their new request."""
    return request_view(request, with_proposals=True)


async def open_request(cmd: RequestCreate, *, uow: MatchingUnitOfWork, ctx: Context) -> HelpRequest:
    """A new request with its first round proposed (or escalated), recorded in `uow` and left
    for the caller to commit, alone or with other requests (`create_requests_together`).
    A refusal raises before anything is recorded."""
    now = ctx.now()
    if cmd.idempotency_key is not None:
        made = await uow.requests.id_for_key(cmd.requester_id, cmd.idempotency_key)
        if made is not None:
            return await same_request_again(cmd, made, uow=uow)
    requester = await uow.readmodel.requester(cmd.requester_id)
    if requester is not None and requester.erased:
        raise Invalid("this member has been erased")
    if cmd.entered_by is None:
        if cmd.neighbourhood is not None:
            raise Forbidden("only a coordinator entering a request may set its neighbourhood")
        area = (
            AreaRef(
                municipality=requester.municipality,
                district=requester.district,
                neighbourhood=requester.neighbourhood,
            )
            if requester is not None and requester.district is not None
            else None
        )
        if area is None:
            raise NotFound(
                "matching does not know this member's neighbourhood (yet)",
                details={"reason": "member_unknown"},
            )
    else:
        if not cmd.area_codes:
            raise Forbidden("a coordinator entering a request must give their areas")
        if cmd.neighbourhood is not None:
            try:
                area = AreaRef.from_code(cmd.neighbourhood)
            except ValueError as exc:
                raise Invalid(str(exc)) from exc
            if area.district is None:
                raise Invalid("neighbourhood must be a BU code, or a WK code where it is not known")
        else:
            known = await uow.readmodel.home_area(cmd.requester_id)
            if known is None:
                raise Invalid("give the neighbourhood: matching does not know where they live")
            area = known
        if not covers(cmd.area_codes, area):
            raise Forbidden("this neighbourhood lies outside your cooperative's areas")
    request = HelpRequest.open(
        requester_id=cmd.requester_id,
        category=cmd.category,
        description=cmd.description,
        area=area,
        now=now,
        needed_from=cmd.needed_from,
        needed_until=cmd.needed_until,
        flexible=cmd.flexible,
        urgent=cmd.urgent,
        languages=cmd.languages,
        entered_by=cmd.entered_by,
    )
    await next_round(request, uow, ctx.centroids, now=now)
    await record(uow, request, new=True)
    if cmd.idempotency_key is not None:
        uow.requests.remember_key(request, cmd.idempotency_key)
    return request


async def same_request_again(
    cmd: RequestCreate, request_id: str, *, uow: MatchingUnitOfWork
) -> HelpRequest:
    """A create sent again with its Idempotency-Key (after a timeout or a 503): the request
    the first one made, unchanged. The same key for another request is refused."""
    request = await uow.requests.get(request_id)
    if (request.category, request.description) != (cmd.category, cmd.description) and (
        request.description is not None  # an erased requester's request keeps no text
    ):
        raise Conflict(
            "This Idempotency-Key was used for another request.",
            details={"reason": "idempotency_key_reused"},
        )
    return request


async def get_request(q: RequestQuery, *, uow: MatchingUnitOfWork, ctx: Context) -> RequestView:
    request = await uow.requests.get(q.request_id)
    as_coordinator = bool(q.area_codes) and covers(q.area_codes, request.area)
    if not (as_coordinator or request.may_read(q.actor_id)):
        raise Forbidden("you may not see this request")
    involved_as_owner = q.actor_id in (request.requester_id, request.entered_by)
    # The feedback's score and comment: all for coordinators, a participant's own for them;
    # of the other side's only that it was given.
    shown = (
        ALL_SIDES
        if as_coordinator
        else ("requester",)
        if involved_as_owner
        else ("volunteer",)
        if q.actor_id == request.matched_volunteer_id
        else ()
    )
    view = request_view(
        request, with_proposals=as_coordinator or involved_as_owner, feedback_of=shown
    )
    if not (as_coordinator or involved_as_owner):
        # A volunteer sees the request and their own proposals, not the notes.
        own = [
            proposal_view(p, request, with_description=True)
            for p in request.proposals
            if p.volunteer_id == q.actor_id
        ]
        view = view.model_copy(update={"note": None, "proposals": own})
    return view


async def list_mine(q: MyRequestsQuery, *, uow: MatchingUnitOfWork, ctx: Context) -> RequestList:
    found = await uow.requests.of_member(q.member_id, q.role, states=q.states, limit=q.limit)
    return RequestList(requests=[summary_of(r) for r in found])


async def cancel_request(
    cmd: RequestCancel, *, uow: MatchingUnitOfWork, ctx: Context
) -> RequestView:
    request = await uow.requests.get(cmd.request_id)
    if cmd.actor_id not in (request.requester_id, request.entered_by):
        raise Forbidden("only the requester can cancel this request")
    request.cancel(by=cmd.actor_id, now=ctx.now())
    await commit_change(uow, request)
    return request_view(request, with_proposals=True)


async def complete_request(
    cmd: RequestComplete, *, uow: MatchingUnitOfWork, ctx: Context
) -> RequestView:
    request = await uow.requests.get(cmd.request_id)
    request.complete(
        by=cmd.actor_id, now=ctx.now(), hours=cmd.hours, score=cmd.score, comment=cmd.comment
    )
    await commit_change(uow, request)
    return request_view(request, feedback_of=(request.side_of(cmd.actor_id),))


async def give_feedback(
    cmd: RequestFeedback, *, uow: MatchingUnitOfWork, ctx: Context
) -> RequestView:
    """How it went, from the requester or the matched volunteer, once each, once done."""
    request = await uow.requests.get(cmd.request_id)
    side = request.give_feedback(
        by=cmd.actor_id, score=cmd.score, comment=cmd.comment, now=ctx.now()
    )
    await commit_change(uow, request)
    return request_view(request, feedback_of=(side,))


async def notice_board(
    q: NoticeBoardQuery, *, uow: MatchingUnitOfWork, ctx: Context
) -> NoticeBoard:
    (area,) = check_area_codes([q.area_code])
    waiting = await uow.requests.unmatched_in(area, limit=500)
    return NoticeBoard(
        area_code=q.area_code,
        items=[
            NoticeItem(
                category=r.category,
                neighbourhood=r.area.neighbourhood,
                needed_from=r.needed_from,
                needed_until=r.needed_until,
                flexible=r.flexible,
                urgent=r.urgent,
            )
            for r in waiting
        ],
    )


# ------------------------------------------------------------------ proposals


async def list_proposals(
    q: ProposalQuery, *, uow: MatchingUnitOfWork, ctx: Context
) -> ProposalList:
    made = await uow.requests.proposals_of(q.volunteer_id, states=q.states, limit=q.limit)
    home = await uow.readmodel.home_area(q.volunteer_id)
    return ProposalList(
        proposals=[
            proposal_view(
                p, request, with_description=True, distance_km=distance_from(home, request, ctx)
            )
            for p, request in made
        ]
    )


def distance_from(home: AreaRef | None, request: HelpRequest, ctx: Context) -> float | None:
    """About how far (km, one decimal) the request's neighbourhood lies from the volunteer's."""
    if home is None:
        return None
    distance = area_distance_km(home, request.area, ctx.centroids)
    return round(distance, 1) if distance is not None else None


async def answer_proposal(
    cmd: ProposalAnswer, *, accept: bool, uow: MatchingUnitOfWork, ctx: Context
) -> ProposalView:
    now = ctx.now()
    request = await uow.requests.get_by_proposal(cmd.proposal_id)
    home = await uow.readmodel.home_area(cmd.volunteer_id)
    if accept:
        changed = request.accept(cmd.proposal_id, cmd.volunteer_id, now=now)
    else:
        changed = request.decline(cmd.proposal_id, cmd.volunteer_id, now=now)
        if changed and request.round_finished(now):
            await next_round(request, uow, ctx.centroids, now=now)
    # The same answer again (a retry after a lost reply) writes nothing and sends nothing.
    if changed:
        await commit_change(uow, request)
    return proposal_view(
        request.proposal(cmd.proposal_id),
        request,
        with_description=True,
        distance_km=distance_from(home, request, ctx),
    )


# ------------------------------------------------------------------ coordinators


async def board(q: BoardQuery, *, uow: MatchingUnitOfWork, ctx: Context) -> Board:
    areas = check_area_codes(q.area_codes)
    states = q.states or list(BOARD_STATES)
    result: dict[RequestState, list[RequestSummary]] = {}
    counts: dict[RequestState, int] = {}
    for state in states:
        shown = await uow.requests.board(areas, state, limit=q.limit)
        result[state] = [summary_of(r) for r in shown]
        # A full page may not be all of them: only then are they counted.
        counts[state] = (
            len(shown) if len(shown) < q.limit else await uow.requests.count_on_board(areas, state)
        )
    return Board(area_codes=q.area_codes, requests=result, counts=counts)


async def candidates_for(
    q: CandidatesQuery, *, uow: MatchingUnitOfWork, ctx: Context
) -> CandidateList:
    now = ctx.now()
    request = await uow.requests.get(q.request_id)
    require_coordinator_of(q.area_codes, request)
    _, policy = await uow.readmodel.policy_for(request.area)
    needs = needs_of(request)
    needs = type(needs)(**{**needs.__dict__, "exclude": frozenset()})
    pool = []
    for scope in SCOPES:
        pool += await uow.readmodel.candidate_snapshots(
            request.category, request.area, scope, now=now, fairness_days=policy.fairness_days
        )
    out = []
    for v in pool:
        tier = tier_of(v.home, request.area)
        distance = area_distance_km(v.home, request.area, ctx.centroids)
        if why_not(v, needs, policy, distance, tier, check_radius=False) is not None:
            continue
        out.append((v, tier, distance))
    ranked = rank([v for v, _, _ in out], needs, policy, ctx.centroids)
    # `rank` drops those out of radius; a coordinator sees them too, after the others.
    order = {r.volunteer.member_id: i for i, r in enumerate(ranked)}
    out.sort(key=lambda t: (order.get(t[0].member_id, len(order)), t[2] or 0.0, t[0].member_id))
    proposed = request.proposed_to()
    return CandidateList(
        request_id=request.id,
        candidates=[
            Candidate(
                volunteer_id=v.member_id,
                neighbourhood=v.home.neighbourhood,
                distance_km=round(distance, 2) if distance is not None else None,
                tier=tier,
                open_assignments=v.open_assignments,
                assignments_recent=v.recent_assignments,
                acceptance_rate=v.acceptance_rate,
                within_radius=within_rings(tier, policy)
                and within_radius(v, distance, tier, policy.radius_cap_km),
                already_proposed=v.member_id in proposed,
            )
            for v, tier, distance in out[: q.limit]
        ],
    )


async def _known_volunteer(uow: MatchingUnitOfWork, volunteer_id: str, now: datetime) -> None:
    snap = await uow.readmodel.snapshot(volunteer_id, now=now)
    if snap is None or not snap.is_volunteer:
        raise Invalid("this member is not a volunteer matching knows")


async def coordinator_match(
    cmd: CoordinatorMatch, *, uow: MatchingUnitOfWork, ctx: Context, reassign: bool = False
) -> RequestView:
    now = ctx.now()
    request = await uow.requests.get(cmd.request_id)
    require_coordinator_of(cmd.area_codes, request)
    await _known_volunteer(uow, cmd.volunteer_id, now)
    if reassign:
        request.reassign(cmd.volunteer_id, coordinator_id=cmd.coordinator_id, now=now)
    else:
        request.match_by_hand(cmd.volunteer_id, coordinator_id=cmd.coordinator_id, now=now)
    await commit_change(uow, request)
    return request_view(request, with_proposals=True, feedback_of=ALL_SIDES)


async def coordinator_cancel(
    cmd: CoordinatorCancel, *, uow: MatchingUnitOfWork, ctx: Context
) -> RequestView:
    request = await uow.requests.get(cmd.request_id)
    require_coordinator_of(cmd.area_codes, request)
    request.cancel(by=cmd.coordinator_id, now=ctx.now(), note=cmd.note)
    await commit_change(uow, request)
    return request_view(request, with_proposals=True)


async def coordinator_close(
    cmd: CoordinatorClose, *, uow: MatchingUnitOfWork, ctx: Context
) -> RequestView:
    request = await uow.requests.get(cmd.request_id)
    require_coordinator_of(cmd.area_codes, request)
    request.close(coordinator_id=cmd.coordinator_id, note=cmd.note, now=ctx.now(), hours=cmd.hours)
    await commit_change(uow, request)
    return request_view(request, with_proposals=True, feedback_of=ALL_SIDES)


# ------------------------------------------------------------------ timers


async def fire_timer(request_id: str, kind: str, *, uow: MatchingUnitOfWork, ctx: Context) -> bool:
    """Fire one due timer; True when it changed the request."""
    now = ctx.now()
    request = await uow.requests.get(request_id)
    changed = False
    if kind == "expiry" and request.state in UNMATCHED and request.expires_at is not None:
        if request.expires_at <= now:
            request.expire(now=now)
            changed = True
    elif kind == "round" and request.state == "proposed" and request.round_finished(now):
        request.expire_round(now=now)
        await next_round(request, uow, ctx.centroids, now=now)
        changed = True
    if changed:
        await record(uow, request)
    else:
        await uow.requests.resync_timers(request, drop_due_before=now)
    await uow.commit()
    return changed


def is_final(state: str) -> bool:
    return state in FINAL


def area_kind(code: str) -> str:
    try:
        return area_level(code)
    except ValueError as exc:
        raise Invalid(str(exc)) from exc
