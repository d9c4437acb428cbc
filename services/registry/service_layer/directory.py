"""Organisations and their standing offers: listed by an area's coordinators, kept up to date
by the members who manage them (the organisation's accounts), retired when they stop."""

from collections.abc import Mapping, Sequence
from typing import Any

from services.registry.domain import authz
from services.registry.domain.cooperatives import common_area
from services.registry.domain.directory import (
    OfferSearch,
    opening_hours,
    openings_from_rows,
    search_text,
)
from services.registry.domain.errors import FieldErrors
from services.registry.domain.members import normalise_email, normalise_phone
from services.registry.service_layer.actors import load_actor
from services.registry.service_layer.areas import check_code, known_codes
from services.registry.service_layer.ports import Record
from services.registry.service_layer.uow import RegistryUnitOfWork
from shared.categories import Category
from shared.contracts.registry import OfferInfo, OpeningHours, OrganisationInfo
from shared.errors import Invalid, NotFound
from shared.events import OfferPublished
from shared.ids import new_id

_CONTACT = ("email", "phone")
_OPTIONAL_TEXTS = ("website", "address", "url")


def organisation_info(
    row: Record, managers: Sequence[str], area_name: str | None = None
) -> OrganisationInfo:
    return OrganisationInfo(
        organisation_id=row["organisation_id"],
        name=row["name"],
        description=row["description"],
        email=row["email"],
        phone=row["phone"],
        website=row["website"],
        address=row.get("address"),
        area_code=row["area_code"],
        area_name=area_name,
        manager_ids=list(managers),
        active=row.get("retired_at") is None,
        created_at=row["created_at"],
        updated_at=row.get("updated_at"),
        retired_at=row.get("retired_at"),
    )


def hours_of(row: Record) -> list[OpeningHours]:
    return [OpeningHours(**o.as_dict()) for o in openings_from_rows(row.get("opening_hours") or [])]


