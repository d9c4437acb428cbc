"""The gateway's caches, on a real nats-server and a real database: a session ends at once in
the process that ended it, a request is read anew once an event or a command says it changed,
and every check of who may see a request still runs when the view comes from the cache."""

import httpx
import pytest
from nats.aio.client import Client as NatsClient

from services.gateway.config import GatewaySettings
from services.gateway.security import SESSION_COOKIE
from shared.areas import AreaRef
from shared.events import EventData, RequestCancelled, envelope
from tests.integration.gateway.conftest import RunningGateway
from tests.integration.gateway.fakes import OOST, OVERVECHT
from tests.support import eventually

pytestmark = pytest.mark.integration


@pytest.fixture
def gateway_options() -> GatewaySettings:
    # Lifetimes far longer than any test: whatever changes here, the cache was told.
    return GatewaySettings(
        login_attempts=3,
        register_attempts=50,
        cookie_secure=False,
        demo=False,
        session_cache_seconds=600,
        request_cache_seconds=600,
    )


async def publish(nats_url: str, data: EventData, area_code: str) -> None:
    event = envelope(data, source="matching", area=AreaRef.from_code(area_code))
    nats = NatsClient()
    await nats.connect(nats_url)
    try:
        await nats.publish(event.subject, event.model_dump_json().encode())
        await nats.flush()
    finally:
        await nats.close()


async def state_of(client: httpx.AsyncClient, request_id: str, headers: dict[str, str]) -> str:
    response = await client.get(f"/api/v1/requests/{request_id}", headers=headers)
    assert response.status_code == 200, response.text
    return str(response.json()["state"])


async def test_a_request_is_read_anew_once_its_event_arrives(
    running_gateway: RunningGateway,
) -> None:
    world = running_gateway.world
    async with running_gateway.client() as client:
        anna = await running_gateway.register(client, "anna@example.nl")
        headers = await running_gateway.bearer(client, "anna@example.nl")
        request_id = world.add_request(anna, OVERVECHT, state="open")
        assert await state_of(client, request_id, headers) == "open"

        # Matching changes the request; until its event arrives the gateway keeps its view.
        world.requests[request_id] = world.requests[request_id].model_copy(
            update={"state": "cancelled", "cancelled_by": anna}
        )
        assert await state_of(client, request_id, headers) == "open"
        assert world.request_reads.count(request_id) == 1

        await publish(
            running_gateway.nats_url,
            RequestCancelled(request_id=request_id, cancelled_by=anna),
            OVERVECHT,
        )

        async def cancelled() -> bool:
            return await state_of(client, request_id, headers) == "cancelled"

        await eventually(cancelled, message="the request's event did not drop the kept view")


async def test_a_command_sent_through_the_gateway_drops_the_request_at_once(
    running_gateway: RunningGateway,
) -> None:
    world = running_gateway.world
    async with running_gateway.client() as client:
        coordinator = await coordinator_of_overvecht(running_gateway, client)
        resident = await running_gateway.register(client, "riet@example.nl")
        volunteer = await running_gateway.register(client, "vera@example.nl")
        request_id = world.add_request(resident, OVERVECHT)
        assert await state_of(client, request_id, coordinator) == "escalated"

        matched = await client.post(
            f"/api/v1/coordinator/requests/{request_id}/match",
            json={"volunteer_id": volunteer},
            headers=coordinator,
        )
        assert matched.status_code == 200, matched.text
        assert await state_of(client, request_id, coordinator) == "matched"


async def test_logging_out_ends_that_session_at_once_and_no_other(
    running_gateway: RunningGateway,
) -> None:
    async with running_gateway.client() as client:
        await running_gateway.register(client, "bert@example.nl")
        bearer = await running_gateway.bearer(client, "bert@example.nl")  # and a cookie session
        cookie = {SESSION_COOKIE: client.cookies[SESSION_COOKIE]}
        assert (await client.get("/api/v1/me", headers=bearer)).status_code == 200

        out = await client.post("/api/v1/auth/logout", headers=bearer)
        assert out.status_code == 204

        assert (await client.get("/api/v1/me", headers=bearer)).status_code == 401
    async with running_gateway.client(cookies=cookie) as browser:
        assert (await browser.get("/api/v1/me")).status_code == 200  # the cookie session lives


async def test_new_roles_reach_the_members_other_sessions_at_once(
    running_gateway: RunningGateway,
) -> None:
    async with running_gateway.client() as client:
        member_id = await running_gateway.register(client, "fatima@example.nl")
        first = await running_gateway.bearer(client, "fatima@example.nl")
        board = "/api/v1/coordinator/requests"
        assert (await client.get(board, headers=first)).status_code == 403

        running_gateway.world.make_coordinator(member_id, "overvecht")
        await running_gateway.bearer(client, "fatima@example.nl")  # sign-in takes the new roles

        assert (await client.get(board, headers=first)).status_code == 200


async def test_who_may_see_a_request_is_checked_on_every_read_from_the_cache(
    running_gateway: RunningGateway,
) -> None:
    world = running_gateway.world
    async with running_gateway.client() as client:
        anna = await running_gateway.register(client, "anna@example.nl")
        anna_headers = await running_gateway.bearer(client, "anna@example.nl")
        await running_gateway.register(client, "bert@example.nl")
        bert_headers = await running_gateway.bearer(client, "bert@example.nl")
        coordinator = await coordinator_of_overvecht(running_gateway, client)
        in_overvecht = world.add_request(anna, OVERVECHT, state="open")
        in_oost = world.add_request(anna, OOST, state="open")

        for _ in range(2):  # the second round is answered from the cache
            assert await state_of(client, in_overvecht, anna_headers) == "open"
            bert = await client.get(f"/api/v1/requests/{in_overvecht}", headers=bert_headers)
            assert bert.status_code == 404
            outside = await client.get(f"/api/v1/requests/{in_oost}", headers=coordinator)
            assert outside.status_code == 403
            assert await state_of(client, in_overvecht, coordinator) == "open"
        first_round_reads = len(world.request_reads)
        assert await state_of(client, in_overvecht, anna_headers) == "open"
        assert len(world.request_reads) == first_round_reads

        # Every look, from the cache or not, is in the audit log.
        entries = await running_gateway.gateway.store.audit_entries()
        assert [(e.action, e.subject_id) for e in entries] == [("request.view", in_overvecht)] * 2

        # A coordinator who no longer coordinates is refused, though the view is still kept.
        fatima = next(m for m in world.members.values() if m.email == "fatima@example.nl")
        world.cooperatives["overvecht"].coordinator_ids.remove(fatima.member_id)
        gone = await client.get(f"/api/v1/requests/{in_overvecht}", headers=coordinator)
        assert gone.status_code == 403


async def coordinator_of_overvecht(
    running: RunningGateway, client: httpx.AsyncClient
) -> dict[str, str]:
    member_id = await running.register(client, "fatima@example.nl")
    running.world.make_coordinator(member_id, "overvecht")
    return await running.bearer(client, "fatima@example.nl")  # roles are refreshed at sign-in
