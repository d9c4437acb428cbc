"""Keeping the social map up to date: a coordinator adds organisations of their areas and
names who manages them; those managers (the organisation's own account) and the coordinator
keep its details and standing offers, with their opening hours, up to date."""

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData, UploadFile

from services.gateway.area_names import AreaNames
from services.gateway.deps import GatewayDep, gateway_of
from services.gateway.principal import Principal
from services.gateway.routes.params import IdPath
from services.gateway.routes.web.forms import (
    Member,
    checked_form,
    day_time_rows,
    form_errors,
    redirect,
    refusal_status,
    text,
    typed_rows,
)
from services.gateway.usecases import social_map
from services.gateway.usecases.areas import coordinator_areas
from services.gateway.web import render
from shared.categories import Category
from shared.contracts import registry as rc
from shared.errors import Invalid, SamenError

router = APIRouter(include_in_schema=False)

HOURS_ROWS = 6  # empty rows an offer's form shows for opening hours, beyond those it has
BLANK_ROW = ("", "", "")


def _optional(form: FormData, name: str) -> str:
    """A text that may be emptied: an empty field removes what was there."""
    return text(form, name)


def _emails(form: FormData) -> list[str]:
    raw = text(form, "manager_emails").replace(",", "\n").replace(";", "\n")
    return [e.strip() for e in raw.splitlines() if e.strip()][:20]


def _chosen_areas(form: FormData, names: AreaNames) -> list[str]:
    return [c for c in dict.fromkeys(str(v) for v in form.getlist("areas")) if names.accepts(c)]


def _organisation_page(
    request: Request,
    principal: Principal,
    *,
    keeper: social_map.Keeper,
    org: rc.OrganisationInfo | None,
    offers: list[rc.OfferInfo],
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "organisation.html.j2",
        principal,
        status_code=status_code,
        org=org,
        offers=offers,
        values=values,
        errors=errors,
        area_groups=gateway_of(request).areas.latest.groups(),
        coordinates=keeper.coordinates,
    )


@router.get("/organisations")
async def organisations_page(request: Request, principal: Member, gateway: GatewayDep) -> Response:
    keeper = await social_map.keeper(gateway, principal)
    return render(
        request,
        "organisations.html.j2",
        principal,
        organisations=keeper.organisations,
        coordinates=keeper.coordinates,
    )


@router.get("/organisations/new")
async def new_organisation_page(
    request: Request, principal: Member, gateway: GatewayDep
) -> Response:
    keeper = await social_map.keeper(gateway, principal)
    return _organisation_page(
        request, principal, keeper=keeper, org=None, offers=[], values={}, errors={}
    )


def _organisation_values(form: FormData) -> dict[str, Any]:
    return {
        "name": text(form, "name"),
        "description": text(form, "description"),
        "email": _optional(form, "email"),
        "phone": _optional(form, "phone"),
        "website": _optional(form, "website"),
        "address": _optional(form, "address"),
        "area": text(form, "area"),
        "postcode": text(form, "postcode"),
        "manager_emails": text(form, "manager_emails"),
    }


@router.post("/organisations/new")
async def new_organisation_submit(
    request: Request, principal: Member, gateway: GatewayDep
) -> Response:
    form = await checked_form(request, principal)
    keeper = await social_map.keeper(gateway, principal)
    values = _organisation_values(form)
    try:
        org = await social_map.add_organisation(
            gateway,
            principal,
            rc.OrganisationAdd(
                name=values["name"],
                description=values["description"],
                email=values["email"] or None,
                phone=values["phone"] or None,
                website=values["website"] or None,
                address=values["address"] or None,
                area_code=await social_map.base_area(gateway, values["postcode"], values["area"]),
                manager_emails=_emails(form),
            ),
        )
    except Exception as exc:
        return _refused(request, principal, keeper, None, [], values, exc)
    return redirect(f"/organisations/{quote(org.organisation_id)}")


def _refused(
    request: Request,
    principal: Principal,
    keeper: social_map.Keeper,
    org: rc.OrganisationInfo | None,
    offers: list[rc.OfferInfo],
    values: dict[str, Any],
    exc: Exception,
) -> Response:
    return _organisation_page(
        request,
        principal,
        keeper=keeper,
        org=org,
        offers=offers,
        values=values,
        errors=form_errors(exc),
        status_code=refusal_status(exc),
    )


