"""Delivery channels: e-mail over SMTP (aiosmtplib) or into .eml files, and Apprise URLs.

A channel either returns (delivered) or raises `DeliveryError`; `transient` says whether trying
again later may help (a 4xx reply, a connection that failed) or not (a 5xx reply, a bad URL).
They implement the service layer's `EmailChannel` and `AppriseChannel`.
"""

from __future__ import annotations

import asyncio
import binascii
import contextlib
import functools
import hashlib
import re
import time
from dataclasses import dataclass
from email.header import Header
from email.utils import format_datetime, formataddr, parseaddr
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib
import apprise

from services.notify.domain.messages import DeliveryError, Email
from services.notify.domain.model import apprise_allowed, apprise_scheme
from shared.clock import Clock


@functools.lru_cache(maxsize=1024)  # subjects and senders repeat; encoding them is slow
def _header(name: str, value: str) -> str:
    """A header line, encoded (RFC 2047) when it is not ASCII and folded when it is long."""
    charset = None if value.isascii() else "utf-8"
    return f"{name}: {Header(value, charset, header_name=name).encode()}"


@functools.lru_cache(maxsize=16)
def _from(sender: str) -> str:
    return f"From: {formataddr(parseaddr(sender), charset='utf-8')}"


def _quoted_printable(text: str) -> bytes:
    # "From " at the start of a line is encoded so that no mbox tool mangles it into ">From ".
    body = binascii.b2a_qp(text.encode("utf-8"), istext=True)
    body = body.replace(b"\nFrom ", b"\n=46rom ")
    return b"=46rom " + body[5:] if body.startswith(b"From ") else body


def render_message(email: Email, *, sender: str, date_header: str) -> bytes:
    """A text and HTML e-mail, 7-bit clean (quoted-printable bodies, RFC 2047 headers), as
    the bytes of an .eml file or an SMTP DATA command.

    Written out here rather than through `email.message`: the standard library's generator
    cost about 0.8 ms per message on the reference machine, the largest single cost of a
    delivery; this costs a tenth. The parts are the standard library's own encoders, and the
    tests read every message back with its parser. The boundary starts with "=_", which
    quoted-printable text can never contain."""
    boundary = "=_" + hashlib.sha1(email.message_id.encode()).hexdigest()
    head = "\n".join(
        (
            f'Content-Type: multipart/alternative;\n boundary="{boundary}"',
            "MIME-Version: 1.0",
            _from(sender),
            f"To: {formataddr((email.to_name, email.to), charset='utf-8')}",
            _header("Subject", email.subject),
            f"Message-ID: {email.message_id}",
            f"Date: {date_header}",
            "Auto-Submitted: auto-generated",
        )
    )
    parts = [head.encode("ascii"), b"\n"]
    for subtype, text in (("plain", email.text), ("html", email.html)):
        parts += [
            f"\n--{boundary}\n".encode(),
            f'Content-Type: text/{subtype}; charset="utf-8"\n'.encode(),
            b"Content-Transfer-Encoding: quoted-printable\n\n",
            _quoted_printable(text),
        ]
    parts.append(f"\n--{boundary}--\n".encode())
    return b"".join(parts)


