"""The event contract and the gateway's answers stay clean.

- A client's X-Correlation-Id is taken only when it is a UUID or a ULID: free text sent as the
  header (an e-mail address, a street, a phone number) reaches no event and no log.
- Public listings show no member ids.
- /metrics is not on the public web port; it is on the gateway's own metrics port.
- Every personal answer carries `Cache-Control: no-store`.
- In production (SAMEN_ENV=production or an https public address): HSTS, and Secure cookies.

The first four run against the whole system (`samen up`, real nats-server and databases), the
last against the gateway served by uvicorn on a real nats-server.
"""

import email
import email.policy
import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from services.gateway.config import GatewaySettings
from shared.events import Envelope
from shared.ids import is_id
from shared.settings import Settings
from tests.conftest import RunningSystem
from tests.e2e.conftest import Api, caught_up
from tests.integration.gateway.conftest import RunningGateway, rpc_timeout, running_gateway
from tests.privacy import published_events
from tests.support import metric_sample, wait_until

__all__ = ["rpc_timeout", "running_gateway"]

pytestmark = pytest.mark.integration

HOSTILE_CORRELATION = "jan.jansen@example.nl Kerkstraat 12 Utrecht 0612345678"
PIECES = ("jan.jansen", "Kerkstraat", "0612345678")
GIVEN_UUID = "0190a5b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b"


def envelopes(system: RunningSystem) -> list[tuple[bytes, Envelope]]:
    import asyncio

    found = []
    for _, payload in asyncio.run(published_events(system.nats_url)):
        try:
            found.append((payload, Envelope.model_validate_json(payload)))
        except ValidationError:
            continue
    return found


def created_event(system: RunningSystem, request_id: str) -> Envelope:
    def find() -> Envelope | None:
        for _, event in envelopes(system):
            if event.type == "request.created" and event.data.get("request_id") == request_id:
                return event
        return None

    event = wait_until(find, timeout=30, message=f"no request.created for {request_id}")
    assert event is not None
    return event


# ------------------------------------------------------------------ correlation ids


def test_a_hostile_correlation_id_never_reaches_an_event_or_a_log(system: RunningSystem) -> None:
    api = Api(system)
    hostile = {"X-Correlation-Id": HOSTILE_CORRELATION}
    registered = api.http.post(
        "/api/v1/auth/register",
        json={
            "name": "Correlatie Test",
            "email": "correlatie@example.nl",
            "password": "een goed wachtwoord",
            "postcode": "3561 AB",
            "house_number": "21",
        },
        headers=hostile,
    )
    assert registered.status_code == 202, registered.text
    answered = registered.headers["x-correlation-id"]
    assert answered != HOSTILE_CORRELATION and is_id(answered)
    auth = api.login("correlatie@example.nl")
    asked = api.http.post(
        "/api/v1/requests",
        json={"category": "groceries", "description": "Boodschappen"},
        headers={**auth, **hostile},
    )
    assert asked.status_code == 201, asked.text
    kept = api.http.post(
        "/api/v1/requests",
        json={"category": "transport", "description": "Naar de huisarts"},
        headers={**auth, "X-Correlation-Id": GIVEN_UUID},
    )
    assert kept.status_code == 201, kept.text

    hostile_event = created_event(system, asked.json()["id"])
    assert hostile_event.correlation_id is not None and is_id(hostile_event.correlation_id)
    # A UUID from the client is kept: the id still follows the work.
    assert created_event(system, kept.json()["id"]).correlation_id == GIVEN_UUID
    for payload, event in envelopes(system):
        assert event.correlation_id is None or is_id(event.correlation_id), event.type
        assert event.causation_id is None or is_id(event.causation_id), event.type
        for piece in PIECES:
            assert piece.encode() not in payload, (event.type, piece)
    for service in ("gateway", "registry", "matching", "notify"):
        logged = system.logs(service)
        for piece in PIECES:
            assert piece not in logged, (service, piece)


