"""The plug-in kit: a cooperative's own service on Samen's public event contract.

A plug-in follows the events of its own area (`shared.events`, typed), publishes what it has
to say on `samen.ext.<cooperative>.>`, and logs and reads its settings the way the services do.
A cooperative may run several, each by its own name: a plug-in runs as the NATS user
`plugin-<name>-<cooperative>` in an account of its own (deploy/nats/plugins.conf), which may
see nothing else: no other area's events, no request/reply, no personal data. `<cooperative>`
is the id the registry and the API know the cooperative by (`utrecht-overvecht`).

    plugin = Plugin("utrecht-overvecht", name="tally", area="WK034403")

    @plugin.on(RequestCreated)
    async def created(event: Envelope, data: RequestCreated) -> None:
        await plugin.publish("seen", payload={"category": data.category})

    plugin.run()

Two ways to receive events:
- live (default): a plain subscription to the area; nothing is replayed, events published
  while the plug-in is down are missed;
- `durable=True`: its own durable consumer `plugin-<name>-<cooperative>` that the operator
  created with the area filter (`samen plugin provision --cooperative ID --name NAME --area
  CODE`): the first start replays the area's history, later starts go on where the last one
  stopped, each event is acked after the handlers ran (a failing handler's event comes back
  after `RETRY_SECONDS`, at most `MAX_DELIVERIES` times).

docs/plugins.md walks through a first plug-in; examples/noticeboard/ is a complete one.
"""

import asyncio
import contextlib
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

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
from shared.logging import configure_logging_from, correlation, get_logger
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
        default=None, description="the id of the cooperative this plug-in belongs to"
    )
    plugin_name: str | None = Field(
        default=None, description="the plug-in's own name among its cooperative's plug-ins"
    )
    plugin_area: str | None = Field(default=None, description="CBS code of its area")


# -------------------------------------------------------------- names and permissions

# A plug-in's own name among its cooperative's plug-ins: letters and digits only, so that in
# `plugin-<name>-<cooperative>` the first - after the name ends it, and no two plug-ins (of
# one cooperative or of two) ever share a NATS user, account, durable consumer or inbox.
PLUGIN_NAME_PATTERN = r"^[a-z0-9]{2,30}$"


def check_cooperative(cooperative: str) -> str:
    """A cooperative id becomes one subject token and part of NATS names: a plain slug, and
    not one of the names the system uses itself (shared.ids)."""
    return check_cooperative_id(cooperative)


def check_plugin_name(name: str) -> str:
    if not re.fullmatch(PLUGIN_NAME_PATTERN, name):
        raise ValueError(
            "a plug-in's name is 2-30 lower-case letters and digits (no -), e.g. noticeboard"
        )
    return name


@dataclass(frozen=True)
class PluginIdentity:
    """Who a plug-in is: its cooperative, by the id the registry and the API know it by (also
    its token in `samen.ext`), and its own name, so a cooperative may run several plug-ins,
    each with its own durable consumer."""

    cooperative: str
    name: str

    def __post_init__(self) -> None:
        check_cooperative(self.cooperative)
        check_plugin_name(self.name)

    @property
    def user(self) -> str:
        """`plugin-<name>-<cooperative>`: never a service's name, nor another plug-in's."""
        return f"plugin-{self.name}-{self.cooperative}"

    @property
    def durable(self) -> str:
        return self.user

    @property
    def account(self) -> str:
        """`PLUGIN_<NAME>_<COOPERATIVE>` (names have no - or _, ids no _: none shared)."""
        return account_of(self.user)

    @property
    def inbox_prefix(self) -> str:
        """Its own reply inbox prefix, the one every user has (`_INBOX_<user>`)."""
        return Settings(nats_user=self.user).reply_inbox()

    @property
    def ext_subjects(self) -> str:
        """What the cooperative's plug-ins publish and read among themselves."""
        return f"{EXT_PREFIX}.{self.cooperative}.>"


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


# When a handler fails, the event comes back after these many seconds (then the last, again),
# until the consumer has delivered it MAX_DELIVERIES times; docs/plugins.md states the same.
RETRY_SECONDS = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0)
MAX_DELIVERIES = 10


def retry_delay(delivery: int) -> float:
    """How long after its `delivery`-th failed delivery an event comes back."""
    return RETRY_SECONDS[min(max(delivery, 1), len(RETRY_SECONDS)) - 1]


def plugin_consumer_spec(
    plugin: PluginIdentity, area: str, *, max_deliver: int = MAX_DELIVERIES
) -> ConsumerSpec:
    """The durable consumer of a plug-in: only its area's events."""
    return ConsumerSpec(
        service=plugin.user,
        durable=plugin.durable,
        filter_subjects=(area_subjects(area),),
        max_deliver=max_deliver,
        description=f"plug-in {plugin.name} of cooperative {plugin.cooperative}: events of {area}",
    )