def offer_info(row: Record) -> OfferInfo:
    return OfferInfo(
        offer_id=row["offer_id"],
        organisation_id=row["organisation_id"],
        organisation_name=row["organisation_name"],
        name=row["name"],
        description=row["description"],
        categories=[Category(c) for c in row["categories"]],
        languages=list(row["languages"]),
        area_codes=list(row["area_codes"]),
        opening_hours=hours_of(row),
        schedule=row["schedule"],
        address=row["address"],
        location_area_code=row["location_area_code"],
        email=row["email"],
        phone=row["phone"],
        url=row["url"],
        active=row["active"],
        created_at=row["created_at"],
        updated_at=row.get("updated_at"),
        retired_at=row.get("retired_at"),
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


def _hours(errors: FieldErrors, hours: Sequence[OpeningHours] | None) -> list[dict[str, Any]]:
    with errors.checking("opening_hours"):
        checked = opening_hours((h.weekday, h.opens, h.closes) for h in hours or [])
        return [o.as_dict() for o in checked]
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
        values.update(organisation_id=new_id(), area_code=area_code, created_at=now, updated_at=now)
        for field in ("email", "phone", "website", "address"):
            values.setdefault(field, None)
        await uow.directory.add_organisation(values, managers)
        await uow.commit()
    return organisation_info(values, managers, areas[area_code].name)


async def _organisation(uow: RegistryUnitOfWork, organisation_id: str) -> tuple[Record, list[str]]:
    org = await uow.directory.organisation(organisation_id)
    if org is None:
        raise NotFound(f"no organisation {organisation_id}")
    return org, (await uow.directory.managers([organisation_id]))[organisation_id]


async def get_organisation(*, uow: RegistryUnitOfWork, organisation_id: str) -> OrganisationInfo:
    async with uow:
        org, managers = await _organisation(uow, organisation_id)
        return organisation_info(org, managers, await _area_name(uow, org["area_code"]))


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
        if org["retired_at"] is not None:
            raise Invalid("this organisation is retired", details={"reason": "retired"})
        authz.require_edit_organisation(actor, managers=managers, area_code=org["area_code"])
        if "area_code" in values:
            await known_codes(uow, [values["area_code"]])
        if manager_emails is not None:
            authz.require_name_managers(actor, org["area_code"])
            managers = await _manager_ids(uow, manager_emails)
            await uow.directory.set_managers(organisation_id, managers)
        values["updated_at"] = uow.clock.now()
        await uow.directory.update_organisation(organisation_id, values)
        row = {**org, **values}
        area_name = await _area_name(uow, row["area_code"])
        await uow.commit()
    return organisation_info(row, managers, area_name)


async def retire_organisation(
    *, uow: RegistryUnitOfWork, organisation_id: str, actor_id: str | None = None
) -> OrganisationInfo:
    """Off the map with all its offers; kept, so what was offered stays known."""
    async with uow:
        actor = await load_actor(uow, actor_id)
        org, managers = await _organisation(uow, organisation_id)
        authz.require_edit_organisation(actor, managers=managers, area_code=org["area_code"])
        now = uow.clock.now()
        if org["retired_at"] is None:
            await uow.directory.retire_offers_of(organisation_id, now)
            await uow.directory.update_organisation(
                organisation_id, {"retired_at": now, "updated_at": now}
            )
            org = {**org, "retired_at": now, "updated_at": now}
        area_name = await _area_name(uow, org["area_code"])
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
        rows = await uow.directory.organisations(
            area_codes=[area_code] if area_code else None,
            manager_id=manager_id,
            include_retired=include_retired,
        )
        managers = await uow.directory.managers([r["organisation_id"] for r in rows])
        places = await uow.repo.areas_by_code(r["area_code"] for r in rows)
    return [
        organisation_info(
            r,
            managers[r["organisation_id"]],
            places[r["area_code"]].name if r["area_code"] in places else None,
        )
        for r in rows
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
        if org["retired_at"] is not None:
            raise Invalid("this organisation is retired", details={"reason": "retired"})
        codes = list(dict.fromkeys(area_codes))
        await known_codes(uow, codes + ([location_area_code] if location_area_code else []))
        authz.require_edit_offer(actor, managers=managers, served=codes)
        now = uow.clock.now()
        offer_id = new_id()
        values.update(
            offer_id=offer_id,
            organisation_id=organisation_id,
            area_codes=codes,
            location_area_code=location_area_code,
            active=True,
            created_at=now,
            updated_at=now,
        )
        for field in ("address", "email", "phone", "url"):
            values.setdefault(field, None)
        values["search_text"] = search_text(name, description, org["name"], schedule)
        await uow.directory.add_offer(values, codes)
        uow.emit(
            OfferPublished(
                offer_id=offer_id,
                organisation_id=organisation_id,
                categories=values["categories"],
            ),
            common_area(codes),
        )
        await uow.commit()
    return offer_info({**values, "organisation_name": org["name"]})


async def _offer(uow: RegistryUnitOfWork, offer_id: str) -> tuple[Record, list[str]]:
    row = await uow.directory.offer(offer_id)
    if row is None:
        raise NotFound(f"no offer {offer_id}")
    return row, (await uow.directory.managers([row["organisation_id"]]))[row["organisation_id"]]


async def get_offer(*, uow: RegistryUnitOfWork, offer_id: str) -> OfferInfo:
    async with uow:
        row, _ = await _offer(uow, offer_id)
    return offer_info(row)


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
        row, managers = await _offer(uow, offer_id)
        if not row["active"]:
            raise Invalid("this offer is retired", details={"reason": "retired"})
        authz.require_edit_offer(actor, managers=managers, served=list(row["area_codes"]))
        if codes is not None:
            await known_codes(uow, codes)
            authz.require_edit_offer(actor, managers=managers, served=codes)
            values["area_codes"] = codes
        if location is not None:
            if location:
                await known_codes(uow, [location])
            values["location_area_code"] = location or None
        merged = {**row, **values}
        values["search_text"] = search_text(
            merged["name"], merged["description"], row["organisation_name"], merged["schedule"]
        )
        values["updated_at"] = uow.clock.now()
        await uow.directory.update_offer(offer_id, values, codes)
        await uow.commit()
    return offer_info({**row, **values})


async def retire_offer(
    *, uow: RegistryUnitOfWork, offer_id: str, actor_id: str | None = None
) -> OfferInfo:
    """Off the map, kept for the history of what was offered."""
    async with uow:
        actor = await load_actor(uow, actor_id)
        row, managers = await _offer(uow, offer_id)
        authz.require_edit_offer(actor, managers=managers, served=list(row["area_codes"]))
        values: dict[str, Any] = {}
        if row["active"]:
            now = uow.clock.now()
            values = {"active": False, "retired_at": now, "updated_at": now}
            await uow.directory.update_offer(offer_id, values, None)
        await uow.commit()
    return offer_info({**row, **values})


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
        _, rows = await uow.directory.search_offers(
            OfferSearch(
                organisation_id=organisation_id,
                area_code=area_code,
                category=category,
                include_retired=include_retired,
            )
        )
    return [offer_info(r) for r in rows]