@dataclass(frozen=True)
class SmtpConfig:
    hostname: str
    port: int
    username: str | None = None
    password: str | None = None
    use_tls: bool = False  # smtps://
    start_tls: bool | None = None  # None: if the server offers it
    timeout: float = 30.0

    @classmethod
    def from_url(cls, url: str) -> SmtpConfig:
        """smtp://user:pass@host:587 (STARTTLS when offered; ?starttls=require|off),
        smtps://user:pass@host:465 (TLS from the start)."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError(f"SAMEN_SMTP_URL must start with smtp:// or smtps://, not {url!r}")
        tls = parts.scheme == "smtps"
        query = parse_qs(parts.query)
        start_tls: bool | None = None
        if "starttls" in query:
            start_tls = {"require": True, "off": False}.get(query["starttls"][0])
        return cls(
            hostname=parts.hostname or "localhost",
            port=parts.port or (465 if tls else 25),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_tls=tls,
            start_tls=False if tls else start_tls,
            timeout=float(query.get("timeout", ["30"])[0]),
        )


@dataclass
class _SmtpConnection:
    smtp: aiosmtplib.SMTP
    sent: int = 0  # messages it carried
    idle_since: float = 0.0  # time.monotonic()


# A connection unused for longer than this is asked whether it is still there (NOOP) before
# it carries a message: a server that dropped it meanwhile then costs a new connection, not a
# failed send.
CHECK_IDLE_AFTER_SECONDS = 2.0


class SmtpChannel:
    """E-mail over SMTP, on connections kept open from one message to the next.

    A new connection costs a TCP handshake and EHLO and, on most relays, STARTTLS and AUTH:
    several round trips and more CPU than the message it carries. So a connection goes back
    to the channel after its message, and the next message takes it (concurrent sends open
    more). At most `max_idle` wait; one unused for `idle_seconds`, or that carried
    `messages_per_connection` messages, is closed, since relays drop idle clients and cap
    the messages per connection. A connection whose send failed in any way is closed, never
    used again."""

    def __init__(
        self,
        config: SmtpConfig,
        *,
        sender: str,
        clock: Clock,
        max_idle: int = 16,
        idle_seconds: float = 20.0,
        messages_per_connection: int = 100,
    ) -> None:
        self._config = config
        self._sender = sender
        self._envelope_sender = parseaddr(sender)[1]  # the bare address, for MAIL FROM
        self._clock = clock
        self._max_idle = max_idle
        self._idle_seconds = idle_seconds
        self._messages_per_connection = messages_per_connection
        self._idle: list[_SmtpConnection] = []  # the most recently used last

    async def send(self, email: Email) -> None:
        message = render_message(
            email, sender=self._sender, date_header=format_datetime(self._clock.now())
        )
        try:
            await self._send(message, email.to)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            raise DeliveryError(
                f"recipient refused: {'; '.join(f'{r.code} {r.message}' for r in exc.recipients)}",
                transient=all(400 <= code < 500 for code in codes),
            ) from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise DeliveryError(
                f"SMTP {exc.code} {exc.message}", transient=not 500 <= exc.code < 600
            ) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise DeliveryError(f"SMTP: {type(exc).__name__}: {exc}", transient=True) from exc

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        await _quit_all(idle)

    @property
    def open_connections(self) -> int:
        """Connections waiting for the next message."""
        return len(self._idle)

    async def _send(self, message: bytes, to: str) -> None:
        connection = await self._take()
        try:
            await self._send_on(connection, message, to)
        except (aiosmtplib.SMTPResponseException, aiosmtplib.SMTPRecipientsRefused) as exc:
            if connection.sent == 0 or not _closing(exc):
                raise
            # A server ends with 421 a connection it takes no more messages on (its cap per
            # connection, or it is shutting down), having accepted nothing of this message:
            # it goes out once more, on a connection of its own.
            await self._send_on(await self._connect(), message, to)

    async def _send_on(self, connection: _SmtpConnection, message: bytes, to: str) -> None:
        try:
            await connection.smtp.sendmail(self._envelope_sender, [to], message)
        except BaseException:
            connection.smtp.close()  # in a state not known: not used again
            raise
        connection.sent += 1
        await self._give_back(connection)

    async def _take(self) -> _SmtpConnection:
        now = time.monotonic()
        await _quit_all(self._take_stale(now))
        while self._idle:
            connection = self._idle.pop()
            if not connection.smtp.is_connected:
                connection.smtp.close()  # the server hung up meanwhile
                continue
            recent = now - connection.idle_since < CHECK_IDLE_AFTER_SECONDS
            if recent or await _answers(connection.smtp):
                return connection
            connection.smtp.close()
        return await self._connect()

    async def _connect(self) -> _SmtpConnection:
        c = self._config
        smtp = aiosmtplib.SMTP(
            hostname=c.hostname,
            port=c.port,
            username=c.username,
            password=c.password,
            use_tls=c.use_tls,
            start_tls=c.start_tls,
            timeout=c.timeout,
        )
        try:
            await smtp.connect()  # with STARTTLS and AUTH, as configured
        except BaseException:
            smtp.close()
            raise
        return _SmtpConnection(smtp)

    async def _give_back(self, connection: _SmtpConnection) -> None:
        now = time.monotonic()
        stale = self._take_stale(now)
        if connection.sent >= self._messages_per_connection or len(self._idle) >= self._max_idle:
            stale.append(connection)
        else:
            connection.idle_since = now
            self._idle.append(connection)
        await _quit_all(stale)

    def _take_stale(self, now: float) -> list[_SmtpConnection]:
        """Takes out the connections unused for `idle_seconds`: the server is about to drop
        them."""
        stale = [c for c in self._idle if now - c.idle_since >= self._idle_seconds]
        self._idle = [c for c in self._idle if now - c.idle_since < self._idle_seconds]
        return stale


def _closing(exc: aiosmtplib.SMTPResponseException | aiosmtplib.SMTPRecipientsRefused) -> bool:
    """A 421 reply: the server closes the connection."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return all(refused.code == 421 for refused in exc.recipients)
    return exc.code == 421


