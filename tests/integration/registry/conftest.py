"""The registry against a real nats-server and a real database (SQLite, and PostgreSQL when
SAMEN_TEST_POSTGRES_URL is set).

Like every test with a nats-server, each ends with a scan of every event published on
`samen.evt.>` (tests/privacy.py): none may carry a name, e-mail, phone number or address.
"""

from collections.abc import AsyncIterator, Callable

import pytest

from services.registry.bootstrap import RegistryRuntime, build
from shared.events import Envelope
from shared.settings import Settings
from tests.privacy import published_events
from tests.support import eventually

pytestmark = pytest.mark.integration


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