# ------------------------------------------------------------------ public listings


def test_public_listings_show_no_member_ids(system: RunningSystem) -> None:
    api = Api(system)
    api.admin_create("coordinator.lijst@example.nl", "coordinator", api.cooperative_of("WK034403"))
    coordinator = api.login("coordinator.lijst@example.nl")
    resident_id = api.register("bewoner.lijst@example.nl", "3561 AB", "23")
    coordinator_id = api.http.get("/api/v1/me", headers=coordinator).json()["member_id"]
    member_ids = {resident_id, coordinator_id}

    listing = api.http.get("/api/v1/cooperatives")
    assert listing.status_code == 200
    for cooperative in listing.json()["cooperatives"]:
        assert "coordinator_ids" not in cooperative
        assert not any(key.endswith(("member_id", "member_ids")) for key in cooperative)
    public = [
        listing,
        api.http.get("/api/v1/cooperatives", params={"area": "WK034403"}),
        api.http.get("/api/v1/directory"),
        api.http.get("/api/v1/areas/lookup", params={"postcode": "3561 AB"}),
        api.http.get("/api/v1/reports", params={"area": "WK034403"}),
        api.http.get("/notice-board", params={"area": "WK034403"}),
        api.http.get("/map"),
    ]
    for response in public:
        assert response.status_code == 200, (response.url, response.status_code)
        for member_id in member_ids:
            assert member_id not in response.text, response.url


# ------------------------------------------------------------------ metrics


def test_metrics_are_not_on_the_web_port_but_on_their_own(system: RunningSystem) -> None:
    for path in ("/metrics", "/metrics/"):
        response = httpx.get(f"{system.url}{path}", timeout=10)
        assert response.status_code == 404, path
        assert "samen_http_requests" not in response.text
    assert not system.metrics_url.startswith(system.url)
    httpx.get(f"{system.url}/healthz", timeout=10)
    scraped = httpx.get(system.metrics_url, timeout=10)
    assert scraped.status_code == 200
    assert metric_sample(scraped.text, "samen_http_requests_total", route="/healthz") >= 1


# ------------------------------------------------------------------ caching


def proposal_link(system: RunningSystem, to: str) -> str:
    mail = system.data_dir / "mail"

    def link() -> str | None:
        for path in mail.glob("*/*.eml") if mail.exists() else []:
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if to not in str(message["To"]):
                continue
            body = message.get_body(preferencelist=("plain",))
            text = body.get_content() if body is not None else ""
            found = re.findall(r"https?://[^\s\"<>]+(/p/[A-Za-z0-9._=-]+)", text)
            if found:
                return str(found[0])
        return None

    found = wait_until(link, timeout=30, message=f"no proposal e-mail for {to}")
    assert found is not None
    return found


