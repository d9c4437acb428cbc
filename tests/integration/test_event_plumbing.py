"""The outbox, the inbox and the dead-letter queue against a real nats-server and database."""

import asyncio
import itertools
import json
from collections.abc import AsyncIterator, Callable

import asyncpg
import nats
import pytest
from nats.aio.msg import Msg
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from samen.nats_server import NatsServer
from shared.consumer import DLQ_REASON, PoisonEvent
from shared.events import Envelope, EventData, envelope
from shared.outbox import OutboxRelay
from shared.service import ServiceRuntime
from shared.settings import Settings
from shared.streams import ConsumerSpec, provision
from shared.subjects import DLQ_STREAM, EVENTS_STREAM, PUBLISH_ACK_TIMEOUT_SECONDS, dlq_subject
from shared.uow import UnitOfWork
from tests.support import eventually, plumbing_runtime

pytestmark = pytest.mark.integration

TEST_EVENTS = "samen.evt.test.>"


class ThingHappened(EventData):
    TYPE = "test.happened"
    thing_id: str


def consumer_spec(durable: str, max_deliver: int = 3) -> ConsumerSpec:
    return ConsumerSpec(
        service="plumbing",
        durable=durable,
        filter_subjects=(TEST_EVENTS,),
        max_deliver=max_deliver,
        ack_wait_seconds=5,
    )


@pytest.fixture
async def runtime_factory(
    settings_for: Callable[[str], Settings],
) -> AsyncIterator[Callable[[], ServiceRuntime]]:
    started: list[ServiceRuntime] = []

    def make() -> ServiceRuntime:
        settings = settings_for("plumbing").model_copy(update={"retry_base_seconds": 0.05})
        runtime = plumbing_runtime(settings)
        started.append(runtime)
        return runtime

    yield make
    for runtime in started:
        await runtime.stop()


async def stream_messages(url: str, stream: str) -> int:
    nc = await nats.connect(url)
    try:
        info = await nc.jetstream().stream_info(stream)
        return int(info.state.messages)
    finally:
        await nc.close()


async def published_and_marked(runtime: ServiceRuntime, nats_url: str, count: int) -> None:
    """Until the stream holds `count` events and the relay marked its rows (after the acks)."""

    async def published() -> bool:
        return await stream_messages(nats_url, EVENTS_STREAM) == count

    async def marked() -> bool:
        return await runtime.relay.backlog() == 0

    await eventually(published, timeout=10, message="not every event was published")
    await eventually(marked, message="the published rows were not marked")


async def test_event_written_while_nats_is_down_is_published_once_it_is_back(
    nats_server: NatsServer, runtime_factory: Callable[[], ServiceRuntime]
) -> None:
    runtime = runtime_factory()
    await runtime.start()
    nats_server.stop()

    async with runtime.uow() as uow:
        uow.emit(ThingHappened(thing_id="t-1"))
        await uow.commit()

    outbox = runtime.tables.outbox

    async def failed_attempts() -> int:
        async with runtime.sessions() as session:
            return int(await session.scalar(select(func.max(outbox.c.attempts))) or 0)

    await eventually(failed_attempts, message="the relay never tried to publish")
    assert await runtime.relay.backlog() == 1

    nats_server.start()

    async def drained() -> bool:
        return await runtime.relay.backlog() == 0

    await eventually(
        drained, timeout=20, message="the event was not published after NATS came back"
    )
    assert await stream_messages(nats_server.url, EVENTS_STREAM) == 1


async def test_connections_the_database_dropped_are_replaced_and_nothing_is_lost(
    nats_url: str, backend: str, runtime_factory: Callable[[], ServiceRuntime]
) -> None:
    """Connections are not pinged before use: when PostgreSQL drops them (a restart, a
    failover), an attempt fails, the pool is renewed and the work is done on the next try."""
    if backend != "postgresql":
        pytest.skip("only PostgreSQL connections can be dropped from the outside")
    runtime = runtime_factory()
    consumer = runtime.consume(
        {ThingHappened.TYPE: lambda event, uow: asyncio.sleep(0)},
        spec=consumer_spec("test-dropped"),
    )
    await runtime.start()
    async with runtime.uow() as uow:  # fill the pool
        uow.emit(ThingHappened(thing_id="before"))
        await uow.commit()
    await eventually(lambda: _true(consumer.handled >= 1), message="first event not handled")

    database = runtime.engine.url.database
    admin = await asyncpg.connect(
        runtime.engine.url.set(drivername="postgresql", database="postgres").render_as_string(
            hide_password=False
        )
    )
    try:
        dropped = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()",
            database,
        )
    finally:
        await admin.close()
    assert dropped >= 1

    for attempt in range(3):  # what a caller does: try again
        try:
            async with runtime.uow() as uow:
                uow.emit(ThingHappened(thing_id="after"))
                await uow.commit()
            break
        except DBAPIError:
            assert attempt < 2
    await eventually(lambda: _true(consumer.handled >= 2), message="the new event was lost")

    async def marked() -> bool:  # published rows are marked together, a moment later
        return await runtime.relay.backlog() == 0

    await eventually(marked, message="the published rows were not marked")


