"""Accounts: register, log in (session cookie and bearer token), log out."""

from fastapi import APIRouter, Request, Response, status

from services.gateway.bootstrap import Gateway
from services.gateway.deps import CurrentMember, GatewayDep
from services.gateway.problems import GONE_RESPONSE, PROBLEM_RESPONSES
from services.gateway.schemas import (
    EmailChangeConfirm,
    LoginBody,
    PasswordResetBody,
    PasswordResetConfirm,
    PasswordResetRequested,
    RegisterBody,
    RegistrationReceived,
    TokenOut,
)
from services.gateway.security import CSRF_COOKIE, SESSION_COOKIE, csrf_token
from services.gateway.usecases import accounts

router = APIRouter(prefix="/auth", tags=["auth"], responses=PROBLEM_RESPONSES)


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def set_session_cookies(
    response: Response, gateway: Gateway, *, token: str, csrf_secret: str
) -> None:
    max_age = gateway.options.session_days * 86400
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age,
        httponly=True,
        secure=gateway.cookie_secure,
        samesite="lax",
        path="/",
    )
    response.set_cookie(
        CSRF_COOKIE,
        csrf_secret,
        max_age=max_age,
        httponly=True,
        secure=gateway.cookie_secure,
        samesite="lax",
        path="/",
    )


def clear_session_cookies(response: Response, gateway: Gateway) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, secure=gateway.cookie_secure, samesite="lax"
    )


@router.post("/register", status_code=status.HTTP_202_ACCEPTED, response_model=RegistrationReceived)
async def register(
    body: RegisterBody, request: Request, gateway: GatewayDep
) -> RegistrationReceived:
    """Create an account: the registry records the member, the gateway the log-in.

    Answers 202 and the same body whether or not the address had an account already; the
    owner of a taken address is told by e-mail instead. Log in next (`/auth/login`)."""
    await accounts.register(gateway, body, client=client_of(request))
    return RegistrationReceived(detail=accounts.REGISTRATION_RECEIVED)


@router.post("/login", response_model=TokenOut)
async def login(
    body: LoginBody, request: Request, response: Response, gateway: GatewayDep
) -> TokenOut:
    """Check the password; sets the session cookie and returns a bearer token."""
    client = client_of(request)
    account = await accounts.authenticate(gateway, body, client=client)
    token, csrf_secret = await accounts.open_session(gateway, account, kind="cookie")
    set_session_cookies(response, gateway, token=token, csrf_secret=csrf_secret)
    bearer, _ = await accounts.open_session(gateway, account, kind="bearer")
    return TokenOut(
        access_token=bearer,
        member_id=account.member_id,
        roles=account.roles,
        csrf_token=csrf_token(gateway.secret_keys.current, csrf_secret),
    )


@router.post(
    "/password-reset",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=PasswordResetRequested,
)
async def password_reset(
    body: PasswordResetBody, request: Request, gateway: GatewayDep
) -> PasswordResetRequested:
    """Ask for a link to set a new password, sent by e-mail; it works once, for an hour.

    Answers 202 and the same body whether or not the address has an account (only its owner
    gets an e-mail); 429 when this client or this address asked too often."""
    await accounts.request_password_reset(gateway, body.email, client=client_of(request))
    return PasswordResetRequested(detail=accounts.RESET_REQUESTED)


@router.post(
    "/password-reset/confirm", status_code=status.HTTP_204_NO_CONTENT, responses=GONE_RESPONSE
)
async def password_reset_confirm(
    body: PasswordResetConfirm, gateway: GatewayDep, response: Response
) -> Response:
    """Set a new password with the token from the e-mailed link (a reset or an invitation).

    Ends every session of the member and spends the link; a used, expired or bad link is
    410 (problem `code`: link_used, link_expired, link_invalid). Log in next."""
    await accounts.set_password_by_link(gateway, body.token, body)
    response.status_code = status.HTTP_204_NO_CONTENT
    return response


@router.post(
    "/email-change/confirm", status_code=status.HTTP_204_NO_CONTENT, responses=GONE_RESPONSE
)
async def email_change_confirm(
    body: EmailChangeConfirm, gateway: GatewayDep, response: Response
) -> Response:
    """Confirm a new e-mail address with the token from the link sent to it (no log-in
    needed: the link is the proof). From then on you log in with the new address; the old
    one is told. A used, expired or bad link is 410 (problem `code`: link_used,
    link_expired, link_invalid); 409 when the address has been taken meanwhile."""
    await accounts.confirm_email_change(gateway, body.token)
    response.status_code = status.HTTP_204_NO_CONTENT
    return response


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(principal: CurrentMember, response: Response, gateway: GatewayDep) -> Response:
    """End this session (the cookie, or the bearer token used for this call)."""
    await accounts.logout(gateway, principal)
    response.status_code = status.HTTP_204_NO_CONTENT
    clear_session_cookies(response, gateway)
    return response
