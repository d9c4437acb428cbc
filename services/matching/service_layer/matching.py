"""One round of matching: find the best K candidates through the indexes, tier by tier, and
propose to them; with nobody left, escalate to the most local cooperative with coordinators."""

from collections.abc import Mapping
from datetime import datetime

from services.matching.domain.model import HelpRequest
from services.matching.domain.rules import (
    SCOPES,
    LatLon,
    Ranked,
    RequestNeeds,
    escalation_target,
    rank,
)
from services.matching.service_layer.ports import ReadModel
from services.matching.service_layer.uow import MatchingUnitOfWork
from shared.events import MatchingPolicy


def needs_of(request: HelpRequest) -> RequestNeeds:
    return RequestNeeds(
        requester_id=request.requester_id,
        category=request.category,
        area=request.area,
        languages=frozenset(request.languages),
        needed_from=request.needed_from,
        needed_until=request.needed_until,
        flexible=request.flexible,
        exclude=frozenset(request.proposed_to()),
    )


async def find_candidates(
    readmodel: ReadModel,
    needs: RequestNeeds,
    policy: MatchingPolicy,
    centroids: Mapping[str, LatLon],
    *,
    now: datetime,
    wanted: int,
) -> list[Ranked]:
    """The best `wanted` candidates. Each ring ranks below the one inside it (neighbourhood,
    rest of the district, rest of the municipality), so the search stops at the first ring
    that completes the round: where volunteers are many, it reads one neighbourhood."""
    found: list[Ranked] = []
    for scope in SCOPES:
        pool = await readmodel.candidate_snapshots(
            needs.category, needs.area, scope, now=now, fairness_days=policy.fairness_days
        )
        found += rank(pool, needs, policy, centroids)
        if len(found) >= wanted:
            break
    return found[:wanted]


async def next_round(
    request: HelpRequest,
    uow: MatchingUnitOfWork,
    centroids: Mapping[str, LatLon],
    *,
    now: datetime,
) -> None:
    """Propose to the next K, or escalate when the rounds are used up or nobody is left."""
    if request.expires_at is not None and request.expires_at <= now:
        request.expire(now=now)  # too late to ask anyone
        return
    target = escalation_target(request.area, await uow.readmodel.cooperatives_by_area(request.area))
    requester = await uow.readmodel.member_row(request.requester_id)
    if requester is not None and not dict(requester.consents or {}).get("matching", True):
        # "My details may be used to find a match": without it nobody is asked automatically;
        # the coordinator handles the request by hand.
        request.escalate("no_matching_consent", cooperative_id=target, now=now)
        return
    _, policy = await uow.readmodel.policy_for(request.area)
    chosen: list[Ranked] = []
    if request.round < policy.max_rounds:
        chosen = await find_candidates(
            uow.readmodel,
            needs_of(request),
            policy,
            centroids,
            now=now,
            wanted=policy.proposals_per_round,
        )
    if chosen:
        request.propose(
            [c.volunteer.member_id for c in chosen],
            now=now,
            policy=policy,
            distances={
                c.volunteer.member_id: (
                    round(c.distance_km, 1) if c.distance_km is not None else None
                )
                for c in chosen
            },
        )
        return
    if request.round == 0:
        reason = "no_candidates"
    elif request.proposals and all(p.state == "declined" for p in request.proposals):
        reason = "declined_by_all"
    else:
        reason = "rounds_exhausted"
    request.escalate(reason, cooperative_id=target, now=now)  # type: ignore[arg-type]


async def record(uow: MatchingUnitOfWork, request: HelpRequest, *, new: bool = False) -> None:
    """Write the request and queue the events it produced, in this transaction."""
    if new:
        uow.requests.add(request)
    else:
        await uow.requests.save(request)
    for event in request.pop_events():
        uow.emit(event, request.area)


async def commit_change(uow: MatchingUnitOfWork, request: HelpRequest) -> None:
    """The end of every use case that changes one request: write it, queue its events and
    commit them together."""
    await record(uow, request)
    await uow.commit()
