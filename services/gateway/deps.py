"""What the routes depend on, as `Annotated` aliases (fastapi full-stack template style).

Who is asking: a bearer token (API clients) or the session cookie (the web). A cookie-signed
request that changes something must also carry the CSRF token (form field or header).
"""

from typing import Annotated

from fastapi import Depends, Request
from faststream.nats import NatsBroker

from services.gateway.area_names import AreaNames
from services.gateway.bootstrap import Gateway
from services.gateway.errors import NotSignedIn
from services.gateway.principal import Principal
from services.gateway.security import (
    CSRF_COOKIE,
    CSRF_HEADER,
    SESSION_COOKIE,
    csrf_valid,
    token_hash,
)
from shared.errors import Forbidden
from shared.rpc import Rpc
from shared.settings import Settings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def gateway_of(request: Request) -> Gateway:
    return request.app.state.gateway


# Dependencies are `async def`: FastAPI runs a plain `def` dependency in a worker thread, a
# thread hop per request for an attribute lookup.
async def get_gateway(request: Request) -> Gateway:
    return gateway_of(request)


async def get_broker(request: Request) -> NatsBroker:
    return gateway_of(request).broker


async def get_rpc(request: Request) -> Rpc:
    return gateway_of(request).rpc


async def get_app_settings(request: Request) -> Settings:
    return gateway_of(request).settings


async def get_area_names(request: Request) -> AreaNames:
    return await gateway_of(request).areas.current()


GatewayDep = Annotated[Gateway, Depends(get_gateway)]
BrokerDep = Annotated[NatsBroker, Depends(get_broker)]
RpcDep = Annotated[Rpc, Depends(get_rpc)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]


async def optional_principal(request: Request) -> Principal | None:
    if hasattr(request.state, "principal"):
        return request.state.principal
    gateway = gateway_of(request)
    principal = None
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        hashed = token_hash(token.strip())
        row = await gateway.store.session(hashed)
        if row is not None and row.kind == "bearer":
            principal = Principal(row.account, "bearer", hashed, row.csrf_secret)
    elif cookie := request.cookies.get(SESSION_COOKIE):
        hashed = token_hash(cookie)
        row = await gateway.store.session(hashed)
        if row is not None and row.kind == "cookie":
            principal = Principal(row.account, "cookie", hashed, row.csrf_secret)
    request.state.principal = principal
    return principal


def browser_csrf_secret(request: Request, principal: Principal | None) -> str | None:
    """The secret a form's CSRF token is derived from: the session's, or the browser's cookie."""
    if principal is not None and principal.via == "cookie":
        return principal.csrf_secret
    return request.cookies.get(CSRF_COOKIE)


async def api_principal(request: Request) -> Principal:
    """A signed-in member for the JSON API; cookie sessions must send `X-CSRF-Token`."""
    principal = await optional_principal(request)
    if principal is None:
        raise NotSignedIn("Sign in first: send a bearer token or the session cookie.")
    check_csrf_header(request, principal)
    return principal


def check_csrf_header(request: Request, principal: Principal | None) -> None:
    """A cookie-signed API call that changes something must carry `X-CSRF-Token`."""
    if principal is None or principal.via != "cookie" or request.method in SAFE_METHODS:
        return
    gateway = gateway_of(request)
    if not csrf_valid(
        gateway.secret_keys.verifying(), principal.csrf_secret, request.headers.get(CSRF_HEADER)
    ):
        raise Forbidden(
            f"A request signed by the session cookie needs the {CSRF_HEADER} header.",
            details={"reason": "csrf"},
        )


CurrentMember = Annotated[Principal, Depends(api_principal)]
MaybeMember = Annotated[Principal | None, Depends(optional_principal)]


def require_role(*roles: str) -> object:
    async def check(principal: CurrentMember) -> Principal:
        if not principal.has(*roles):
            raise Forbidden(f"This needs the role {' or '.join(roles)}.")
        return principal

    return Depends(check)


Coordinator = Annotated[Principal, require_role("coordinator", "admin")]
Volunteer = Annotated[Principal, require_role("volunteer")]
