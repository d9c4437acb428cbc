"""structlog set-up: JSON in production, readable lines in development.

A correlation id follows each piece of work from HTTP through every event and reply. It is a
UUID or a ULID, whoever sent it: anything else a client or a caller hands in is replaced by a
new id, so free text (an e-mail address, a street) can never ride along into events and logs. A
processor strips personal data, so logs never carry names, e-mail, phone numbers or addresses.
"""

import logging
import re
import sys
import time
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any, Protocol

import structlog

from shared import tracing
from shared.ids import is_id, new_id

PERSONAL_KEYS = frozenset(
    {
        "name",
        "first_name",
        "last_name",
        "email",
        "phone",
        "address",
        "street",
        "house_number",
        "postcode",
        "password",
        "description",
        "comment",
        "note",
        "token",
        "contact",
    }
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_PHONE = re.compile(r"(?<!\d)(?:\+31|0031|0)[\s-]?(?:\d[\s-]?){9}(?!\d)")
REDACTED = "[redacted]"


def scrub(value: Any) -> Any:
    if isinstance(value, str):
        return _PHONE.sub(REDACTED, _EMAIL.sub(REDACTED, value))
    if isinstance(value, dict):
        return {k: REDACTED if k in PERSONAL_KEYS else scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    return value


def drop_personal_data(
    _: Any, __: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key in list(event_dict):
        if key in PERSONAL_KEYS:
            event_dict[key] = REDACTED
        else:
            event_dict[key] = scrub(event_dict[key])
    return event_dict


def _not_faststream_chatter(record: logging.LogRecord) -> bool:
    """FastStream logs each of its subscriber tasks ending ("callback for Task-12 is being
    executed...") at INFO: nothing an operator can act on."""
    message = record.msg
    return not (
        record.name.startswith("faststream")
        and isinstance(message, str)
        and message.startswith("callback for ")
    )


def configure_logging(
    *, service: str, env: str = "development", level: str = "INFO", json: bool | None = None
) -> None:
    """JSON lines when `json` (default: in production), else readable lines."""
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if (env == "production" if json is None else json)
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )

    def add_service(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
        event_dict.setdefault("service", service)
        return event_dict

    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        add_service,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        drop_personal_data,
        structlog.processors.format_exc_info,
    ]
    structlog.configure(
        processors=[*processors, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
        ),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    # Route the standard library (uvicorn, faststream, alembic) through the same pipeline.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
            foreign_pre_chain=processors,
        )
    )
    handler.addFilter(_not_faststream_chatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level.upper())
    for noisy in ("alembic.runtime.migration", "httpx", "aiosqlite"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # FastStream gives its logger a coloured handler of its own and keeps it from the root:
    # its lines (and those of the loggers below it, the services' brokers) come here instead.
    faststream = logging.getLogger("faststream")
    faststream.handlers = []
    faststream.propagate = True


class LogSettings(Protocol):
    @property
    def env(self) -> str: ...
    @property
    def log_level(self) -> str: ...
    def logs_json(self) -> bool: ...


def configure_logging_from(settings: LogSettings, *, service: str) -> None:
    """`configure_logging` as the settings say (SAMEN_ENV, SAMEN_LOG_LEVEL, SAMEN_LOG_FORMAT)."""
    configure_logging(
        service=service, env=settings.env, level=settings.log_level, json=settings.logs_json()
    )


def current_correlation_id() -> str | None:
    value = structlog.contextvars.get_contextvars().get("correlation_id")
    return str(value) if value else None


def accepted_correlation_id(given: str | None) -> str:
    """`given` when it is a UUID or a ULID, else a new id."""
    return given if given is not None and is_id(given) else new_id()


@contextmanager
def correlation(correlation_id: str | None) -> Iterator[str]:
    """Bind a correlation id (a new one when None or not an id) for the work inside the
    block."""
    cid = accepted_correlation_id(correlation_id)
    with structlog.contextvars.bound_contextvars(correlation_id=cid):
        yield cid


def get_logger(name: str | None = None) -> Any:
    return structlog.get_logger(name)


def route_template(scope: Any) -> str:
    """The template of the route a request matched, as the client sees it
    (`/api/v1/requests/{request_id}`): never the path itself, which holds ids."""
    route = getattr(scope.get("route"), "path", None)
    if route is None:
        return "unmatched"
    # A router included with a prefix keeps its routes' own paths: the prefix is what the path
    # has before the route's segments. Prefixes here are plain words (`/api/v1`), never ids.
    path = str(scope.get("path", ""))
    extra = path.rstrip("/").count("/") - route.rstrip("/").count("/")
    if extra > 0 and ":path}" not in route:
        return "/".join(path.split("/")[: extra + 1]) + route
    return route


CORRELATION_HTTP_HEADER = "X-Correlation-Id"
_log = structlog.get_logger(__name__)


class CorrelationIdMiddleware:
    """ASGI middleware: bind the caller's X-Correlation-Id (or a new one) to everything the
    request does — logs, RPC calls, events — and echo it in the response. Only a UUID or a
    ULID is taken; anything else is replaced, and never logged (it may be personal data)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        given = None
        for key, value in scope.get("headers", ()):
            if key == b"x-correlation-id":
                given = value.decode("latin-1")
                break
        cid = accepted_correlation_id(given)
        if given is not None and cid != given:
            _log.debug("a client's correlation id was not a UUID or ULID; a new one was made")
        header = (b"x-correlation-id", cid.encode("latin-1"))
        started = time.perf_counter()
        status = 500

        async def send_with_header(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", ()), header]}
            await send(message)

        # Tokens rather than `correlation()`: this runs on every request, and resetting the
        # one context variable is all that is needed.
        tokens = structlog.contextvars.bind_contextvars(correlation_id=cid)
        try:
            if tracing.enabled():
                name = f"{scope.get('method', 'WS')} {scope.get('path', '')}"
                with tracing.span(name, cid, tracing.SpanKind.SERVER):
                    await self.app(scope, receive, send_with_header)
            else:
                await self.app(scope, receive, send_with_header)
        finally:
            # The route's template, never the path: a path holds ids (personal data).
            _log.info(
                "http request",
                method=scope.get("method", "WS"),
                route=route_template(scope),
                status=status,
                ms=round((time.perf_counter() - started) * 1000, 1),
            )
            structlog.contextvars.reset_contextvars(**tokens)
