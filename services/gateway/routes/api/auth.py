"""Accounts: register, log in (session cookie and bearer token), log out."""

from fastapi import APIRouter, Request, Response, status

from services.gateway import usecases
from services.gateway.bootstrap import Gateway
from services.gateway.deps import CurrentMember, GatewayDep
from services.gateway.problems import PROBLEM_RESPONSES
from services.gateway.schemas import LoginBody, RegisterBody, RegistrationReceived, TokenOut
from services.gateway.security import CSRF_COOKIE, SESSION_COOKIE, csrf_token

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
    await usecases.register(gateway, body, client=client_of(request))
    return RegistrationReceived(detail=usecases.REGISTRATION_RECEIVED)


@router.post("/login", response_model=TokenOut)
async def login(
    body: LoginBody, request: Request, response: Response, gateway: GatewayDep
) -> TokenOut:
    """Check the password; sets the session cookie and returns a bearer token."""
    client = client_of(request)
    account = await usecases.authenticate(gateway, body, client=client)
    token, csrf_secret = await usecases.open_session(gateway, account, kind="cookie")
    set_session_cookies(response, gateway, token=token, csrf_secret=csrf_secret)
    bearer, _ = await usecases.open_session(gateway, account, kind="bearer")
    return TokenOut(
        access_token=bearer,
        member_id=account.member_id,
        roles=account.roles,
        csrf_token=csrf_token(gateway.secret_keys.current, csrf_secret),
    )


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(principal: CurrentMember, response: Response, gateway: GatewayDep) -> Response:
    """End this session (the cookie, or the bearer token used for this call)."""
    await usecases.logout(gateway, principal)
    response.status_code = status.HTTP_204_NO_CONTENT
    clear_session_cookies(response, gateway)
    return response
