"""Who may do what on NATS, and the nats-server accounts that say so (deploy/nats/auth.conf).

Every Samen party has a NATS *account* of its own, and an account is a closed world: what its
users publish, and what the server delivers to reply subjects they choose (JetStream
deliveries, API answers, publish acks, RPC answers), lands in that account and goes further
only through the account's imports. So the imports below are the whole of what a party can
reach, whatever reply subject it sets; permissions inside each account say the same again.

- EVENTS holds the streams and the `admin` user (provisioning, backups). It exports ingestion
  of events (`samen.evt.>`, to the services that publish them) and dead letters, the live
  event flow, and per durable consumer the info / next-message / ack subjects.
- REGISTRY, MATCHING, NOTIFY, GATEWAY: one per service. Each imports only its own event
  subjects, its own durable consumers and the RPC verbs it calls (CALLS below), and exports
  each of its verbs only to the accounts that call it.
- PLUGIN_<COOPERATIVE>: one per cooperative plug-in (deploy/nats/plugins.conf), importing only
  its area's events and its own durable consumer (shared/plugin.py renders the block).

Accounts without JetStream reach the JetStream API through imports renamed to
`samen.js.<...>` (JS_API_PREFIX): inside such an account nats-server itself answers
`$JS.API.>` with "JetStream not enabled". `samen nats-config` prints the file; a test keeps
deploy/nats/auth.conf equal to it and CALLS equal to the calls in the services' code.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from types import ModuleType

from shared.contracts import matching as mc
from shared.contracts import notify as nc
from shared.contracts import registry as rc
from shared.contracts.verbs import AnyVerb, Verb, health
from shared.events import PUBLISHED_BY
from shared.streams import consumers_of
from shared.subjects import (
    ADMIN_USER,
    ALL_DLQ,
    ALL_EVENTS,
    EVENT_PREFIX,
    EVENTS_STREAM,
    JS_API,
    JS_API_PREFIX,
    dlq_subject,
    rpc_subject,
)

SERVICES = ("registry", "matching", "notify", "gateway")
EVENTS_ACCOUNT = "EVENTS"

CONTRACTS: dict[str, ModuleType] = {"registry": rc, "matching": mc, "notify": nc}

# Which verbs each service calls (the only ones it may call). The gateway also asks every
# service for its health (/readyz); every service may ask itself (`samen health`, probes).
CALLS: dict[str, tuple[AnyVerb, ...]] = {
    "gateway": (
        rc.AREAS_LIST,  # the area names pages show (services/gateway/area_names.py)
        rc.AREAS_LOOKUP,
        rc.COOPERATIVE_GET,
        rc.COOPERATIVE_LIST,
        rc.COOPERATIVE_UPDATE,
        rc.DIRECTORY_IMPORT,
        rc.DIRECTORY_SEARCH,
        rc.MEMBER_CONTACT,
        rc.MEMBER_ERASE,
        rc.MEMBER_EXPORT,
        rc.MEMBER_FIND_BY_EMAIL,
        rc.MEMBER_GET,
        rc.MEMBER_IMPORT_GET,
        rc.MEMBER_IMPORT_PART,
        rc.MEMBER_INVITATION_DONE,
        rc.MEMBER_INVITATIONS_DUE,
        rc.MEMBER_LIST,
        rc.MEMBER_REGISTER,
        rc.MEMBER_UPDATE,
        rc.OFFER_ADD,
        rc.OFFER_GET,
        rc.OFFER_LIST,
        rc.OFFER_RETIRE,
        rc.OFFER_UPDATE,
        rc.ORGANISATION_ADD,
        rc.ORGANISATION_GET,
        rc.ORGANISATION_LIST,
        rc.ORGANISATION_RETIRE,
        rc.ORGANISATION_UPDATE,
        rc.VOLUNTEER_PROFILE_GET,
        rc.VOLUNTEER_PROFILE_SET,
        health("registry"),
        mc.COORDINATOR_BOARD,
        mc.COORDINATOR_CANCEL,
        mc.COORDINATOR_CANDIDATES,
        mc.COORDINATOR_CLOSE,
        mc.COORDINATOR_MATCH,
        mc.COORDINATOR_REASSIGN,
        mc.MEMBER_EXPORT,
        mc.NOTICE_BOARD,
        mc.PROPOSAL_ACCEPT,
        mc.PROPOSAL_DECLINE,
        mc.PROPOSAL_LIST_FOR_VOLUNTEER,
        mc.REPORT_FIGURES,
        mc.REQUEST_CANCEL,
        mc.REQUEST_COMPLETE,
        mc.REQUEST_CREATE,
        mc.REQUEST_FEEDBACK,
        mc.REQUEST_GET,
        mc.REQUEST_LIST_MINE,
        health("matching"),
        nc.ACCOUNT_NOTICE,
        nc.COOPERATIVE_CHANNELS_GET,
        nc.COOPERATIVE_CHANNELS_SET,
        nc.ERASURE_CONFIRM,
        nc.INBOX_LIST,
        nc.INBOX_MARK_READ,
        nc.MEMBER_EXPORT,
        nc.PREFERENCES_GET,
        nc.PREFERENCES_SET,
        nc.TASK_DONE,
        nc.TASK_GET,
        nc.TASKS_LIST,
        nc.TEST_MESSAGE,
        nc.TOKEN_REDEEM,
        nc.TOKEN_VERIFY,
        health("notify"),
    ),
    # contact details and area names at send time; the cooperative of a member without
    # e-mail, whose coordinators pass its messages on
    "notify": (
        rc.AREAS_GET,
        rc.COOPERATIVE_GET,
        rc.COOPERATIVE_LIST,
        rc.MEMBER_CONTACT,
        rc.MEMBER_CONTACTS,
    ),
    # its read model is built from events; a requester whose events are still on their way
    # is looked up once
    "matching": (rc.MEMBER_PLACEMENT,),
    "registry": (),
}
# The admin (EVENTS) may ask every service for its health, nothing else.
ADMIN_CALLS: tuple[AnyVerb, ...] = tuple(health(s) for s in CONTRACTS)


def verbs_of(service: str) -> tuple[AnyVerb, ...]:
    """The verbs a service's contract module declares, and `health`."""
    module = CONTRACTS.get(service)
    declared = [v for v in vars(module).values() if isinstance(v, Verb)] if module else []
    mine = {v.name: v for v in declared if v.service == service}
    mine["health"] = health(service)
    return tuple(mine[name] for name in sorted(mine))