@router.get("/organisations/{organisation_id}")
async def organisation_page(
    organisation_id: IdPath, request: Request, principal: Member, gateway: GatewayDep
) -> Response:
    keeper = await social_map.keeper(gateway, principal)
    org = await social_map.organisation_of(gateway, principal, organisation_id)
    values = {**org.model_dump(), "area": org.area_code, "manager_emails": ""}
    return _organisation_page(
        request,
        principal,
        keeper=keeper,
        org=org,
        offers=await social_map.offers_of(gateway, organisation_id),
        values=values,
        errors={},
    )


@router.post("/organisations/{organisation_id}")
async def organisation_submit(
    organisation_id: IdPath, request: Request, principal: Member, gateway: GatewayDep
) -> Response:
    form = await checked_form(request, principal)
    keeper = await social_map.keeper(gateway, principal)
    org = await social_map.organisation_of(gateway, principal, organisation_id)
    values = _organisation_values(form)
    try:
        emails = _emails(form) if keeper.coordinates and values["manager_emails"] else None
        await social_map.update_organisation(
            gateway,
            principal,
            organisation_id,
            rc.OrganisationUpdate(
                organisation_id=organisation_id,
                name=values["name"],
                description=values["description"],
                email=values["email"],
                phone=values["phone"],
                website=values["website"],
                address=values["address"],
                area_code=await social_map.base_area(gateway, values["postcode"], values["area"]),
                manager_emails=emails,
            ),
        )
    except Exception as exc:
        offers = await social_map.offers_of(gateway, organisation_id)
        return _refused(request, principal, keeper, org, offers, values, exc)
    return redirect(f"/organisations/{quote(organisation_id)}")


@router.post("/organisations/{organisation_id}/retire")
async def organisation_retire(
    organisation_id: IdPath, request: Request, principal: Member, gateway: GatewayDep
) -> Response:
    await checked_form(request, principal)
    await social_map.organisation_of(gateway, principal, organisation_id)
    await social_map.retire_organisation(gateway, principal, organisation_id)
    return redirect("/organisations")


# ------------------------------------------------------------------ standing offers


def _offer_values(form: FormData, names: AreaNames) -> dict[str, Any]:
    known = {c.value for c in Category}
    return {
        "name": text(form, "name"),
        "description": text(form, "description"),
        "categories": [str(c) for c in form.getlist("categories") if c in known],
        "area_codes": _chosen_areas(form, names),
        "schedule": text(form, "schedule"),
        "address": _optional(form, "address"),
        "phone": _optional(form, "phone"),
        "email": _optional(form, "email"),
        "url": _optional(form, "url"),
    }


def _hours_rows(hours: list[rc.OpeningHours]) -> list[tuple[str, str, str]]:
    return [(str(h.weekday), h.opens, h.closes) for h in hours]


def _offer_page(
    request: Request,
    principal: Principal,
    *,
    org: rc.OrganisationInfo,
    offer: rc.OfferInfo | None,
    values: dict[str, Any],
    rows: list[tuple[str, str, str]],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "offer.html.j2",
        principal,
        status_code=status_code,
        org=org,
        offer=offer,
        values=values,
        hours_rows=rows + [BLANK_ROW] * HOURS_ROWS,
        errors=errors,
        area_groups=gateway_of(request).areas.latest.groups(),
    )


@router.get("/organisations/{organisation_id}/offers/new")
async def new_offer_page(
    organisation_id: IdPath, request: Request, principal: Member, gateway: GatewayDep
) -> Response:
    org = await social_map.organisation_of(gateway, principal, organisation_id)
    values = {"categories": [], "area_codes": [], "phone": "", "email": ""}
    return _offer_page(request, principal, org=org, offer=None, values=values, rows=[], errors={})


def _hours(form: FormData) -> tuple[list[rc.OpeningHours], list[tuple[str, str, str]]]:
    times, rows = day_time_rows(form, "hours", "opening_hours")
    return [rc.OpeningHours(weekday=d, opens=o, closes=c) for d, o, c in times], rows


