"""The social map as residents and municipal social maps read it (shaped after Open Referral
HSDS): active offers of organisations that are not retired, with how to reach them."""

from collections.abc import Sequence

from services.registry.domain.directory import OfferSearch, search_words
from services.registry.service_layer.areas import check_code
from services.registry.service_layer.directory import hours_of
from services.registry.service_layer.ports import Record
from services.registry.service_layer.uow import RegistryUnitOfWork
from shared.categories import Category
from shared.contracts.registry import (
    DirectoryResults,
    HsdsLocation,
    HsdsOrganization,
    HsdsService,
    HsdsServiceArea,
)


async def _services(uow: RegistryUnitOfWork, rows: Sequence[Record]) -> list[HsdsService]:
    orgs = await uow.directory.organisations_by_id(list({r["organisation_id"] for r in rows}))
    codes = {c for r in rows for c in r["area_codes"]}
    codes |= {r["location_area_code"] for r in rows if r["location_area_code"]}
    places = await uow.repo.areas_by_code(codes)
    services = []
    for r in rows:
        org = orgs[r["organisation_id"]]
        place = places.get(r["location_area_code"] or "")
        services.append(
            HsdsService(
                id=r["offer_id"],
                name=r["name"],
                description=r["description"],
                status="active" if r["active"] else "inactive",
                categories=[Category(c) for c in r["categories"]],
                languages=list(r["languages"]),
                opening_hours=hours_of(r),
                schedule=r["schedule"],
                # How to reach it: the offer's own contact details, else its organisation's.
                email=r["email"] or org["email"],
                phone=r["phone"] or org["phone"],
                url=r["url"] or org["website"],
                organization=HsdsOrganization(
                    id=org["organisation_id"],
                    name=org["name"],
                    description=org["description"],
                    email=org["email"],
                    phone=org["phone"],
                    url=org["website"],
                ),
                location=HsdsLocation(
                    address=r["address"] or org["address"],
                    area_code=r["location_area_code"],
                    area_name=place.name if place else None,
                    latitude=place.lat if place else None,
                    longitude=place.lon if place else None,
                ),
                service_areas=list(r["area_codes"]),
                service_area_names=[
                    HsdsServiceArea(code=c, name=places[c].name)
                    for c in r["area_codes"]
                    if c in places
                ],
                updated_at=r["updated_at"] or r["created_at"],
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
        total, rows = await uow.directory.search_offers(
            OfferSearch(
                area_code=area_code,
                category=category,
                words=search_words(q),
                language=language.lower() if language else None,
                limit=limit,
                offset=offset,
            )
        )
        services = await _services(uow, rows)
    return DirectoryResults(total=total, services=services)
