"""Limits on the right key: who a client is, how failed log-ins slow down, and what a taken
e-mail address gives away.

The gateway runs under uvicorn with the same proxy options as `python -m services.gateway`
(GatewaySettings.proxy_options), on a real nats-server and a real database; time is a
FrozenClock, so waiting out a slow-down takes no time. The notify side runs the real notify
service against a real SMTP server.
"""

# The fixtures come from the gateway's and notify's integration harnesses, imported below.
# ruff: noqa: F811

from datetime import timedelta
from typing import Any

import httpx
import pytest

from services.gateway.config import GatewaySettings
from services.notify.bootstrap import Notify
from shared.clock import Clock, FrozenClock
from shared.contracts.notify import ACCOUNT_NOTICE, AccountNotice
from tests.integration.gateway.conftest import PASSWORD, RunningGateway
from tests.integration.notify.harness import (  # noqa: F401
    RegistryData,
    SmtpServer,
    notify,
    notify_factory,
    notify_own_settings,
    notify_settings,
    registry,
    smtp,
    soon,
    text_of,
)

pytestmark = pytest.mark.integration

PROBLEM = "application/problem+json"
ATTACKER, NEIGHBOUR = "203.0.113.66", "198.51.100.20"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def gateway_clock(clock: FrozenClock) -> Clock:
    return clock


@pytest.fixture
def trusted_proxies() -> str:
    return ""  # the default: nobody's X-Forwarded-For is believed


@pytest.fixture
def gateway_options(trusted_proxies: str) -> GatewaySettings:
    return GatewaySettings(
        login_attempts=5,
        login_backoff_seconds=30,
        register_attempts=100,
        trusted_proxies=trusted_proxies,
        cookie_secure=False,
        demo=False,
    )


async def log_in(
    client: httpx.AsyncClient, email: str, password: str, *, via: str | None = None
) -> httpx.Response:
    headers = {"X-Forwarded-For": via} if via else {}
    return await client.post(
        "/api/v1/auth/login", json={"email": email, "password": password}, headers=headers
    )


# ------------------------------------------------------------------ who the client is


async def test_a_forwarded_for_from_an_untrusted_client_does_not_change_its_key(
    running_gateway: RunningGateway,
) -> None:
    async with running_gateway.client() as client:
        await running_gateway.register(client, "spoof@example.nl")
        for n in range(5):  # a new "address" with every try
            wrong = await log_in(client, "spoof@example.nl", "wrong!", via=f"192.0.2.{n + 1}")
            assert wrong.status_code == 401
        next_try = await log_in(client, "spoof@example.nl", PASSWORD, via="192.0.2.99")
    assert next_try.status_code == 429, "the header chose the client's key"
    assert next_try.headers["content-type"] == PROBLEM
    assert int(next_try.headers["retry-after"]) > 0


@pytest.mark.parametrize("trusted_proxies", ["127.0.0.0/8"])
async def test_a_trusted_proxy_names_the_client(running_gateway: RunningGateway) -> None:
    async with running_gateway.client() as client:
        await running_gateway.register(client, "proxied@example.nl")
        for _ in range(5):
            wrong = await log_in(client, "proxied@example.nl", "wrong!", via=ATTACKER)
            assert wrong.status_code == 401
        assert (await log_in(client, "proxied@example.nl", PASSWORD, via=ATTACKER)).status_code == (
            429
        )
        owner = await log_in(client, "proxied@example.nl", PASSWORD, via=NEIGHBOUR)
    assert owner.status_code == 200, owner.text


# ------------------------------------------------------------------ failed log-ins slow down


@pytest.mark.parametrize("trusted_proxies", ["127.0.0.1"])
async def test_wrong_passwords_slow_that_client_down_and_never_lock_the_owner_out(
    running_gateway: RunningGateway, clock: FrozenClock
) -> None:
    async with running_gateway.client() as client:
        await running_gateway.register(client, "owner@example.nl")
        for _ in range(6):
            wrong = await log_in(client, "owner@example.nl", "wrong!", via=ATTACKER)
        assert wrong.status_code in (401, 429)

        # The owner, on their own device, is heard at once.
        at_home = await log_in(client, "owner@example.nl", PASSWORD, via=NEIGHBOUR)
        assert at_home.status_code == 200, at_home.text

        # From the failing client the next try waits, however right it is...
        waiting = await log_in(client, "owner@example.nl", PASSWORD, via=ATTACKER)
        assert waiting.status_code == 429
        assert waiting.headers["content-type"] == PROBLEM
        assert waiting.json()["code"] == "rate_limited"
        wait = int(waiting.headers["retry-after"])
        assert 0 < wait <= 900

        # ...and is heard once the wait is over.
        clock.advance(timedelta(seconds=wait))
        later = await log_in(client, "owner@example.nl", PASSWORD, via=ATTACKER)
        assert later.status_code == 200, later.text


async def test_an_attacker_behind_a_shared_proxy_does_not_stop_anyone_else(
    running_gateway: RunningGateway,
) -> None:
    """No trusted proxy: every user has the proxy's address (here 127.0.0.1)."""
    async with running_gateway.client() as client:
        await running_gateway.register(client, "neighbour@example.nl")
        for n in range(30):  # far more than the old per-client limit (4 x 5)
            wrong = await log_in(client, f"guess{n}@example.nl", "password1")
            assert wrong.status_code == 401
        # The attacker is slowed down: a second guess at an address waits.
        assert (await log_in(client, "guess0@example.nl", "password2")).status_code == 429
        neighbour = await log_in(client, "neighbour@example.nl", PASSWORD)
    assert neighbour.status_code == 200, neighbour.text


