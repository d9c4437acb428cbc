"""Accounts, CSRF, rate limits, roles and areas: each check has a test that fails without it."""

import asyncio
import json
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from nats.aio.client import Client as NatsClient

from services.gateway.security import CSRF_HEADER
from shared.areas import AreaRef
from shared.events import RequestEscalated, RequestMatched, envelope
from tests.integration.gateway.conftest import PASSWORD, RunningGateway
from tests.integration.gateway.fakes import OOST, OVERVECHT

pytestmark = pytest.mark.integration

PROBLEM = "application/problem+json"


async def test_register_then_log_in_gives_a_cookie_session_and_a_bearer_token(
    running_gateway: RunningGateway,
) -> None:
    async with running_gateway.client() as client:
        response = await client.post(
            "/api/v1/auth/register",
            json={
                "name": "Anna de Vries",
                "email": "Anna@Example.nl",
                "password": PASSWORD,
                "postcode": "3561 AB",
                "house_number": "81",
            },
        )
        assert response.status_code == 202
        assert response.json()["status"] == "received"

        login = await client.post(
            "/api/v1/auth/login", json={"email": "anna@example.nl", "password": PASSWORD}
        )
        assert login.status_code == 200
        token = login.json()["access_token"]
        assert login.json()["token_type"] == "bearer"
        cookie = login.headers["set-cookie"]
        assert "samen_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie

    async with running_gateway.client() as fresh:
        me = await fresh.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200
        assert me.json()["member_id"] == login.json()["member_id"]
        assert me.json()["neighbourhood"] == OVERVECHT
        anonymous = await fresh.get("/api/v1/me")
        assert anonymous.status_code == 401
        assert anonymous.headers["content-type"] == PROBLEM


async def test_password_is_stored_as_an_argon2id_hash(running_gateway: RunningGateway) -> None:
    async with running_gateway.client() as client:
        await running_gateway.register(client, "hash@example.nl")
    account = await running_gateway.gateway.store.account_by_email("hash@example.nl")
    assert account is not None
    assert account.password_hash.startswith("$argon2id$")
    assert PASSWORD not in account.password_hash


async def test_a_second_account_with_the_same_email_is_not_made_and_the_owner_is_told(
    running_gateway: RunningGateway,
) -> None:
    async with running_gateway.client() as client:
        owner = await running_gateway.register(client, "twice@example.nl")
        again = await client.post(
            "/api/v1/auth/register",
            json={
                "name": "Other",
                "email": "TWICE@example.nl",
                "password": "another password",
                "postcode": "3561 AB",
                "house_number": "2",
            },
        )
        assert again.status_code == 202  # as for a new address: see tests/security
        still = await client.post(
            "/api/v1/auth/login", json={"email": "twice@example.nl", "password": PASSWORD}
        )
        assert still.status_code == 200 and still.json()["member_id"] == owner
    assert [m.member_id for m in running_gateway.world.members.values()] == [owner]
    assert [(n.member_id, n.kind) for n in running_gateway.world.notices] == [
        (owner, "registration_attempt")
    ]


@pytest.mark.parametrize(
    ("method", "path", "payload"),
    [
        ("post", "/api/v1/auth/register", {"name": "", "email": "nope", "password": "x"}),
        ("post", "/api/v1/auth/register", "not json at all"),
        ("post", "/api/v1/auth/login", {"email": 5}),
        ("get", "/api/v1/areas/lookup?postcode=1", None),
        ("get", "/api/v1/areas/lookup?postcode=1234", None),
        ("get", "/api/v1/reports?area=XX", None),
        ("get", "/api/v1/reports?from=yesterday", None),
    ],
)
async def test_bad_input_is_a_4xx_problem_never_a_server_error(
    running_gateway: RunningGateway, method: str, path: str, payload: object
) -> None:
    async with running_gateway.client() as client:
        if isinstance(payload, str):
            response = await client.request(
                method, path, content=payload, headers={"content-type": "application/json"}
            )
        else:
            response = await client.request(method, path, json=payload)
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["status"] == response.status_code and problem["title"]


async def test_login_waits_after_too_many_failed_attempts(
    running_gateway: RunningGateway,
) -> None:
    async with running_gateway.client() as client:
        await running_gateway.register(client, "target@example.nl")
        for _ in range(3):  # the free failures in these tests
            wrong = await client.post(
                "/api/v1/auth/login", json={"email": "target@example.nl", "password": "wrong!"}
            )
            assert wrong.status_code == 401
        limited = await client.post(
            "/api/v1/auth/login", json={"email": "target@example.nl", "password": PASSWORD}
        )
    assert limited.status_code == 429
    assert limited.headers["content-type"] == PROBLEM
    assert int(limited.headers["retry-after"]) > 0


