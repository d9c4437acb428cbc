"""Helpers the tests share: real nats-server, fresh databases, polling with a deadline."""

import asyncio
import contextlib
import os
import secrets
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from sqlalchemy import MetaData
    from sqlalchemy.ext.asyncio import AsyncEngine

    from shared.errors import SamenError
    from shared.service import ServiceRuntime
    from shared.settings import Settings

T = TypeVar("T")

POSTGRES_URL_ENV = "SAMEN_TEST_POSTGRES_URL"
NATS_URL_ENV = "SAMEN_TEST_NATS_URL"
# The tests' secret key, new every run: long enough for production's rules, known to nobody.
TEST_SECRET_KEY = secrets.token_urlsafe(48)


async def eventually(
    probe: Callable[[], Awaitable[T | None]],
    *,
    timeout: float = 10.0,
    interval: float = 0.05,
    message: str = "condition not met",
) -> T:
    """Poll an async probe until it returns something truthy, or fail after `timeout`."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = await probe()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"{message} within {timeout} s (last value: {last!r})")


def wait_until(
    probe: Callable[[], T | None],
    *,
    timeout: float = 15.0,
    interval: float = 0.1,
    message: str = "",
) -> T:
    deadline = time.monotonic() + timeout
    last: T | None = None
    failure: Exception | None = None  # the probe's last error, to say why it never held
    while time.monotonic() < deadline:
        try:
            last = probe()
            if last:
                return last
        except Exception as exc:
            failure = exc
        time.sleep(interval)
    why = f"; the probe last raised {failure!r:.500}" if failure else ""
    raise AssertionError(
        f"{message or 'condition not met'} within {timeout} s (last: {last!r}){why}"
    )


def processes_with_env(name: str, value: str) -> list[int]:
    """Pids of live processes whose environment has NAME=VALUE (to prove nothing is left)."""
    wanted = f"{name}={value}".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            if wanted in (entry / "environ").read_bytes().split(b"\0"):
                status = (entry / "status").read_text()
                if "State:\tZ" not in status:
                    pids.append(int(entry.name))
    return pids


@contextlib.contextmanager
def env_vars(**values: str) -> Iterator[None]:
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def plumbing_runtime(settings: "Settings", name: str = "plumbing") -> "ServiceRuntime":
    """A service with nothing but the shared plumbing (outbox, inbox, health), for tests of
    the plumbing itself that must not depend on any real service's behaviour."""
    from sqlalchemy import MetaData

    from shared.service import ServiceRuntime, messaging_tables

    metadata = MetaData()
    return ServiceRuntime(
        name,
        metadata=metadata,
        tables=messaging_tables(metadata),
        migrations=None,
        settings=settings,
    )


@contextlib.asynccontextmanager
async def engine_with_tables(url: str, metadata: "MetaData") -> "AsyncIterator[AsyncEngine]":
    """An engine on `url` (shared.db's settings) with `metadata`'s tables created."""
    from shared.db import create_engine

    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    try:
        yield engine
    finally:
        await engine.dispose()


def metric_sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text format (0 when absent)."""
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def error_fields(exc: "SamenError") -> list[dict[str, Any]]:
    """The per-field errors a problem carries (`details["errors"]`), typed for the tests."""
    errors = exc.details.get("errors", [])
    assert isinstance(errors, list)
    return [e for e in errors if isinstance(e, dict)]
