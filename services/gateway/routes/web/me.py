"""My details, privacy and notification preferences."""

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from services.gateway import account_links
from services.gateway.deps import GatewayDep, MaybeMember
from services.gateway.i18n import translate
from services.gateway.principal import Principal
from services.gateway.routes.api.auth import (
    clear_session_cookies,
)
from services.gateway.routes.params import LinkTokenPath
from services.gateway.routes.web.forms import (
    Member,
    checked_form,
    form_errors,
    redirect,
    text,
)
from services.gateway.schemas import EmailChangeBody, NotificationsPatch
from services.gateway.usecases import accounts, privacy
from services.gateway.web import language_of, render
from shared.contracts import registry as rc
from shared.errors import SamenError

router = APIRouter(include_in_schema=False)


@router.get("/me")
async def me_page(request: Request, principal: Member, gateway: GatewayDep) -> Response:
    member = await accounts.my_details(gateway, principal)
    return render(request, "me.html.j2", principal, member=member, errors={})


@router.post("/me")
async def me_submit(request: Request, principal: Member, gateway: GatewayDep) -> Response:
    form = await checked_form(request, principal)
    language = text(form, "language")
    try:
        await accounts.change_my_details(
            gateway,
            principal,
            {
                "name": text(form, "name") or None,
                "phone": text(form, "phone"),
                "language": language if language in ("nl", "en") else None,
                "consents": {
                    purpose: form.get(f"consent_{purpose}") == "on"
                    for purpose in rc.CONSENT_PURPOSES
                },
            },
        )
    except SamenError as exc:
        errors = form_errors(exc)
        member = await accounts.my_details(gateway, principal)
        return render(
            request,
            "me.html.j2",
            principal,
            status_code=422,
            member=member,
            errors=errors,
        )
    response = redirect("/me?done=saved")
    response.delete_cookie("samen_lang", path="/")
    return response


@router.post("/me/email")
async def me_email_submit(request: Request, principal: Member, gateway: GatewayDep) -> Response:
    """Ask for a link to the new address; nothing changes until it is opened."""
    form = await checked_form(request, principal)
    try:
        body = EmailChangeBody(email=text(form, "new_email"))
        await accounts.request_email_change(gateway, principal, body.email)
    except (ValidationError, SamenError) as exc:
        errors = form_errors(exc)
        member = await accounts.my_details(gateway, principal)
        language = language_of(request, principal)
        errors["new_email"] = translate(
            exc.message
            if isinstance(exc, SamenError)
            else "Fill in an e-mail address, such as name@example.nl.",
            language,
        )
        errors.pop("email", None)
        errors["form"] = errors["new_email"]
        return render(
            request, "me.html.j2", principal, status_code=422, member=member, errors=errors
        )
    return redirect("/me?done=email_sent")


def refused_email_link(
    request: Request, principal: Principal | None, exc: account_links.LinkRefused
) -> Response:
    return render(
        request,
        "email_confirm.html.j2",
        principal,
        status_code=exc.http_status,
        refused=exc.message,
        token="",
        new_email="",
    )


@router.get("/email/{token}")
async def email_confirm_page(
    request: Request, token: LinkTokenPath, principal: MaybeMember, gateway: GatewayDep
) -> Response:
    """Opening the link changes nothing (a mail scanner may open it): the button does."""
    try:
        opened = await accounts.open_email_link(gateway, token)
    except account_links.LinkRefused as exc:
        return refused_email_link(request, principal, exc)
    return render(
        request,
        "email_confirm.html.j2",
        principal,
        refused=None,
        token=token,
        new_email=opened.link.new_email or "",
    )


@router.post("/email/{token}")
async def email_confirm_submit(
    request: Request, token: LinkTokenPath, principal: MaybeMember, gateway: GatewayDep
) -> Response:
    await checked_form(request, principal)
    try:
        await accounts.confirm_email_change(gateway, token)
    except account_links.LinkRefused as exc:
        return refused_email_link(request, principal, exc)
    return redirect("/me?done=email_changed" if principal else "/login?done=email_changed")


@router.post("/me/delete")
async def me_delete(request: Request, principal: Member, gateway: GatewayDep) -> Response:
    form = await checked_form(request, principal)
    if form.get("confirm") != "on":
        return redirect("/me")
    await privacy.erase(gateway, principal)
    response = redirect("/erased")
    clear_session_cookies(response, gateway)
    return response


@router.get("/erased")
async def erased_page(request: Request, principal: MaybeMember) -> Response:
    """After erasure: what was erased, and what stays (anonymous figures)."""
    return render(request, "erased.html.j2", principal)


@router.get("/me/notifications")
async def notifications_page(request: Request, principal: Member, gateway: GatewayDep) -> Response:
    preferences = await accounts.notification_preferences(gateway, principal)
    return render(request, "notifications.html.j2", principal, preferences=preferences, errors={})


def notifications_patch(form: FormData, principal: Member) -> NotificationsPatch:
    """The page posts the whole set: the channels in their order (none chosen: the inbox
    only), the Apprise addresses to remove and one to add; every other address stays."""
    chosen = [text(form, f"channel_{position}") for position in (1, 2, 3)]
    channels = list(dict.fromkeys(channel for channel in chosen if channel)) or ["inbox"]
    removed = [value for value in form.getlist("remove_apprise") if isinstance(value, str)]
    added = text(form, "apprise_add")
    values: dict[str, object] = {
        "channels": channels,
        "apprise_remove": removed[:20],
        "quiet_start": text(form, "quiet_start"),
        "quiet_end": text(form, "quiet_end"),
    }
    if added:
        values["apprise_add"] = [added]
    if text(form, "language"):
        values["language"] = text(form, "language")
    if principal.has("coordinator", "admin") and text(form, "digest"):
        values["digest"] = text(form, "digest")
        values["digest_time"] = text(form, "digest_time") or accounts.DEFAULT_DIGEST_TIME
    return NotificationsPatch.model_validate(values)


@router.post("/me/notifications")
async def notifications_submit(
    request: Request, principal: Member, gateway: GatewayDep
) -> Response:
    form = await checked_form(request, principal)
    try:
        await accounts.change_notification_preferences(
            gateway, principal, notifications_patch(form, principal)
        )
    except (ValidationError, SamenError) as exc:
        errors = form_errors(exc)
        preferences = await accounts.notification_preferences(gateway, principal)
        language = language_of(request, principal)
        return render(
            request,
            "notifications.html.j2",
            principal,
            status_code=422,
            preferences=preferences,
            errors={key: translate(words, language) for key, words in errors.items()},
        )
    return redirect("/me/notifications?done=saved")


@router.post("/me/notifications/test")
async def notifications_test(request: Request, principal: Member, gateway: GatewayDep) -> Response:
    await checked_form(request, principal)
    await accounts.send_test_message(gateway, principal)
    return redirect("/me/notifications?done=test_sent")
