"""The runtime every service shares: connect, migrate, provision, relay, health, shutdown.

A service's `bootstrap.build()` creates a `ServiceRuntime`, registers its event handlers and
RPC verbs on it, and `python -m services.<name>` runs it.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from pathlib import Path
from typing import Any, TypeVar

from faststream import FastStream
from faststream.nats import NatsBroker
from faststream.nats.security import NatsUserPassword
from faststream.specification import AsyncAPI
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from sqlalchemy import MetaData, text

from shared import credentials, heap, metrics
from shared.areas import AreaRef
from shared.clock import Clock, SystemClock
from shared.consumer import EventConsumer, EventHandler
from shared.contracts.verbs import Empty, Health, health
from shared.db import create_engine, is_postgres, session_factory
from shared.errors import Unavailable
from shared.events import PUBLISHED_BY, typed_envelope
from shared.inbox import inbox_table
from shared.logging import configure_logging_from, get_logger
from shared.migrations import upgrade
from shared.outbox import OutboxRelay, outbox_table
from shared.polling import cancel_and_wait
from shared.rpc import RpcClient, VerbTable, register_rpc, register_verbs
from shared.settings import Settings, get_settings
from shared.streams import ConsumerSpec, consumers_of, provision
from shared.subjects import ADMIN_USER, EVENTS_STREAM, PUBLISH_ACK_TIMEOUT_SECONDS, event_filter
from shared.tracing import configure_tracing, flush
from shared.uow import MessagingTables, UnitOfWork

log = get_logger(__name__)
SPEC_VERSION = "1.0.0"  # of the event contract; bump with any change to shared/events.py
U = TypeVar("U", bound=UnitOfWork)


def messaging_tables(metadata: MetaData) -> MessagingTables:
    """Add the outbox and inbox tables to a service's metadata."""
    return MessagingTables(outbox=outbox_table(metadata), inbox=inbox_table(metadata))


def may_provision(settings: Settings) -> bool:
    """Streams and consumers are the admin's (`samen provision`): a service with a NATS user of
    its own has no right to declare them. On an open server (development, tests: no users)
    each process declares what it needs, as nothing would be protected by waiting."""
    return settings.nats_user in (None, ADMIN_USER)


async def expect_provisioned(js: JetStreamContext, durables: tuple[str, ...]) -> None:
    """Fail at start, saying what to do, when the admin has not provisioned a consumer."""
    for durable in durables:
        try:
            await js.consumer_info(EVENTS_STREAM, durable)
        except NotFoundError as exc:
            raise RuntimeError(
                f"durable consumer {durable} of {EVENTS_STREAM} is missing: "
                "run `samen provision` as the NATS admin first"
            ) from exc


def nats_broker(settings: Settings, *, name: str) -> NatsBroker:
    security = (
        NatsUserPassword(settings.nats_user, settings.nats_password or "")
        if settings.nats_user
        else None
    )
    return NatsBroker(
        settings.nats_servers(),
        security=security,
        name=name,
        allow_reconnect=True,
        max_reconnect_attempts=-1,  # a service outlives a NATS restart
        reconnect_time_wait=1,
        connect_timeout=5,
        inbox_prefix=settings.reply_inbox(),
        js_options={"prefix": settings.js_api_prefix()},
        # Per-message "Received/Processed" lines are debug detail, not operator news.
        logger=logging.getLogger(f"faststream.{name}"),
        log_level=logging.DEBUG,
    )


