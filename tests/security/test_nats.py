"""NATS least privilege, by NATS's own means, against a real nats-server with deploy/nats.

Permissions cannot limit reply subjects: whoever answers a request (JetStream delivering a
pull, answering an API call or acknowledging a publish; a service answering a call) publishes
onto the subject the requester chose. So every party has a NATS account of its own, and those
answers stay in the requester's account. These tests try each route with foreign reply
subjects and check that nothing reaches the streams or anybody else; that services cannot
manage streams; that each service may call only the verbs its code calls; and that no
cooperative id can take a service's or the system's name.
"""

import ast
import asyncio
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from unittest.mock import ANY

import nats
import pytest
from nats.aio.msg import Msg
from nats.js.api import StreamConfig
from pydantic import ValidationError
from typer.testing import CliRunner

from samen.cli import app
from services.registry.domain.cooperatives import Cooperative
from services.registry.domain.cooperatives import check_cooperative as registry_checks
from shared.areas import AreaRef
from shared.contracts.registry import CooperativeAdd
from shared.contracts.verbs import AnyVerb, Verb
from shared.errors import Invalid
from shared.events import MemberRegistered, RequestCreated
from shared.nats_accounts import CALLS, SERVICES, password_variable, verbs_of
from shared.plugin import PluginIdentity, area_subjects, check_cooperative, nats_user_block
from shared.service import ServiceRuntime
from shared.settings import Settings
from shared.streams import CONSUMERS
from shared.subjects import DLQ_STREAM, EVENTS_STREAM, JS_API, JS_API_PREFIX, event_subject
from tests.integration.test_nats_permissions import (
    PLUGIN_USER,
    REPO,
    Connection,
    SecuredNats,
    connect,
    event,
    provisioned,
    publish_as_admin,
    secured_nats_server,
    service_settings,
)
from tests.support import eventually

pytestmark = pytest.mark.integration

OVERVECHT = AreaRef.from_code("BU03440321")  # district WK034403, the example plug-in's
OOST = AreaRef.from_code("BU03440522")  # district WK034405, a second plug-in's
OOST_EVENT = event_subject("request.created", OOST)
MARKER_AREA = AreaRef.from_code("BU03440522")
OOST_PLUGIN = PluginIdentity("utrecht-oost", "board")


@pytest.fixture
def secured(tmp_path: Path) -> Iterator[SecuredNats]:
    """deploy/nats as it ships, plus a second plug-in (Oost's) added the way an operator adds
    one, so that there is a neighbour who must see none of Overvecht's doings."""
    config = tmp_path / "nats"
    shutil.copytree(REPO / "deploy" / "nats", config)
    with (config / "plugins.conf").open("a") as plugins:
        plugins.write("\n" + nats_user_block(OOST_PLUGIN, "WK034405"))
    with secured_nats_server(tmp_path, config / "samen.conf") as server:
        yield server


async def counts(nats_: SecuredNats) -> tuple[int, int]:
    """Messages in SAMEN_EVENTS and SAMEN_DLQ, as the admin sees them."""
    async with connect(nats_, "admin") as admin:
        js = admin.nc.jetstream()
        events = (await js.stream_info(EVENTS_STREAM)).state.messages
        dead = (await js.stream_info(DLQ_STREAM)).state.messages
    return events, dead


