"""The social map's upkeep over the API: organisations and their standing offers, added by
an area's coordinators, kept up to date by them and by the organisation's own account
(the members named as its managers). Retiring takes something off the map; it is kept, so
what was offered stays known. The registry decides who may do what."""

from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import Field
from pydantic.json_schema import SkipJsonSchema

from services.gateway.deps import CurrentMember, GatewayDep
from services.gateway.problems import PROBLEM_RESPONSES
from services.gateway.routes.params import IdPath
from services.gateway.usecases import social_map
from shared.contracts import registry as rc

router = APIRouter(tags=["social map"], responses=PROBLEM_RESPONSES)

_NOT_YOURS = Field(default=None, exclude=True)  # always the signed-in member


class OrganisationBody(rc.OrganisationAdd):
    """A new organisation on the social map (coordinators of `area_code`, admins). The
    members named by `manager_emails` keep it and its offers up to date from then on; they
    must have signed up first."""

    actor_id: SkipJsonSchema[None] = _NOT_YOURS


class OrganisationPatch(rc.OrganisationUpdate):
    """What changes (fields left out stay); `manager_emails` only by coordinators."""

    organisation_id: SkipJsonSchema[str] = Field(default="", exclude=True)
    actor_id: SkipJsonSchema[None] = _NOT_YOURS


class OfferBody(rc.OfferAdd):
    """A standing offer of an organisation: what, for which areas, when it is open
    (`opening_hours`: weekday 0 = Monday, local times "HH:MM", closing after opening)."""

    actor_id: SkipJsonSchema[None] = _NOT_YOURS


class OfferPatch(rc.OfferUpdate):
    """What changes (fields left out stay; an empty text removes it)."""

    offer_id: SkipJsonSchema[str] = Field(default="", exclude=True)
    actor_id: SkipJsonSchema[None] = _NOT_YOURS


@router.get("/organisations", response_model=rc.OrganisationList)
async def organisations(principal: CurrentMember, gateway: GatewayDep) -> rc.OrganisationList:
    """The organisations I keep up to date: those I manage, and as a coordinator those in my
    cooperatives' areas (retired ones too)."""
    keeper = await social_map.keeper(gateway, principal)
    return rc.OrganisationList(organisations=keeper.organisations)


@router.post(
    "/organisations", status_code=status.HTTP_201_CREATED, response_model=rc.OrganisationInfo
)
async def add_organisation(
    body: OrganisationBody, principal: CurrentMember, gateway: GatewayDep
) -> rc.OrganisationInfo:
    """Put an organisation on the social map."""
    return await social_map.add_organisation(gateway, principal, body)


@router.get("/organisations/{organisation_id}", response_model=rc.OrganisationInfo)
async def organisation(
    organisation_id: IdPath, principal: CurrentMember, gateway: GatewayDep
) -> rc.OrganisationInfo:
    """One organisation I keep up to date."""
    return await social_map.organisation_of(gateway, principal, organisation_id)


@router.patch("/organisations/{organisation_id}", response_model=rc.OrganisationInfo)
async def update_organisation(
    organisation_id: IdPath, body: OrganisationPatch, principal: CurrentMember, gateway: GatewayDep
) -> rc.OrganisationInfo:
    """Change an organisation's details (its managers, its area's coordinators)."""
    return await social_map.update_organisation(gateway, principal, organisation_id, body)


@router.delete("/organisations/{organisation_id}", response_model=rc.OrganisationInfo)
async def retire_organisation(
    organisation_id: IdPath, principal: CurrentMember, gateway: GatewayDep
) -> rc.OrganisationInfo:
    """Retire an organisation: it and all its offers leave the social map (kept for
    history; `active` becomes false)."""
    return await social_map.retire_organisation(gateway, principal, organisation_id)


@router.get("/offers", response_model=rc.OfferList)
async def offers(
    principal: CurrentMember,
    gateway: GatewayDep,
    organisation_id: Annotated[str, Query(min_length=1, max_length=64)],
) -> rc.OfferList:
    """The standing offers of an organisation I keep up to date (retired ones too)."""
    return rc.OfferList(offers=await social_map.kept_offers(gateway, principal, organisation_id))


@router.post("/offers", status_code=status.HTTP_201_CREATED, response_model=rc.OfferInfo)
async def add_offer(body: OfferBody, principal: CurrentMember, gateway: GatewayDep) -> rc.OfferInfo:
    """Add a standing offer; it shows on the social map at once."""
    return await social_map.add_offer(gateway, principal, body)


@router.get("/offers/{offer_id}", response_model=rc.OfferInfo)
async def offer(offer_id: IdPath, principal: CurrentMember, gateway: GatewayDep) -> rc.OfferInfo:
    """One standing offer of an organisation I keep up to date."""
    _, found = await social_map.offer_of(gateway, principal, offer_id)
    return found


@router.patch("/offers/{offer_id}", response_model=rc.OfferInfo)
async def update_offer(
    offer_id: IdPath, body: OfferPatch, principal: CurrentMember, gateway: GatewayDep
) -> rc.OfferInfo:
    """Change a standing offer (its opening hours, contact, areas...)."""
    return await social_map.update_offer(gateway, principal, offer_id, body)


@router.delete("/offers/{offer_id}", response_model=rc.OfferInfo)
async def retire_offer(
    offer_id: IdPath, principal: CurrentMember, gateway: GatewayDep
) -> rc.OfferInfo:
    """Retire a standing offer: it leaves the social map (kept for history)."""
    return await social_map.retire_offer(gateway, principal, offer_id)
