"""The plug-in kit: a cooperative's own service on Samen's public event contract.

A plug-in follows the events of its own area (`shared.events`, typed), publishes what it has
to say on `samen.ext.<cooperative>.>`, and logs and reads its settings the way the services do.
It runs as the NATS user `plugin-<cooperative>` in an account of its own (deploy/nats/plugins.conf),
which may see nothing else: no other area's events, no request/reply, no personal data.

    plugin = Plugin("overvecht", area="WK034403")

    @plugin.on(RequestCreated)
    async def created(event: Envelope, data: RequestCreated) -> None:
        await plugin.publish("seen", {"category": data.category})

    plugin.run()

Two ways to receive events:
- live (default): a plain subscription to the area; nothing is replayed, events published
  while the plug-in is down are missed;
- `durable=True`: the durable consumer `plugin-<cooperative>` that the operator created with the
  area filter (`samen plugin provision <cooperative> <area>`): the first start replays the
  area's history, later starts go on where the last one stopped, each event is acked after
  the handlers ran (a failing handler is retried with backoff).

docs/plugins.md walks through a first plug-in; examples/noticeboard/ is a complete one.
"""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import typer
from faststream import AckPolicy, FastStream
from faststream.nats import JStream, NatsBroker, PullSub
from faststream.nats.security import NatsUserPassword
from nats.js import JetStreamContext
from pydantic import BaseModel, Field, ValidationError

from shared import heap
from shared.areas import AreaRef
from shared.events import Envelope, EventData
from shared.handler_params import Message
from shared.ids import check_cooperative_id
from shared.logging import configure_logging, correlation, get_logger
from shared.nats_accounts import (
    EVENTS_ACCOUNT,
    Import,
    account_of,
    consumer_imports,
    consumer_permissions,
    render_account,
)
from shared.settings import Settings
from shared.streams import ConsumerSpec, consumer_config
from shared.subjects import EVENT_PREFIX, EVENTS_STREAM, EXT_PREFIX, ext_subject

E = TypeVar("E", bound=EventData)
Handler = Callable[[Envelope, Any], Awaitable[None]]
"""handler(event, data): the envelope and its typed payload."""


class PluginSettings(Settings):
    """The services' settings (NATS_URL, SAMEN_NATS_USER, SAMEN_NATS_PASSWORD, SAMEN_ENV,
    SAMEN_LOG_LEVEL, SAMEN_DATA_DIR, ...) plus the plug-in's own."""

    plugin_cooperative: str | None = Field(
        default=None, description="the cooperative id this plug-in belongs to"
    )
    plugin_area: str | None = Field(default=None, description="CBS code of its area")


# -------------------------------------------------------------- names and permissions


def check_cooperative(cooperative: str) -> str:
    """A cooperative id becomes one subject token and part of NATS names: a plain slug, and
    not one of the names the system uses itself (shared.ids)."""
    return check_cooperative_id(cooperative)


def plugin_user(cooperative: str) -> str:
    """`plugin-<cooperative>`: never a service's name, whatever the cooperative is called."""
    return f"plugin-{check_cooperative(cooperative)}"


def plugin_durable(cooperative: str) -> str:
    return plugin_user(cooperative)


def plugin_account(cooperative: str) -> str:
    """Its NATS account, `PLUGIN_<COOPERATIVE>` (ids have no _, so no two share one)."""
    return account_of(plugin_user(cooperative))


def plugin_inbox_prefix(cooperative: str) -> str:
    """Its own reply inbox prefix, the one every user has (`_INBOX_<user>`)."""
    return Settings(nats_user=plugin_user(cooperative)).reply_inbox()


def area_subjects(area: str | AreaRef) -> str:
    """Every event subject of an area (and what lies inside it), as one subject filter.

    WK034403 -> samen.evt.*.*.GM0344.WK034403.>;  BU03440321 -> ...WK034403.BU03440321
    """
    ref = area if isinstance(area, AreaRef) else AreaRef.from_code(area)
    if ref.most_specific() is None:
        raise ValueError("a plug-in needs an area")
    tokens = [t for t in (ref.municipality, ref.district, ref.neighbourhood) if t]
    suffix = [] if ref.neighbourhood else [">"]
    return ".".join([EVENT_PREFIX, "*", "*", *tokens, *suffix])