@asynccontextmanager
async def watchers(
    nats_: SecuredNats, *, attacker: str, verbs: bool = True
) -> AsyncIterator["Seen"]:
    """Every subject that reaches someone other than the attacker: the admin (everything in
    the streams' account), the gateway (every event live, its reply inbox), Oost's plug-in, and
    (with `verbs`) stand-ins for the registry's and notify's verbs."""
    seen = Seen()

    async def record(msg: Msg) -> None:
        seen.append(msg.subject)

    listens = {
        "admin": ["samen.>"],
        "gateway": ["samen.evt.>", "_INBOX_gateway.>"],
        OOST_PLUGIN.user: [area_subjects("WK034405"), OOST_PLUGIN.ext_subjects],
        "registry": ["samen.rpc.registry.>", "_INBOX_registry.>"],
        "notify": ["samen.rpc.notify.>", "_INBOX_notify.>"],
    }
    async with AsyncExitStack() as stack:
        for user, subjects in listens.items():
            if user == attacker:
                continue  # its own account may see what it did to itself
            if password_variable(user) not in nats_.passwords:
                continue  # a configuration without this party
            watcher: Connection = await stack.enter_async_context(connect(nats_, user))
            for subject in subjects:
                queue = user if subject.startswith("samen.rpc.") else ""
                if queue and not verbs:
                    continue
                await watcher.nc.subscribe(subject, queue=queue, cb=record)
                seen.marker_copies += subject in MARKER_WATCHED
            await watcher.nc.flush()
        yield seen


class Seen(list[str]):
    """The subjects watchers received; `marker_copies`: how many receive a marker event."""

    marker_copies = 0


MARKER_WATCHED = ("samen.>", "samen.evt.>", area_subjects("WK034405"))


async def settle(nats_: SecuredNats, seen: Seen) -> None:
    """Publish a marker event after an attempt and wait until the watchers have it: whatever
    the attempt routed to them was routed before it."""
    marker = event(
        RequestCreated(request_id="r-marker", requester_id="m-x", category="meals"), MARKER_AREA
    )
    await publish_as_admin(nats_, marker)

    async def arrived() -> bool:
        return seen.count(marker.subject) >= seen.marker_copies

    await eventually(arrived, message="the marker did not reach the watchers")
    seen[:] = [s for s in seen if s != marker.subject]


FOREIGN_REPLIES = (
    OOST_EVENT,  # another district's event
    "samen.dlq.notify",  # another's dead letters
    "samen.ext.utrecht-oost.board",  # another cooperative's own subjects
    "samen.rpc.registry.member.erase",  # a verb
    "_INBOX_gateway.stolen",  # another's reply inbox
)


async def pull_with_foreign_replies(
    conn: Connection, durable: str, replies: tuple[str, ...]
) -> Msg:
    """MSG.NEXT and CONSUMER.INFO of the user's own consumer, each with a foreign reply
    subject, under the JetStream API's own name and under its account's name for it; then an
    honest fetch, which the consumer answers after the pulls before it (returned)."""
    for reply in replies:
        for prefix in (JS_API, JS_API_PREFIX):
            await conn.nc.publish(
                f"{prefix}.CONSUMER.MSG.NEXT.{EVENTS_STREAM}.{durable}",
                b'{"batch": 1, "no_wait": true}',
                reply=reply,
            )
            await conn.nc.publish(
                f"{prefix}.CONSUMER.INFO.{EVENTS_STREAM}.{durable}", b"", reply=reply
            )
    await conn.nc.flush()
    js = conn.nc.jetstream(prefix=JS_API_PREFIX)
    sub = await js.pull_subscribe_bind(durable, stream=EVENTS_STREAM)
    (msg,) = await sub.fetch(1, timeout=5)
    return msg


async def test_a_plugins_pull_requests_with_foreign_reply_subjects_reach_nobody(
    secured: SecuredNats,
) -> None:
    await provisioned(secured)
    overvecht = [
        event(RequestCreated(request_id=f"r-{i}", requester_id="m-o", category="garden"), OVERVECHT)
        for i in range(len(FOREIGN_REPLIES) * 3)  # more than the forged pulls could take
    ]
    await publish_as_admin(secured, *overvecht)
    events_before, dead_before = await counts(secured)

    async with (
        watchers(secured, attacker=PLUGIN_USER) as seen,
        connect(secured, PLUGIN_USER) as plugin,
    ):
        msg = await pull_with_foreign_replies(plugin, PLUGIN_USER, FOREIGN_REPLIES)
        # An ack with a reply subject is answered too (the server confirms it there).
        for reply in FOREIGN_REPLIES:
            await plugin.nc.publish(msg.reply, b"+ACK", reply=reply)
        await plugin.nc.flush()
        await settle(secured, seen)
        assert [s for s in seen if s in FOREIGN_REPLIES] == []
        assert seen == []  # nobody else saw anything at all
    assert await counts(secured) == (events_before + 1, dead_before)  # + the marker only


