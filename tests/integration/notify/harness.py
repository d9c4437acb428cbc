"""What the notify integration tests share: a real SMTP server (aiosmtpd), a real HTTP
endpoint for Apprise's json://, a stand-in for the registry's replies on a real broker, and a
notify service on the test's nats-server and database."""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import json
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

import nats
import pytest
from aiosmtpd.controller import Controller
from faststream.nats import NatsBroker
from sqlalchemy import func, select

from samen.nats_server import free_port
from services.notify.adapters.orm import delivery_attempts, notifications
from services.notify.bootstrap import Notify, assemble
from services.notify.config import NotifySettings
from services.notify.service_layer.delivery import DeliveryConfig
from shared.areas import AreaRef
from shared.clock import FrozenClock
from shared.contracts.registry import (
    AREAS_GET,
    COOPERATIVE_GET,
    COOPERATIVE_LIST,
    MEMBER_CONTACT,
    MEMBER_CONTACTS,
    AreaCode,
    AreaInfo,
    CooperativeInfo,
    CooperativeList,
    CooperativeQuery,
    CooperativeRef,
    MemberContact,
    MemberContactList,
    MemberRef,
    MemberRefs,
)
from shared.errors import NotFound, Unavailable
from shared.events import Envelope, EventData, MatchingPolicy, envelope
from shared.rpc import register_rpc
from shared.settings import Settings
from shared.subjects import EVENTS_STREAM, PUBLISH_ACK_TIMEOUT_SECONDS
from tests.support import TEST_SECRET_KEY, eventually

T = TypeVar("T")

AREA = AreaRef(municipality="GM0344", district="WK034405", neighbourhood="BU03440510")
# 10:00 in Amsterdam on Monday 5 January 2026: not quiet.
MORNING = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


# ---------------------------------------------------------------- SMTP


@dataclass
class SmtpBehaviour:
    refuse_first: int = 0  # answer 451 to this many messages, then accept
    refuse_code: str = "451 4.3.0 try again later"
    always_refuse: bool = False
    hang: threading.Event | None = None  # accept, then do not answer until set
    drop_after: int | None = None  # hang up, unasked, after this many messages on a connection
    messages_per_connection: int | None = None  # then "421" to the next MAIL FROM