@router.post("/organisations/{organisation_id}/offers/new")
async def new_offer_submit(
    organisation_id: IdPath, request: Request, principal: Member, gateway: GatewayDep
) -> Response:
    form = await checked_form(request, principal)
    org = await social_map.organisation_of(gateway, principal, organisation_id)
    values = _offer_values(form, gateway.areas.latest)
    try:
        hours, _ = _hours(form)
        if not values["area_codes"]:
            raise Invalid("choose an area", details={"field": "area_codes"})
        if not values["categories"]:
            raise Invalid("choose a category", details={"field": "categories"})
        await social_map.add_offer(
            gateway,
            principal,
            rc.OfferAdd(
                organisation_id=organisation_id,
                name=values["name"],
                description=values["description"],
                categories=values["categories"],
                area_codes=values["area_codes"],
                opening_hours=hours,
                schedule=values["schedule"],
                address=values["address"] or None,
                email=values["email"] or None,
                phone=values["phone"] or None,
                url=values["url"] or None,
            ),
        )
    except Exception as exc:
        return _offer_page(
            request,
            principal,
            org=org,
            offer=None,
            values=values,
            rows=typed_rows(form, "hours"),
            errors=form_errors(exc),
            status_code=refusal_status(exc),
        )
    return redirect(f"/organisations/{quote(organisation_id)}")


@router.get("/offers/{offer_id}")
async def offer_page(
    offer_id: IdPath, request: Request, principal: Member, gateway: GatewayDep
) -> Response:
    org, offer = await social_map.offer_of(gateway, principal, offer_id)
    values = offer.model_dump()
    for field in ("address", "email", "phone", "url"):
        values[field] = values[field] or ""
    return _offer_page(
        request,
        principal,
        org=org,
        offer=offer,
        values=values,
        rows=_hours_rows(offer.opening_hours),
        errors={},
    )


@router.post("/offers/{offer_id}")
async def offer_submit(
    offer_id: IdPath, request: Request, principal: Member, gateway: GatewayDep
) -> Response:
    form = await checked_form(request, principal)
    org, offer = await social_map.offer_of(gateway, principal, offer_id)
    values = _offer_values(form, gateway.areas.latest)
    try:
        hours, _ = _hours(form)
        if not values["area_codes"]:
            raise Invalid("choose an area", details={"field": "area_codes"})
        if not values["categories"]:
            raise Invalid("choose a category", details={"field": "categories"})
        await social_map.update_offer(
            gateway,
            principal,
            offer_id,
            rc.OfferUpdate(offer_id=offer_id, opening_hours=hours, **values),
        )
    except Exception as exc:
        return _offer_page(
            request,
            principal,
            org=org,
            offer=offer,
            values=values,
            rows=typed_rows(form, "hours"),
            errors=form_errors(exc),
            status_code=refusal_status(exc),
        )
    return redirect(f"/organisations/{quote(org.organisation_id)}")


@router.post("/offers/{offer_id}/retire")
async def offer_retire(
    offer_id: IdPath, request: Request, principal: Member, gateway: GatewayDep
) -> Response:
    await checked_form(request, principal)
    org, _ = await social_map.offer_of(gateway, principal, offer_id)
    await social_map.retire_offer(gateway, principal, offer_id)
    return redirect(f"/organisations/{quote(org.organisation_id)}")


# ------------------------------------------------------------------ a coordinator's CSV


@router.get("/board/organisations/import")
async def import_page(request: Request, principal: Member, gateway: GatewayDep) -> Response:
    await coordinator_areas(gateway, principal)
    return render(request, "directory_import.html.j2", principal, errors={}, report=None)


@router.post("/board/organisations/import")
async def import_submit(request: Request, principal: Member, gateway: GatewayDep) -> Response:
    form = await checked_form(request, principal)
    upload = form.get("file")
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise Invalid("no file", details={"field": "file", "reason": "no_file"})
        report = await social_map.import_file(gateway, principal, await upload.read())
    except SamenError as exc:
        return render(
            request,
            "directory_import.html.j2",
            principal,
            errors=form_errors(exc),
            status_code=exc.http_status,
            report=None,
        )
    return render(request, "directory_import.html.j2", principal, errors={}, report=report)
