"""The gateway's FastAPI app: REST API under /api/v1, web pages, live updates, health."""

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

from services.gateway import invitations, openapi_doc, problems
from services.gateway.bootstrap import Gateway
from services.gateway.config import get_gateway_settings
from services.gateway.demo import seed_in_background
from services.gateway.limits import LimitRequestSize
from services.gateway.problems import PROBLEM_JSON
from services.gateway.routes import health, web
from services.gateway.routes.api import (
    admin,
    auth,
    coordinator,
    directory,
    inbox,
    me,
    public,
    reports,
    requests,
    tasks,
    volunteers,
)
from services.gateway.schemas import has_control_characters
from shared.logging import CorrelationIdMiddleware, configure_logging_from, get_logger
from shared.metrics import HttpMetricsMiddleware
from shared.polling import cancel_and_wait
from shared.tracing import configure_tracing

log = get_logger(__name__)

STATIC = Path(__file__).parent / "static"


DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Samen API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/docs-assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs-assets/swagger-ui-bundle.js"></script>
<script src="/docs-assets/swagger-ui-standalone-preset.js"></script>
<script src="/static/docs.js"></script></body></html>
"""

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        b"frame-ancestors 'none'; form-action 'self'",
    ),
]


SECURITY_HEADER_NAMES = frozenset(name for name, _ in SECURITY_HEADERS)
CACHE_CONTROL = b"cache-control"
NO_STORE = (CACHE_CONTROL, b"no-store")
# A year, the subdomains too: once a browser has seen Samen over HTTPS it never tries plain
# HTTP again, so nobody on the way can strip TLS off a later visit.
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
# The same for everyone and nothing personal: a browser may keep these.
CACHEABLE_PATHS = ("/static/", "/docs-assets/")


def with_security_headers(
    headers: list[tuple[bytes, bytes]], *, path: str = "", https: bool = False
) -> list[tuple[bytes, bytes]]:
    """The response's headers plus each security header it does not set itself (/docs sets
    its own Content-Security-Policy).

    Nothing is stored by a browser or a proxy (`Cache-Control: no-store`) unless it is a
    static file or a route said `public` itself: pages and answers of a signed-in person, the
    link page and the event stream must not stay in a shared computer's cache (an information
    point's PC) or a proxy. Everything else is no-store too, so a new personal route cannot
    forget it."""
    present = {key.lower() for key, _ in headers}
    out = [*headers, *((k, v) for k, v in SECURITY_HEADERS if k not in present)]
    if not path.startswith(CACHEABLE_PATHS):
        public = any(k.lower() == CACHE_CONTROL and v.lower().startswith(b"public") for k, v in out)
        if not public:
            out = [(k, v) for k, v in out if k.lower() != CACHE_CONTROL]
            out.append(NO_STORE)
    if https and HSTS[0] not in present:
        out.append(HSTS)
    return out


class SecurityHeadersMiddleware:
    """ASGI middleware: headers that keep pages from being framed, sniffed, scripted or
    cached, and (in production) from being fetched over plain HTTP."""

    def __init__(self, app: Any) -> None:
        self.app = app

    @staticmethod
    def https(scope: Any) -> bool:
        gateway = getattr(getattr(scope.get("app"), "state", None), "gateway", None)
        return bool(gateway is not None and gateway.production)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, https = scope.get("path", ""), self.https(scope)

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = with_security_headers(
                    list(message.get("headers", [])), path=path, https=https
                )
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


INVALID_ADDRESS = json.dumps(
    {
        "type": "https://samen.coop/problems/invalid",
        "title": "Invalid input",
        "status": 422,
        "detail": "The address contains control characters.",
        "code": "invalid",
    }
).encode()


class RejectControlCharacters:
    """ASGI middleware: a path or query with NUL or other control characters is bad input
    (a 422 problem), before it can reach a database that cannot store it."""

    def __init__(self, app: Any) -> None:
        self.app = app

    @staticmethod
    def refused(scope: Any) -> bool:
        if has_control_characters(scope.get("path", "")):
            return True
        query = scope.get("query_string", b"")
        return bool(query) and has_control_characters(
            unquote(query.decode("latin-1"), errors="replace")
        )

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and self.refused(scope):
            await send(
                {
                    "type": "http.response.start",
                    "status": 422,
                    "headers": [(b"content-type", PROBLEM_JSON.encode())],
                }
            )
            await send({"type": "http.response.body", "body": INVALID_ADDRESS})
            return
        await self.app(scope, receive, send)


def create_app(gateway: Gateway | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        gw = gateway or Gateway()
        configure_logging_from(gw.settings, service="gateway")
        configure_tracing("gateway", gw.settings.otlp_endpoint)
        app.state.gateway = gw
        await gw.start()
        seeding = seed_in_background(gw) if gw.options.demo else None
        inviting = invitations.start(gw)
        log.info("gateway started", database=gw.engine.dialect.name)
        try:
            yield
        finally:
            await cancel_and_wait([task for task in (seeding, inviting) if task is not None])
            await gw.stop()

    limits = gateway.options if gateway is not None else get_gateway_settings()
    app = FastAPI(
        title="Samen",
        summary="Neighbourhood care cooperatives: ask for help, offer it, match it nearby.",
        description=(
            "Every error is an RFC 9457 `application/problem+json` response. Sign in with "
            "`POST /api/v1/auth/login` and send the `access_token` as a bearer token; a browser "
            "session cookie works too, with the `X-CSRF-Token` header on changes."
        ),
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # served below from vendored files, not from a CDN
        redoc_url=None,
        # The gateway's own spans (CorrelationIdMiddleware) sit in the correlation id's trace;
        # FastAPI's built-in telemetry would add an unlinked second span per request, and asks
        # OpenTelemetry's globals on every request even when nothing is exported.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    problems.install(app)
    app.add_middleware(
        LimitRequestSize,
        max_body_bytes=limits.max_body_bytes,
        max_header_bytes=limits.max_header_bytes,
        max_upload_bytes=limits.max_upload_bytes,
    )
    app.add_middleware(RejectControlCharacters)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(HttpMetricsMiddleware)
    app.add_middleware(CorrelationIdMiddleware)

    @app.exception_handler(web.SignInFirst)
    async def sign_in_first(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, web.SignInFirst)
        return RedirectResponse(f"/login?next={quote(exc.next_path)}", status_code=303)

    # Routes are tried one by one, router by router: each resource router hangs directly off
    # the app (a shared /api/v1 router would be searched twice), the most read one first.
    for module in (
        requests,
        auth,
        me,
        public,
        volunteers,
        coordinator,
        directory,
        tasks,
        reports,
        inbox,
        admin,
    ):
        app.include_router(module.router, prefix="/api/v1")
    app.include_router(health.router)
    app.include_router(web.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.mount("/docs-assets", StaticFiles(directory=swagger_ui_path), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return HTMLResponse(
            DOCS_PAGE,
            headers={
                "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                "style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'"
            },
        )

    openapi_doc.install(app)
    return app


app = create_app()