async def provision_plugin(js: JetStreamContext, plugin: PluginIdentity, area: str) -> None:
    """Create the plug-in's durable consumer (an operator's job: plug-ins cannot create any)."""
    await js.add_consumer(EVENTS_STREAM, consumer_config(plugin_consumer_spec(plugin, area)))


def nats_user_block(plugin: PluginIdentity, area: str) -> str:
    """The plug-in's account for deploy/nats/plugins.conf: its area's events (live, and through
    the durable consumer the admin made for it), its cooperative's samen.ext subjects, nothing
    else. Whatever reply subject it sets, the server's answers stay in this account."""
    events = area_subjects(area)
    return (
        render_account(
            plugin.account,
            user=plugin.user,
            publish=[plugin.ext_subjects, *consumer_permissions(plugin.durable)],
            subscribe=[events, plugin.ext_subjects, f"{plugin.inbox_prefix}.>"],
            imports=[Import("stream", EVENTS_ACCOUNT, events), *consumer_imports(plugin.durable)],
            comment=(
                f"plug-in {plugin.name} of cooperative {plugin.cooperative}: the events of {area}"
            ),
        )
        + "\n"
    )


# -------------------------------------------------------------------------- the kit


class Plugin:
    """A cooperative's FastStream service, limited to its own area."""

    def __init__(
        self,
        cooperative: str | None = None,
        *,
        name: str | None = None,
        area: str | None = None,
        settings: Settings | None = None,
        durable: bool = False,
    ) -> None:
        self.settings = settings or PluginSettings()
        if isinstance(self.settings, PluginSettings):
            cooperative = cooperative or self.settings.plugin_cooperative
            name = name or self.settings.plugin_name
            area = area or self.settings.plugin_area
        if not cooperative or not name or not area:
            raise ValueError(
                "a plug-in needs its cooperative, name and area (arguments, or "
                "SAMEN_PLUGIN_COOPERATIVE, SAMEN_PLUGIN_NAME and SAMEN_PLUGIN_AREA)"
            )
        self.identity = PluginIdentity(cooperative, name)
        self.cooperative = self.identity.cooperative
        self.area = AreaRef.from_code(area)
        self.durable = durable
        self.subject_filter = area_subjects(self.area)
        self.name = self.identity.user
        self.log = get_logger(self.name)
        self._handlers: dict[str, list[tuple[type[EventData], Handler]]] = {}
        user = self.settings.nats_user or self.name
        own = self.settings.model_copy(update={"nats_user": user})
        self.broker = NatsBroker(
            self.settings.nats_servers(),
            security=NatsUserPassword(user, self.settings.nats_password or ""),
            name=self.name,
            inbox_prefix=self.identity.inbox_prefix,
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
                durable=self.identity.durable,
                # One message per fetch: FastStream hands the messages of a fetched batch to
                # concurrent tasks, which may reach the lock out of stream order, and a board
                # that sees `request.escalated` before `request.created` shows it open.
                pull_sub=PullSub(batch_size=1, timeout=1.0),
                ack_policy=AckPolicy.MANUAL,
                inbox_prefix=f"{self.identity.inbox_prefix}.".encode(),
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
        configure_logging_from(self.settings, service=self.name)

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
        await msg.nack(delay=retry_delay(metadata.num_delivered if metadata else 1))


# -------------------------------------------------------------------------- samen plugin

cli = typer.Typer(help="Cooperative plug-ins: NATS users and durable consumers.")


Cooperative = Annotated[
    str, typer.Option("--cooperative", help="the cooperative's id, as the registry knows it")
]
Name = Annotated[str, typer.Option("--name", help="the plug-in's name, e.g. noticeboard")]
Area = Annotated[str, typer.Option("--area", help="CBS code of its area: GM…, WK… or BU…")]


def identity_of(cooperative: str, name: str) -> PluginIdentity:
    try:
        return PluginIdentity(cooperative, name)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


@cli.command("nats-user")
def nats_user_command(cooperative: Cooperative, name: Name, area: Area) -> None:
    """Print the plug-in's NATS account for deploy/nats/plugins.conf (paste it there)."""
    typer.echo(nats_user_block(identity_of(cooperative, name), area), nl=False)


@cli.command("provision")
def provision_command(cooperative: Cooperative, name: Name, area: Area) -> None:
    """Create the plug-in's durable consumer, filtered to its area (as the admin user)."""
    import nats

    from shared.reach import expect_nats

    plugin = identity_of(cooperative, name)
    settings = Settings()

    async def go() -> None:
        await expect_nats(settings.nats_servers())
        nc = await nats.connect(
            settings.nats_servers(), user=settings.nats_user, password=settings.nats_password
        )
        try:
            await provision_plugin(nc.jetstream(prefix=settings.js_api_prefix()), plugin, area)
        finally:
            with contextlib.suppress(Exception):
                await nc.close()

    asyncio.run(go())
    typer.echo(f"durable consumer {plugin.durable} on {area_subjects(area)}")


COMMANDS = {"plugin": cli}  # `samen plugin ...`
