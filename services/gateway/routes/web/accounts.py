"""Home, registration, log-in and log-out, password reset."""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError

from services.gateway import account_links
from services.gateway.deps import GatewayDep, MaybeMember
from services.gateway.errors import TooManyAttempts
from services.gateway.i18n import message_language, translate
from services.gateway.principal import Principal
from services.gateway.problem_texts import FORM, LOGIN_REFUSED, TOO_MANY_FAILURES
from services.gateway.routes.api.auth import (
    clear_session_cookies,
    client_of,
    set_session_cookies,
)
from services.gateway.routes.params import LinkTokenPath
from services.gateway.routes.web.forms import (
    Member,
    checked_form,
    field_errors,
    form_errors,
    redirect,
    refusal_status,
    text,
)
from services.gateway.schemas import LoginBody, NewPassword, PasswordResetBody, RegisterBody
from services.gateway.usecases import accounts
from services.gateway.web import language_of, render
from shared.errors import SamenError

router = APIRouter(include_in_schema=False)


@router.get("/")
async def home(request: Request, principal: MaybeMember) -> Response:
    return render(request, "home.html.j2", principal)


@router.get("/register")
async def register_page(request: Request, principal: MaybeMember) -> Response:
    return render(request, "register.html.j2", principal, values={}, errors={})


@router.post("/register")
async def register_submit(
    request: Request, principal: MaybeMember, gateway: GatewayDep
) -> Response:
    form = await checked_form(request, principal)
    values = {k: text(form, k) for k in ("name", "email", "postcode", "house_number", "phone")}
    volunteer = form.get("volunteer") == "on"
    try:
        body = RegisterBody(
            **{k: v for k, v in values.items() if v or k != "phone"},
            password=text(form, "password"),
            language=message_language(language_of(request, principal)),
            volunteer=volunteer,
            share_phone=form.get("share_phone") == "on",
        )
        await accounts.register(
            gateway,
            body,
            client=client_of(request),
            consents={"matching": form.get("consent_matching") == "on"},
        )
    except (ValidationError, SamenError) as exc:
        return render(
            request,
            "register.html.j2",
            principal,
            errors=form_errors(exc),
            status_code=refusal_status(exc),
            values={**values, "volunteer": volunteer},
        )
    # Not signed in yet, new address or taken: the same page either way (only the owner of a
    # taken address hears of it, by e-mail), and the log-in leads on to the next step.
    after = "/volunteer" if volunteer else "/ask"
    return redirect("/login?" + urlencode({"done": "registered", "next": after}))


def safe_next(value: str | None) -> str:
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


@router.get("/login")
async def login_page(
    request: Request, principal: MaybeMember, next: Annotated[str | None, Query()] = None
) -> Response:
    return render(request, "login.html.j2", principal, next=safe_next(next), errors={}, email="")


@router.post("/login")
async def login_submit(request: Request, principal: MaybeMember, gateway: GatewayDep) -> Response:
    form = await checked_form(request, principal)
    email, target = text(form, "email"), safe_next(text(form, "next"))
    try:
        body = LoginBody(email=email, password=text(form, "password") or " ")
        account = await accounts.authenticate(gateway, body, client=client_of(request))
    except TooManyAttempts as exc:
        language = language_of(request, principal)
        wait = translate(TOO_MANY_FAILURES, language)
        return render(
            request,
            "login.html.j2",
            principal,
            status_code=429,
            headers={"Retry-After": str(exc.retry_after)},
            next=target,
            email=email,
            errors={FORM: wait.format(seconds=exc.retry_after)},
        )
    except (ValidationError, SamenError) as exc:
        if isinstance(exc, SamenError) and exc.http_status == 503:
            raise
        status = exc.http_status if isinstance(exc, SamenError) else 422
        return render(
            request,
            "login.html.j2",
            principal,
            status_code=status,
            next=target,
            email=email,
            errors={FORM: LOGIN_REFUSED} if status == 401 else field_errors(exc),
        )
    token, csrf_secret = await accounts.open_session(gateway, account, kind="cookie")
    if target == "/":
        target = "/board" if "coordinator" in account.roles else "/requests"
    response = redirect(target + ("&" if "?" in target else "?") + "done=welcome")
    set_session_cookies(response, gateway, token=token, csrf_secret=csrf_secret)
    return response


@router.get("/password-reset")
async def password_reset_page(request: Request, principal: MaybeMember) -> Response:
    return render(request, "password_reset.html.j2", principal, sent=False, email="", errors={})


@router.post("/password-reset")
async def password_reset_submit(
    request: Request, principal: MaybeMember, gateway: GatewayDep
) -> Response:
    """The same page whether or not the address is known (only its owner gets an e-mail)."""
    form = await checked_form(request, principal)
    email = text(form, "email")
    try:
        body = PasswordResetBody(email=email)
        await accounts.request_password_reset(gateway, body.email, client=client_of(request))
    except ValidationError as exc:
        return render(
            request,
            "password_reset.html.j2",
            principal,
            status_code=422,
            sent=False,
            email=email,
            errors=field_errors(exc),
        )
    return render(request, "password_reset.html.j2", principal, sent=True, email="", errors={})


def refused_link_page(
    request: Request, principal: Principal | None, exc: account_links.LinkRefused
) -> Response:
    """A reset or invitation link that is used, expired or not genuine: say so plainly."""
    return render(
        request,
        "set_password.html.j2",
        principal,
        status_code=exc.http_status,
        refused=exc.message,
        token="",
        errors={},
    )


@router.get("/reset/{token}")
async def set_password_page(
    request: Request, token: LinkTokenPath, principal: MaybeMember, gateway: GatewayDep
) -> Response:
    """Opening the link spends nothing (a mail scanner may open it): the form does."""
    try:
        await accounts.open_account_link(gateway, token)
    except account_links.LinkRefused as exc:
        return refused_link_page(request, principal, exc)
    return render(request, "set_password.html.j2", principal, refused=None, token=token, errors={})


@router.post("/reset/{token}")
async def set_password_submit(
    request: Request, token: LinkTokenPath, principal: MaybeMember, gateway: GatewayDep
) -> Response:
    form = await checked_form(request, principal)
    try:
        body = NewPassword(password=text(form, "password"))
        await accounts.set_password_by_link(gateway, token, body)
    except account_links.LinkRefused as exc:
        return refused_link_page(request, principal, exc)
    except ValidationError as exc:
        return render(
            request,
            "set_password.html.j2",
            principal,
            status_code=422,
            refused=None,
            token=token,
            errors=field_errors(exc),
        )
    response = redirect("/login?done=password_set")
    if principal is not None:  # every session of the member has ended, this one too
        clear_session_cookies(response, gateway)
    return response


@router.post("/logout")
async def logout_submit(request: Request, principal: Member, gateway: GatewayDep) -> Response:
    await checked_form(request, principal)
    await accounts.logout(gateway, principal)
    response = redirect("/?done=signed_out")
    clear_session_cookies(response, gateway)
    return response
