"""Request/reply on `samen.rpc.<service>.<verb>` (queue group = service, so replicas share).

Replies are `{"ok": true, "result": ...}` or `{"ok": false, "error": {"code", "message",
"details"}}`; the client raises the matching typed error from `shared.errors`. A missing or slow
service becomes `Unavailable`, never a hang.

Each request carries its caller's deadline (wall-clock seconds). A request still queued when
its deadline has passed is not handled: its caller has already answered "unavailable", so
handling it would spend a busy service's time on an answer nobody reads, and would carry out a
command (a new help request, say) that its caller was told had failed. Hosts' clocks must agree
to within a second or so (NTP); `DEADLINE_GRACE_SECONDS` absorbs the rest.
"""

import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol, TypeVar, cast

import orjson
from faststream.nats import NatsBroker
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeoutError
from pydantic import BaseModel, TypeAdapter, ValidationError

from shared import metrics
from shared.contracts.verbs import Empty, Verb
from shared.db import database_unavailable
from shared.errors import Invalid, SamenError, Unavailable, error_from_code
from shared.handler_params import Message
from shared.logging import correlation, current_correlation_id, get_logger
from shared.tracing import SpanKind, span

log = get_logger(__name__)

CORRELATION_HEADER = "Samen-Correlation-Id"
DEADLINE_HEADER = "Samen-Deadline"
DEADLINE_GRACE_SECONDS = 0.5
EXPIRED = "expired"  # the metric's code for requests not handled because their caller gave up
RPC_CONCURRENCY = 16  # requests of one verb answered at once by one process
Req = TypeVar("Req", bound=BaseModel)
Res = TypeVar("Res")

__all__ = ["Empty", "Rpc", "RpcClient", "Verb", "VerbTable", "register_rpc", "register_verbs"]

_ANYTHING = TypeAdapter(Any)
_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def _adapter(result: Any) -> TypeAdapter[Any]:
    """One TypeAdapter per result type, made once: making one costs 10-150 µs, more than
    validating a reply with it."""
    made = _ADAPTERS.get(result)
    if made is None:
        made = _ADAPTERS[result] = TypeAdapter(result)
    return made


def _to_jsonable(result: Any) -> Any:
    if isinstance(result, BaseModel):
        return result.model_dump(mode="json")
    if isinstance(result, list):
        return [_to_jsonable(r) for r in result]
    return _ANYTHING.dump_python(result, mode="json")


def ok_reply(result: Any) -> bytes:
    return orjson.dumps({"ok": True, "result": _to_jsonable(result)})


def error_reply(error: SamenError) -> bytes:
    return orjson.dumps(
        {
            "ok": False,
            "error": {"code": error.code, "message": error.message, "details": error.details},
        },
        default=str,
        option=orjson.OPT_NON_STR_KEYS,
    )


MAX_FIELD_ERRORS = 20  # a request with a million bad fields is told of the first few
MAX_ERROR_TEXT = 200


def validation_details(exc: ValidationError) -> dict[str, object]:
    """Which fields were not valid: at most MAX_FIELD_ERRORS, never the input itself."""
    errors = exc.errors(include_input=False, include_url=False, include_context=False)
    return {
        "errors": [
            {
                "field": ".".join(str(p) for p in err["loc"])[:MAX_ERROR_TEXT],
                "message": err["msg"][:MAX_ERROR_TEXT],
            }
            for err in errors[:MAX_FIELD_ERRORS]
        ]
    }