def account_of(user: str) -> str:
    """The account of a service user (the admin's is EVENTS)."""
    if user == ADMIN_USER:
        return EVENTS_ACCOUNT
    return user.upper().replace("-", "_")


def aggregates_of(service: str) -> tuple[str, ...]:
    return tuple(sorted({m.TYPE.split(".")[0] for m in PUBLISHED_BY.get(service, ())}))


def js_api(prefix: str, *tokens: str) -> str:
    return ".".join([prefix, *tokens])


# ------------------------------------------------------------------------- rendering


@dataclass(frozen=True)
class Import:
    kind: str  # "service" or "stream"
    account: str
    subject: str
    to: str | None = None

    def render(self) -> str:
        to = f', to: "{self.to}"' if self.to else ""
        return f'{{{self.kind}: {{account: {self.account}, subject: "{self.subject}"}}{to}}}'


@dataclass(frozen=True)
class Export:
    kind: str
    subject: str
    accounts: tuple[str, ...] = ()  # empty: any account that imports it (all are the operator's)
    response_type: str | None = None

    def render(self) -> str:
        parts = [f'{self.kind}: "{self.subject}"']
        if self.accounts:
            parts.append(f"accounts: [{', '.join(self.accounts)}]")
        if self.response_type:
            parts.append(f"response_type: {self.response_type}")
        return "{" + ", ".join(parts) + "}"


def password_variable(user: str) -> str:
    return f"SAMEN_NATS_{user.upper().replace('-', '_')}_PASSWORD"


