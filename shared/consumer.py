"""Event consumers with the defaults every service keeps.

- explicit acks; an event already in the inbox is acked and skipped;
- the events of one fetched batch are handled in stream order in one transaction (one commit
  per batch, not per event); when one of them fails, the transaction is rolled back, the events
  before it are committed again without it and it is settled on its own (the failing handler
  runs once per delivery), then the rest go on;
- a transient error NAKs with exponential backoff, up to the consumer's `max_deliver`;
- a poison message (unreadable, invalid, or still failing at the last delivery) is copied to
  `samen.dlq.<service>` with the reason and terminated, and the consumer goes on.

The pull loop is this module's own, on nats-py: FastStream's batch subscriber waits its whole
time-out for a batch to fill (so a lone event waited that long at every hop) and has no public
way to take what is waiting at once. FastStream still carries the request/reply verbs and the
publishing of dead letters.
"""

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from faststream.nats import NatsBroker
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import ConnectionClosedError
from nats.js import JetStreamContext
from nats.js.errors import ServiceUnavailableError
from pydantic import ValidationError

from shared import metrics
from shared.errors import Invalid
from shared.events import Envelope
from shared.logging import correlation, get_logger
from shared.streams import ConsumerSpec
from shared.subjects import DLQ_STREAM, EVENTS_STREAM, PUBLISH_ACK_TIMEOUT_SECONDS, dlq_subject
from shared.tracing import SpanKind, span
from shared.uow import UnitOfWork

log = get_logger(__name__)

EventHandler = Callable[[Envelope, Any], Awaitable[None]]
"""handler(event, uow): does its work inside `uow`; the consumer commits."""
Delivery = tuple[Msg, Envelope]

BATCH_SIZE = 64
# A pull waits this long for a first event; an idle consumer asks the server once per period.
FIRST_EVENT_WAIT_SECONDS = 1.0
# Once one event is there, what else is already waiting is fetched with it (a batch); this is
# how long that second pull may take, and so all a lone event waits for company.
MORE_EVENTS_WAIT_SECONDS = 0.01
# On shutdown the batch in hand is finished (and acked) within this long, else cut off: its
# events come back after ack_wait.
STOP_GRACE_SECONDS = 5.0
DLQ_REASON = "Samen-Dlq-Reason"
DLQ_CONSUMER = "Samen-Dlq-Consumer"
DLQ_SUBJECT = "Samen-Dlq-Original-Subject"
DLQ_DELIVERIES = "Samen-Dlq-Deliveries"


class PoisonEvent(Exception):
    """Raised by a handler for an event it can never handle: it goes to the DLQ at once."""


def nak_delay(delivery: int, base: float) -> float:
    return float(min(60.0, base * 2 ** max(0, delivery - 1)))