async def registry_publishes(conn: Connection) -> None:
    """The stream acknowledges a publish on its reply subject."""
    own = event(MemberRegistered(member_id="m-2", roles=["resident"]), OVERVECHT)
    for reply in (OOST_EVENT, "samen.dlq.notify"):
        await conn.nc.publish(
            own.subject,
            own.model_dump_json().encode(),
            reply=reply,
            headers={"Nats-Msg-Id": own.event_id},  # stored once
        )
    await conn.nc.flush()


async def matching_pulls(conn: Connection) -> None:
    # (not request.* or match.*: matching may publish those itself)
    replies = (
        event_subject("notification.sent", OOST),
        event_subject("member.registered", OVERVECHT),
        "samen.dlq.notify",
        "samen.rpc.registry.member.erase",
    )
    await pull_with_foreign_replies(conn, "matching", replies)


async def notify_calls(conn: Connection) -> None:
    """The registry answers notify's call on its reply subject, with contact details."""
    for reply in (event_subject("member.registered", OVERVECHT), "samen.dlq.matching"):
        await conn.nc.publish("samen.rpc.registry.member.contact", b"{}", reply=reply)
    await conn.nc.flush()


async def gateway_calls(conn: Connection) -> None:
    for reply in (event_subject("member.updated", OVERVECHT), "samen.dlq.notify"):
        await conn.nc.publish("samen.rpc.registry.member.get", b"{}", reply=reply)
    await conn.nc.flush()


SERVICE_ROUTES: dict[str, Callable[[Connection], Awaitable[None]]] = {
    "registry": registry_publishes,
    "matching": matching_pulls,
    "notify": notify_calls,
    "gateway": gateway_calls,
}


@pytest.mark.parametrize("attacker", list(SERVICE_ROUTES))
async def test_a_services_reply_subjects_reach_nobody(secured: SecuredNats, attacker: str) -> None:
    """Each route a service has: a JetStream publish's ack, its consumer's pulls and API
    answers, the answers of the service it may call."""
    await provisioned(secured)
    member = event(MemberRegistered(member_id="m-1", roles=["resident"]), OVERVECHT)
    await publish_as_admin(secured, member)  # something for matching's consumer to hand out
    events_before, dead_before = await counts(secured)
    answered: list[str] = []

    async def registry_answers(msg: Msg) -> None:  # with personal data
        answered.append(msg.subject)
        await msg.respond(b'{"ok": true, "result": {"email": "an@example.org"}}')

    async with AsyncExitStack() as stack:
        if attacker != "registry":
            responder = await stack.enter_async_context(connect(secured, "registry"))
            await responder.nc.subscribe(
                "samen.rpc.registry.>", queue="registry", cb=registry_answers
            )
            await responder.nc.flush()
        seen = await stack.enter_async_context(
            watchers(secured, attacker=attacker, verbs=False)  # the responder above records
        )
        conn = await stack.enter_async_context(connect(secured, attacker))
        await SERVICE_ROUTES[attacker](conn)
        own_events = 0
        if attacker == "registry":  # its own event is stored; the acks go nowhere
            own_events = 1
            await eventually(
                lambda: more_events(secured, events_before), message="registry did not publish"
            )
        elif attacker != "matching":  # matching's pulls end with its fetch

            async def both_answered() -> bool:
                return len(answered) == 2

            await eventually(both_answered, message=f"{attacker}'s calls were not answered")
        await settle(secured, seen)
        expected = {event_subject("member.registered", OVERVECHT)} if own_events else set()
        leaked = [s for s in seen if s not in expected]
        assert leaked == [], f"{attacker} made the server deliver to {leaked}"
        if attacker in ("notify", "gateway"):
            assert len(answered) == 2  # its two calls and nothing more
        else:
            assert answered == []
    assert await counts(secured) == (events_before + own_events + 1, dead_before)