def register_rpc(
    broker: NatsBroker, verb: Verb[Req, Any], handler: Callable[[Req], Awaitable[Any]]
) -> None:
    """Answer `verb` (`samen.rpc.<service>.<verb>`) with `handler(request)`, the request
    checked against the verb's request model first."""
    service, name = verb.service, verb.name
    request_model = verb.request
    latency = metrics.rpc_seconds.labels(service, name)

    async def endpoint(msg: Message) -> bytes:
        headers = msg.headers or {}
        if _expired(headers.get(DEADLINE_HEADER)):
            metrics.rpc_errors.labels(service, name, EXPIRED).inc()
            return error_reply(Unavailable("the caller gave up before this was handled"))
        started = time.perf_counter()
        with (
            correlation(headers.get(CORRELATION_HEADER)) as cid,
            span(f"rpc {service}.{name}", cid, SpanKind.SERVER),
        ):
            error: SamenError | None = None
            try:
                request = request_model.model_validate_json(msg.body or b"{}")
                return ok_reply(await handler(request))
            except ValidationError as exc:
                error = Invalid("invalid request", details=validation_details(exc))
            except SamenError as exc:
                error = exc
            except Exception as exc:
                if database_unavailable(exc):
                    # The caller may try again in a moment: "unavailable", not a fault.
                    log.warning(
                        "rpc handler found its database unavailable",
                        subject=verb.subject,
                        error=type(exc).__name__,
                    )
                    error = Unavailable(f"{service} is unavailable for a moment")
                else:
                    log.exception("rpc handler failed", subject=verb.subject)
                    error = SamenError("internal error")
            finally:
                seconds = time.perf_counter() - started
                latency.observe(seconds)
                outcome = "ok" if error is None else error.code
                log.info("rpc answered", verb=verb.subject, outcome=outcome, ms=_ms(seconds))
            assert error is not None  # an answer returned above
            metrics.rpc_errors.labels(service, name, error.code).inc()
            return error_reply(error)

    broker.subscriber(
        verb.subject,
        queue=service,
        # Requests are independent: answer several at once, or one slow database round trip
        # holds up every caller of this verb.
        max_workers=RPC_CONCURRENCY,
        title=verb.subject,
        description=verb.description,
    )(endpoint)


Handler = Callable[[Any], Awaitable[Any]]
VerbTable = Mapping[Verb[Any, Any], Handler]


def register_verbs(broker: NatsBroker, service: str, table: VerbTable) -> None:
    """Answer every verb of a service's table (verb -> its use case)."""
    for verb, handler in table.items():
        if verb.service != service:
            raise ValueError(f"{service} cannot answer {verb}: that is {verb.service}'s verb")
        register_rpc(broker, verb, handler)


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def _expired(deadline: str | None) -> bool:
    if deadline is None:
        return False  # a caller that sets none (an older one, or a tool) waits as it likes
    try:
        return time.time() > float(deadline) + DEADLINE_GRACE_SECONDS
    except ValueError:
        return False


class Rpc(Protocol):
    """What a caller of verbs needs: `RpcClient`, or a client that wraps one."""

    async def call(
        self, verb: Verb[Req, Res], request: Req | None = None, *, timeout: float | None = None
    ) -> Res: ...


class RpcClient:
    def __init__(self, broker: NatsBroker, *, timeout: float = 5.0) -> None:
        self._broker = broker
        self._timeout = timeout

    async def call(
        self, verb: Verb[Req, Res], request: Req | None = None, *, timeout: float | None = None
    ) -> Res:
        """Ask `verb`'s service and return its result, checked against the verb's result
        type; an error answer raises its typed error, no answer in time `Unavailable`."""
        body = request.model_dump_json().encode() if request is not None else b"{}"
        result = await self._ask(verb, body, timeout)
        return cast(Res, _adapter(verb.result).validate_python(result))

    async def call_unchecked(
        self, verb: Verb[Any, Any], payload: Mapping[str, Any], *, timeout: float | None = None
    ) -> Any:
        """Send a payload as a caller outside Python might, unchecked, and return the result
        as it came: for tools and tests of what a service makes of a wrong request."""
        return await self._ask(verb, orjson.dumps(dict(payload), default=str), timeout)

    async def _ask(self, verb: Verb[Any, Any], body: bytes, timeout: float | None) -> Any:
        wait = timeout or self._timeout
        headers = {DEADLINE_HEADER: f"{time.time() + wait:.3f}"}
        if cid := current_correlation_id():
            headers[CORRELATION_HEADER] = cid
        try:
            response = await self._broker.request(body, verb.subject, timeout=wait, headers=headers)
        except (TimeoutError, NatsTimeoutError, NoRespondersError) as exc:
            raise Unavailable(f"{verb.service} did not answer ({verb.name})") from exc
        reply = orjson.loads(response.body)
        if not reply.get("ok"):
            error = reply.get("error") or {}
            raise error_from_code(
                error.get("code", "error"), error.get("message", "error"), error.get("details")
            )
        return reply.get("result")
