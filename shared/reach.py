"""Whether the NATS server a command needs answers at all, found out within seconds.

A service keeps retrying NATS, since it must outlive a restart of the server; a command someone
typed must not: with a wrong `NATS_URL` it sat silent for minutes before giving up. So a command
asks first: a NATS server greets every new connection with its `INFO` line, and when none of
the servers does within the deadline the command stops with one line saying where it looked.
"""

import asyncio
import contextlib
from collections.abc import Sequence
from urllib.parse import urlsplit

NATS_PORT = 4222
SECONDS_TO_ANSWER = 2.0


class Unreachable(Exception):
    """A server the command needs does not answer; the message says which and where (never a
    password)."""


def _host_and_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url if "://" in url else f"nats://{url}")
    return parts.hostname or "127.0.0.1", parts.port or NATS_PORT


def _shown(url: str) -> str:
    """The URL without user and password, as it may be printed."""
    host, port = _host_and_port(url)
    scheme = url.split("://", 1)[0] if "://" in url else "nats"
    return f"{scheme}://{host}:{port}"


async def _greets(url: str) -> None:
    host, port = _host_and_port(url)
    reader, writer = await asyncio.open_connection(host, port)
    try:
        first = await reader.readline()
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    if not first.startswith(b"INFO "):
        raise ConnectionError("something answers there, but not a NATS server")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return f"no answer within {SECONDS_TO_ANSWER:g} s"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


async def expect_nats(servers: Sequence[str], *, timeout: float = SECONDS_TO_ANSWER) -> None:
    """Return when one of the NATS `servers` greets us within `timeout` seconds; raise
    Unreachable otherwise."""

    async def one(url: str) -> BaseException | None:
        try:
            await asyncio.wait_for(_greets(url), timeout)
        except (OSError, TimeoutError, ValueError, UnicodeError) as exc:
            return exc
        return None

    failures = await asyncio.gather(*(one(url) for url in servers))
    if servers and any(failure is None for failure in failures):
        return
    where = ", ".join(
        f"{_shown(url)} ({_reason(exc)})" for url, exc in zip(servers, failures, strict=True) if exc
    )
    raise Unreachable(
        f"NATS does not answer at {where or 'no address (NATS_URL is empty)'}: "
        "is `samen up` running, or is NATS_URL right?"
    )