async def more_events(nats_: SecuredNats, before: int) -> bool:
    return (await counts(nats_))[0] > before


# ------------------------------------------------------------------ streams are the admin's


async def test_services_cannot_create_update_purge_or_delete_streams(
    secured: SecuredNats,
) -> None:
    await provisioned(secured)
    await publish_as_admin(
        secured, event(MemberRegistered(member_id="m-1", roles=["resident"]), OVERVECHT)
    )
    for service in SERVICES:
        async with connect(secured, service) as conn:
            for prefix in (JS_API, JS_API_PREFIX):
                js = conn.nc.jetstream(prefix=prefix)
                attempts = [
                    js.update_stream(
                        StreamConfig(name=EVENTS_STREAM, subjects=["samen.evt.>"], max_msgs=1)
                    ),
                    js.purge_stream(EVENTS_STREAM),
                    js.delete_stream(DLQ_STREAM),
                    js.add_stream(StreamConfig(name="SAMEN_COPY", subjects=["samen.ext.>"])),
                    js.delete_consumer(EVENTS_STREAM, "notify"),
                ]
                results = await asyncio.gather(
                    *(asyncio.wait_for(a, timeout=3) for a in attempts), return_exceptions=True
                )
                allowed = [r for r in results if not isinstance(r, Exception)]
                assert allowed == [], f"{service} managed a stream via {prefix}: {allowed}"
            if service != "registry":  # its only JetStream use is publishing
                assert await conn.refused(f"{JS_API}.STREAM")
    async with connect(secured, "admin") as admin:
        js = admin.nc.jetstream()
        info = await js.stream_info(EVENTS_STREAM)
        assert (info.state.messages, info.config.max_msgs) == (1, -1)
        names = {s.config.name for s in await js.streams_info()}
        assert names == {EVENTS_STREAM, DLQ_STREAM}
        consumers = {c.name for c in await js.consumers_info(EVENTS_STREAM)}
        assert {c.durable for c in CONSUMERS} <= consumers


def test_the_admin_provisions_streams_and_every_consumer(secured: SecuredNats) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SAMEN_", "NATS_"))}
    env.update(
        {
            "NATS_URL": secured.url,
            "SAMEN_NATS_USER": "admin",
            "SAMEN_NATS_PASSWORD": secured.password("admin"),
        }
    )
    done = subprocess.run(
        [sys.executable, "-m", "samen", "provision"], env=env, cwd=REPO, capture_output=True
    )
    assert done.returncode == 0, done.stderr.decode()

    async def check() -> None:
        async with connect(secured, "admin") as admin:
            js = admin.nc.jetstream()
            assert {s.config.name for s in await js.streams_info()} == {EVENTS_STREAM, DLQ_STREAM}
            consumers = {c.name for c in await js.consumers_info(EVENTS_STREAM)}
            assert consumers == {c.durable for c in CONSUMERS}

    asyncio.run(check())


async def test_a_service_does_not_provision_and_says_who_must(
    secured: SecuredNats, database_url: Callable[[str], str], tmp_path: Path
) -> None:
    from services.matching.bootstrap import build

    runtime: ServiceRuntime = build(
        service_settings(secured, "matching", database_url("matching"), tmp_path)
    )
    with pytest.raises(RuntimeError, match="samen provision"):
        await runtime.start()
    await runtime.stop()
    async with connect(secured, "admin") as admin:
        with pytest.raises(nats.js.errors.NotFoundError):
            await admin.nc.jetstream().stream_info(EVENTS_STREAM)
    assert [line for line in secured.violations() if "STREAM" in line] == []


# ------------------------------------------------------------------ verbs


