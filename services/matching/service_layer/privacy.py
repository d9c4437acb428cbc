"""Export and erasure of what matching holds about one member (AVG/GDPR).

Erasure keeps the anonymous figures: a request keeps its category, area and times, but loses
who asked (a random pseudonym replaces the id), the description, comment and notes. Open
requests of an erased requester are cancelled; an erased volunteer's open proposals are
withdrawn and a request they were matched to goes to the coordinators.
"""

import uuid

from services.matching.domain.rules import escalation_target
from services.matching.service_layer.matching import next_round, record
from services.matching.service_layer.uow import MatchingUnitOfWork
from services.matching.service_layer.usecases import Context
from services.matching.service_layer.views import (
    REQUESTER_SIDE,
    proposal_view,
    request_view,
    summary_of,
)
from shared.contracts.matching import (
    MemberData,
    MemberErasure,
    VolunteerFeedback,
    VolunteerProfileHeld,
)

# How many proposals and helped-with requests an export lists at most.
MOST = 10_000


async def export_member(member_id: str, *, uow: MatchingUnitOfWork) -> MemberData:
    member = await uow.readmodel.member_row(member_id)
    volunteer = await uow.readmodel.volunteer_row(member_id)
    # Requests a coordinator entered for someone else are that person's data, not theirs.
    own = await uow.requests.ids_asked_by(member_id)
    views = []
    for request_id in own:
        request = await uow.requests.get(request_id)
        views.append(request_view(request, feedback_of=REQUESTER_SIDE))
    offered = await uow.requests.proposals_of(member_id, states=None, limit=MOST)
    helped = await uow.requests.helped_by(member_id, limit=MOST)
    return MemberData(
        member_id=member_id,
        neighbourhood=member.neighbourhood if member is not None else None,
        roles=list(member.roles) if member is not None else [],
        volunteer_profile=(
            VolunteerProfileHeld(
                categories=list(volunteer.categories),
                radius_km=volunteer.radius_km,
                languages=list(volunteer.languages),
                flexible=volunteer.flexible,
                active=volunteer.active,
                matching_consent=volunteer.matching_consent,
            )
            if volunteer is not None
            else None
        ),
        requests=views,
        proposals=[proposal_view(p, request) for p, request in offered],
        helped_with=[summary_of(r) for r in helped],
        feedback_as_volunteer=[
            VolunteerFeedback(
                request_id=r.id,
                given_at=r.volunteer_feedback_at,
                score=r.volunteer_score,
                comment=r.volunteer_comment,
            )
            for r in helped
            if r.volunteer_feedback_at is not None
        ],
    )


async def erase_member(
    member_id: str, *, uow: MatchingUnitOfWork, ctx: Context, commit: bool = True
) -> MemberErasure:
    now = ctx.now()
    pseudonym = f"erased-{uuid.uuid4().hex}"  # random, so it links to nobody
    anonymised = cancelled = proposals_changed = 0
    await uow.requests.forget_keys(member_id)
    for request_id in await uow.requests.ids_asked_or_entered_by(member_id):
        request = await uow.requests.get(request_id)
        if request.requester_id == member_id:
            if not request.final:
                request.cancel(by=None, now=now)
                cancelled += 1
            request.anonymise_requester(pseudonym)
            anonymised += 1
        else:
            request.entered_by = None
        await record(uow, request)
    volunteer_requests = set(await uow.requests.proposal_request_ids(member_id))
    volunteer_requests |= set(await uow.requests.ids_helped_by(member_id))
    for request_id in sorted(volunteer_requests):
        request = await uow.requests.get(request_id)
        if not request.final:
            target = escalation_target(
                request.area, await uow.readmodel.cooperatives_by_area(request.area)
            )
            request.volunteer_left(member_id, cooperative_id=target, now=now)
            if request.round_finished(now):
                await next_round(request, uow, ctx.centroids, now=now)
        proposals_changed += request.anonymise_volunteer(member_id, pseudonym)
        await record(uow, request)
        await uow.requests.rename_volunteer(request, member_id, pseudonym)
    await uow.readmodel.erase(member_id, now)
    if commit:
        await uow.commit()
    return MemberErasure(
        member_id=member_id,
        requests_anonymised=anonymised,
        requests_cancelled=cancelled,
        proposals_anonymised=proposals_changed,
    )
