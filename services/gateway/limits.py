"""Bad input is refused before it costs anything: request bodies and heads have a size limit.

- A body larger than `SAMEN_MAX_BODY_BYTES` is a 413 problem. With a `Content-Length` the
  gateway answers at once, without reading the body or asking who sends it; a body sent
  without one (chunked) is cut off as soon as it has grown past the limit, before anything
  parses it. Every body is a small JSON document or form, but for the routes that take an
  upload (`UPLOAD_PATHS`), whose limit is `SAMEN_MAX_UPLOAD_BYTES`.
  (FastAPI's own `max_body_size` would answer the first case in plain text, not as a problem.)
- A request head (request line and headers) larger than `SAMEN_MAX_HEADER_BYTES` is a 431
  problem; `server_config` makes uvicorn refuse a head four times that size before it has
  even been read in full (httptools would otherwise keep any head in memory, however long).
"""

import asyncio
import json
from typing import Any, ClassVar

import uvicorn
from starlette.exceptions import HTTPException
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from services.gateway.config import GatewaySettings, get_gateway_settings
from services.gateway.problems import PROBLEM_JSON

HEAD_READ_FACTOR = 4  # how much larger than the header limit a head may grow while read in
DISCARD_AT_MOST = 1 << 20  # what a refused connection may still send before it is cut
CLOSE_REFUSED_AFTER_SECONDS = 1.0


def problem_body(status: int, title: str, detail: str, code: str) -> bytes:
    return json.dumps(
        {
            "type": f"https://samen.coop/problems/{code}",
            "title": title,
            "status": status,
            "detail": detail,
            "code": code,
        }
    ).encode()


TOO_LARGE = problem_body(
    413, "Request too large", "The request body is larger than this server accepts.", "too_large"
)
HEADERS_TOO_LARGE = problem_body(
    431,
    "Request header fields too large",
    "The request's headers are larger than this server accepts.",
    "headers_too_large",
)


async def send_problem(send: Any, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def content_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    for name, value in headers:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class BodyTooLarge(HTTPException):
    """Raised by `receive` once a body has grown past the limit; the app's error handler
    answers it as a 413 problem (FastAPI passes HTTPExceptions from reading a body on)."""

    def __init__(self) -> None:
        super().__init__(413, "The request body is larger than this server accepts.")


# Where a coordinator uploads a file (a CSV of members or of the social map): these alone
# take a larger body.
UPLOAD_PATHS = frozenset(
    {"/board/members/import", "/api/v1/coordinator/member-imports", "/board/organisations/import"}
)


class LimitRequestSize:
    """ASGI middleware: a 431 for a head over `max_header_bytes`, a 413 for a body announced
    (`Content-Length`) over `max_body_bytes`, both before the app sees the request; a body
    streamed without a length raises `BodyTooLarge` from `receive` once it is too large."""

    def __init__(
        self,
        app: Any,
        *,
        max_body_bytes: int,
        max_header_bytes: int,
        max_upload_bytes: int | None = None,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_header_bytes = max_header_bytes
        self.max_upload_bytes = max_upload_bytes or max_body_bytes

    def head_size(self, scope: Any) -> int:
        size = len(scope.get("raw_path") or b"") + len(scope.get("query_string", b""))
        for name, value in scope["headers"]:
            size += len(name) + len(value) + 4  # ": " and CRLF
        return size

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            if self.head_size(scope) > self.max_header_bytes:
                await send_problem(send, 431, HEADERS_TOO_LARGE)
                return
            limit = (
                self.max_upload_bytes if scope.get("path") in UPLOAD_PATHS else self.max_body_bytes
            )
            length = content_length(scope["headers"])
            if length is not None and length > limit:
                await send_problem(send, 413, TOO_LARGE)
                return
            if length is None:
                receive = self.counted(receive, limit)
        await self.app(scope, receive, send)

    def counted(self, receive: Any, limit: int) -> Any:
        received = 0

        async def receive_within_limit() -> Any:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge()
            return message

        return receive_within_limit


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, refusing (431) a request head that has grown past
    `max_head_bytes` while still incomplete, instead of keeping it all in memory.

    The answer is written at once; what the client still sends is read and dropped (up to
    `DISCARD_AT_MOST`, for at most `CLOSE_REFUSED_AFTER_SECONDS`) so that closing the
    connection does not reset it before the client has read the answer."""

    max_head_bytes: ClassVar[int] = 64 * 1024

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._reading_head = True
        self._head_bytes = 0
        self._refused = False
        self._discarded = 0

    def on_headers_complete(self) -> None:
        self._reading_head = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._reading_head = True
        self._head_bytes = 0

    def data_received(self, data: bytes) -> None:
        if self._refused:
            self._discarded += len(data)
            if self._discarded > DISCARD_AT_MOST:
                self.transport.close()
            return
        if self._reading_head:
            self._head_bytes += len(data)
        super().data_received(data)
        if self._reading_head and self._head_bytes > self.max_head_bytes:
            self._refuse()

    def _refuse(self) -> None:
        if self.transport.is_closing():
            return
        self._refused = True
        self.transport.write(
            b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
            + f"content-type: {PROBLEM_JSON}\r\n".encode()
            + f"content-length: {len(HEADERS_TOO_LARGE)}\r\n".encode()
            + b"connection: close\r\n\r\n"
            + HEADERS_TOO_LARGE
        )
        asyncio.get_running_loop().call_later(CLOSE_REFUSED_AFTER_SECONDS, self.transport.close)


def server_config(
    app: Any,
    *,
    host: str,
    port: int,
    gateway_settings: GatewaySettings | None = None,
    **options: Any,
) -> uvicorn.Config:
    """The gateway's uvicorn configuration, the same in production and in the tests."""
    limits = gateway_settings or get_gateway_settings()
    max_head = limits.max_header_bytes * HEAD_READ_FACTOR
    protocol = type(
        "GatewayHttpProtocol", (BoundedHttpToolsProtocol,), {"max_head_bytes": max_head}
    )
    options.setdefault("log_config", None)  # structlog owns logging
    for name, value in limits.proxy_options().items():  # forwarded headers: trusted proxies only
        options.setdefault(name, value)
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=protocol,
        # Should someone choose h11 instead, it keeps the same bound on a head.
        h11_max_incomplete_event_size=max_head,
        **options,
    )