async def test_a_service_may_call_only_the_verbs_it_needs(secured: SecuredNats) -> None:
    forbidden = {
        # the gateway: contact lists are notify's, placements matching's; cooperatives are
        # added by operators (the admin pages change them, and their channels, only)
        "gateway": [
            "samen.rpc.registry.member.contacts",
            "samen.rpc.registry.member.placement",
            "samen.rpc.registry.cooperative.add",
            "samen.rpc.notify.delivery.log",
        ],
        # notify: contact details at send time, never members' records or matching's work
        "notify": [
            "samen.rpc.registry.member.get",
            "samen.rpc.registry.member.erase",
            "samen.rpc.matching.coordinator.match",
        ],
        "matching": ["samen.rpc.registry.member.contact", "samen.rpc.notify.inbox.list"],
        "registry": ["samen.rpc.matching.request.create", "samen.rpc.notify.token.redeem"],
    }
    received: list[str] = []

    async def record(msg: Msg) -> None:
        received.append(msg.subject)
        await msg.respond(b'{"ok": true, "result": {}}')

    async with AsyncExitStack() as stack:
        for service in ("registry", "matching", "notify"):
            responder = await stack.enter_async_context(connect(secured, service))
            await responder.nc.subscribe(f"samen.rpc.{service}.>", queue=service, cb=record)
            await responder.nc.flush()
        for caller, verbs in forbidden.items():
            async with connect(secured, caller) as conn:
                for subject in verbs:
                    await conn.nc.publish(subject, b"{}", reply=f"_INBOX_{caller}.x")
                    assert await conn.refused(subject), f"{caller} may call {subject}"
        # What they do need still works.
        async with connect(secured, "gateway") as gateway:
            await gateway.nc.request("samen.rpc.registry.member.get", b"{}", timeout=5)
        async with connect(secured, "notify") as notify:
            await notify.nc.request("samen.rpc.registry.member.contact", b"{}", timeout=5)
    assert received == ["samen.rpc.registry.member.get", "samen.rpc.registry.member.contact"]


def _called_verbs(caller: str) -> set[AnyVerb]:
    """The verbs `services/<caller>/` calls: `rpc.call(contract.VERB, ...)`, the verb named
    through a contract module or imported from one (either of two in a conditional). Every
    module of shared/contracts counts, also one whose verbs another re-exports (areas)."""
    import importlib
    import pkgutil

    from shared import contracts

    modules = {
        info.name: importlib.import_module(info.name)
        for info in pkgutil.iter_modules(contracts.__path__, f"{contracts.__name__}.")
    }
    calls: set[AnyVerb] = set()
    for path in (REPO / "services" / caller).rglob("*.py"):
        tree = ast.parse(path.read_text())
        aliases = {  # `from shared.contracts import registry as rc`
            alias.asname or alias.name: modules[f"{node.module}.{alias.name}"]
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module
            for alias in node.names
            if f"{node.module}.{alias.name}" in modules
        }
        names = {  # `from shared.contracts.registry import MEMBER_CONTACTS`
            alias.asname or alias.name: getattr(modules[node.module], alias.name)
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module in modules
            for alias in node.names
        }
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("call", "call_unchecked")
                and node.args
            ):
                continue
            for leaf in ast.walk(node.args[0]):
                value = None
                if isinstance(leaf, ast.Attribute) and isinstance(leaf.value, ast.Name):
                    module = aliases.get(leaf.value.id)
                    value = getattr(module, leaf.attr, None) if module else None
                elif isinstance(leaf, ast.Name):
                    value = names.get(leaf.id)
                if isinstance(value, Verb):
                    calls.add(value)
    return calls


@pytest.mark.parametrize("caller", SERVICES)
def test_each_service_may_call_exactly_the_verbs_its_code_calls(caller: str) -> None:
    """shared/nats_accounts.CALLS (which auth.conf is made from) against the code: a new call
    without its grant fails here, and so does a grant nobody uses any more."""
    granted = {verb for verb in CALLS[caller] if verb.name != "health"}
    assert _called_verbs(caller) == granted
    for verb in CALLS[caller]:
        assert verb in verbs_of(verb.service), f"{caller} calls {verb}, which is not declared"


# ------------------------------------------------------------------ cooperative ids


