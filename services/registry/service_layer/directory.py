"""Organisations and their standing offers: listed by an area's coordinators, kept up to date
by the members who manage them (the organisation's accounts), retired when they stop."""

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from services.registry.domain import authz
from services.registry.domain.cooperatives import common_area
from services.registry.domain.directory import (
    Offer,
    OfferSearch,
    Opening,
    Organisation,
    opening_hours,
    search_text,
)
from services.registry.domain.errors import FieldErrors
from services.registry.domain.members import normalise_email, normalise_phone
from services.registry.service_layer.actors import load_actor
from services.registry.service_layer.areas import check_code, known_codes
from services.registry.service_layer.uow import RegistryUnitOfWork
from shared.categories import Category
from shared.contracts.registry import OfferInfo, OpeningHours, OrganisationInfo
from shared.errors import Invalid, NotFound
from shared.events import OfferPublished
from shared.ids import new_id

_CONTACT = ("email", "phone")
_OPTIONAL_TEXTS = ("website", "address", "url")


def organisation_info(
    org: Organisation, managers: Sequence[str], area_name: str | None = None
) -> OrganisationInfo:
    return OrganisationInfo(
        organisation_id=org.organisation_id,
        name=org.name,
        description=org.description,
        email=org.email,
        phone=org.phone,
        website=org.website,
        address=org.address,
        area_code=org.area_code,
        area_name=area_name,
        manager_ids=list(managers),
        active=org.retired_at is None,
        created_at=org.created_at,
        updated_at=org.updated_at,
        retired_at=org.retired_at,
    )


def hours_of(offer: Offer) -> list[OpeningHours]:
    return [OpeningHours(**o.as_dict()) for o in offer.opening_hours]


def offer_info(offer: Offer) -> OfferInfo:
    return OfferInfo(
        offer_id=offer.offer_id,
        organisation_id=offer.organisation_id,
        organisation_name=offer.organisation_name,
        name=offer.name,
        description=offer.description,
        categories=list(offer.categories),
        languages=list(offer.languages),
        area_codes=list(offer.area_codes),
        opening_hours=hours_of(offer),
        schedule=offer.schedule,
        address=offer.address,
        location_area_code=offer.location_area_code,
        email=offer.email,
        phone=offer.phone,
        url=offer.url,
        active=offer.active,
        created_at=offer.created_at,
        updated_at=offer.updated_at,
        retired_at=offer.retired_at,
    )


def _clean(errors: FieldErrors, changes: Mapping[str, Any]) -> dict[str, Any]:
    """Contact details in their stored form, texts trimmed; an empty text removes it."""
    values: dict[str, Any] = {}
    for field, value in changes.items():
        if value is None:
            continue
        if field == "email":
            with errors.checking("email"):
                values["email"] = normalise_email(value)
        elif field == "phone":
            with errors.checking("phone"):
                values["phone"] = normalise_phone(value)
        elif field == "name":
            values["name"] = " ".join(value.split())
            if len(values["name"]) < 2:
                errors.add("name", "fill in a name")
        elif field in _OPTIONAL_TEXTS:
            values[field] = value.strip() or None
        elif field in ("description", "schedule"):
            values[field] = value.strip()
        else:
            values[field] = value
    return values


def _hours(errors: FieldErrors, hours: Sequence[OpeningHours] | None) -> list[Opening]:
    with errors.checking("opening_hours"):
        return opening_hours((h.weekday, h.opens, h.closes) for h in hours or [])
    return []


def _categories(errors: FieldErrors, categories: Sequence[Category | str]) -> list[Category]:
    chosen: list[Category] = []
    with errors.checking("categories"):
        for c in categories:
            try:
                chosen.append(Category(c))
            except ValueError:
                raise ValueError(f"unknown category {c!r}") from None
    return list(dict.fromkeys(chosen))


async def _manager_ids(uow: RegistryUnitOfWork, emails: Sequence[str]) -> list[str]:
    """The members with these e-mail addresses; every unknown one is a field error (they
    sign up first, then the coordinator names them)."""
    ids: list[str] = []
    errors = FieldErrors()
    for raw in emails:
        email = normalise_email(raw) if raw else None
        member = await uow.members.by_email(email) if email else None
        if member is None or member.erased:
            errors.add(
                "manager_emails",
                f"no member with the e-mail address {raw!r}",
                reason="no_member_with_email",
            )
        else:
            ids.append(member.member_id)
    errors.raise_if_any()
    return list(dict.fromkeys(ids))


async def _area_name(uow: RegistryUnitOfWork, code: str) -> str | None:
    area = await uow.repo.area(code)
    return area.name if area else None


