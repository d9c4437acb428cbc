"""Running a cooperative in the browser: its name and areas, coordinators (invited by
e-mail), matching policy, its own channels and its digest time; each change in its log."""

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from services.gateway.deps import GatewayDep
from services.gateway.principal import Principal
from services.gateway.routes.params import IdPath
from services.gateway.routes.web.forms import Member, checked_form, field_errors, redirect, text
from services.gateway.schemas import ChannelsPatch, CooperativePatch, CoordinatorInvite
from services.gateway.usecases import cooperatives
from services.gateway.web import render
from shared.contracts import notify as nc
from shared.errors import SamenError
from shared.events import MatchingPolicy
from shared.texts import N_

router = APIRouter(include_in_schema=False)

SECTIONS = ("cooperative", "policy", "coordinators", "channels")
# How far out volunteers are asked: the policy's `rings`, as the form names them.
RINGS = (
    (1, N_("Only the neighbourhood")),
    (2, N_("The neighbourhood, then the district")),
    (3, N_("Also the rest of the municipality")),
)
POLICY_FIELDS = (
    "proposals_per_round",
    "offer_hours",
    "urgent_offer_minutes",
    "max_rounds",
    "rings",
    "radius_cap_km",
    "max_open_per_volunteer",
    "fairness_days",
)


@router.get("/admin")
async def cooperatives_page(request: Request, principal: Member, gateway: GatewayDep) -> Response:
    found = await cooperatives.cooperatives_run_by(gateway, principal)
    return render(request, "admin.html.j2", principal, cooperatives=found)


async def _page(
    request: Request,
    principal: Principal,
    gateway: GatewayDep,
    cooperative_id: str,
    *,
    errors: dict[str, str] | None = None,
    section: str | None = None,
    typed: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    view = await cooperatives.administered(gateway, principal, cooperative_id)
    saved = request.query_params.get("saved")
    return render(
        request,
        "admin_cooperative.html.j2",
        principal,
        status_code=status_code,
        view=view,
        coop=view.cooperative,
        apprise=[(nc.apprise_id(u), nc.masked_apprise(u)) for u in view.channels.apprise_urls],
        rings=RINGS,
        area_groups=gateway.areas.latest.groups(),
        errors=errors or {},
        section=section,
        typed=typed or {},
        saved=saved if saved in SECTIONS else None,
    )


@router.get("/admin/{cooperative_id}")
async def cooperative_page(
    cooperative_id: IdPath, request: Request, principal: Member, gateway: GatewayDep
) -> Response:
    return await _page(request, principal, gateway, cooperative_id)


def _saved(cooperative_id: str, section: str) -> Response:
    return redirect(f"/admin/{quote(cooperative_id)}?saved={section}#{section}")


async def _refused(
    request: Request,
    principal: Principal,
    gateway: GatewayDep,
    cooperative_id: str,
    section: str,
    exc: Exception,
    typed: dict[str, Any],
) -> Response:
    if isinstance(exc, SamenError) and exc.http_status in (403, 404, 429, 503):
        raise exc
    return await _page(
        request,
        principal,
        gateway,
        cooperative_id,
        errors=field_errors(exc),
        section=section,
        typed=typed,
        status_code=exc.http_status if isinstance(exc, SamenError) else 422,
    )


@router.post("/admin/{cooperative_id}/cooperative")
async def cooperative_submit(
    cooperative_id: IdPath, request: Request, principal: Member, gateway: GatewayDep
) -> Response:
    form = await checked_form(request, principal)
    areas = list(dict.fromkeys(str(v) for v in form.getlist("areas")))
    typed = {"name": text(form, "name"), "area_codes": areas}
    try:
        patch = CooperativePatch(
            name=typed["name"] or None,
            area_codes=areas if principal.has("admin") else None,
        )
        await cooperatives.change_cooperative(gateway, principal, cooperative_id, patch)
    except (SamenError, ValidationError) as exc:
        return await _refused(
            request, principal, gateway, cooperative_id, "cooperative", exc, typed
        )
    return _saved(cooperative_id, "cooperative")


def _policy(form: FormData) -> MatchingPolicy:
    values: dict[str, Any] = {}
    for name in POLICY_FIELDS:
        raw = text(form, name).replace(",", ".")
        if name == "radius_cap_km" and not raw:
            values[name] = None
        else:
            values[name] = raw
    return MatchingPolicy.model_validate(values)


@router.post("/admin/{cooperative_id}/policy")
async def policy_submit(
    cooperative_id: IdPath, request: Request, principal: Member, gateway: GatewayDep
) -> Response:
    form = await checked_form(request, principal)
    typed = {name: text(form, name) for name in POLICY_FIELDS}
    try:
        await cooperatives.change_policy(gateway, principal, cooperative_id, _policy(form))
    except (SamenError, ValidationError) as exc:
        return await _refused(request, principal, gateway, cooperative_id, "policy", exc, typed)
    return _saved(cooperative_id, "policy")


@router.post("/admin/{cooperative_id}/coordinators")
async def invite_submit(
    cooperative_id: IdPath, request: Request, principal: Member, gateway: GatewayDep
) -> Response:
    form = await checked_form(request, principal)
    typed = {name: text(form, name) for name in ("email", "name", "postcode", "house_number")}
    try:
        invitation = CoordinatorInvite(
            email=typed["email"],
            name=typed["name"] or None,
            postcode=typed["postcode"] or None,
            house_number=typed["house_number"] or None,
            language="en" if text(form, "language") == "en" else "nl",
        )
        await cooperatives.invite_coordinator(gateway, principal, cooperative_id, invitation)
    except (SamenError, ValidationError) as exc:
        return await _refused(
            request, principal, gateway, cooperative_id, "coordinators", exc, typed
        )
    return _saved(cooperative_id, "coordinators")


@router.post("/admin/{cooperative_id}/coordinators/{member_id}/remove")
async def remove_submit(
    cooperative_id: IdPath,
    member_id: IdPath,
    request: Request,
    principal: Member,
    gateway: GatewayDep,
) -> Response:
    await checked_form(request, principal)
    await cooperatives.remove_coordinator(gateway, principal, cooperative_id, member_id)
    return _saved(cooperative_id, "coordinators")


@router.post("/admin/{cooperative_id}/channels")
async def channels_submit(
    cooperative_id: IdPath, request: Request, principal: Member, gateway: GatewayDep
) -> Response:
    form = await checked_form(request, principal)
    added = text(form, "apprise_add")
    typed = {"apprise_add": added, "digest_time": text(form, "digest_time")}
    try:
        patch = ChannelsPatch(
            apprise_add=[added] if added else None,
            apprise_remove=[str(v)[:16] for v in form.getlist("apprise_remove")][:10] or None,
            digest_time=typed["digest_time"],
        )
        await cooperatives.change_channels(gateway, principal, cooperative_id, patch)
    except (SamenError, ValidationError) as exc:
        return await _refused(request, principal, gateway, cooperative_id, "channels", exc, typed)
    return _saved(cooperative_id, "channels")