RESERVED = ["gateway", "notify", "registry", "matching", "admin", "sys", "system", "$SYS"]


@pytest.mark.parametrize("cooperative", [*RESERVED, "Overvecht", "a_b", "-x", "a.b", "a>"])
def test_a_cooperative_id_that_is_a_system_name_or_not_a_slug_is_refused(
    cooperative: str,
) -> None:
    with pytest.raises(ValueError):
        check_cooperative(cooperative)
    result = CliRunner().invoke(
        app,
        [
            *("plugin", "nats-user", "--cooperative", cooperative),
            *("--name", "board", "--area", "WK034403"),
        ],
    )
    assert result.exit_code != 0
    assert "user:" not in result.output
    with pytest.raises(ValidationError):
        CooperativeAdd(cooperative_id=cooperative, name="Buurt", area_codes=["WK034403"])
    with pytest.raises(Invalid) as refused:  # the registry's own rule, for its CLI and RPC
        registry_checks(
            Cooperative(cooperative_id=cooperative, name="Buurt", area_codes=["WK034403"]), None
        )
    assert refused.value.details == {"errors": [{"field": "cooperative_id", "message": ANY}]}


def test_a_plugin_never_shares_a_name_or_inbox_with_a_service() -> None:
    for cooperative in ("utrecht-overvecht", "buurt-zuilen", "utrecht-oost"):
        plugin = PluginIdentity(cooperative, "board")
        assert plugin.user not in {*SERVICES, "admin"}
        assert plugin.inbox_prefix not in {
            Settings(nats_user=s).reply_inbox() for s in (*SERVICES, "admin")
        }
        assert plugin.inbox_prefix == f"_INBOX_{plugin.user}"


async def test_a_plugin_sees_no_other_districts_events_nor_anybodys_replies(
    secured: SecuredNats,
) -> None:
    await provisioned(secured)
    got: list[str] = []

    async def record(msg: Msg) -> None:
        got.append(msg.subject)

    async with connect(secured, PLUGIN_USER) as plugin:
        for subject in (area_subjects("WK034405"), "samen.evt.>", "_INBOX_gateway.>", "_INBOX.>"):
            await plugin.nc.subscribe(subject, cb=record)
            assert await plugin.refused(subject)
        await plugin.nc.subscribe(area_subjects("WK034403"), cb=record)
        await plugin.nc.flush()
        oost = event(RequestCreated(request_id="r-x", requester_id="m-x", category="meals"), OOST)
        mine = event(
            RequestCreated(request_id="r-o", requester_id="m-o", category="meals"), OVERVECHT
        )
        await publish_as_admin(secured, oost, mine)

        async def got_mine() -> bool:
            return mine.subject in got

        await eventually(got_mine, message="the plug-in did not get its own district's event")
    assert got == [mine.subject]


# ------------------------------------------------------------------ samen up


async def test_samen_up_runs_nats_with_accounts_and_provisions_as_admin(tmp_path: Path) -> None:
    """Plain `samen up` (no --nats-config, no NATS_URL): nobody gets in without a password,
    and the streams and consumers are there before any service starts."""
    from samen.supervisor import Supervisor

    supervisor = Supervisor(data_dir=tmp_path / "var", http_port=0, services=())
    await supervisor.start()  # nats-server and provisioning; no children
    try:
        assert supervisor.nats is not None
        url = supervisor.nats.url
        with pytest.raises(nats.errors.Error, match="Authorization Violation"):
            await nats.connect(url, allow_reconnect=False, max_reconnect_attempts=0)
        password = supervisor._nats_passwords[password_variable("admin")]
        admin = await nats.connect(url, user="admin", password=password)
        try:
            js = admin.jetstream()
            assert {s.config.name for s in await js.streams_info()} == {EVENTS_STREAM, DLQ_STREAM}
            consumers = {c.name for c in await js.consumers_info(EVENTS_STREAM)}
            assert consumers == {c.durable for c in CONSUMERS}
        finally:
            await admin.close()
    finally:
        await supervisor.stop()
