"""The social map: searching it (anyone) and the whole of it for a municipal map; and its
upkeep: the organisations a member may keep up to date (as their area's coordinator or as
the organisation's own account), adding, changing and retiring them and their standing
offers, and a coordinator's CSV of them. The registry decides who may; these gather what a
page shows."""

from dataclasses import dataclass

from services.gateway.bootstrap import Gateway
from services.gateway.principal import Principal
from services.gateway.usecases.areas import coordinator_areas, in_areas, postcode_area
from services.gateway.usecases.coordinators import file_text
from shared.contracts import registry as rc
from shared.errors import Forbidden, Invalid, NotFound, SamenError
from shared.texts import N_

# The registry's words for an import's row it refused (services/registry/domain/
# directory_rows.py), shown in the page's language.
REGISTRY_TEXTS = (
    N_("organisation: is empty"),
    N_("offer: is empty"),
    N_("categories: is empty"),
    N_("areas: is empty"),
    N_("categories: is not a known category"),
    N_("areas: no district or neighbourhood has this name"),
    N_("opening_hours: are not like 'di 10:00-12:00', closing after opening"),
    N_("areas: this lies outside your cooperative's areas"),
)


# ------------------------------------------------------------------ the map

EXPORT_PAGE = 200
EXPORT_MAX = 20_000  # a city's social map many times over


async def search(gateway: Gateway, query: rc.DirectorySearch) -> rc.DirectoryResults:
    """Local services and standing offers (Open Referral HSDS shape); nothing about members."""
    return await gateway.rpc.call(rc.DIRECTORY_SEARCH, query)


async def whole_map(gateway: Gateway) -> list[rc.HsdsService]:
    """Every active offer, page by page (at most EXPORT_MAX), for a municipal social map."""
    services: list[rc.HsdsService] = []
    while len(services) < EXPORT_MAX:
        page = await search(gateway, rc.DirectorySearch(limit=EXPORT_PAGE, offset=len(services)))
        services.extend(page.services)
        if len(page.services) < EXPORT_PAGE:
            break
    return services


async def keeps_map(gateway: Gateway, principal: Principal | None) -> bool:
    """Whether the map offers this member its upkeep: coordinators, admins and the members
    who manage an organisation."""
    if principal is None:
        return False
    if principal.has("coordinator", "admin"):
        return True
    managed = await gateway.rpc.call(
        rc.ORGANISATION_LIST, rc.OrganisationQuery(manager_id=principal.member_id)
    )
    return bool(managed.organisations)


# ------------------------------------------------------------------ upkeep


@dataclass(frozen=True)
class Keeper:
    """What a member keeps up to date: the areas they coordinate (none for an organisation's
    own account) and the organisations they may edit."""

    areas: list[str]
    organisations: list[rc.OrganisationInfo]

    @property
    def coordinates(self) -> bool:
        return bool(self.areas)


async def _areas(gateway: Gateway, principal: Principal) -> list[str]:
    if not principal.has("coordinator", "admin"):
        return []
    try:
        return await coordinator_areas(gateway, principal)
    except Forbidden:
        return []


async def keeper(gateway: Gateway, principal: Principal) -> Keeper:
    """Forbidden for a member who neither coordinates nor manages an organisation."""
    areas = await _areas(gateway, principal)
    found: dict[str, rc.OrganisationInfo] = {}
    managed = await gateway.rpc.call(
        rc.ORGANISATION_LIST, rc.OrganisationQuery(manager_id=principal.member_id)
    )
    for o in managed.organisations:
        found[o.organisation_id] = o
    for code in areas:
        listed = await gateway.rpc.call(rc.ORGANISATION_LIST, rc.OrganisationQuery(area_code=code))
        for o in listed.organisations:
            if in_areas(areas, o.area_code):
                found[o.organisation_id] = o
    if not areas and not found:
        raise Forbidden("Only coordinators and organisations keep the social map.")
    return Keeper(areas, sorted(found.values(), key=lambda o: (o.name.lower(), o.organisation_id)))


async def organisation_of(
    gateway: Gateway, principal: Principal, organisation_id: str
) -> rc.OrganisationInfo:
    """An organisation this member may keep up to date; NotFound for any other, so nobody
    learns which organisations exist by trying ids."""
    org = await gateway.rpc.call(
        rc.ORGANISATION_GET, rc.OrganisationRef(organisation_id=organisation_id)
    )
    areas = await _areas(gateway, principal)
    if (
        principal.member_id in org.manager_ids
        or principal.has("admin")
        or in_areas(areas, org.area_code)
    ):
        return org
    raise NotFound("no such organisation")


