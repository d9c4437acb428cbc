"""A volunteer's profile and proposals; answering a proposal (signed in, or by signed link)."""

from typing import Annotated

from fastapi import APIRouter, Query, Request

from services.gateway.area_names import AreaNames
from services.gateway.deps import (
    CurrentMember,
    GatewayDep,
    MaybeMember,
    Volunteer,
    check_csrf_header,
)
from services.gateway.errors import NotSignedIn
from services.gateway.openapi_links import (
    ACCEPT_PROPOSAL,
    DECLINE_PROPOSAL,
    PROPOSAL_FOLLOW_UPS,
    links_from,
)
from services.gateway.problems import PROBLEM_RESPONSES
from services.gateway.routes.params import IdPath
from services.gateway.schemas import ProposalOut, VolunteerBody, VolunteerOut
from services.gateway.usecases import volunteers
from shared.contracts import matching as mc
from shared.contracts import registry as rc

router = APIRouter(tags=["volunteers"], responses=PROBLEM_RESPONSES)


def volunteer_out(profile: rc.VolunteerProfile) -> VolunteerOut:
    return VolunteerOut(**profile.model_dump(exclude={"updated_at", "certificate_of_conduct_date"}))


def proposal_out(p: mc.ProposalView, names: AreaNames) -> ProposalOut:
    return ProposalOut(
        id=p.proposal_id,
        request_id=p.request_id,
        state=p.state,
        category=p.category,
        urgent=p.urgent,
        needed_from=p.needed_from,
        needed_until=p.needed_until,
        flexible=p.flexible,
        when=(
            f"{p.needed_from.isoformat()}/{p.needed_until.isoformat()}"
            if p.needed_from and p.needed_until and not p.flexible
            else "flexible"
        ),
        neighbourhood=p.neighbourhood,
        neighbourhood_name=names.name(p.neighbourhood) or None,
        expires_at=p.expires_at,
        description=p.description if p.state in ("pending", "accepted") else None,
        distance_km=p.distance_km,
    )


@router.get("/volunteers/me", response_model=VolunteerOut)
async def get_profile(principal: CurrentMember, gateway: GatewayDep) -> VolunteerOut:
    """My volunteer profile."""
    return volunteer_out(await volunteers.profile(gateway, principal))


@router.put("/volunteers/me", response_model=VolunteerOut)
async def put_profile(
    body: VolunteerBody, principal: CurrentMember, gateway: GatewayDep
) -> VolunteerOut:
    """Offer help: what, when (weekday 0 = Monday, "HH:MM"), how far, which languages."""
    profile = await volunteers.offer_help(gateway, principal, body)
    return volunteer_out(profile)


@router.get(
    "/volunteers/me/proposals",
    response_model=list[ProposalOut],
    responses=links_from(200, "/0/id", "proposal_id", PROPOSAL_FOLLOW_UPS),
)
async def my_proposals(principal: Volunteer, gateway: GatewayDep) -> list[ProposalOut]:
    """Requests proposed to me, newest first."""
    found = await volunteers.proposals(gateway, principal)
    names = await gateway.areas.current()
    return [proposal_out(p, names) for p in found]


async def answer(
    request: Request,
    gateway: GatewayDep,
    principal: MaybeMember,
    proposal_id: IdPath,
    token: str | None,
    accept: bool,
) -> ProposalOut:
    if token:
        _, view = await volunteers.answer_by_link(
            gateway, token, proposal_id=proposal_id, action="accept" if accept else "decline"
        )
        return proposal_out(view, await gateway.areas.current())
    if principal is None:
        raise NotSignedIn("Sign in, or use the link from your message.")
    check_csrf_header(request, principal)
    view = await volunteers.answer_proposal(
        gateway, proposal_id, volunteer_id=principal.member_id, accept=accept
    )
    return proposal_out(view, await gateway.areas.current())


TokenQuery = Annotated[
    str | None, Query(max_length=2000, description="the signed link token, instead of signing in")
]


@router.post(
    "/proposals/{proposal_id}/accept", response_model=ProposalOut, operation_id=ACCEPT_PROPOSAL
)
async def accept(
    proposal_id: IdPath,
    request: Request,
    gateway: GatewayDep,
    principal: MaybeMember,
    token: TokenQuery = None,
) -> ProposalOut:
    """Say yes: the first volunteer to accept helps, the others are thanked."""
    return await answer(request, gateway, principal, proposal_id, token, True)


@router.post(
    "/proposals/{proposal_id}/decline", response_model=ProposalOut, operation_id=DECLINE_PROPOSAL
)
async def decline(
    proposal_id: IdPath,
    request: Request,
    gateway: GatewayDep,
    principal: MaybeMember,
    token: TokenQuery = None,
) -> ProposalOut:
    """Say no, thank you."""
    return await answer(request, gateway, principal, proposal_id, token, False)