async def _answers(smtp: aiosmtplib.SMTP) -> bool:
    try:
        await smtp.noop()
    except (aiosmtplib.SMTPException, OSError, TimeoutError):
        return False
    return True


async def _quit(smtp: aiosmtplib.SMTP) -> None:
    """Say goodbye if the server still listens; close the connection either way."""
    with contextlib.suppress(aiosmtplib.SMTPException, OSError, TimeoutError):
        await smtp.quit()
    smtp.close()


async def _quit_all(connections: list[_SmtpConnection]) -> None:
    await asyncio.gather(*(_quit(connection.smtp) for connection in connections))


_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


class EmlChannel:
    """No SMTP server configured: write each e-mail as a .eml file under
    <data_dir>/mail/<date>/, named after its Message-ID, so writing it again replaces it."""

    def __init__(self, directory: Path, *, sender: str, clock: Clock) -> None:
        self.directory = directory
        self._sender = sender
        self._clock = clock
        self._folders: set[Path] = set()  # made already

    async def send(self, email: Email) -> None:
        data = render_message(
            email, sender=self._sender, date_header=format_datetime(self._clock.now())
        )
        name = _UNSAFE.sub("_", email.message_id.strip("<>").split("@")[0])
        # One folder a day keeps folders small and in order; the same message (same Message-ID,
        # same day) replaces its own file, with no need to look at the others.
        target = self.directory / self._clock.now().strftime("%Y-%m-%d") / f"{name}.eml"

        def write() -> None:
            if target.parent not in self._folders:
                target.parent.mkdir(parents=True, exist_ok=True)
                self._folders.add(target.parent)
            tmp = target.with_suffix(".tmp")
            try:
                tmp.write_bytes(data)
            except FileNotFoundError:  # the folder was removed meanwhile
                target.parent.mkdir(parents=True, exist_ok=True)
                tmp.write_bytes(data)
            tmp.replace(target)

        try:
            await asyncio.to_thread(write)
        except OSError as exc:
            raise DeliveryError(f"writing the e-mail file failed: {exc}", transient=True) from exc

    async def close(self) -> None:
        """Nothing is held open between messages."""


class AppriseSender:
    """Other channels (SMS, Signal, Telegram, Matrix, webhooks, ...) through Apprise URLs."""

    def __init__(self, timeout: float = 30.0, allowed: frozenset[str] = frozenset()) -> None:
        self._timeout = timeout
        self._allowed = allowed  # schemes beyond the hosted services (SAMEN_APPRISE_EXTRA_SCHEMES)

    async def send(self, urls: list[str], *, title: str, body: str) -> None:
        notifier = apprise.Apprise()
        for url in urls:
            if not apprise_allowed(url, self._allowed):
                # Saved before the operator took the scheme off the list: not called now.
                raise DeliveryError(
                    f"Apprise scheme not allowed ({apprise_scheme(url)}://...)", transient=False
                )
            if not notifier.add(url):
                scheme = url.split("://", 1)[0]
                raise DeliveryError(f"not a usable Apprise URL ({scheme}://...)", transient=False)
        result = await notifier.async_notify(body=body, title=title, timeout=self._timeout)
        if not result:
            raise DeliveryError(
                f"Apprise: {result.failed_count} of {len(urls)} endpoints failed "
                f"({result.status.name.lower()})",
                transient=True,
            )


def mail_domain(sender: str) -> str:
    address = parseaddr(sender)[1]
    return address.rsplit("@", 1)[-1] if "@" in address else "samen.local"
