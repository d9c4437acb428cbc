"""Running a cooperative: its name and areas, coordinators, matching policy, its own channels
for escalations and its digest time. Admins run every cooperative; a coordinator those within
their own cooperatives' areas. Every change is in the cooperative's change log."""

from fastapi import APIRouter, Response

from services.gateway.deps import Coordinator, GatewayDep
from services.gateway.problems import PROBLEM_RESPONSES
from services.gateway.routes.params import IdPath
from services.gateway.schemas import (
    AdminCooperativeOut,
    AppriseAddress,
    ChannelsPatch,
    CooperativeChangeOut,
    CooperativePatch,
    CoordinatorInvite,
    CoordinatorOut,
    PublicCooperative,
    PublicCooperativeList,
)
from services.gateway.usecases.cooperatives import (
    Administered,
    administered,
    change_channels,
    change_cooperative,
    change_policy,
    cooperatives_run_by,
    invite_coordinator,
    remove_coordinator,
)
from shared.contracts import notify as nc
from shared.events import MatchingPolicy

router = APIRouter(prefix="/admin/cooperatives", tags=["admin"], responses=PROBLEM_RESPONSES)


def _public(coop: object) -> PublicCooperative:
    return PublicCooperative.model_validate(coop, from_attributes=True)


def cooperative_out(view: Administered) -> AdminCooperativeOut:
    coop = view.cooperative
    return AdminCooperativeOut(
        **_public(coop).model_dump(),
        coordinators=[
            CoordinatorOut(member_id=m.member_id, name=m.name, email=m.email, phone=m.phone)
            for m in view.coordinators
        ],
        apprise=[
            AppriseAddress(
                id=nc.apprise_id(url),
                scheme=url.split("://", 1)[0][:16],
                masked=nc.masked_apprise(url)[:500],
            )
            for url in view.channels.apprise_urls
        ],
        digest_time=view.channels.digest_time,
        may_change_areas=view.may_change_areas,
        may_invite=view.may_invite,
        changes=[
            CooperativeChangeOut(at=e.at, actor_id=e.actor_id, detail=e.detail)
            for e in view.changes
        ],
    )


@router.get("", response_model=PublicCooperativeList)
async def cooperatives(principal: Coordinator, gateway: GatewayDep) -> PublicCooperativeList:
    """The cooperatives I run."""
    found = await cooperatives_run_by(gateway, principal)
    return PublicCooperativeList(cooperatives=[_public(c) for c in found])


@router.get("/{cooperative_id}", response_model=AdminCooperativeOut)
async def cooperative(
    cooperative_id: IdPath, principal: Coordinator, gateway: GatewayDep
) -> AdminCooperativeOut:
    """One cooperative I run: areas, coordinators (a look at their details, audited),
    policy, channels (masked), digest time and the latest changes."""
    return cooperative_out(await administered(gateway, principal, cooperative_id))


@router.patch("/{cooperative_id}", response_model=AdminCooperativeOut)
async def change(
    cooperative_id: IdPath, body: CooperativePatch, principal: Coordinator, gateway: GatewayDep
) -> AdminCooperativeOut:
    """Rename it, or (admins) change its areas: known CBS codes, inside the parent
    cooperative's, holding the areas of the cooperatives under it."""
    await change_cooperative(gateway, principal, cooperative_id, body)
    return cooperative_out(await administered(gateway, principal, cooperative_id))


@router.put("/{cooperative_id}/policy", response_model=AdminCooperativeOut)
async def policy(
    cooperative_id: IdPath, body: MatchingPolicy, principal: Coordinator, gateway: GatewayDep
) -> AdminCooperativeOut:
    """The whole matching policy: proposals per round, offer time, urgent offer time, rounds,
    rings, radius cap and the rest; matching uses it from the next round on."""
    await change_policy(gateway, principal, cooperative_id, body)
    return cooperative_out(await administered(gateway, principal, cooperative_id))


@router.post("/{cooperative_id}/coordinators", response_model=CoordinatorOut, status_code=201)
async def invite(
    cooperative_id: IdPath, body: CoordinatorInvite, principal: Coordinator, gateway: GatewayDep
) -> CoordinatorOut:
    """(Admins) make someone a coordinator here by e-mail address; someone new is registered
    and gets an e-mail to choose a password."""
    member = await invite_coordinator(gateway, principal, cooperative_id, body)
    return CoordinatorOut(
        member_id=member.member_id, name=member.name, email=member.email, phone=member.phone
    )


@router.delete("/{cooperative_id}/coordinators/{member_id}", status_code=204)
async def remove(
    cooperative_id: IdPath, member_id: IdPath, principal: Coordinator, gateway: GatewayDep
) -> Response:
    """Someone no longer coordinates this cooperative (role and log-in stay)."""
    await remove_coordinator(gateway, principal, cooperative_id, member_id)
    return Response(status_code=204)


@router.patch("/{cooperative_id}/channels", response_model=AdminCooperativeOut)
async def channels(
    cooperative_id: IdPath, body: ChannelsPatch, principal: Coordinator, gateway: GatewayDep
) -> AdminCooperativeOut:
    """Add or remove the cooperative's Apprise addresses (a group chat hearing of every
    escalation), and set its coordinators' digest time."""
    await change_channels(gateway, principal, cooperative_id, body)
    return cooperative_out(await administered(gateway, principal, cooperative_id))