@pytest.mark.parametrize("trusted_proxies", ["127.0.0.1"])
async def test_many_clients_guessing_one_address_each_get_one_try(
    running_gateway: RunningGateway,
) -> None:
    async with running_gateway.client() as client:
        await running_gateway.register(client, "popular@example.nl")
        for n in range(20):  # 4 x 5 failures of the address, one from each client
            wrong = await log_in(client, "popular@example.nl", "wrong!", via=f"192.0.2.{n + 1}")
            assert wrong.status_code == 401
        first = await log_in(client, "popular@example.nl", "wrong!", via="192.0.2.200")
        assert first.status_code == 401
        second = await log_in(client, "popular@example.nl", "wrong!", via="192.0.2.200")
        assert second.status_code == 429, "a hot address gives each client one free failure"
        owner = await log_in(client, "popular@example.nl", PASSWORD, via=NEIGHBOUR)
    assert owner.status_code == 200, owner.text


async def test_the_page_says_how_long_to_wait_in_the_readers_language(
    running_gateway: RunningGateway,
) -> None:
    async with running_gateway.client(follow_redirects=False) as client:
        await running_gateway.register(client, "page@example.nl")
        for _ in range(6):
            page = await client.get("/login")
            token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            answer = await client.post(
                "/login",
                data={"email": "page@example.nl", "password": "wrong!", "csrf_token": token},
                headers={"Accept": "text/html"},
            )
    assert answer.status_code == 429
    assert int(answer.headers["retry-after"]) > 0
    assert "Wacht" in answer.text and "seconden" in answer.text


# ------------------------------------------------------------------ a taken address


def registration(email: str, **changes: Any) -> dict[str, Any]:
    return {
        "name": "Iemand Anders",
        "email": email,
        "password": "someone else's password",
        "postcode": "3561 AB",
        "house_number": "7",
        **changes,
    }


async def test_a_taken_address_gets_the_same_answer_as_a_new_one_and_the_owner_is_told(
    running_gateway: RunningGateway,
) -> None:
    async with running_gateway.client() as client:
        owner = await running_gateway.register(client, "taken@example.nl")
        new = await client.post("/api/v1/auth/register", json=registration("fresh@example.nl"))
        taken = await client.post("/api/v1/auth/register", json=registration("Taken@Example.nl"))
        assert (taken.status_code, taken.json()) == (new.status_code, new.json())
        assert new.status_code == 202

        # Bad input is refused alike too: the registry checks it before it knows the address.
        bad_new = await client.post(
            "/api/v1/auth/register", json=registration("other@example.nl", postcode="9999 ZZ")
        )
        bad_taken = await client.post(
            "/api/v1/auth/register", json=registration("taken@example.nl", postcode="9999 ZZ")
        )
        assert (bad_taken.status_code, bad_taken.json()["code"]) == (
            bad_new.status_code,
            bad_new.json()["code"],
        )
        assert bad_new.status_code >= 400

        # The owner's log-in is untouched, and no second member was made.
        assert (await log_in(client, "taken@example.nl", PASSWORD)).status_code == 200
    emails = [m.email for m in running_gateway.world.members.values()]
    assert emails.count("taken@example.nl") == 1
    assert [(n.member_id, n.kind) for n in running_gateway.world.notices] == [
        (owner, "registration_attempt")
    ]


async def test_the_register_page_answers_a_taken_address_as_a_new_one(
    running_gateway: RunningGateway,
) -> None:
    async def submit(email: str) -> httpx.Response:
        async with running_gateway.client(follow_redirects=False) as client:
            page = await client.get("/register")
            token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            form = {k: v for k, v in registration(email).items()}
            return await client.post(
                "/register",
                data={**form, "csrf_token": token, "consent_matching": "on"},
                headers={"Accept": "text/html"},
            )

    async with running_gateway.client() as client:
        await running_gateway.register(client, "page-taken@example.nl")
    new, taken = await submit("page-new@example.nl"), await submit("page-taken@example.nl")
    assert new.status_code == taken.status_code == 303
    assert new.headers["location"] == taken.headers["location"]
    assert new.headers["location"].startswith("/login?done=registered")
    for answer in (new, taken):
        assert "samen_session" not in answer.headers.get("set-cookie", "")
    assert len(running_gateway.world.notices) == 1


async def test_notify_tells_the_owner_of_a_taken_address_once_an_hour(
    notify: Notify, registry: RegistryData, smtp: SmtpServer
) -> None:
    registry.person("mem-owner", "Ans", email="ans@example.org")
    notice = AccountNotice(member_id="mem-owner", kind="registration_attempt")

    first = await notify.runtime.rpc.call(ACCOUNT_NOTICE, notice)
    assert first.notification_id

    async def mailed() -> list[Any]:
        return list(smtp.to("ans@example.org"))

    mails = await soon(mailed, message="no notice reached the owner")
    assert mails[0]["Subject"] == "Iemand wilde een account maken met uw e-mailadres"
    assert "https://samen.example/login" in text_of(mails[0])

    # Someone who keeps trying does not flood the owner's mailbox.
    again = await notify.runtime.rpc.call(ACCOUNT_NOTICE, notice)
    assert again.notification_id is None
