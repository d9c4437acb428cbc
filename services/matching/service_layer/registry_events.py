"""The read model follows the registry's events (and nothing else), so replaying the stream
into an empty database rebuilds it. The envelope's `area` of member.* and
volunteer.profile_updated is the member's home neighbourhood."""

from services.matching.service_layer.matching import next_round, record
from services.matching.service_layer.privacy import erase_member
from services.matching.service_layer.uow import MatchingUnitOfWork
from services.matching.service_layer.usecases import Context
from shared.events import (
    CooperativeCreated,
    CooperativeUpdated,
    Envelope,
    MemberErased,
    MemberRegistered,
    MemberUpdated,
    VolunteerProfileUpdated,
)


async def member_registered(event: Envelope, uow: MatchingUnitOfWork) -> None:
    await _put_member(event, event.payload(MemberRegistered), uow)


async def member_updated(event: Envelope, uow: MatchingUnitOfWork) -> None:
    await _put_member(event, event.payload(MemberUpdated), uow)


async def _put_member(
    event: Envelope, data: MemberRegistered | MemberUpdated, uow: MatchingUnitOfWork
) -> None:
    await uow.readmodel.put_member(
        data.member_id,
        area=event.area,
        roles=list(data.roles),
        language=data.language,
        consents=None if data.consents is None else dict(data.consents),
        now=event.occurred_at,
    )


def profile_updated_handler(ctx: Context):  # type: ignore[no-untyped-def]
    async def handle(event: Envelope, uow: MatchingUnitOfWork) -> None:
        await profile_updated(event, uow, ctx)

    return handle


async def profile_updated(
    event: Envelope, uow: MatchingUnitOfWork, ctx: Context | None = None
) -> None:
    data = event.payload(VolunteerProfileUpdated)
    known = await uow.readmodel.put_member(
        data.member_id,
        area=event.area,
        roles=None,
        language=None,
        consents=None,
        now=event.occurred_at,
    )
    if not known:
        return  # erased: a late profile event must not bring the member back
    await uow.readmodel.put_volunteer(
        data.member_id,
        {
            "categories": sorted(str(c) for c in data.categories),
            "availability": [s.model_dump(mode="json") for s in data.availability],
            "flexible": data.flexible,
            "radius_km": data.radius_km,
            "languages": sorted(set(data.languages)),
            "max_open": data.max_open,
            "active": data.active,
            "matching_consent": data.matching_consent,
            "certificate_of_conduct": data.certificate_of_conduct,
        },
        event.occurred_at,
    )
    if ctx is not None and not (data.active and data.matching_consent):
        await withdraw_open_proposals(data.member_id, uow=uow, ctx=ctx)


async def withdraw_open_proposals(
    volunteer_id: str, *, uow: MatchingUnitOfWork, ctx: Context
) -> None:
    """Pausing pauses: every proposal still waiting for this volunteer is withdrawn
    (`match.withdrawn`, which also stops notify's held messages about it), and a round left
    with nobody to answer asks the next volunteers at once."""
    now = ctx.now()
    for request_id in sorted(await uow.requests.proposal_request_ids(volunteer_id)):
        request = await uow.requests.get(request_id)
        if request.final or not request.volunteer_paused(volunteer_id, now=now):
            continue
        if request.round_finished(now):
            await next_round(request, uow, ctx.centroids, now=now)
        await record(uow, request)


async def cooperative_changed(event: Envelope, uow: MatchingUnitOfWork) -> None:
    model = CooperativeCreated if event.type == CooperativeCreated.TYPE else CooperativeUpdated
    data = event.payload(model)
    await uow.readmodel.put_cooperative(
        data.cooperative_id,
        parent_id=data.parent_id,
        level=data.level,
        area_codes=list(data.area_codes),
        coordinator_ids=list(data.coordinator_ids),
        policy=data.policy,
    )


def member_erased_handler(ctx: Context):  # type: ignore[no-untyped-def]
    async def member_erased(event: Envelope, uow: MatchingUnitOfWork) -> None:
        data = event.payload(MemberErased)
        await erase_member(data.member_id, uow=uow, ctx=ctx, commit=False)

    return member_erased