def _items(name: str, items: list[str], level: int) -> list[str]:
    """`name = [` one item a line `]`, indented `level` steps of two spaces."""
    pad = "  " * level
    return [f"{pad}{name} [", *(f"{pad}  {item}" for item in items), f"{pad}]"]


def render_account(
    name: str,
    *,
    user: str,
    publish: Iterable[str],
    subscribe: Iterable[str],
    allow_responses: bool = False,
    imports: Iterable[Import] = (),
    exports: Iterable[Export] = (),
    jetstream: bool = False,
    comment: str = "",
    level: int = 1,
) -> str:
    """One account block, with its single user and that user's permissions."""
    pad = "  " * level
    lines = [f"{pad}# {line}".rstrip() for line in comment.splitlines()]
    lines.append(f"{pad}{name} {{")
    if jetstream:
        lines.append(f"{pad}  jetstream: enabled")
    lines += [
        f"{pad}  users = [",
        f"{pad}    {{",
        f"{pad}      user: {user}",
        f"{pad}      password: ${password_variable(user)}",
        f"{pad}      permissions: {{",
        f"{pad}        publish: {{",
        *_items("allow:", [f'"{s}"' for s in publish], level + 5),
        f"{pad}        }}",
        f"{pad}        subscribe: {{",
        *_items("allow:", [f'"{s}"' for s in subscribe], level + 5),
        f"{pad}        }}",
    ]
    if allow_responses:
        lines.append(f"{pad}        allow_responses: true")
    lines += [f"{pad}      }}", f"{pad}    }}", f"{pad}  ]"]
    imports, exports = list(imports), list(exports)
    if imports:
        lines += _items("imports =", [i.render() for i in imports], level + 1)
    if exports:
        lines += _items("exports =", [e.render() for e in exports], level + 1)
    lines.append(f"{pad}}}")
    return "\n".join(lines)


def consumer_imports(durable: str) -> list[Import]:
    """Reading one durable consumer of SAMEN_EVENTS from an account without JetStream."""
    return [
        Import(
            "service",
            EVENTS_ACCOUNT,
            js_api(JS_API, verb, EVENTS_STREAM, durable),
            js_api(JS_API_PREFIX, verb, EVENTS_STREAM, durable),
        )
        for verb in ("CONSUMER.INFO", "CONSUMER.MSG.NEXT")
    ] + [Import("service", EVENTS_ACCOUNT, f"$JS.ACK.{EVENTS_STREAM}.{durable}.>")]


def consumer_permissions(durable: str) -> list[str]:
    return [
        js_api(JS_API_PREFIX, "CONSUMER.INFO", EVENTS_STREAM, durable),
        js_api(JS_API_PREFIX, "CONSUMER.MSG.NEXT", EVENTS_STREAM, durable),
        f"$JS.ACK.{EVENTS_STREAM}.{durable}.>",
    ]


def callers_of(verb: AnyVerb) -> tuple[str, ...]:
    callers = [account_of(c) for c, calls in CALLS.items() if verb in calls]
    if verb in ADMIN_CALLS:
        callers.append(EVENTS_ACCOUNT)
    return tuple(callers)


def callees_of(caller: str) -> tuple[str, ...]:
    return tuple(sorted({verb.service for verb in CALLS.get(caller, ())}))