async def add_organisation(
    *,
    uow: RegistryUnitOfWork,
    name: str,
    area_code: str,
    description: str = "",
    email: str | None = None,
    phone: str | None = None,
    website: str | None = None,
    address: str | None = None,
    manager_emails: Sequence[str] = (),
    actor_id: str | None = None,
) -> OrganisationInfo:
    """Put an organisation on the social map (its area's coordinator, or an admin); the
    members named by e-mail manage it from then on."""
    errors = FieldErrors()
    values = _clean(
        errors,
        {
            "name": name,
            "description": description,
            "email": email,
            "phone": phone,
            "website": website,
            "address": address,
        },
    )
    errors.raise_if_any()
    async with uow:
        actor = await load_actor(uow, actor_id)
        areas = await known_codes(uow, [area_code])
        authz.require_list_organisation(actor, area_code)
        managers = await _manager_ids(uow, manager_emails)
        now = uow.clock.now()
        org = Organisation(
            organisation_id=new_id(), area_code=area_code, created_at=now, updated_at=now, **values
        )
        await uow.directory.add_organisation(org, managers)
        await uow.commit()
    return organisation_info(org, managers, areas[area_code].name)


async def _organisation(
    uow: RegistryUnitOfWork, organisation_id: str
) -> tuple[Organisation, list[str]]:
    org = await uow.directory.organisation(organisation_id)
    if org is None:
        raise NotFound(f"no organisation {organisation_id}")
    return org, (await uow.directory.managers([organisation_id]))[organisation_id]


async def get_organisation(*, uow: RegistryUnitOfWork, organisation_id: str) -> OrganisationInfo:
    async with uow:
        org, managers = await _organisation(uow, organisation_id)
        return organisation_info(org, managers, await _area_name(uow, org.area_code))


async def update_organisation(
    *,
    uow: RegistryUnitOfWork,
    organisation_id: str,
    changes: Mapping[str, Any],
    actor_id: str | None = None,
) -> OrganisationInfo:
    """Change what is given (None: unchanged). Who manages it: coordinators and admins only."""
    errors = FieldErrors()
    manager_emails = changes.get("manager_emails")
    values = _clean(errors, {k: v for k, v in changes.items() if k != "manager_emails"})
    errors.raise_if_any()
    async with uow:
        actor = await load_actor(uow, actor_id)
        org, managers = await _organisation(uow, organisation_id)
        if org.retired_at is not None:
            raise Invalid("this organisation is retired", details={"reason": "retired"})
        authz.require_edit_organisation(actor, managers=managers, area_code=org.area_code)
        if "area_code" in values:
            await known_codes(uow, [values["area_code"]])
        if manager_emails is not None:
            authz.require_name_managers(actor, org.area_code)
            managers = await _manager_ids(uow, manager_emails)
            await uow.directory.set_managers(organisation_id, managers)
        values["updated_at"] = uow.clock.now()
        await uow.directory.update_organisation(organisation_id, values)
        org = replace(org, **values)
        area_name = await _area_name(uow, org.area_code)
        await uow.commit()
    return organisation_info(org, managers, area_name)


async def retire_organisation(
    *, uow: RegistryUnitOfWork, organisation_id: str, actor_id: str | None = None
) -> OrganisationInfo:
    """Off the map with all its offers; kept, so what was offered stays known."""
    async with uow:
        actor = await load_actor(uow, actor_id)
        org, managers = await _organisation(uow, organisation_id)
        authz.require_edit_organisation(actor, managers=managers, area_code=org.area_code)
        now = uow.clock.now()
        if org.retired_at is None:
            await uow.directory.retire_offers_of(organisation_id, now)
            await uow.directory.update_organisation(
                organisation_id, {"retired_at": now, "updated_at": now}
            )
            org = replace(org, retired_at=now, updated_at=now)
        area_name = await _area_name(uow, org.area_code)
        await uow.commit()
    return organisation_info(org, managers, area_name)


async def list_organisations(
    *,
    uow: RegistryUnitOfWork,
    area_code: str | None = None,
    manager_id: str | None = None,
    include_retired: bool = False,
) -> list[OrganisationInfo]:
    check_code(area_code)
    async with uow:
        orgs = await uow.directory.organisations(
            area_codes=[area_code] if area_code else None,
            manager_id=manager_id,
            include_retired=include_retired,
        )
        managers = await uow.directory.managers([o.organisation_id for o in orgs])
        places = await uow.repo.areas_by_code(o.area_code for o in orgs)
    return [
        organisation_info(
            o,
            managers[o.organisation_id],
            places[o.area_code].name if o.area_code in places else None,
        )
        for o in orgs
    ]


def _offer_values(
    errors: FieldErrors,
    *,
    name: str | None,
    description: str | None,
    categories: Sequence[Category | str] | None,
    languages: Sequence[str] | None,
    hours: Sequence[OpeningHours] | None,
    schedule: str | None,
    address: str | None,
    email: str | None,
    phone: str | None,
    url: str | None,
) -> dict[str, Any]:
    values = _clean(
        errors,
        {
            "name": name,
            "description": description,
            "schedule": schedule,
            "address": address,
            "email": email,
            "phone": phone,
            "url": url,
        },
    )
    if categories is not None:
        values["categories"] = _categories(errors, categories)
    if languages is not None:
        values["languages"] = [lang.strip().lower() for lang in languages if lang.strip()]
    if hours is not None:
        values["opening_hours"] = _hours(errors, hours)
    return values