class ServiceRuntime:
    def __init__(
        self,
        name: str,
        *,
        metadata: MetaData,
        tables: MessagingTables,
        migrations: Path | None,
        settings: Settings | None = None,
        clock: Clock | None = None,
        needs_secret_key: bool = False,
        credential_urls: Mapping[str, str | None] | None = None,
    ) -> None:
        self.name = name
        self.settings = settings or get_settings()
        # Before anything connects: no service runs on a published key or password.
        credentials.check(self.settings, needs_secret_key=needs_secret_key, urls=credential_urls)
        self.clock = clock or SystemClock()
        self.metadata = metadata
        self.tables = tables
        self.migrations = migrations
        self.database_url = self.settings.database_url_for(name)
        self.engine = create_engine(self.database_url)
        self.sessions = session_factory(self.engine)
        self.broker = nats_broker(self.settings, name=name)
        self.rpc = RpcClient(self.broker, timeout=self.settings.rpc_timeout)
        self.relay = OutboxRelay(
            self.sessions,
            tables.outbox,
            self._publish_event,
            clock=self.clock,
            claim_rows=is_postgres(self.engine),
            service=name,
        )
        self._jetstream: tuple[Client, JetStreamContext] | None = None  # made once per connection
        self.consumers: list[EventConsumer] = []
        self._retry_base = self.settings.retry_base_seconds
        self._background: list[Callable[[], Coroutine[Any, Any, None]]] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._stoppers: list[Callable[[], Awaitable[None]]] = []
        self._metrics_served = False
        self.background(self._watch_outbox_backlog)
        register_rpc(self.broker, health(name), self._health)
        self._document_published_events()
        self.app = FastStream(
            self.broker,
            logger=logging.getLogger(f"faststream.{name}"),
            specification=AsyncAPI(
                self.broker,
                title=f"Samen {name}",
                version=SPEC_VERSION,
                description=f"Events and request/reply verbs of the Samen {name} service.",
            ),
            on_startup=[self.prepare],
            after_startup=[self._after_start],
            on_shutdown=[self._shutdown],
        )

    # -- wiring ---------------------------------------------------------------

    def uow(self) -> UnitOfWork:
        return UnitOfWork(
            self.sessions,
            self.tables,
            source=self.name,
            clock=self.clock,
            after_commit=self.relay.committed,
        )

    def uow_factory(self, cls: type[U], **kwargs: Any) -> Callable[[], U]:
        def make() -> U:
            return cls(
                self.sessions,
                self.tables,
                source=self.name,
                clock=self.clock,
                after_commit=self.relay.committed,
                **kwargs,
            )

        return make

    def consume(
        self,
        handlers: Mapping[str, EventHandler],
        *,
        spec: ConsumerSpec | None = None,
        uow_factory: Callable[[], UnitOfWork] | None = None,
    ) -> EventConsumer:
        """Handle events with this service's durable consumer (from shared.streams)."""
        spec = spec or consumers_of(self.name)[0]
        consumer = EventConsumer(
            spec,
            broker=self.broker,
            uow_factory=uow_factory or self.uow,
            handlers=handlers,
            retry_base_seconds=self._retry_base,
            reply_inbox=self.settings.reply_inbox(),
        )
        self.consumers.append(consumer)  # pulls once the service has started
        return consumer

    def answer(self, table: VerbTable) -> None:
        """Answer this service's verbs: one table from verb to use case."""
        register_verbs(self.broker, self.name, table)

    def background(self, job: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """A long-running task (timers, delivery workers) started after the broker."""
        self._background.append(job)

    def on_stop(self, stopper: Callable[[], Awaitable[None]]) -> None:
        self._stoppers.append(stopper)

    # -- life cycle -------------------------------------------------------------

    def configure_logging(self) -> None:
        configure_logging_from(self.settings, service=self.name)

    async def prepare(self) -> None:
        """Migrate the database, connect to NATS and check (or, on an open server, provision)
        the streams and consumers."""
        self.configure_logging()
        if self.settings.metrics_port and not self._metrics_served:
            metrics.serve(self.settings.metrics_port, self.settings.metrics_host)
            self._metrics_served = True
        configure_tracing(self.name, self.settings.otlp_endpoint)
        if self.migrations is not None:
            await upgrade(self.migrations, self.database_url)
        else:  # a small plug-in or test service without revisions of its own
            async with self.engine.begin() as connection:
                await connection.run_sync(self.metadata.create_all)
        await self.broker.connect()
        js = self.broker.connection.jetstream(prefix=self.settings.js_api_prefix())
        specs = {c.durable: c for c in consumers_of(self.name)}
        specs.update({c.spec.durable: c.spec for c in self.consumers})
        if may_provision(self.settings):
            replicas = self.settings.stream_replicas
            await provision(js, consumers=tuple(specs.values()), replicas=replicas)
        else:
            await expect_provisioned(js, tuple(c.spec.durable for c in self.consumers))

    async def _after_start(self) -> None:
        for consumer in self.consumers:
            await consumer.start(self.broker.connection, js_prefix=self.settings.js_api_prefix())
        self.relay.start()
        self._tasks = [asyncio.create_task(job()) for job in self._background]
        log.info("service started", database=self.engine.dialect.name)

    async def _shutdown(self) -> None:
        # First: the batch in hand is finished and acked, by every consumer at once.
        await asyncio.gather(*(consumer.stop() for consumer in self.consumers))
        await cancel_and_wait(self._tasks)
        for stopper in self._stoppers:
            await stopper()
        await self.relay.stop()
        await self.engine.dispose()
        flush()
        log.info("service stopped")

    async def start(self) -> None:
        """Start without FastStream's signal handling (tests, the supervisor)."""
        await self.prepare()
        await self.broker.start()
        await self._after_start()

    async def stop(self) -> None:
        await self._shutdown()
        await self.broker.stop()

    def run(self) -> None:
        self.configure_logging()  # before FastStream's first line ("app starting")
        heap.collect_less_often(self.name)
        self.app.after_startup(lambda: heap.settle(self.name))
        # uvloop (there wherever uvicorn[standard] is) spends a good deal less CPU per message
        # than asyncio's own loop; without it, the standard loop does the same work.
        try:
            import uvloop
        except ImportError:  # pragma: no cover - e.g. on Windows
            asyncio.run(self.app.run())
        else:
            uvloop.run(self.app.run())

    # -- plumbing ---------------------------------------------------------------

    def _document_published_events(self) -> None:
        """Declare the events this service publishes (through its outbox) for AsyncAPI."""
        for model in PUBLISHED_BY.get(self.name, ()):
            self.broker.publisher(
                event_filter(model.TYPE, AreaRef(municipality="GM0000")).replace("GM0000", "*"),
                title=f"{self.name}:{model.TYPE}",
                description=(model.__doc__ or "").strip() or None,
                schema=typed_envelope(model),
            )

    async def _publish_event(self, subject: str, payload: bytes, event_id: str) -> None:
        # nats-py's JetStream publish, not the broker's: the relay publishes every event of the
        # service, and FastStream's publisher layers (command objects, middlewares, its own
        # headers) cost more than the publish. The stream's PubAck is awaited all the same.
        connection = self.broker.connection
        if not connection.is_connected:
            raise Unavailable("NATS is not connected")
        if self._jetstream is None or self._jetstream[0] is not connection:
            self._jetstream = (connection, connection.jetstream())
        await self._jetstream[1].publish(
            subject,
            payload,
            timeout=PUBLISH_ACK_TIMEOUT_SECONDS,
            stream=EVENTS_STREAM,
            headers={"Nats-Msg-Id": event_id, "content-type": "application/json"},
        )

    async def _watch_outbox_backlog(self) -> None:
        gauge = metrics.outbox_backlog.labels(self.name)
        while True:
            try:
                gauge.set(await self.relay.backlog())
            except Exception as exc:  # the database may be briefly away; try again later
                log.warning("could not count the outbox backlog", error=str(exc))
            await asyncio.sleep(10)

    async def _health(self, _: Empty) -> Health:
        database = "ok"
        try:
            async with self.sessions() as session:
                await session.execute(text("SELECT 1"))
            backlog = await self.relay.backlog()
        except Exception as exc:
            database, backlog = f"error: {type(exc).__name__}", -1
        return Health(
            service=self.name,
            status="ok" if database == "ok" else "degraded",
            database=database,
            outbox_backlog=backlog,
            consumers={
                c.spec.durable: {
                    "handled": c.handled,
                    "failed": c.failed,
                    "dead_lettered": c.dead_lettered,
                }
                for c in self.consumers
            },
        )