async def _true(value: bool) -> bool:
    return value


async def test_events_another_process_wrote_are_published_too(
    nats_url: str, runtime_factory: Callable[[], ServiceRuntime]
) -> None:
    """The relay publishes what this process commits from memory; rows that reach the table
    any other way (an import run from the command line) are found by its periodic read."""
    runtime = runtime_factory()
    await runtime.start()
    async with runtime.uow() as uow:
        uow.emit(ThingHappened(thing_id="ours"))
        await uow.commit()
    # A unit of work that does not tell this relay what it committed.
    async with UnitOfWork(runtime.sessions, runtime.tables, source="import") as uow:
        uow.emit(ThingHappened(thing_id="theirs"))
        await uow.commit()

    await published_and_marked(runtime, nats_url, 2)


async def test_committed_events_are_published_in_commit_order(
    nats_url: str, runtime_factory: Callable[[], ServiceRuntime]
) -> None:
    runtime = runtime_factory()
    await runtime.start()
    for n in range(30):
        async with runtime.uow() as uow:
            uow.emit(ThingHappened(thing_id=f"t-{n:02d}"))
            uow.emit(ThingHappened(thing_id=f"t-{n:02d}-b"))
            await uow.commit()

    await published_and_marked(runtime, nats_url, 60)
    nc = await nats.connect(nats_url)
    try:
        sub = await nc.jetstream().subscribe(TEST_EVENTS, ordered_consumer=True)
        seen = [
            json.loads((await sub.next_msg(timeout=5)).data)["data"]["thing_id"] for _ in range(60)
        ]
    finally:
        await nc.close()
    assert seen == sorted(seen)


async def test_a_relay_reading_while_commits_hand_it_rows_publishes_each_event_once(
    nats_url: str, runtime_factory: Callable[[], ServiceRuntime]
) -> None:
    """Commits handing rows over while the relay keeps reading the table: each event goes out
    once (core NATS subscribers would see a second publish even though the stream drops it).
    The narrow case of a row committed between the relay clearing its list and its read is not
    forced here; it was found with the pipeline benchmark's duplicate count."""
    runtime = runtime_factory()
    await runtime.start()
    await runtime.relay.stop()
    nc = await nats.connect(nats_url)
    js = nc.jetstream()

    async def publish(subject: str, payload: bytes, event_id: str) -> None:
        await js.publish(subject, payload, stream=EVENTS_STREAM, headers={"Nats-Msg-Id": event_id})

    seen: list[str] = []

    async def on_event(msg: Msg) -> None:
        seen.append(json.loads(msg.data)["event_id"])

    await nc.subscribe(TEST_EVENTS, cb=on_event)
    relay = OutboxRelay(runtime.sessions, runtime.tables.outbox, publish, poll_interval=0.002)
    relay.start()
    try:
        for n in range(100):  # the relay reads the table all the while
            async with UnitOfWork(
                runtime.sessions, runtime.tables, source="test", after_commit=relay.committed
            ) as uow:
                uow.emit(ThingHappened(thing_id=f"t-{n}"))
                await uow.commit()
            await asyncio.sleep(0.001)

        async def all_seen() -> bool:
            return len(set(seen)) == 100 and await runtime.relay.backlog() == 0

        await eventually(all_seen, timeout=10, message="not every event was published")
        await asyncio.sleep(0.2)  # a second copy would arrive by now
        assert len(seen) == 100
    finally:
        await relay.stop()
        await nc.close()


async def test_a_relay_that_stops_marks_what_it_published(
    nats_url: str, runtime_factory: Callable[[], ServiceRuntime]
) -> None:
    runtime = runtime_factory()
    await runtime.start()
    async with runtime.uow() as uow:
        uow.emit(ThingHappened(thing_id="t-1"))
        await uow.commit()

    async def acknowledged() -> bool:  # the stream's ack is back: the relay knows
        return runtime.relay.published_total == 1

    await eventually(acknowledged, message="the event was not published")
    await runtime.relay.stop()  # before its marking delay ran out, most likely
    assert await runtime.relay.backlog() == 0
    assert await stream_messages(nats_url, EVENTS_STREAM) == 1


