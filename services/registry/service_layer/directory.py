"""Organisations, their standing offers, and the social map (shaped after Open Referral HSDS)."""

from collections.abc import Sequence

from services.registry.adapters.repository import Row, split_list
from services.registry.domain.authz import Actor
from services.registry.domain.cooperatives import common_area
from services.registry.domain.directory import search_text, search_words
from services.registry.domain.errors import FieldErrors
from services.registry.domain.members import normalise_email, normalise_phone
from services.registry.service_layer.actors import load_actor
from services.registry.service_layer.areas import check_code, known_codes
from services.registry.service_layer.uow import RegistryUnitOfWork
from shared.categories import Category
from shared.contracts.registry import (
    DirectoryResults,
    HsdsLocation,
    HsdsOrganization,
    HsdsService,
    OfferInfo,
    OrganisationInfo,
)
from shared.errors import Forbidden, NotFound
from shared.events import OfferPublished
from shared.ids import new_id


def organisation_info(row: Row, managers: Sequence[str]) -> OrganisationInfo:
    return OrganisationInfo(
        organisation_id=row["organisation_id"],
        name=row["name"],
        description=row["description"],
        email=row["email"],
        phone=row["phone"],
        website=row["website"],
        area_code=row["area_code"],
        manager_ids=list(managers),
        created_at=row["created_at"],
    )


def offer_info(row: Row) -> OfferInfo:
    return OfferInfo(
        offer_id=row["offer_id"],
        organisation_id=row["organisation_id"],
        organisation_name=row["organisation_name"],
        name=row["name"],
        description=row["description"],
        categories=[Category(c) for c in split_list(row["categories"])],
        languages=list(row["languages"]),
        area_codes=list(row["area_codes"]),
        schedule=row["schedule"],
        address=row["address"],
        location_area_code=row["location_area_code"],
        email=row["email"],
        phone=row["phone"],
        url=row["url"],
        active=row["active"],
        created_at=row["created_at"],
    )


def _contact(
    errors: FieldErrors, email: str | None, phone: str | None
) -> tuple[str | None, str | None]:
    clean_email = clean_phone = None
    with errors.checking("email"):
        clean_email = normalise_email(email)
    with errors.checking("phone"):
        clean_phone = normalise_phone(phone)
    return clean_email, clean_phone


async def add_organisation(
    *,
    uow: RegistryUnitOfWork,
    name: str,
    area_code: str,
    description: str = "",
    email: str | None = None,
    phone: str | None = None,
    website: str | None = None,
    actor_id: str | None = None,
) -> OrganisationInfo:
    """Any member may list their organisation; they become its manager."""
    errors = FieldErrors()
    clean_email, clean_phone = _contact(errors, email, phone)
    errors.raise_if_any()
    async with uow:
        await load_actor(uow, actor_id)
        await known_codes(uow, [area_code])
        values = {
            "organisation_id": new_id(),
            "name": " ".join(name.split()),
            "description": description.strip(),
            "email": clean_email,
            "phone": clean_phone,
            "website": (website or "").strip() or None,
            "area_code": area_code,
            "created_at": uow.clock.now(),
        }
        managers = [actor_id] if actor_id else []
        await uow.repo.add_organisation(values, managers)
        await uow.commit()
    return organisation_info(values, managers)


async def list_organisations(
    *, uow: RegistryUnitOfWork, area_code: str | None = None, manager_id: str | None = None
) -> list[OrganisationInfo]:
    check_code(area_code)
    async with uow:
        rows = await uow.repo.organisations(
            area_codes=[area_code] if area_code else None, manager_id=manager_id
        )
        managers = await uow.repo.managers([r["organisation_id"] for r in rows])
    return [organisation_info(r, managers[r["organisation_id"]]) for r in rows]


def _may_publish(actor: Actor | None, managers: Sequence[str], area_codes: Sequence[str]) -> bool:
    if actor is None or actor.is_admin or actor.member_id in managers:
        return True
    return actor.is_coordinator and all(actor.covers(c) for c in area_codes)