@dataclass
class SmtpServer:
    port: int
    behaviour: SmtpBehaviour
    received: list[EmailMessage] = field(default_factory=list)
    refused: int = 0
    peers: list[Any] = field(default_factory=list)  # the client's address, per message
    noops: int = 0
    quits: int = 0

    @property
    def connections(self) -> int:
        """Client connections that carried a message."""
        return len(set(self.peers))

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}?timeout=10"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.received if address in str(m["To"])]


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        behaviour = self.server.behaviour
        self.server.peers.append(session.peer)
        if behaviour.always_refuse or self.server.refused < behaviour.refuse_first:
            self.server.refused += 1
            return behaviour.refuse_code
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.server.received.append(message)
        if behaviour.hang is not None:
            await asyncio.to_thread(behaviour.hang.wait, 30)
        on_this_connection = self.server.peers.count(session.peer)
        if behaviour.drop_after and on_this_connection % behaviour.drop_after == 0:
            asyncio.get_running_loop().call_later(0.01, server.transport.close)
        return "250 OK"

    async def handle_MAIL(
        self, _server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        cap = self.server.behaviour.messages_per_connection
        if cap is not None and self.server.peers.count(session.peer) >= cap:
            return "421 4.7.0 too many messages on this connection, closing"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_NOOP(self, _server: Any, _session: Any, _envelope: Any, _arg: str) -> str:
        self.server.noops += 1
        return "250 OK"

    async def handle_QUIT(self, _server: Any, _session: Any, _envelope: Any) -> str:
        self.server.quits += 1
        return "221 Bye"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer(port=free_port(), behaviour=SmtpBehaviour())
    controller = Controller(_Handler(server), hostname="127.0.0.1", port=server.port)
    controller.start()
    yield server
    if server.behaviour.hang is not None:
        server.behaviour.hang.set()
    controller.stop()


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def html_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


# ---------------------------------------------------------------- HTTP endpoint for json://


@dataclass
class Webhook:
    port: int
    posts: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200

    def url(self, path: str = "hook") -> str:
        return f"json://127.0.0.1:{self.port}/{path}"


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook(port=free_port())

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            if hook.status == 200:
                hook.posts.append({"path": self.path, **json.loads(body or b"{}")})
            self.send_response(hook.status)
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", hook.port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield hook
    server.shutdown()
    server.server_close()


# ---------------------------------------------------------------- the registry's replies


@dataclass
class RegistryData:
    contacts: dict[str, MemberContact] = field(default_factory=dict)
    cooperatives: dict[str, CooperativeInfo] = field(default_factory=dict)
    down: bool = False  # the registry answers, but cannot give contacts (its database is down)

    def person(
        self,
        member_id: str,
        first_name: str,
        *,
        email: str | None = None,
        phone: str | None = None,
        language: str = "nl",
        share_phone: bool = False,
        via_coordinator_id: str | None = None,
        neighbourhood: str | None = None,
    ) -> MemberContact:
        contact = MemberContact(
            member_id=member_id,
            name=f"{first_name} Jansen",
            first_name=first_name,
            email=email if email is not None else f"{member_id}@example.org",
            phone=phone,
            language=language,
            share_phone_with_match=share_phone,
            via_coordinator_id=via_coordinator_id,
            neighbourhood=neighbourhood,
        )
        self.contacts[member_id] = contact
        return contact

    def cooperative(
        self, cooperative_id: str, coordinator_ids: list[str], area_codes: list[str] | None = None
    ) -> None:
        self.cooperatives[cooperative_id] = CooperativeInfo(
            cooperative_id=cooperative_id,
            name="Wijkcoöperatie Overvecht",
            level="district",
            area_codes=area_codes or [AREA.district or ""],
            coordinator_ids=coordinator_ids,
            policy=MatchingPolicy(),
        )


@pytest.fixture
async def registry(nats_url: str) -> AsyncIterator[RegistryData]:
    """Answers the registry verbs notify calls, on the test's real nats-server."""
    data = RegistryData()
    broker = NatsBroker(nats_url)

    async def contact(request: MemberRef) -> MemberContact:
        if data.down:
            raise Unavailable("the registry's database is down")
        if request.member_id not in data.contacts:
            raise NotFound("no such member")
        return data.contacts[request.member_id]

    async def contacts(request: MemberRefs) -> MemberContactList:
        if data.down:
            raise Unavailable("the registry's database is down")
        known = [data.contacts[m] for m in request.member_ids if m in data.contacts]
        return MemberContactList(contacts=known)

    async def cooperative(request: CooperativeRef) -> CooperativeInfo:
        if request.cooperative_id not in data.cooperatives:
            raise NotFound("no such cooperative")
        return data.cooperatives[request.cooperative_id]

    async def cooperatives(request: CooperativeQuery) -> CooperativeList:
        return CooperativeList(
            cooperatives=[
                c for c in data.cooperatives.values() if request.area_code in c.area_codes
            ]
        )

    async def area(request: AreaCode) -> AreaInfo:
        return AreaInfo(
            code=request.code,
            level="neighbourhood",
            name="Overvecht-Noord",
            municipality_code="GM0344",
        )

    register_rpc(broker, MEMBER_CONTACT, contact)
    register_rpc(broker, MEMBER_CONTACTS, contacts)
    register_rpc(broker, COOPERATIVE_GET, cooperative)
    register_rpc(broker, COOPERATIVE_LIST, cooperatives)
    register_rpc(broker, AREAS_GET, area)
    await broker.start()
    yield data
    await broker.stop()


# ---------------------------------------------------------------- notify itself

FAST = DeliveryConfig(
    attempts_per_channel=3,
    retry_base_seconds=60,
    registry_retry_seconds=5,
    sending_lease_seconds=120,
    poll_seconds=0.05,
)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(MORNING)


@pytest.fixture
def notify_settings(settings_for: Callable[[str], Settings]) -> Settings:
    """One database for the whole test (a restarted notify finds the same rows)."""
    return settings_for("notify").model_copy(
        update={
            "public_url": "https://samen.example",
            "secret_key": TEST_SECRET_KEY,
            "rpc_timeout": 2.0,
        }
    )


@pytest.fixture
def notify_own_settings(smtp: SmtpServer) -> NotifySettings:
    # The tests' webhook is a local json:// endpoint: an operator's own choice.
    return NotifySettings(smtp_url=smtp.url, apprise_extra_schemes="json")


class NotifyFactory:
    def __init__(self, settings: Settings, own: NotifySettings, clock: FrozenClock) -> None:
        self.settings = settings
        self.own = own
        self.clock = clock
        self.started: list[Notify] = []

    async def start(self, config: DeliveryConfig = FAST, **changes: Any) -> Notify:
        """A notify with these settings changed (shared ones and notify's own alike)."""
        own_changes = {k: v for k, v in changes.items() if k in NotifySettings.model_fields}
        shared = {k: v for k, v in changes.items() if k not in own_changes}
        settings = self.settings.model_copy(update=shared)
        own = self.own.model_copy(update=own_changes)
        notify = assemble(settings, self.clock, delivery=config, own=own)
        await notify.runtime.start()
        self.started.append(notify)
        return notify

    async def stop(self, notify: Notify) -> None:
        self.started.remove(notify)
        await notify.runtime.stop()


@pytest.fixture
async def notify_factory(
    notify_settings: Settings,
    notify_own_settings: NotifySettings,
    clock: FrozenClock,
    registry: RegistryData,
) -> AsyncIterator[NotifyFactory]:
    factory = NotifyFactory(notify_settings, notify_own_settings, clock)
    yield factory
    for notify in list(factory.started):
        await notify.runtime.stop()


@pytest.fixture
async def notify(notify_factory: NotifyFactory) -> Notify:
    return await notify_factory.start()


# ---------------------------------------------------------------- events and observations


async def publish(
    notify: Notify, data: EventData, *, msg_id: str | None = None, **kw: Any
) -> Envelope:
    event = kw.pop("event", None) or envelope(data, source="matching", area=AREA, **kw)
    await publish_envelope(notify, event, msg_id=msg_id)
    return event


async def publish_envelope(notify: Notify, event: Envelope, *, msg_id: str | None = None) -> None:
    """Store an event in SAMEN_EVENTS; a different msg_id stores a copy (a redelivery)."""
    await notify.runtime.broker.publish(
        event.model_dump_json().encode(),
        event.subject,
        stream=EVENTS_STREAM,
        timeout=PUBLISH_ACK_TIMEOUT_SECONDS,
        headers={"Nats-Msg-Id": msg_id or event.event_id},
    )


class EventWatcher:
    """Reads notification.sent / notification.failed back from JetStream."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.seen: list[Envelope] = []
        self._nc: Any = None
        self._sub: Any = None

    async def __aenter__(self) -> EventWatcher:
        self._nc = await nats.connect(self.url)
        js = self._nc.jetstream()
        self._sub = await js.subscribe("samen.evt.notification.>", ordered_consumer=True)
        return self

    async def __aexit__(self, *_: object) -> None:
        with contextlib.suppress(Exception):
            await self._sub.unsubscribe()
        await self._nc.close()

    async def drain(self) -> list[Envelope]:
        while True:
            try:
                msg = await self._sub.next_msg(timeout=0.05)
            except (TimeoutError, nats.errors.TimeoutError):
                return self.seen
            self.seen.append(Envelope.model_validate_json(msg.data))

    async def of_type(self, event_type: str) -> list[Envelope]:
        return [e for e in await self.drain() if e.type == event_type]


async def count_rows(notify: Notify, table: Any, **where: Any) -> int:
    async with notify.runtime.sessions() as session:
        query = select(func.count()).select_from(table)
        for column, value in where.items():
            query = query.where(table.c[column] == value)
        return int(await session.scalar(query) or 0)


async def attempts_of(notify: Notify, **where: Any) -> list[tuple[str, str]]:
    """(channel, status) of delivery attempts, in order."""
    async with notify.runtime.sessions() as session:
        query = select(delivery_attempts.c.channel, delivery_attempts.c.status).order_by(
            delivery_attempts.c.at, delivery_attempts.c.id
        )
        for column, value in where.items():
            query = query.where(delivery_attempts.c[column] == value)
        return [(row[0], row[1]) for row in (await session.execute(query)).all()]


async def statuses(notify: Notify) -> dict[str, str]:
    """template:recipient -> status."""
    async with notify.runtime.sessions() as session:
        rows = await session.execute(
            select(notifications.c.template, notifications.c.recipient_id, notifications.c.status)
        )
        return {f"{t}:{r}": s for t, r, s in rows.all()}


def advance(clock: FrozenClock, notify: Notify, delta: timedelta) -> None:
    clock.advance(delta)
    notify.worker.wake()


async def soon(
    probe: Callable[[], Awaitable[T]], *, timeout: float = 30.0, message: str = "condition not met"
) -> T:
    """`eventually` with room for a loaded machine: each event hop may wait for a pull batch."""
    return await eventually(probe, timeout=timeout, message=message)