async def add_offer(
    *,
    uow: RegistryUnitOfWork,
    organisation_id: str,
    name: str,
    categories: Sequence[Category | str],
    area_codes: Sequence[str],
    description: str = "",
    languages: Sequence[str] = ("nl",),
    opening_hours: Sequence[OpeningHours] = (),
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
    values = _offer_values(
        errors,
        name=name,
        description=description,
        categories=categories,
        languages=languages,
        hours=opening_hours,
        schedule=schedule,
        address=address,
        email=email,
        phone=phone,
        url=url,
    )
    errors.raise_if_any()
    async with uow:
        actor = await load_actor(uow, actor_id)
        org, managers = await _organisation(uow, organisation_id)
        if org.retired_at is not None:
            raise Invalid("this organisation is retired", details={"reason": "retired"})
        codes = list(dict.fromkeys(area_codes))
        await known_codes(uow, codes + ([location_area_code] if location_area_code else []))
        authz.require_edit_offer(actor, managers=managers, served=codes)
        now = uow.clock.now()
        offer = Offer(
            offer_id=new_id(),
            organisation_id=organisation_id,
            organisation_name=org.name,
            area_codes=codes,
            location_area_code=location_area_code,
            created_at=now,
            updated_at=now,
            search_text=search_text(name, description, org.name, schedule),
            **values,
        )
        await uow.directory.add_offer(offer)
        uow.emit(
            OfferPublished(
                offer_id=offer.offer_id,
                organisation_id=organisation_id,
                categories=offer.categories,
            ),
            common_area(codes),
        )
        await uow.commit()
    return offer_info(offer)


async def _offer(uow: RegistryUnitOfWork, offer_id: str) -> tuple[Offer, list[str]]:
    offer = await uow.directory.offer(offer_id)
    if offer is None:
        raise NotFound(f"no offer {offer_id}")
    return offer, (await uow.directory.managers([offer.organisation_id]))[offer.organisation_id]


async def get_offer(*, uow: RegistryUnitOfWork, offer_id: str) -> OfferInfo:
    async with uow:
        offer, _ = await _offer(uow, offer_id)
    return offer_info(offer)


async def update_offer(
    *,
    uow: RegistryUnitOfWork,
    offer_id: str,
    changes: Mapping[str, Any],
    actor_id: str | None = None,
) -> OfferInfo:
    """Change what is given (None: unchanged). The one who changes it must be allowed to
    both for the areas it served and for those it serves now."""
    errors = FieldErrors()
    values = _offer_values(
        errors,
        name=changes.get("name"),
        description=changes.get("description"),
        categories=changes.get("categories"),
        languages=changes.get("languages"),
        hours=changes.get("opening_hours"),
        schedule=changes.get("schedule"),
        address=changes.get("address"),
        email=changes.get("email"),
        phone=changes.get("phone"),
        url=changes.get("url"),
    )
    errors.raise_if_any()
    codes: list[str] | None = None
    if changes.get("area_codes") is not None:
        codes = list(dict.fromkeys(changes["area_codes"]))
    location = changes.get("location_area_code")
    async with uow:
        actor = await load_actor(uow, actor_id)
        offer, managers = await _offer(uow, offer_id)
        if not offer.active:
            raise Invalid("this offer is retired", details={"reason": "retired"})
        authz.require_edit_offer(actor, managers=managers, served=offer.area_codes)
        if codes is not None:
            await known_codes(uow, codes)
            authz.require_edit_offer(actor, managers=managers, served=codes)
            values["area_codes"] = codes
        if location is not None:
            if location:
                await known_codes(uow, [location])
            values["location_area_code"] = location or None
        merged = replace(offer, **values)
        values["search_text"] = search_text(
            merged.name, merged.description, offer.organisation_name, merged.schedule
        )
        values["updated_at"] = uow.clock.now()
        await uow.directory.update_offer(offer_id, values, codes)
        await uow.commit()
    return offer_info(replace(offer, **values))


async def retire_offer(
    *, uow: RegistryUnitOfWork, offer_id: str, actor_id: str | None = None
) -> OfferInfo:
    """Off the map, kept for the history of what was offered."""
    async with uow:
        actor = await load_actor(uow, actor_id)
        offer, managers = await _offer(uow, offer_id)
        authz.require_edit_offer(actor, managers=managers, served=offer.area_codes)
        if offer.active:
            now = uow.clock.now()
            await uow.directory.update_offer(
                offer_id, {"active": False, "retired_at": now, "updated_at": now}, None
            )
            offer = replace(offer, active=False, retired_at=now, updated_at=now)
        await uow.commit()
    return offer_info(offer)


async def list_offers(
    *,
    uow: RegistryUnitOfWork,
    organisation_id: str | None = None,
    area_code: str | None = None,
    category: str | None = None,
    include_retired: bool = False,
) -> list[OfferInfo]:
    check_code(area_code)
    async with uow:
        _, offers = await uow.directory.search_offers(
            OfferSearch(
                organisation_id=organisation_id,
                area_code=area_code,
                category=category,
                include_retired=include_retired,
            )
        )
    return [offer_info(o) for o in offers]
