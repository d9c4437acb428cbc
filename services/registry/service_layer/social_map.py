"""The social map as residents and municipal social maps read it (shaped after Open Referral
HSDS): active offers of organisations that are not retired, with how to reach them."""

from collections.abc import Sequence

from services.registry.domain.directory import Offer, OfferSearch, search_words
from services.registry.service_layer.areas import check_code
from services.registry.service_layer.directory import hours_of
from services.registry.service_layer.uow import RegistryUnitOfWork
from shared.contracts.registry import (
    DirectoryResults,
    HsdsLocation,
    HsdsOrganization,
    HsdsService,
    HsdsServiceArea,
)


async def _services(uow: RegistryUnitOfWork, offers: Sequence[Offer]) -> list[HsdsService]:
    orgs = await uow.directory.organisations_by_id(list({o.organisation_id for o in offers}))
    codes = {c for o in offers for c in o.area_codes}
    codes |= {o.location_area_code for o in offers if o.location_area_code}
    places = await uow.repo.areas_by_code(codes)
    services = []
    for offer in offers:
        org = orgs[offer.organisation_id]
        place = places.get(offer.location_area_code or "")
        services.append(
            HsdsService(
                id=offer.offer_id,
                name=offer.name,
                description=offer.description,
                status="active" if offer.active else "inactive",
                categories=list(offer.categories),
                languages=list(offer.languages),
                opening_hours=hours_of(offer),
                schedule=offer.schedule,
                # How to reach it: the offer's own contact details, else its organisation's.
                email=offer.email or org.email,
                phone=offer.phone or org.phone,
                url=offer.url or org.website,
                organization=HsdsOrganization(
                    id=org.organisation_id,
                    name=org.name,
                    description=org.description,
                    email=org.email,
                    phone=org.phone,
                    url=org.website,
                ),
                location=HsdsLocation(
                    address=offer.address or org.address,
                    area_code=offer.location_area_code,
                    area_name=place.name if place else None,
                    latitude=place.lat if place else None,
                    longitude=place.lon if place else None,
                ),
                service_areas=list(offer.area_codes),
                service_area_names=[
                    HsdsServiceArea(code=c, name=places[c].name)
                    for c in offer.area_codes
                    if c in places
                ],
                updated_at=offer.updated_at or offer.created_at,
            )
        )
    return services


async def search_directory(
    *,
    uow: RegistryUnitOfWork,
    q: str | None = None,
    category: str | None = None,
    area_code: str | None = None,
    language: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> DirectoryResults:
    check_code(area_code)
    async with uow:
        total, offers = await uow.directory.search_offers(
            OfferSearch(
                area_code=area_code,
                category=category,
                words=search_words(q),
                language=language.lower() if language else None,
                limit=limit,
                offset=offset,
            )
        )
        services = await _services(uow, offers)
    return DirectoryResults(total=total, services=services)