class EventConsumer:
    def __init__(
        self,
        spec: ConsumerSpec,
        *,
        broker: NatsBroker,
        uow_factory: Callable[[], UnitOfWork],
        handlers: Mapping[str, EventHandler],
        retry_base_seconds: float = 1.0,
        reply_inbox: str = "_INBOX",
    ) -> None:
        self._reply_inbox = reply_inbox
        self.spec = spec
        self._broker = broker
        self._uow_factory = uow_factory
        self._handlers = dict(handlers)
        self._retry_base = retry_base_seconds
        # Events of one aggregate must be applied in stream order: the messages of a fetched
        # batch are handled one after the other, and one batch at a time (the lock).
        self._lock = asyncio.Lock()
        self._subscription: JetStreamContext.PullSubscription | None = None
        self._pulling: asyncio.Task[None] | None = None
        self._running = False
        self._idle = False  # waiting for a first event, with nothing in hand
        self.handled = 0
        self.failed = 0
        self.dead_lettered = 0

    async def start(self, connection: Client, *, js_prefix: str) -> None:
        """Bind to the durable consumer (provisioned beforehand, with its max_deliver and
        ack_wait) and start pulling."""
        if self._pulling is not None:
            return
        js = connection.jetstream(prefix=js_prefix)
        self._subscription = await js.pull_subscribe_bind(
            durable=self.spec.durable,
            stream=EVENTS_STREAM,
            inbox_prefix=f"{self._reply_inbox}.".encode(),
        )
        self._running = True
        self._pulling = asyncio.create_task(self._pull(), name=f"consume {self.spec.durable}")

    async def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """Stop pulling; the batch in hand is finished first (within `grace`). An idle consumer
        stops at once rather than wait out its pull."""
        self._running = False
        pulling, self._pulling = self._pulling, None
        if pulling is not None:
            if self._idle:
                # Nothing in hand: cancelling the pull loses nothing (an event the server sent
                # this very moment comes back after ack_wait, as a cut-off batch's does).
                pulling.cancel()
            _, pending = await asyncio.wait({pulling}, timeout=FIRST_EVENT_WAIT_SECONDS + grace)
            for task in pending:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        subscription, self._subscription = self._subscription, None
        if subscription is not None:
            with contextlib.suppress(Exception):  # the connection may be gone already
                await subscription.unsubscribe()

    async def _pull(self) -> None:
        """Wait for a first event only, then take whatever else is already waiting with it,
        and handle the batch; nats-py's fetch of many, once it has to wait, waits its whole
        time-out for the batch to fill."""
        assert self._subscription is not None, "start the consumer first"
        pull = self._subscription
        while self._running:
            self._idle = True  # until a first event is in hand
            try:
                messages = await pull.fetch(batch=1, timeout=FIRST_EVENT_WAIT_SECONDS)
            except TimeoutError:  # nats-py raises its own and the built-in: both are this
                continue
            except (ConnectionClosedError, ServiceUnavailableError):
                # Unacknowledged messages come back after ack_wait; try again shortly.
                await asyncio.sleep(FIRST_EVENT_WAIT_SECONDS)
                continue
            self._idle = False
            if BATCH_SIZE > 1:
                with contextlib.suppress(TimeoutError):
                    messages += await pull.fetch(
                        batch=BATCH_SIZE - 1, timeout=MORE_EVENTS_WAIT_SECONDS
                    )
            try:
                await self.on_batch(messages)
            except Exception as exc:  # NATS away while settling: what is unacked comes back
                log.warning(
                    "a batch of events could not be settled; it comes back after ack_wait",
                    consumer=self.spec.durable,
                    error=f"{type(exc).__name__}: {exc}",
                )
                await asyncio.sleep(FIRST_EVENT_WAIT_SECONDS)

    async def on_batch(self, messages: list[Msg]) -> None:
        async with self._lock:
            ready: list[Delivery] = []
            for raw in messages:
                event = await self._read(raw)
                if event is not None:
                    ready.append((raw, event))
            await self._handle_in_order(ready)

    async def _read(self, raw: Msg) -> Envelope | None:
        """The event, if this consumer has a handler for it; else it is dealt with here."""
        try:
            event = Envelope.model_validate_json(raw.data)
        except ValidationError as exc:
            delivery = raw.metadata.num_delivered if raw.metadata else 1
            await self._dead_letter(raw, f"unreadable envelope: {exc.errors()[0]['msg']}", delivery)
            return None
        if event.type not in self._handlers:
            await raw.ack()  # not an event this service cares about
            return None
        return event

    async def _handle_in_order(self, ready: list[Delivery]) -> None:
        """Commit as many events together as can be; a failing event is settled on its own
        (retry or dead letter) and the events around it are committed without it."""
        while ready:
            failure = await self._handle_together(ready)
            if failure is None:
                return
            index, error = failure
            if index is None:  # the commit failed: nothing is known of single events
                for raw, event in ready:
                    await self._handle_alone(raw, event)
                return
            log.info(
                "an event of a batch failed; the others are handled without it",
                consumer=self.spec.durable,
                event_id=ready[index][1].event_id,
            )
            await self._handle_in_order(ready[:index])  # these did not fail: again, together
            await self._settle_failure(*ready[index], error)
            ready = ready[index + 1 :]

    async def _handle_together(self, ready: list[Delivery]) -> tuple[int | None, Exception] | None:
        """Handle events in one transaction and ack them. On failure nothing is written, and
        the answer says which event failed and why (index None: the commit failed)."""
        durations: list[tuple[Envelope, float]] = []
        index: int | None = None
        try:
            async with self._uow_factory() as uow:
                new = await uow.first_seen(self.spec.durable, [e.event_id for _, e in ready])
                for position, (_, event) in enumerate(ready):
                    index = position  # which event failed, if one does
                    started = time.perf_counter()
                    if event.event_id not in new:
                        log.debug("duplicate event skipped", event_id=event.event_id)
                        continue
                    new.discard(event.event_id)  # the same event twice in one batch: once
                    with self._event_context(event):
                        uow.causation_id = event.event_id
                        await self._handlers[event.type](event, uow)
                    durations.append((event, time.perf_counter() - started))
                index = None
                await uow.commit()
        except Exception as exc:
            return index, exc
        for event, seconds in durations:
            self._count_handled(event.type, seconds)
            log.info(
                "event handled",
                consumer=self.spec.durable,
                event_type=event.type,
                event_id=event.event_id,
                correlation_id=event.correlation_id,
                ms=round(seconds * 1000, 1),
            )
        for raw, _ in ready:
            await raw.ack()
        return None

    async def _handle_alone(self, raw: Msg, event: Envelope) -> None:
        failure = await self._handle_together([(raw, event)])
        if failure is not None:
            await self._settle_failure(raw, event, failure[1])

    def _event_context(self, event: Envelope) -> contextlib.ExitStack:
        stack = contextlib.ExitStack()
        stack.enter_context(correlation(event.correlation_id))
        stack.enter_context(
            span(
                f"handle {event.type}",
                event.correlation_id,
                SpanKind.CONSUMER,
                consumer=self.spec.durable,
                event_id=event.event_id,
            )
        )
        return stack

    def _count_handled(self, event_type: str, seconds: float) -> None:
        self.handled += 1
        metrics.messages_handled.labels(self.spec.service, self.spec.durable, event_type).inc()
        metrics.handler_seconds.labels(self.spec.service, self.spec.durable).observe(seconds)

    async def _settle_failure(self, raw: Msg, event: Envelope, exc: Exception) -> None:
        """A poison event goes to the DLQ at once; any other failure is retried with backoff
        until `max_deliver`, then dead-lettered."""
        delivery = raw.metadata.num_delivered if raw.metadata else 1
        if isinstance(exc, (PoisonEvent, ValidationError, Invalid, KeyError, TypeError)):
            await self._dead_letter(raw, f"{type(exc).__name__}: {exc}", delivery, event)
            return
        self.failed += 1
        metrics.messages_failed.labels(self.spec.service, self.spec.durable, event.type).inc()
        if delivery >= self.spec.max_deliver:
            await self._dead_letter(
                raw, f"failed {delivery} times: {type(exc).__name__}: {exc}", delivery, event
            )
            return
        delay = nak_delay(delivery, self._retry_base)
        log.warning(
            "event handler failed, will retry",
            event_type=event.type,
            event_id=event.event_id,
            delivery=delivery,
            retry_in=delay,
            error=f"{type(exc).__name__}: {exc}",
        )
        await raw.nak(delay=delay)

    async def _dead_letter(
        self, raw: Msg, reason: str, delivery: int, event: Envelope | None = None
    ) -> None:
        event_id = event.event_id if event else f"seq-{raw.metadata.sequence.stream}"
        await self._broker.publish(
            raw.data,
            dlq_subject(self.spec.service),
            stream=DLQ_STREAM,
            timeout=PUBLISH_ACK_TIMEOUT_SECONDS,
            headers={
                "Nats-Msg-Id": f"{self.spec.durable}:{event_id}",
                DLQ_REASON: reason[:1000],
                DLQ_CONSUMER: self.spec.durable,
                DLQ_SUBJECT: raw.subject,
                DLQ_DELIVERIES: str(delivery),
            },
        )
        self.dead_lettered += 1
        metrics.dlq_messages.labels(self.spec.service, self.spec.durable).inc()
        log.error(
            "event moved to the dead-letter queue",
            consumer=self.spec.durable,
            event_id=event_id,
            reason=reason,
        )
        await raw.term()


def dlq_entry(headers: Mapping[str, str], data: bytes) -> dict[str, Any]:
    """A readable view of a DLQ message (for `samen dlq` and tests)."""
    try:
        body: Any = json.loads(data)
    except ValueError:
        body = data.decode(errors="replace")
    return {
        "reason": headers.get(DLQ_REASON),
        "consumer": headers.get(DLQ_CONSUMER),
        "subject": headers.get(DLQ_SUBJECT),
        "deliveries": headers.get(DLQ_DELIVERIES),
        "event": body,
    }