async def offers_of(gateway: Gateway, organisation_id: str) -> list[rc.OfferInfo]:
    found = await gateway.rpc.call(
        rc.OFFER_LIST, rc.OfferQuery(organisation_id=organisation_id, include_retired=True)
    )
    return found.offers


async def offer_of(
    gateway: Gateway, principal: Principal, offer_id: str
) -> tuple[rc.OrganisationInfo, rc.OfferInfo]:
    offer = await gateway.rpc.call(rc.OFFER_GET, rc.OfferRef(offer_id=offer_id))
    return await organisation_of(gateway, principal, offer.organisation_id), offer


async def kept_offers(
    gateway: Gateway, principal: Principal, organisation_id: str
) -> list[rc.OfferInfo]:
    """The standing offers (retired ones too) of an organisation this member keeps."""
    await organisation_of(gateway, principal, organisation_id)
    return await offers_of(gateway, organisation_id)


async def base_area(gateway: Gateway, postcode: str, area: str) -> str:
    """Where an organisation is based: its postcode's neighbourhood, else the area picked."""
    if postcode:
        try:
            place = await postcode_area(gateway, postcode)
        except SamenError as exc:
            raise Invalid(
                "unknown postcode", details={"field": "postcode", "reason": "malformed"}
            ) from exc
        return place.neighbourhood.code
    if not area or not (await gateway.areas.current()).accepts(area):
        raise Invalid("choose an area", details={"field": "area_code"})
    return area


async def add_organisation(
    gateway: Gateway, principal: Principal, org: rc.OrganisationAdd
) -> rc.OrganisationInfo:
    """Put an organisation on the map (coordinators of its area, admins)."""
    return await gateway.rpc.call(
        rc.ORGANISATION_ADD,
        rc.OrganisationAdd(**org.model_dump(exclude={"actor_id"}), actor_id=principal.member_id),
    )


async def update_organisation(
    gateway: Gateway, principal: Principal, organisation_id: str, changes: rc.OrganisationUpdate
) -> rc.OrganisationInfo:
    """Change what `changes` sets (its managers, its area's coordinators)."""
    return await gateway.rpc.call(
        rc.ORGANISATION_UPDATE,
        rc.OrganisationUpdate(
            **changes.model_dump(exclude_unset=True, exclude={"organisation_id", "actor_id"}),
            organisation_id=organisation_id,
            actor_id=principal.member_id,
        ),
    )


async def retire_organisation(
    gateway: Gateway, principal: Principal, organisation_id: str
) -> rc.OrganisationInfo:
    """Take an organisation and its offers off the map (kept: what was offered stays known)."""
    return await gateway.rpc.call(
        rc.ORGANISATION_RETIRE,
        rc.OrganisationRef(organisation_id=organisation_id, actor_id=principal.member_id),
    )


async def add_offer(gateway: Gateway, principal: Principal, offer: rc.OfferAdd) -> rc.OfferInfo:
    """A standing offer of an organisation; it shows on the map at once."""
    return await gateway.rpc.call(
        rc.OFFER_ADD,
        rc.OfferAdd(**offer.model_dump(exclude={"actor_id"}), actor_id=principal.member_id),
    )


async def update_offer(
    gateway: Gateway, principal: Principal, offer_id: str, changes: rc.OfferUpdate
) -> rc.OfferInfo:
    """Change what `changes` sets (its opening hours, contact, areas...)."""
    return await gateway.rpc.call(
        rc.OFFER_UPDATE,
        rc.OfferUpdate(
            **changes.model_dump(exclude_unset=True, exclude={"offer_id", "actor_id"}),
            offer_id=offer_id,
            actor_id=principal.member_id,
        ),
    )


async def retire_offer(gateway: Gateway, principal: Principal, offer_id: str) -> rc.OfferInfo:
    """Take a standing offer off the map (kept for history)."""
    return await gateway.rpc.call(
        rc.OFFER_RETIRE, rc.OfferRef(offer_id=offer_id, actor_id=principal.member_id)
    )


async def import_file(
    gateway: Gateway, principal: Principal, data: bytes
) -> rc.DirectoryImportReport:
    """A coordinator's CSV of organisations and offers, put on the map at once."""
    await coordinator_areas(gateway, principal)  # coordinators and admins only
    text = file_text(data)
    if not text.strip():
        raise Invalid("the file is empty", details={"field": "file", "reason": "empty_file"})
    if len(text) > rc.DIRECTORY_IMPORT_CHARS:
        raise Invalid(
            "the file is too large", details={"field": "file", "reason": "file_too_large"}
        )
    return await gateway.rpc.call(
        rc.DIRECTORY_IMPORT, rc.DirectoryImport(text=text, actor_id=principal.member_id)
    )