async def test_the_relay_publishes_each_event_once_even_when_asked_twice(
    nats_url: str, runtime_factory: Callable[[], ServiceRuntime]
) -> None:
    runtime = runtime_factory()
    await runtime.start()
    await runtime.relay.stop()  # drive the relay by hand
    async with runtime.uow() as uow:
        for n in range(3):
            uow.emit(ThingHappened(thing_id=f"t-{n}"))
        await uow.commit()
    assert await runtime.relay.publish_pending() == 3
    # A relay that crashed before marking rows publishes them again: JetStream drops them.
    outbox = runtime.tables.outbox
    async with runtime.sessions() as session, session.begin():
        await session.execute(outbox.update().values(published_at=None))
    assert await runtime.relay.publish_pending() == 3
    assert await stream_messages(nats_url, EVENTS_STREAM) == 3


async def test_the_same_event_delivered_twice_is_handled_once(
    nats_url: str, runtime_factory: Callable[[], ServiceRuntime]
) -> None:
    runtime = runtime_factory()
    handled: list[str] = []

    async def on_thing(event: Envelope, uow: UnitOfWork) -> None:
        handled.append(event.event_id)

    runtime.consume({ThingHappened.TYPE: on_thing}, spec=consumer_spec("test-dupes"))
    await runtime.start()

    event = envelope(ThingHappened(thing_id="t-1"), source="test")
    for copy in range(2):  # two copies in the stream (different message ids, same event)
        await runtime.broker.publish(
            event.model_dump_json().encode(),
            event.subject,
            stream=EVENTS_STREAM,
            timeout=PUBLISH_ACK_TIMEOUT_SECONDS,
            headers={"Nats-Msg-Id": f"{event.event_id}-{copy}"},
        )

    async def both_acked() -> bool:
        consumer = runtime.consumers[0]
        return consumer.handled >= 1 and await _pending(runtime, "test-dupes") == 0

    await eventually(both_acked, message="the consumer did not get through both copies")
    assert handled == [event.event_id]
    inbox = runtime.tables.inbox
    async with runtime.sessions() as session:
        rows = await session.scalar(select(func.count()).select_from(inbox))
    assert rows == 1


async def _pending(runtime: ServiceRuntime, durable: str) -> int:
    js = runtime.broker.connection.jetstream()
    info = await js.consumer_info(EVENTS_STREAM, durable)
    return int(info.num_pending + info.num_ack_pending)


async def test_poison_messages_go_to_the_dead_letter_queue_and_the_consumer_goes_on(
    nats_url: str, runtime_factory: Callable[[], ServiceRuntime]
) -> None:
    runtime = runtime_factory()
    handled: list[str] = []
    attempts: dict[str, int] = {}

    async def on_thing(event: Envelope, uow: UnitOfWork) -> None:
        thing = event.payload(ThingHappened).thing_id
        attempts[thing] = attempts.get(thing, 0) + 1
        if thing == "poison":
            raise PoisonEvent("this thing can never be handled")
        if thing == "flaky-forever":
            raise RuntimeError("the database is on fire")
        if thing == "flaky-once" and attempts[thing] == 1:
            raise RuntimeError("a passing hiccup")
        handled.append(thing)

    runtime.consume({ThingHappened.TYPE: on_thing}, spec=consumer_spec("test-poison"))
    await runtime.start()
    js = runtime.broker.connection.jetstream()
    await js.publish("samen.evt.test.happened._._._", b"this is not json", stream=EVENTS_STREAM)
    for thing in ("poison", "flaky-forever", "flaky-once", "fine"):
        event = envelope(ThingHappened(thing_id=thing), source="test")
        await js.publish(event.subject, event.model_dump_json().encode(), stream=EVENTS_STREAM)

    async def all_settled() -> bool:
        return "fine" in handled and "flaky-once" in handled and await _dlq_count(nats_url) == 3

    await eventually(all_settled, timeout=20, message="not every message was settled")
    assert attempts["flaky-forever"] == 3  # max_deliver of the consumer
    assert attempts["poison"] == 1

    nc = await nats.connect(nats_url)
    try:
        sub = await nc.jetstream().pull_subscribe(dlq_subject("plumbing"), stream=DLQ_STREAM)
        messages = await sub.fetch(3, timeout=5)
        reasons = sorted(m.headers[DLQ_REASON].split(":")[0] for m in messages if m.headers)
        bodies = [m.data for m in messages]
    finally:
        await nc.close()
    assert reasons == ["PoisonEvent", "failed 3 times", "unreadable envelope"]
    assert b"this is not json" in bodies
    assert any(json.loads(b)["data"]["thing_id"] == "poison" for b in bodies if b.startswith(b"{"))


