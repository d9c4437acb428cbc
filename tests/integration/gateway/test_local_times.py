"""The ask form and the API speak the cooperative's local time; matching hears UTC.

The gateway served by uvicorn on a real nats-server (fake services answer the RPC verbs), its
clock frozen on a December morning."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from shared.clock import Clock, FrozenClock
from tests.integration.gateway.conftest import PASSWORD, RunningGateway
from tests.integration.gateway.test_security import form_token

pytestmark = pytest.mark.integration


@pytest.fixture
def gateway_clock() -> Clock | None:
    return FrozenClock(datetime(2026, 12, 2, 9, 0, tzinfo=UTC))  # a Wednesday


async def _signed_in(running_gateway: RunningGateway, client: httpx.AsyncClient) -> None:
    await running_gateway.register(client, "ans@example.nl")
    login = await client.get("/login")
    response = await client.post(
        "/login",
        data={
            "email": "ans@example.nl",
            "password": PASSWORD,
            "csrf_token": form_token(login.text),
        },
    )
    assert response.status_code == 303, response.text[:300]


async def _ask_for_tuesday_morning(client: httpx.AsyncClient) -> httpx.Response:
    page = await client.get("/ask")
    assert 'min="2026-12-02"' in page.text  # today, on the local calendar
    return await client.post(
        "/ask",
        data={
            "category": "groceries",
            "description": "Boodschappen halen",
            "when": "day",
            "day": "2026-12-08",
            "part": "morning",
            "csrf_token": form_token(page.text),
        },
    )


async def test_tuesday_morning_on_the_form_is_08_to_12_local_sent_as_utc_and_shown_local(
    running_gateway: RunningGateway,
) -> None:
    async with running_gateway.client(headers={"Accept": "text/html"}) as client:
        await _signed_in(running_gateway, client)
        asked = await _ask_for_tuesday_morning(client)
        assert asked.status_code == 303, asked.text[:300]
        sent = running_gateway.world.created[-1]
        assert (sent.needed_from, sent.needed_until) == (
            datetime(2026, 12, 8, 7, 0, tzinfo=UTC),
            datetime(2026, 12, 8, 11, 0, tzinfo=UTC),
        )
        assert sent.needed_from is not None and sent.needed_from.utcoffset() == timedelta(0)
        page = await client.get(asked.headers["location"])
    assert "Dinsdag 8-12-2026 08:00 – Dinsdag 8-12-2026 12:00" in page.text


async def test_the_form_is_read_in_the_configured_time_zone(
    running_gateway: RunningGateway,
) -> None:
    running_gateway.gateway.settings.time_zone = "Europe/London"
    async with running_gateway.client(headers={"Accept": "text/html"}) as client:
        await _signed_in(running_gateway, client)
        asked = await _ask_for_tuesday_morning(client)
        assert asked.status_code == 303, asked.text[:300]
        sent = running_gateway.world.created[-1]
        assert sent.needed_from == datetime(2026, 12, 8, 8, 0, tzinfo=UTC)
        page = await client.get(asked.headers["location"])
    assert "Dinsdag 8-12-2026 08:00 – Dinsdag 8-12-2026 12:00" in page.text


async def test_the_api_takes_any_offset_answers_in_utc_and_refuses_a_time_without_one(
    running_gateway: RunningGateway,
) -> None:
    async with running_gateway.client() as client:
        await running_gateway.register(client, "ans@example.nl")
        headers = await running_gateway.bearer(client, "ans@example.nl")
        body = {"category": "groceries", "description": "Boodschappen halen"}
        created = await client.post(
            "/api/v1/requests",
            headers=headers,
            json={
                **body,
                "needed_from": "2026-12-08T08:00:00+01:00",
                "needed_until": "2026-12-08T12:00:00+01:00",
            },
        )
        assert created.status_code == 201, created.text
        shown = await client.get(f"/api/v1/requests/{created.json()['id']}", headers=headers)
        naive = await client.post(
            "/api/v1/requests",
            headers=headers,
            json={**body, "needed_from": "2026-12-08T08:00", "needed_until": "2026-12-08T12:00"},
        )
    assert shown.json()["needed_from"] == "2026-12-08T07:00:00Z"
    assert shown.json()["needed_until"] == "2026-12-08T11:00:00Z"
    assert naive.status_code == 422
    assert naive.headers["content-type"].startswith("application/problem+json")
    assert "time zone" in naive.text
    assert len(running_gateway.world.created) == 1  # the refused one changed nothing
