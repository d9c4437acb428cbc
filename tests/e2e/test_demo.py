"""`samen up --demo`: demo people can sign in, the coordinator sees the board, and seeding a
second time adds nothing."""

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from samen.stack import PostgresDatabases
from services.gateway.bootstrap import Gateway
from services.gateway.config import GatewaySettings
from services.gateway.demo import DEMO_PASSWORD, PEOPLE, demo_login_lines, seed
from shared.settings import Settings
from tests.conftest import ExternalNats, RunningSystem, start_nats, start_system, stop_system
from tests.support import TEST_SECRET_KEY, wait_until

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def demo_system(
    tmp_path_factory: pytest.TempPathFactory, postgres: PostgresDatabases | None
) -> Iterator[RunningSystem]:
    tmp = tmp_path_factory.mktemp("demo")
    nats = start_nats(tmp / "jetstream")
    system = start_system(tmp, nats.url, postgres, {"SAMEN_DEMO": "1"})
    yield system
    stop_system(system)
    if not isinstance(nats, ExternalNats):
        nats.stop()


def login(system: RunningSystem, email: str) -> dict[str, str]:
    response = httpx.post(
        f"{system.url}/api/v1/auth/login",
        json={"email": email, "password": DEMO_PASSWORD},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_demo_people_sign_in_and_the_coordinator_sees_the_board(demo_system: RunningSystem) -> None:
    def coordinator_ready() -> bool:
        headers = login(demo_system, "coordinator.overvecht@samen.demo")
        board = httpx.get(
            f"{demo_system.url}/api/v1/coordinator/requests", headers=headers, timeout=10
        )
        return board.status_code == 200

    wait_until(coordinator_ready, timeout=60, message="the demo coordinator was not seeded")
    for person in PEOPLE:
        login(demo_system, person.email)

    def resident_has_requests() -> bool:
        headers = login(demo_system, "resident@samen.demo")
        mine = httpx.get(f"{demo_system.url}/api/v1/requests", headers=headers, timeout=10)
        return len(mine.json()) == 2

    wait_until(resident_has_requests, timeout=30, message="the demo requests were not made")


async def test_seeding_again_adds_nothing(demo_system: RunningSystem) -> None:
    env = demo_system.env
    url = env.get("SAMEN_GATEWAY_DATABASE_URL") or (
        f"sqlite+aiosqlite:///{Path(env['SAMEN_DATA_DIR']) / 'gateway.db'}"
    )
    gateway = Gateway(
        Settings(
            nats_url=demo_system.nats_url,
            database_url=url,
            env="test",
            secret_key=TEST_SECRET_KEY,
        ),
        gateway_settings=GatewaySettings(demo=False),
    )
    await gateway.broker.start()
    try:
        before = await gateway.store.count_accounts()
        first = await seed(gateway)
        second = await seed(gateway)
        assert first == second
        assert await gateway.store.count_accounts() == before == len(PEOPLE)
        resident = first["resident@samen.demo"]
        assert len(await gateway.matching.mine(resident)) == 2
    finally:
        await gateway.broker.stop()
        await gateway.engine.dispose()


def test_samen_up_demo_prints_the_demo_logins() -> None:
    lines = demo_login_lines()
    assert any("coordinator.overvecht@samen.demo" in line for line in lines)
    assert any(DEMO_PASSWORD in line for line in lines)
    done = subprocess.run(
        [sys.executable, "-m", "samen", "up", "--help"], capture_output=True, text=True, check=True
    )
    assert "--demo" in done.stdout