async def test_a_fetched_batch_commits_together_and_a_failure_stays_with_its_event(
    nats_url: str, runtime_factory: Callable[[], ServiceRuntime]
) -> None:
    """Events waiting when the consumer starts come as one batch: they are committed in a few
    transactions, not one each; the failing one is retried alone and the others count once."""
    runtime = runtime_factory()
    calls: dict[str, int] = {}
    transaction_of: dict[str, int] = {}  # the transaction each event was last handled in
    tags = itertools.count()

    async def on_thing(event: Envelope, uow: UnitOfWork) -> None:
        thing = event.payload(ThingHappened).thing_id
        if thing.startswith("seen-"):
            return  # what this handler announced itself
        calls[thing] = calls.get(thing, 0) + 1
        if thing == "t-10" and calls[thing] == 1:
            raise RuntimeError("a passing hiccup")
        uow.emit(ThingHappened(thing_id=f"seen-{thing}"))  # kept only if its event commits
        transaction_of[thing] = uow.__dict__.setdefault("test_tag", next(tags))

    consumer = runtime.consume({ThingHappened.TYPE: on_thing}, spec=consumer_spec("test-batch"))
    nc = await nats.connect(nats_url)
    await provision(nc.jetstream(), consumers=())
    things = [f"t-{n}" for n in range(40)]
    for thing in things:
        published = envelope(ThingHappened(thing_id=thing), source="test")
        await nc.jetstream().publish(
            published.subject, published.model_dump_json().encode(), stream=EVENTS_STREAM
        )
    await nc.close()
    await runtime.start()
    outbox = runtime.tables.outbox

    async def announced() -> list[str]:
        async with runtime.sessions() as session:
            payloads = (await session.execute(select(outbox.c.payload))).scalars().all()
        return sorted(json.loads(p)["data"]["thing_id"] for p in payloads)

    async def all_announced() -> bool:
        return len(await announced()) >= len(things)

    async def caught_up() -> bool:  # the announcements come back to the consumer too
        return consumer.handled >= 2 * len(things)

    await eventually(all_announced, message="not every event was handled")
    await eventually(caught_up, message="the announcements were not consumed")
    assert await announced() == sorted(f"seen-{thing}" for thing in things)  # each once
    assert calls["t-10"] == 2  # once per delivery: the failure, then its retry
    # Ideally three: the events before the failure again together, those after it together, the
    # retry alone; a busy machine may cut a fetch short, but never down to one event each.
    assert len(set(transaction_of.values())) <= len(things) // 4, transaction_of


async def _dlq_count(url: str) -> int:
    return await stream_messages(url, DLQ_STREAM)


async def test_a_stopping_consumer_finishes_and_acks_the_batch_in_hand(
    nats_url: str, runtime_factory: Callable[[], ServiceRuntime]
) -> None:
    """A service that stops (a deploy) while handling events commits and acks them first:
    nothing is left for a replica to handle again after ack_wait."""
    runtime = runtime_factory()
    started, release = asyncio.Event(), asyncio.Event()
    handled: list[str] = []

    async def on_thing(event: Envelope, uow: UnitOfWork) -> None:
        started.set()
        await release.wait()
        handled.append(event.payload(ThingHappened).thing_id)

    consumer = runtime.consume({ThingHappened.TYPE: on_thing}, spec=consumer_spec("test-stop"))
    await runtime.start()
    event = envelope(ThingHappened(thing_id="in-hand"), source="test")
    js = runtime.broker.connection.jetstream()
    await js.publish(event.subject, event.model_dump_json().encode(), stream=EVENTS_STREAM)
    await asyncio.wait_for(started.wait(), timeout=10)

    stopping = asyncio.create_task(consumer.stop())
    await asyncio.sleep(0)  # the stop has begun: pulling is over, the handler still runs
    release.set()
    await asyncio.wait_for(stopping, timeout=10)
    assert handled == ["in-hand"]
    assert consumer.handled == 1
    assert await _pending(runtime, "test-stop") == 0
