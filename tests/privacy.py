"""The privacy scan every test ends with: no event on `samen.evt.>` may carry a name, e-mail
address, phone number, postcode or street address."""

import re
from typing import Any

import nats
from nats.js.api import ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from pydantic import ValidationError

from shared.events import Envelope
from shared.subjects import EVENTS_STREAM

EMAIL = re.compile(r"[^@\s\"]+@[^@\s\"]+\.[a-z]{2,}", re.IGNORECASE)
PHONE = re.compile(r"(\+31|\b0)[1-9][\s-]?(\d[\s-]?){7,8}\b")
POSTCODE_PC6 = re.compile(r"\b[1-9]\d{3}\s?[A-Z]{2}\b")
STREET = re.compile(r"\b\w+(straat|laan|weg|plein|dreef|gracht|kade|singel)\s+\d+", re.IGNORECASE)
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}([T ][\d:.]+)?(Z|[+-]\d{2}:\d{2})?$")

# Names, streets and other personal words the tests use; tests add theirs with `personal()`.
PERSONAL_WORDS: set[str] = set()


def personal(*words: str) -> None:
    """Declare words a test used as personal data: no event may contain them."""
    PERSONAL_WORDS.update(w for w in words if w)


def data_strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in data_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in data_strings(v)]
    return [value] if isinstance(value, str) else []


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


async def leaks_in_stream(nats_url: str) -> list[str]:
    """Every event in the stream that looks like it carries personal data."""
    problems = []
    for subject, payload in await published_events(nats_url):
        try:
            envelope = Envelope.model_validate_json(payload)
        except ValidationError:
            continue  # tests of poison messages publish garbage on purpose
        if subject != envelope.subject:
            problems.append(f"{subject}: published on a subject other than its own")
        if leaks := personal_data_in(envelope.data):
            problems.append(f"{envelope.type}: {leaks}")
    return problems