def test_every_personal_answer_says_no_store(system: RunningSystem) -> None:
    api = Api(system)
    api.register("vrijwilliger.cache@example.nl", "3561 AB", "25", volunteer=True)
    volunteer = api.login("vrijwilliger.cache@example.nl")
    api.http.patch("/api/v1/me", json={"consents": {"matching": True}}, headers=volunteer)
    profile = api.http.put(
        "/api/v1/volunteers/me",
        json={"categories": ["odd_jobs"], "flexible": True, "radius_km": 5},
        headers=volunteer,
    )
    assert profile.status_code == 200, profile.text
    caught_up(system, "matching")
    api.register("bewoner.cache@example.nl", "3561 AB", "27")
    resident = api.login("bewoner.cache@example.nl")
    created = api.http.post(
        "/api/v1/requests",
        json={"category": "odd_jobs", "description": "Een lamp ophangen"},
        headers=resident,
    )
    assert created.status_code == 201, created.text
    request_id = created.json()["id"]
    link = proposal_link(system, "vrijwilliger.cache@example.nl")

    browser = httpx.Client(base_url=system.url, timeout=15, headers={"Accept": "text/html"})
    token = re.search(r'name="csrf_token" value="([^"]+)"', browser.get("/login").text)
    assert token is not None
    signed_in = browser.post(
        "/login",
        data={
            "email": "bewoner.cache@example.nl",
            "password": "een goed wachtwoord",
            "csrf_token": token.group(1),
        },
    )
    assert signed_in.status_code in (200, 303), signed_in.status_code
    assert "samen_session" in browser.cookies

    def answers() -> Iterator[tuple[str, httpx.Response]]:
        for path in (
            "/api/v1/me",
            "/api/v1/me/export",
            "/api/v1/requests",
            f"/api/v1/requests/{request_id}",
            "/api/v1/inbox",
            "/api/v1/volunteers/me/proposals",
        ):
            auth = volunteer if "volunteers" in path else resident
            yield path, api.http.get(path, headers=auth)
        for path in ("/requests", f"/requests/{request_id}", "/me", "/me/notifications", "/inbox"):
            yield f"page {path}", browser.get(path)
        yield (
            "login reply",
            api.http.post(
                "/api/v1/auth/login",
                json={"email": "bewoner.cache@example.nl", "password": "een goed wachtwoord"},
            ),
        )
        yield "link page", httpx.get(f"{system.url}{link}", timeout=15)
        yield "not signed in", api.http.get("/api/v1/me")
        yield "home", httpx.get(f"{system.url}/", timeout=15)
        with api.http.stream("GET", "/api/v1/events", headers=resident) as stream:
            yield "event stream", stream

    seen = 0
    for what, response in answers():
        assert response.status_code < 500, (what, response.status_code)
        assert response.headers.get("cache-control") == "no-store", (what, response.headers)
        seen += 1
    assert seen == 16
    # Static files and the public listings are the only answers a browser may keep.
    static = httpx.get(f"{system.url}/static/samen.css", timeout=10)
    assert "no-store" not in static.headers.get("cache-control", "")
    listing = httpx.get(f"{system.url}/api/v1/cooperatives", timeout=10)
    assert listing.headers["cache-control"].startswith("public")


# ------------------------------------------------------------------ production


PRODUCTION_LIKE: dict[str, dict[str, Any]] = {
    "SAMEN_ENV=production": {"env": "production"},
    "https public address": {"public_url": "https://samen.example.org"},
    "development": {},
}


@pytest.fixture(params=list(PRODUCTION_LIKE))
def deployment(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings_for(
    settings_for: Callable[[str], Settings], deployment: str
) -> Callable[[str], Settings]:
    """The tests' settings, as the deployment under test has them."""

    def make(service: str) -> Settings:
        return settings_for(service).model_copy(update=PRODUCTION_LIKE[deployment])

    return make


@pytest.fixture
def gateway_options() -> GatewaySettings:
    # SAMEN_COOKIE_SECURE left unset: the gateway decides from the deployment.
    return GatewaySettings(login_attempts=3, register_attempts=50, demo=False)


async def test_production_sends_hsts_and_marks_every_cookie_secure(
    running_gateway: RunningGateway, deployment: str
) -> None:
    production = deployment != "development"
    async with running_gateway.client() as client:
        page = await client.get("/login")
        await running_gateway.register(client, "productie@example.nl")
        login = await client.post(
            "/api/v1/auth/login",
            json={"email": "productie@example.nl", "password": "a good password"},
        )
        assert login.status_code == 200, login.text
    for response in (page, login):
        hsts = response.headers.get("strict-transport-security")
        if production:
            assert hsts is not None and "max-age=31536000" in hsts, deployment
        else:
            assert hsts is None
    cookies = [*page.headers.get_list("set-cookie"), *login.headers.get_list("set-cookie")]
    assert {c.split("=", 1)[0] for c in cookies} >= {"samen_csrf", "samen_session"}
    for cookie in cookies:
        secure = "secure" in [part.strip().lower() for part in cookie.split(";")]
        assert secure is production, (deployment, cookie)