async def test_cookie_session_needs_the_csrf_header_to_change_anything(
    running_gateway: RunningGateway,
) -> None:
    async with running_gateway.client() as client:
        await running_gateway.register(client, "csrf@example.nl")
        login = await client.post(
            "/api/v1/auth/login", json={"email": "csrf@example.nl", "password": PASSWORD}
        )
        csrf = login.json()["csrf_token"]
        body = {"category": "groceries", "description": "Boodschappen"}
        forged = await client.post("/api/v1/requests", json=body)
        assert forged.status_code == 403
        assert forged.json()["code"] == "forbidden"
        wrong = await client.post("/api/v1/requests", json=body, headers={CSRF_HEADER: "0" * 64})
        assert wrong.status_code == 403
        reading = await client.get("/api/v1/requests")
        assert reading.status_code == 200  # reading needs no token
        allowed = await client.post("/api/v1/requests", json=body, headers={CSRF_HEADER: csrf})
        assert allowed.status_code == 201, allowed.text


async def sse_events(lines: AsyncIterator[str]) -> AsyncIterator[tuple[str, str]]:
    """(event name, data) of each server-sent event; comments (heartbeats) are skipped."""
    name, data = "message", ""
    async for line in lines:
        if line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data = line[5:].strip()
        elif not line.strip() and data:
            yield name, data
            name, data = "message", ""


def form_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
    assert match, "no CSRF token in the form"
    return match.group(1)


async def test_web_forms_are_refused_without_their_csrf_token(
    running_gateway: RunningGateway,
) -> None:
    async with running_gateway.client(headers={"Accept": "text/html"}) as client:
        await running_gateway.register(client, "form@example.nl")
        page = await client.get("/login")
        token = form_token(page.text)
        credentials = {"email": "form@example.nl", "password": PASSWORD, "next": "/"}
        forged = await client.post("/login", data=credentials)
        assert forged.status_code == 403
        signed_in = await client.post("/login", data={**credentials, "csrf_token": token})
        assert signed_in.status_code == 303

        ask = await client.get("/ask")
        assert ask.status_code == 200
        request = {"category": "groceries", "description": "Boodschappen", "when": "any"}
        forged_ask = await client.post("/ask", data=request)
        assert forged_ask.status_code == 403
        # The token of the anonymous page is not the token of the signed-in session.
        stale = await client.post("/ask", data={**request, "csrf_token": token})
        assert stale.status_code == 403
        asked = await client.post("/ask", data={**request, "csrf_token": form_token(ask.text)})
        assert asked.status_code == 303
        assert asked.headers["location"].startswith("/requests/")


async def test_a_resident_cannot_use_the_coordinator_area(
    running_gateway: RunningGateway,
) -> None:
    async with running_gateway.client() as client:
        await running_gateway.register(client, "resident@example.nl")
        headers = await running_gateway.bearer(client, "resident@example.nl")
        board = await client.get("/api/v1/coordinator/requests", headers=headers)
        assert board.status_code == 403
        match = await client.post(
            "/api/v1/coordinator/requests/x/match", json={"volunteer_id": "v"}, headers=headers
        )
        assert match.status_code == 403
    assert running_gateway.world.matched == []


async def coordinator_of_overvecht(
    running: RunningGateway, client: httpx.AsyncClient
) -> dict[str, str]:
    member_id = await running.register(client, "fatima@example.nl")
    running.world.make_coordinator(member_id, "overvecht")
    return await running.bearer(client, "fatima@example.nl")  # roles are refreshed at sign-in


async def test_a_coordinator_of_overvecht_cannot_see_or_act_on_a_request_in_oost(
    running_gateway: RunningGateway,
) -> None:
    world = running_gateway.world
    async with running_gateway.client() as client:
        headers = await coordinator_of_overvecht(running_gateway, client)
        resident = await running_gateway.register(client, "oost@example.nl", postcode="3583 AA")
        in_oost = world.add_request(resident, OOST)
        in_overvecht = world.add_request(resident, OVERVECHT)

        seen = await client.get(f"/api/v1/requests/{in_oost}", headers=headers)
        assert seen.status_code == 403
        match = await client.post(
            f"/api/v1/coordinator/requests/{in_oost}/match",
            json={"volunteer_id": "someone"},
            headers=headers,
        )
        assert match.status_code == 403
        assert world.matched == []
        candidates = await client.get(
            f"/api/v1/coordinator/requests/{in_oost}/candidates", headers=headers
        )
        assert candidates.status_code == 403
        board = await client.get("/api/v1/coordinator/requests", headers=headers)
        assert board.status_code == 200
        ids = {r["id"] for r in board.json()["requests"]}
        assert in_overvecht in ids and in_oost not in ids

        # Within the area it works.
        own = await client.post(
            f"/api/v1/coordinator/requests/{in_overvecht}/match",
            json={"volunteer_id": "someone"},
            headers=headers,
        )
        assert own.status_code == 200
        assert world.matched == [(in_overvecht, "someone")]