def plugin_consumer_spec(cooperative: str, area: str, *, max_deliver: int = 10) -> ConsumerSpec:
    """The durable consumer of a plug-in: only its area's events."""
    return ConsumerSpec(
        service=plugin_user(cooperative),
        durable=plugin_durable(cooperative),
        filter_subjects=(area_subjects(area),),
        max_deliver=max_deliver,
        description=f"plug-in of cooperative {cooperative}: events of {area}",
    )


async def provision_plugin(js: JetStreamContext, cooperative: str, area: str) -> None:
    """Create the plug-in's durable consumer (an operator's job: plug-ins cannot create any)."""
    await js.add_consumer(EVENTS_STREAM, consumer_config(plugin_consumer_spec(cooperative, area)))


def nats_user_block(cooperative: str, area: str) -> str:
    """The plug-in's account for deploy/nats/plugins.conf: its area's events (live, and through
    the durable consumer the admin made for it), its own samen.ext subjects, nothing else.
    Whatever reply subject it sets, the server's answers stay in this account."""
    user = plugin_user(cooperative)
    durable = plugin_durable(cooperative)
    events = area_subjects(area)
    own = f"{EXT_PREFIX}.{cooperative}.>"
    return (
        render_account(
            plugin_account(cooperative),
            user=user,
            publish=[own, *consumer_permissions(durable)],
            subscribe=[events, own, f"{plugin_inbox_prefix(cooperative)}.>"],
            imports=[Import("stream", EVENTS_ACCOUNT, events), *consumer_imports(durable)],
            comment=f"plug-in of cooperative {cooperative}: the events of {area}",
        )
        + "\n"
    )


# -------------------------------------------------------------------------- the kit


def _retry_delay(delivery: int) -> float:
    return float(min(60.0, 2 ** max(0, delivery - 1)))


