"""Streams and durable consumers, declared by one function so every process (services, tests,
`samen provision`, deploy jobs) declares them identically.

JetStream keeps the settings of whoever declared last, so nobody else declares them.
"""

from dataclasses import dataclass, field

from nats.js import JetStreamContext
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)
from nats.js.errors import BadRequestError

from shared.subjects import ALL_DLQ, ALL_EVENTS, DLQ_STREAM, EVENTS_STREAM

DUPLICATE_WINDOW_SECONDS = 120.0


@dataclass(frozen=True)
class ConsumerSpec:
    """One durable pull consumer of SAMEN_EVENTS. Replicas of a service share it."""

    service: str
    durable: str
    filter_subjects: tuple[str, ...]
    max_deliver: int = 6
    ack_wait_seconds: float = 30.0
    max_ack_pending: int = 1000
    description: str = ""


@dataclass(frozen=True)
class StreamSpec:
    name: str
    subjects: tuple[str, ...]
    description: str
    max_age_days: float | None = None
    extra: dict[str, object] = field(default_factory=dict)


STREAMS: tuple[StreamSpec, ...] = (
    StreamSpec(EVENTS_STREAM, (ALL_EVENTS,), "Samen domain events (public contract)"),
    StreamSpec(DLQ_STREAM, (ALL_DLQ,), "Events a consumer could not handle, with the reason", 30),
)

# Every durable consumer of every service, in one catalogue.
CONSUMERS: tuple[ConsumerSpec, ...] = (
    ConsumerSpec(
        service="matching",
        durable="matching",
        filter_subjects=(
            "samen.evt.member.>",
            "samen.evt.volunteer.>",
            "samen.evt.cooperative.>",
        ),
        description="volunteer read model and cooperative policies",
    ),
    ConsumerSpec(
        service="notify",
        durable="notify",
        filter_subjects=(
            "samen.evt.member.>",
            "samen.evt.match.>",
            "samen.evt.request.>",
            "samen.evt.volunteer.certificate_expiring.>",
        ),
        description="messages to members",
    ),
)


def consumers_of(service: str) -> tuple[ConsumerSpec, ...]:
    return tuple(c for c in CONSUMERS if c.service == service)


def consumer_config(spec: ConsumerSpec) -> ConsumerConfig:
    return ConsumerConfig(
        durable_name=spec.durable,
        description=spec.description or None,
        deliver_policy=DeliverPolicy.ALL,
        ack_policy=AckPolicy.EXPLICIT,
        ack_wait=spec.ack_wait_seconds,
        max_deliver=spec.max_deliver,
        max_ack_pending=spec.max_ack_pending,
        filter_subjects=list(spec.filter_subjects),
    )


def stream_config(spec: StreamSpec, *, replicas: int = 1) -> StreamConfig:
    return StreamConfig(
        name=spec.name,
        description=spec.description,
        subjects=list(spec.subjects),
        storage=StorageType.FILE,
        retention=RetentionPolicy.LIMITS,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
        num_replicas=replicas,
        max_age=spec.max_age_days * 86400 if spec.max_age_days else None,
    )


async def provision(
    js: JetStreamContext,
    *,
    consumers: tuple[ConsumerSpec, ...] = CONSUMERS,
    replicas: int = 1,
) -> None:
    """Create or update the streams and the given durable consumers."""
    for spec in STREAMS:
        config = stream_config(spec, replicas=replicas)
        try:
            await js.add_stream(config)
        except BadRequestError:
            await js.update_stream(config)  # exists with other settings: bring it in line
    for consumer in consumers:
        await js.add_consumer(EVENTS_STREAM, consumer_config(consumer))