async def test_a_coordinator_view_of_a_request_goes_to_the_audit_log(
    running_gateway: RunningGateway,
) -> None:
    async with running_gateway.client() as client:
        headers = await coordinator_of_overvecht(running_gateway, client)
        resident = await running_gateway.register(client, "riet@example.nl")
        request_id = running_gateway.world.add_request(resident, OVERVECHT)
        seen = await client.get(f"/api/v1/requests/{request_id}", headers=headers)
        assert seen.status_code == 200
        assert seen.json()["description"] == "Boodschappen"
        audit = await client.get("/api/v1/coordinator/audit", headers=headers)
        assert audit.status_code == 200
        assert [(e["action"], e["subject_id"]) for e in audit.json()] == [
            ("request.view", request_id)
        ]
        resident_headers = await running_gateway.bearer(client, "riet@example.nl")
        refused = await client.get("/api/v1/coordinator/audit", headers=resident_headers)
        assert refused.status_code == 403
    entries = await running_gateway.gateway.store.audit_entries()
    assert [(e.action, e.subject_id) for e in entries] == [("request.view", request_id)]


async def test_the_event_stream_tells_the_requester_their_request_is_matched(
    running_gateway: RunningGateway,
) -> None:
    world = running_gateway.world
    async with running_gateway.client() as client:
        resident = await running_gateway.register(client, "live@example.nl")
        headers = await running_gateway.bearer(client, "live@example.nl")
        mine = world.add_request(resident, OVERVECHT, state="proposed")
        other = world.add_request("someone-else", OVERVECHT, state="proposed")
        nats = NatsClient()
        await nats.connect(running_gateway.nats_url)
        try:
            async with client.stream("GET", "/api/v1/events", headers=headers) as stream:
                assert stream.headers["content-type"].startswith("text/event-stream")
                events = sse_events(stream.aiter_lines())
                assert (await anext(events))[0] == "ready"
                for request_id, requester in ((other, "someone-else"), (mine, resident)):
                    event = envelope(
                        RequestMatched(
                            request_id=request_id, requester_id=requester, volunteer_id="v1"
                        ),
                        source="matching",
                        area=AreaRef.from_code(OVERVECHT),
                    )
                    await nats.publish(event.subject, event.model_dump_json().encode())
                name, data = await asyncio.wait_for(anext(events), 10)
        finally:
            await nats.close()
    assert name == "request"
    received = [json.loads(data)]
    assert received == [
        {
            "type": "request.matched",
            "event_id": received[0]["event_id"],
            "request_id": mine,
            "state": "matched",
        }
    ]


async def test_only_volunteers_see_proposals(running_gateway: RunningGateway) -> None:
    async with running_gateway.client() as client:
        await running_gateway.register(client, "not-a-volunteer@example.nl")
        headers = await running_gateway.bearer(client, "not-a-volunteer@example.nl")
        response = await client.get("/api/v1/volunteers/me/proposals", headers=headers)
    assert response.status_code == 403
    assert response.headers["content-type"] == PROBLEM


async def test_a_coordinator_board_stream_carries_requests_of_their_areas_only(
    running_gateway: RunningGateway,
) -> None:
    async with running_gateway.client() as client:
        headers = await coordinator_of_overvecht(running_gateway, client)
        nats = NatsClient()
        await nats.connect(running_gateway.nats_url)
        try:
            async with client.stream("GET", "/api/v1/events", headers=headers) as stream:
                events = sse_events(stream.aiter_lines())
                assert (await anext(events))[0] == "ready"
                for request_id, code in (("in-oost", OOST), ("in-overvecht", OVERVECHT)):
                    event = envelope(
                        RequestEscalated(
                            request_id=request_id, cooperative_id=None, reason="no_candidates"
                        ),
                        source="matching",
                        area=AreaRef.from_code(code),
                    )
                    await nats.publish(event.subject, event.model_dump_json().encode())
                name, data = await asyncio.wait_for(anext(events), 10)
        finally:
            await nats.close()
    assert name == "board"
    assert json.loads(data)["request_id"] == "in-overvecht"


@pytest.mark.parametrize(
    ("method", "path", "payload"),
    [
        ("post", "/api/v1/auth/register", {"name": "A\u0000", "email": "a@b.nl"}),
        ("post", "/api/v1/auth/login", {"email": "x\u0000@b.nl", "password": "p"}),
        ("get", "/api/v1/directory?q=%00", None),
        ("get", "/api/v1/requests/%00", None),
    ],
)
async def test_control_characters_are_bad_input_not_a_server_error(
    running_gateway: RunningGateway, method: str, path: str, payload: object
) -> None:
    async with running_gateway.client() as client:
        response = await client.request(method, path, json=payload)
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