class Plugin:
    """A cooperative's FastStream service, limited to its own area."""

    def __init__(
        self,
        cooperative: str | None = None,
        *,
        area: str | None = None,
        settings: Settings | None = None,
        durable: bool = False,
    ) -> None:
        self.settings = settings or PluginSettings()
        if isinstance(self.settings, PluginSettings):
            cooperative = cooperative or self.settings.plugin_cooperative
            area = area or self.settings.plugin_area
        if not cooperative or not area:
            raise ValueError(
                "a plug-in needs its cooperative and area "
                "(arguments, or SAMEN_PLUGIN_COOPERATIVE and SAMEN_PLUGIN_AREA)"
            )
        self.cooperative = check_cooperative(cooperative)
        self.area = AreaRef.from_code(area)
        self.durable = durable
        self.subject_filter = area_subjects(self.area)
        self.name = plugin_user(self.cooperative)
        self.log = get_logger(self.name)
        self._handlers: dict[str, list[tuple[type[EventData], Handler]]] = {}
        user = self.settings.nats_user or self.name
        own = self.settings.model_copy(update={"nats_user": user})
        self.broker = NatsBroker(
            self.settings.nats_servers(),
            security=NatsUserPassword(user, self.settings.nats_password or ""),
            name=self.name,
            inbox_prefix=plugin_inbox_prefix(self.cooperative),
            js_options={"prefix": own.js_api_prefix()},
            allow_reconnect=True,
            max_reconnect_attempts=-1,
            reconnect_time_wait=1,
            connect_timeout=5,
        )
        if durable:
            self.broker.subscriber(
                self.subject_filter,
                stream=JStream(EVENTS_STREAM, declare=False),
                durable=plugin_durable(self.cooperative),
                # One message per fetch: FastStream hands the messages of a fetched batch to
                # concurrent tasks, which may reach the lock out of stream order, and a board
                # that sees `request.escalated` before `request.created` shows it open.
                pull_sub=PullSub(batch_size=1, timeout=1.0),
                ack_policy=AckPolicy.MANUAL,
                inbox_prefix=f"{plugin_inbox_prefix(self.cooperative)}.".encode(),
                no_reply=True,
                title=f"{self.name}:events",
            )(self._on_message)
        else:
            # no_reply: a live event carries its publisher's JetStream ack inbox as reply
            # subject; answering it would be a bogus ack (and is refused to plug-ins anyway).
            self.broker.subscriber(self.subject_filter, no_reply=True, title=f"{self.name}:events")(
                self._on_message
            )
        self._lock = asyncio.Lock()  # one event at a time, in order
        self.app = FastStream(self.broker, on_startup=[self._configure])
        self.handled = 0

    # -- for plug-in authors ----------------------------------------------------

    def on(self, *models: type[EventData]) -> Callable[[Handler], Handler]:
        """Register `handler(event, data)` for one or more event types."""

        def register(handler: Handler) -> Handler:
            for model in models:
                self._handlers.setdefault(model.TYPE, []).append((model, handler))
            return handler

        return register

    async def publish(self, *tokens: str, payload: BaseModel | dict[str, Any]) -> None:
        """Publish on samen.ext.<cooperative>.<tokens...> (core NATS, JSON)."""
        body = payload.model_dump(mode="json") if isinstance(payload, BaseModel) else payload
        await self.broker.publish(body, ext_subject(self.cooperative, *tokens))

    def run(self) -> None:
        """Run until SIGINT/SIGTERM."""
        heap.collect_less_often(self.name)
        self.app.after_startup(lambda: heap.settle(self.name))
        asyncio.run(self.app.run())

    async def start(self) -> None:
        """Start without FastStream's signal handling (tests, an embedding web app)."""
        self._configure()
        await self.broker.start()

    async def stop(self) -> None:
        await self.broker.stop()

    # -- plumbing ---------------------------------------------------------------

    def _configure(self) -> None:
        configure_logging(service=self.name, env=self.settings.env, level=self.settings.log_level)

    async def _on_message(self, msg: Message) -> None:
        async with self._lock:
            await self._handle(msg)

    async def _handle(self, msg: Message) -> None:
        raw = msg.raw_message
        try:
            event = Envelope.model_validate_json(raw.data)
        except ValidationError:
            self.log.warning("unreadable event skipped", subject=raw.subject)
            await self._settle(msg, ok=True)
            return
        handlers = self._handlers.get(event.type, [])
        where = event.area.most_specific()
        if not handlers or where is None or not self.area.contains(where):
            await self._settle(msg, ok=True)  # not ours to handle
            return
        with correlation(event.correlation_id):
            try:
                for model, handler in handlers:
                    await handler(event, event.payload(model))
            except (ValidationError, TypeError) as exc:
                self.log.warning("invalid event skipped", event_id=event.event_id, error=str(exc))
                await self._settle(msg, ok=True)
                return
            except Exception:
                self.log.exception("plug-in handler failed", event_type=event.type)
                await self._settle(msg, ok=False)
                return
        self.handled += 1
        await self._settle(msg, ok=True)

    async def _settle(self, msg: Message, *, ok: bool) -> None:
        if not self.durable:
            return  # a live subscription has nothing to acknowledge
        if ok:
            await msg.ack()
            return
        metadata = msg.raw_message.metadata
        await msg.nack(delay=_retry_delay(metadata.num_delivered if metadata else 1))


# -------------------------------------------------------------------------- samen plugin

cli = typer.Typer(help="Cooperative plug-ins: NATS users and durable consumers.")


@cli.command("nats-user")
def nats_user_command(
    cooperative: str = typer.Argument(help="the cooperative's id (one subject token)"),
    area: str = typer.Argument(help="CBS code of its area: GM…, WK… or BU…"),
) -> None:
    """Print the plug-in's NATS account for deploy/nats/plugins.conf (paste it there)."""
    typer.echo(nats_user_block(cooperative, area), nl=False)


@cli.command("provision")
def provision_command(
    cooperative: str = typer.Argument(help="the cooperative's id"),
    area: str = typer.Argument(help="CBS code of its area"),
) -> None:
    """Create the plug-in's durable consumer, filtered to its area (as the admin user)."""
    import nats

    from shared.reach import expect_nats

    settings = Settings()

    async def go() -> None:
        await expect_nats(settings.nats_servers())
        nc = await nats.connect(
            settings.nats_servers(), user=settings.nats_user, password=settings.nats_password
        )
        try:
            await provision_plugin(nc.jetstream(prefix=settings.js_api_prefix()), cooperative, area)
        finally:
            with contextlib.suppress(Exception):
                await nc.close()

    asyncio.run(go())
    typer.echo(f"durable consumer {plugin_durable(cooperative)} on {area_subjects(area)}")


COMMANDS = {"plugin": cli}  # `samen plugin ...`
