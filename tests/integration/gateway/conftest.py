"""The gateway served by uvicorn on a free port, against fake services on a real nats-server."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
from faststream.nats import NatsBroker

from samen.nats_server import free_port
from services.gateway.bootstrap import Gateway
from services.gateway.config import GatewaySettings
from services.gateway.limits import server_config
from services.gateway.main import create_app
from shared.clock import Clock
from shared.settings import Settings
from tests.integration.gateway.fakes import FakeWorld
from tests.support import eventually

PASSWORD = "a good password"


@dataclass
class RunningGateway:
    url: str
    gateway: Gateway
    world: FakeWorld
    nats_url: str

    def client(self, **kwargs: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, timeout=10, **kwargs)

    async def register(
        self, client: httpx.AsyncClient, email: str, postcode: str = "3561 AB"
    ) -> str:
        response = await client.post(
            "/api/v1/auth/register",
            json={
                "name": "Test Person",
                "email": email,
                "password": PASSWORD,
                "postcode": postcode,
                "house_number": "1",
            },
        )
        assert response.status_code == 202, response.text
        # The answer is the same for a taken address, so it names no member: log in to know
        # (in a client of its own, so the caller's client stays signed out).
        async with self.client() as fresh:
            login = await fresh.post(
                "/api/v1/auth/login", json={"email": email, "password": PASSWORD}
            )
        assert login.status_code == 200, login.text
        return str(login.json()["member_id"])

    async def bearer(self, client: httpx.AsyncClient, email: str) -> dict[str, str]:
        response = await client.post(
            "/api/v1/auth/login", json={"email": email, "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
def gateway_options() -> GatewaySettings:
    return GatewaySettings(
        login_attempts=3,
        login_backoff_seconds=60,
        register_attempts=50,
        cookie_secure=False,
        demo=False,
    )


@pytest.fixture
def gateway_clock() -> Clock | None:
    """None: the system clock; a test that moves time overrides this with a FrozenClock."""
    return None


@pytest.fixture
def rpc_timeout() -> float:
    return float(Settings.model_fields["rpc_timeout"].default)


@pytest.fixture
async def running_gateway(
    settings_for: Callable[[str], Settings],
    nats_url: str,
    gateway_options: GatewaySettings,
    rpc_timeout: float,
    gateway_clock: Clock | None,
) -> AsyncIterator[RunningGateway]:
    world = FakeWorld()
    fakes = NatsBroker(nats_url)
    world.register(fakes)
    await fakes.start()
    settings = settings_for("gateway").model_copy(update={"rpc_timeout": rpc_timeout})
    gateway = Gateway(settings, gateway_settings=gateway_options, clock=gateway_clock)
    port = free_port()
    server = uvicorn.Server(
        server_config(
            create_app(gateway),
            host="127.0.0.1",
            port=port,
            gateway_settings=gateway_options,
            lifespan="on",
        )
    )
    task = asyncio.create_task(server.serve())

    async def started() -> bool:
        return server.started

    await eventually(started, timeout=20, message="the gateway did not start")
    try:
        yield RunningGateway(f"http://127.0.0.1:{port}", gateway, world, nats_url)
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 15)
        await fakes.stop()
