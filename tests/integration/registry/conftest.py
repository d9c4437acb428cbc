"""The registry against a real nats-server and a real database (SQLite, and PostgreSQL when
SAMEN_TEST_POSTGRES_URL is set).

Every test here ends with a scan of every event the registry published on `samen.evt.>`:
none may carry a name, e-mail address, phone number, postcode or street address.
"""

import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import nats
import pytest
from nats.js.api import ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from services.registry.bootstrap import RegistryRuntime, build
from shared.events import Envelope
from shared.settings import Settings
from shared.subjects import EVENTS_STREAM
from tests.support import eventually

pytestmark = pytest.mark.integration

EMAIL = re.compile(r"[^@\s\"]+@[^@\s\"]+\.[a-z]{2,}", re.IGNORECASE)
PHONE = re.compile(r"(\+31|\b0)[1-9][\s-]?(\d[\s-]?){7,8}\b")
POSTCODE_PC6 = re.compile(r"\b[1-9]\d{3}\s?[A-Z]{2}\b")
STREET = re.compile(r"\b\w+(straat|laan|weg|plein|dreef|gracht|kade|singel)\s+\d+", re.IGNORECASE)

# Names, streets and other personal words the tests use; tests add theirs with `personal()`.
PERSONAL_WORDS: set[str] = set()


def personal(*words: str) -> None:
    """Declare words a test used as personal data: no event may contain them."""
    PERSONAL_WORDS.update(w for w in words if w)


async def published_events(nats_url: str) -> list[tuple[str, bytes]]:
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        try:
            info = await js.stream_info(EVENTS_STREAM)
        except NotFoundError:
            return []
        if info.state.messages == 0:
            return []
        sub = await js.pull_subscribe(
            "samen.evt.>",
            durable=None,
            stream=EVENTS_STREAM,
            config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL),
        )
        messages: list[tuple[str, bytes]] = []
        while len(messages) < info.state.messages:
            batch = await sub.fetch(min(500, info.state.messages - len(messages)), timeout=5)
            for msg in batch:
                messages.append((msg.subject, msg.data))
                await msg.ack()
        await sub.unsubscribe()
        return messages
    finally:
        await nc.close()


UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}([T ][\d:.]+)?(Z|[+-]\d{2}:\d{2})?$")


def personal_data_in(data: dict[str, Any]) -> list[str]:
    """What looks like personal data in one event's data (empty: clean). Ids and times are
    skipped, every other string value is scanned."""
    values = [v for v in data_strings(data) if not UUID.match(v) and not TIMESTAMP.match(v)]
    text = "\n".join(values)
    found = [
        m.group(0)
        for pattern in (EMAIL, PHONE, POSTCODE_PC6, STREET)
        for m in pattern.finditer(text)
    ]
    lowered = text.lower()
    found += [w for w in PERSONAL_WORDS if w.lower() in lowered]
    return found


def data_strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in data_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in data_strings(v)]
    return [value] if isinstance(value, str) else []


@pytest.fixture(autouse=True)
async def no_personal_data_in_events(nats_url: str) -> AsyncIterator[None]:
    PERSONAL_WORDS.clear()
    yield
    events = await published_events(nats_url)
    problems = []
    for subject, payload in events:
        envelope = Envelope.model_validate_json(payload)
        assert subject == envelope.subject
        leaks = personal_data_in(envelope.data)
        if leaks:
            problems.append(f"{envelope.type}: {leaks}")
    assert not problems, f"personal data in events: {problems}"


@pytest.fixture
async def registry(settings_for: Callable[[str], Settings]) -> AsyncIterator[RegistryRuntime]:
    runtime = build(settings_for("registry"))
    await runtime.start()
    yield runtime
    await runtime.stop()


async def events_of(nats_url: str, event_type: str, count: int = 1) -> list[Envelope]:
    """Wait until at least `count` events of a type are in the stream; return them all."""

    async def probe() -> list[Envelope]:
        found = [Envelope.model_validate_json(data) for _, data in await published_events(nats_url)]
        matching = [e for e in found if e.type == event_type]
        return matching if len(matching) >= count else []

    return await eventually(probe, timeout=15, message=f"{count} × {event_type} not published")