async def add_offer(
    *,
    uow: RegistryUnitOfWork,
    organisation_id: str,
    name: str,
    categories: Sequence[Category | str],
    area_codes: Sequence[str],
    description: str = "",
    languages: Sequence[str] = ("nl",),
    schedule: str = "",
    address: str | None = None,
    location_area_code: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    url: str | None = None,
    actor_id: str | None = None,
) -> OfferInfo:
    """A standing offer of an organisation; published as offer.published (ids, areas and
    categories only)."""
    errors = FieldErrors()
    clean_email, clean_phone = _contact(errors, email, phone)
    chosen: list[Category] = []
    with errors.checking("categories"):
        for c in categories:
            try:
                chosen.append(Category(c))
            except ValueError:
                raise ValueError(f"unknown category {c!r}") from None
    errors.raise_if_any()
    async with uow:
        actor = await load_actor(uow, actor_id)
        org = await uow.repo.organisation(organisation_id)
        if org is None:
            raise NotFound(f"no organisation {organisation_id}")
        managers = (await uow.repo.managers([organisation_id]))[organisation_id]
        codes = list(dict.fromkeys(area_codes))
        await known_codes(uow, codes + ([location_area_code] if location_area_code else []))
        if not _may_publish(actor, managers, codes):
            raise Forbidden("only the organisation's managers, its area's coordinators or an admin")
        offer_id = new_id()
        values = {
            "offer_id": offer_id,
            "organisation_id": organisation_id,
            "name": " ".join(name.split()),
            "description": description.strip(),
            "categories": ",".join(["", *dict.fromkeys(chosen), ""]),
            "languages": [lang.strip().lower() for lang in languages if lang.strip()],
            "area_codes": codes,
            "schedule": schedule.strip(),
            "address": (address or "").strip() or None,
            "location_area_code": location_area_code,
            "email": clean_email,
            "phone": clean_phone,
            "url": (url or "").strip() or None,
            "active": True,
            "search_text": search_text(name, description, org["name"], schedule),
            "created_at": uow.clock.now(),
        }
        await uow.repo.add_offer(values, codes)
        uow.emit(
            OfferPublished(
                offer_id=offer_id,
                organisation_id=organisation_id,
                categories=list(dict.fromkeys(chosen)),
            ),
            common_area(codes),
        )
        await uow.commit()
    return offer_info({**values, "organisation_name": org["name"]})


async def list_offers(
    *,
    uow: RegistryUnitOfWork,
    organisation_id: str | None = None,
    area_code: str | None = None,
    category: str | None = None,
) -> list[OfferInfo]:
    check_code(area_code)
    async with uow:
        _, rows = await uow.repo.search_offers(
            organisation_id=organisation_id, area_code=area_code, category=category
        )
    return [offer_info(r) for r in rows]


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
        total, rows = await uow.repo.search_offers(
            area_code=area_code,
            category=category,
            words=search_words(q),
            language=language.lower() if language else None,
            limit=limit,
            offset=offset,
        )
        orgs = {}
        for org_id in {r["organisation_id"] for r in rows}:
            orgs[org_id] = await uow.repo.organisation(org_id)
        places = await uow.repo.areas_by_code(
            r["location_area_code"] for r in rows if r["location_area_code"]
        )
    services = []
    for r in rows:
        org = orgs[r["organisation_id"]]
        assert org is not None
        place = places.get(r["location_area_code"] or "")
        services.append(
            HsdsService(
                id=r["offer_id"],
                name=r["name"],
                description=r["description"],
                status="active" if r["active"] else "inactive",
                categories=[Category(c) for c in split_list(r["categories"])],
                languages=list(r["languages"]),
                schedule=r["schedule"],
                email=r["email"],
                phone=r["phone"],
                url=r["url"],
                organization=HsdsOrganization(
                    id=org["organisation_id"],
                    name=org["name"],
                    description=org["description"],
                    email=org["email"],
                    phone=org["phone"],
                    url=org["website"],
                ),
                location=HsdsLocation(
                    address=r["address"],
                    area_code=r["location_area_code"],
                    area_name=place.name if place else None,
                    latitude=place.lat if place else None,
                    longitude=place.lon if place else None,
                ),
                service_areas=list(r["area_codes"]),
            )
        )
    return DirectoryResults(total=total, services=services)
