"""My details, privacy and notification preferences."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.gateway import usecases
from services.gateway.deps import GatewayDep, MaybeMember
from services.gateway.routes.api.auth import (
    clear_session_cookies,
)
from services.gateway.routes.pages.forms import Member, checked_form, field_errors, redirect, text
from services.gateway.web import render
from shared.contracts import notify as nc
from shared.contracts import registry as rc
from shared.errors import SamenError

router = APIRouter(include_in_schema=False)


@router.get("/me")
async def me_page(request: Request, principal: Member, gateway: GatewayDep) -> Response:
    member = await gateway.registry.member(principal.member_id, actor_id=principal.member_id)
    return render(request, "me.html.j2", principal, member=member, errors={})


@router.post("/me")
async def me_submit(request: Request, principal: Member, gateway: GatewayDep) -> Response:
    form = await checked_form(request, principal)
    language = text(form, "language")
    try:
        member = await gateway.registry.update_member(
            rc.MemberUpdate(
                member_id=principal.member_id,
                actor_id=principal.member_id,
                name=text(form, "name") or None,
                phone=text(form, "phone"),
                language=language if language in ("nl", "en") else None,
                consents={
                    purpose: form.get(f"consent_{purpose}") == "on"
                    for purpose in rc.CONSENT_PURPOSES
                },
            )
        )
    except SamenError as exc:
        if exc.http_status in (429, 503):
            raise
        member = await gateway.registry.member(principal.member_id, actor_id=principal.member_id)
        return render(
            request,
            "me.html.j2",
            principal,
            status_code=422,
            member=member,
            errors=field_errors(exc),
        )
    await gateway.store.update_account(principal.account.account_id, language=member.language)
    response = redirect("/me?done=saved")
    response.delete_cookie("samen_lang", path="/")
    return response


@router.post("/me/delete")
async def me_delete(request: Request, principal: Member, gateway: GatewayDep) -> Response:
    form = await checked_form(request, principal)
    if form.get("confirm") != "on":
        return redirect("/me")
    await usecases.erase(gateway, principal)
    response = redirect("/erased")
    clear_session_cookies(response, gateway)
    return response


@router.get("/erased")
async def erased_page(request: Request, principal: MaybeMember) -> Response:
    """After erasure: what was erased, and what stays (anonymous figures)."""
    return render(request, "erased.html.j2", principal)


@router.get("/me/notifications")
async def notifications_page(request: Request, principal: Member, gateway: GatewayDep) -> Response:
    preferences = await gateway.notify.preferences(principal.member_id)
    return render(request, "notifications.html.j2", principal, preferences=preferences, errors={})


@router.post("/me/notifications")
async def notifications_submit(
    request: Request, principal: Member, gateway: GatewayDep
) -> Response:
    form = await checked_form(request, principal)
    try:
        await gateway.notify.set_preferences(
            nc.PreferencesUpdate(
                member_id=principal.member_id,
                channels=["email"] if form.get("email") == "on" else [],
                quiet_start=text(form, "quiet_start") or None,
                quiet_end=text(form, "quiet_end") or None,
            )
        )
    except (ValueError, SamenError) as exc:
        if isinstance(exc, SamenError) and exc.http_status in (429, 503):
            raise
        preferences = await gateway.notify.preferences(principal.member_id)
        return render(
            request,
            "notifications.html.j2",
            principal,
            status_code=422,
            preferences=preferences,
            errors=field_errors(exc),
        )
    return redirect("/me/notifications?done=saved")