def service_account(service: str) -> str:
    """The account block of one service."""
    account = account_of(service)
    aggregates = aggregates_of(service)
    consumers = consumers_of(service)
    answers = service in CONTRACTS
    publish: list[str] = [f"{EVENT_PREFIX}.{a}.>" for a in aggregates]
    imports = [Import("service", EVENTS_ACCOUNT, s) for s in publish]
    if consumers:
        publish.append(dlq_subject(service))
        imports.append(Import("service", EVENTS_ACCOUNT, dlq_subject(service)))
    for consumer in consumers:
        publish += consumer_permissions(consumer.durable)
        imports += consumer_imports(consumer.durable)
    for verb in sorted(CALLS.get(service, ()), key=lambda v: v.service):  # stable: as listed
        publish.append(verb.subject)
        imports.append(Import("service", account_of(verb.service), verb.subject))
    subscribe = [f"_INBOX_{service}.>"]
    if answers:
        publish.append(health(service).subject)  # asks itself (probes)
        subscribe.insert(0, f"{rpc_subject(service, '>')} {service}")  # in its queue group
    if service == "gateway":  # follows events live for server-sent events
        subscribe.insert(0, ALL_EVENTS)
        imports.append(Import("stream", EVENTS_ACCOUNT, ALL_EVENTS))
    exports = [
        Export("service", verb.subject, callers)
        for verb in verbs_of(service)
        if (callers := callers_of(verb))
    ]
    comment = f"{service}: " + (
        f"publishes {', '.join(aggregates)} events; " if aggregates else "publishes no events; "
    )
    comment += (
        f"reads its durable consumer{'s' if len(consumers) > 1 else ''} "
        f"{', '.join(c.durable for c in consumers)}; "
        if consumers
        else ""
    )
    called = ", ".join(callees_of(service))
    comment += f"calls {called}" if called else "calls nobody"
    if service == "gateway":
        comment += "; follows every event live"
    return render_account(
        account,
        user=service,
        publish=publish,
        subscribe=subscribe,
        allow_responses=answers,
        imports=imports,
        exports=exports,
        comment=comment,
    )


def events_account() -> str:
    publishers = tuple(account_of(s) for s in SERVICES if aggregates_of(s))
    dead_letterers = tuple(account_of(s) for s in SERVICES if consumers_of(s))
    exports = [
        Export("service", ALL_EVENTS, publishers),
        Export("service", ALL_DLQ, dead_letterers),
        Export("stream", ALL_EVENTS),
        Export("service", js_api(JS_API, "CONSUMER.INFO", EVENTS_STREAM, "*")),
        Export("service", js_api(JS_API, "CONSUMER.MSG.NEXT", EVENTS_STREAM, "*"), (), "stream"),
        Export("service", f"$JS.ACK.{EVENTS_STREAM}.*.>"),
    ]
    imports = [Import("service", account_of(verb.service), verb.subject) for verb in ADMIN_CALLS]
    return render_account(
        EVENTS_ACCOUNT,
        user=ADMIN_USER,
        publish=[">"],
        subscribe=[">"],
        imports=imports,
        exports=exports,
        jetstream=True,
        comment=(
            "The streams and the operators' admin user (`samen provision`, `nats stream backup`,\n"
            "plug-in consumers). Never give it to a service. The consumer and live-event exports\n"
            "are open to every account in this configuration (all of them the operator's): each\n"
            "account imports its own consumer and area only."
        ),
    )


HEADER = """\
# NATS accounts, users and permissions of Samen (included by samen.conf and by the Kubernetes
# configuration). GENERATED by `samen nats-config` from shared/nats_accounts.py (who calls
# which verb, who publishes which events, the durable consumers): do not edit by hand; a
# test keeps this file equal to the generator. Plug-in accounts go into plugins.conf.
#
# Each party is an account of its own: what its user publishes, and what the server delivers
# to any reply subject it picks, stays in its account and leaves it only through the imports
# listed there. Streams live in EVENTS; services reach the JetStream API of their own
# durable consumers as samen.js.* (SAMEN_NATS_JS_API_PREFIX); only the admin provisions.
#
# Passwords come from the environment (`$SAMEN_NATS_<USER>_PASSWORD`); nats-server refuses to
# start when one is missing. deploy/nats/dev.env holds development defaults; `samen up
# --nats-config` makes random ones for the run. In production set them from your secret store,
# or replace each `$VAR` by a bcrypt hash (`nats server passwd`).
"""


def auth_conf() -> str:
    """The whole of deploy/nats/auth.conf."""
    blocks = [events_account(), *(service_account(s) for s in SERVICES)]
    body = "\n\n".join(blocks)
    plugins = (
        "  # Cooperative plug-ins, an account each: `samen plugin nats-user --cooperative ...`\n"
        '  include "plugins.conf"'
    )
    return f"{HEADER}\naccounts {{\n{body}\n\n{plugins}\n}}\n"
