"""Subjects on NATS, built and parsed in one place.

Events:  samen.evt.<aggregate>.<event>.<municipality>.<district>.<neighbourhood>
DLQ:     samen.dlq.<service>
RPC:     samen.rpc.<service>.<verb>
Plug-ins publish on samen.ext.<cooperative>.>
"""

from dataclasses import dataclass

from shared.areas import AreaRef

EVENTS_STREAM = "SAMEN_EVENTS"
DLQ_STREAM = "SAMEN_DLQ"
# How long a publisher waits for a stream's acknowledgement. FastStream's default (0.5 s) is
# shorter than a busy server's fsync; a timeout here is a retry, so waiting longer loses nothing.
PUBLISH_ACK_TIMEOUT_SECONDS = 5.0
EVENT_PREFIX = "samen.evt"
DLQ_PREFIX = "samen.dlq"
RPC_PREFIX = "samen.rpc"
EXT_PREFIX = "samen.ext"
ALL_EVENTS = f"{EVENT_PREFIX}.>"
ADMIN_USER = "admin"  # the operators' NATS user, in the streams' account
JS_API = "$JS.API"
# The JetStream API as services and plug-ins see it in their own NATS accounts (imports from
# the streams' account, deploy/nats/auth.conf): `$JS.API.>` itself is taken there.
JS_API_PREFIX = "samen.js"
ALL_DLQ = f"{DLQ_PREFIX}.>"
NOT_APPLICABLE = "_"


@dataclass(frozen=True)
class EventSubject:
    aggregate: str
    event: str
    area: AreaRef

    @property
    def event_type(self) -> str:
        return f"{self.aggregate}.{self.event}"


def event_subject(event_type: str, area: AreaRef) -> str:
    aggregate, _, event = event_type.partition(".")
    if not aggregate or not event or "." in event:
        raise ValueError(f"event type must be '<aggregate>.<event>', got {event_type!r}")
    tokens = (area.municipality, area.district, area.neighbourhood)
    return ".".join(
        [EVENT_PREFIX, aggregate, event, *(token or NOT_APPLICABLE for token in tokens)]
    )


def parse_event_subject(subject: str) -> EventSubject:
    parts = subject.split(".")
    if len(parts) != 7 or ".".join(parts[:2]) != EVENT_PREFIX:
        raise ValueError(f"not an event subject: {subject!r}")
    _, _, aggregate, event, municipality, district, neighbourhood = parts

    def token(value: str) -> str | None:
        return None if value == NOT_APPLICABLE else value

    return EventSubject(
        aggregate,
        event,
        AreaRef(
            municipality=token(municipality),
            district=token(district),
            neighbourhood=token(neighbourhood),
        ),
    )


def event_filter(event_type: str = "*.*", area: AreaRef | None = None) -> str:
    """A subscription filter: one event type (or `aggregate.*`, `*.*`) in one area (or all).

    `event_filter("request.*", AreaRef.from_code("WK034403"))`
    -> `samen.evt.request.*.GM0344.WK034403.*`
    """
    if area is None or area.most_specific() is None:
        return f"{EVENT_PREFIX}.{event_type}.>"
    tokens = [area.municipality, area.district, area.neighbourhood]
    return ".".join([EVENT_PREFIX, event_type, *(token or "*" for token in tokens)])


def dlq_subject(service: str) -> str:
    return f"{DLQ_PREFIX}.{service}"


def rpc_subject(service: str, verb: str) -> str:
    return f"{RPC_PREFIX}.{service}.{verb}"


def ext_subject(cooperative_id: str, *tokens: str) -> str:
    return ".".join([EXT_PREFIX, cooperative_id, *tokens])
