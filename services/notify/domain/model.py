"""The notify domain: what a notification is, when it may go out, and over which channel.

Pure: no I/O, no framework. Times are aware datetimes in UTC unless a name says local.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = "Europe/Amsterdam"
DEFAULT_QUIET_START = "22:00"
DEFAULT_QUIET_END = "08:00"


class Template(StrEnum):
    """Every message notify sends; each has nl and en, subject, text and HTML."""

    welcome = "welcome"
    proposal = "proposal"
    proposal_withdrawn = "proposal_withdrawn"
    request_matched = "request_matched"
    match_confirmed = "match_confirmed"
    escalation = "escalation"
    thanks_requester = "thanks_requester"
    thanks_volunteer = "thanks_volunteer"
    reminder = "reminder"
    erasure_confirmed = "erasure_confirmed"
    digest = "digest"
    registration_attempt = "registration_attempt"  # account.notice: someone used your address
    password_reset = "password_reset"  # account.notice: the link to set a new password
    invitation = "invitation"  # account.notice: registered for you; the link to set a password
    email_change = "email_change"  # account.notice: the link confirming a new address, to it
    email_changed = "email_changed"  # account.notice: to the old address, once it has changed
    test_message = "test_message"  # the member asked to see their channels work
    # A volunteer's certificate of conduct runs out soon or ran out: to them and to the
    # coordinators of their area (`role` in the context says which).
    certificate_expiring = "certificate_expiring"


ACCOUNT_LINK_TEMPLATES = frozenset(
    {Template.password_reset, Template.invitation, Template.email_change}
)
"""Messages carrying a link that opens the account: e-mail only (never the inbox or an
Apprise channel, where others may read along), and their link is forgotten once they are out."""
ADDRESSED_TEMPLATES = frozenset({Template.email_change, Template.email_changed})
"""Messages about a change of address: they go to the address in their context (`to`: the
new one, which the registry does not hold yet; the old one, which it no longer holds)."""
EMAIL_ONLY_TEMPLATES = ACCOUNT_LINK_TEMPLATES | ADDRESSED_TEMPLATES
"""E-mail only, to the member's own mailbox; what the context holds is forgotten once out."""
ASKED_NOW_TEMPLATES = frozenset(
    {Template.password_reset, Template.email_change, Template.test_message}
)
"""Messages the member is waiting for at this moment: quiet hours do not hold them."""


class Status(StrEnum):
    pending = "pending"  # due at due_at
    held = "held"  # waiting for quiet hours (or the digest) to end
    retrying = "retrying"  # a transient failure; due again at due_at
    sending = "sending"  # handed to a channel; outcome not yet recorded
    sent = "sent"
    failed = "failed"  # every channel tried
    uncertain = "uncertain"  # found "sending" after a crash: not sent again
    cancelled = "cancelled"  # no longer relevant (request cancelled, member erased)


OPEN_STATUSES = (Status.pending, Status.held, Status.retrying)


# What a request's end makes stale: a message still held (quiet hours, the digest) or not yet
# sent about the request is cancelled when its reason has gone. Messages the same event
# creates are not in its own list (`request.matched` makes the reminders, `request.completed`
# the thanks), so a redelivered event cancels nothing it just wrote.
_ABOUT_AN_OPEN_REQUEST = (Template.escalation, Template.proposal)
_ABOUT_A_MATCH = (Template.reminder, Template.request_matched, Template.match_confirmed)
STALE_WHEN = {
    "matched": _ABOUT_AN_OPEN_REQUEST,
    "completed": (*_ABOUT_AN_OPEN_REQUEST, Template.reminder),
    "cancelled": (*_ABOUT_AN_OPEN_REQUEST, *_ABOUT_A_MATCH),
    "expired": (*_ABOUT_AN_OPEN_REQUEST, *_ABOUT_A_MATCH),
}


def stale_templates(outcome: str) -> tuple[Template, ...]:
    """The messages about a request that its `outcome` (matched, completed, cancelled,
    expired) makes pointless to send."""
    return STALE_WHEN[outcome]


def cancel_reason(outcome: str) -> str:
    """The delivery log's words for a message cancelled by a request's outcome."""
    return f"request {outcome} before it went out"


class RecipientKind(StrEnum):
    member = "member"
    cooperative = "cooperative"  # a cooperative's own channels (group chat via Apprise)
    coordinators = "coordinators"  # a cooperative's coordinators, looked up at send time


def recipient_key(kind: RecipientKind, recipient_id: str) -> str:
    """The recipient part of an idempotency key (members by id, others by kind and id)."""
    return recipient_id if kind is RecipientKind.member else f"{kind.value}:{recipient_id}"


def idempotency_key(event_id: str, recipient_id: str, template: str) -> str:
    """One message per person and purpose: a redelivered event finds the same key."""
    return f"{event_id}:{recipient_id}:{template}"


def message_id(key: str, domain: str) -> str:
    """The e-mail Message-ID of a notification: derived from its idempotency key, so a
    receiving side can recognise a copy."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"<{digest}@{domain}>"


def parse_hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def digest_time_for(own: str | None, cooperative: str | None, default: str) -> str:
    """When a coordinator's daily digest goes out: at the time they chose, else at the time
    the cooperative the escalation is about chose for its coordinators, else the default."""
    return own or cooperative or default


@dataclass(frozen=True)
class QuietHours:
    start: time = time(22, 0)
    end: time = time(8, 0)
    timezone: str = DEFAULT_TIMEZONE

    @classmethod
    def of(cls, start: str, end: str, timezone: str) -> QuietHours:
        return cls(parse_hhmm(start), parse_hhmm(end), timezone)

    def _contains(self, moment: time) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    def ends_at(self, now: datetime) -> datetime | None:
        """When the quiet hours that `now` falls in end (UTC), or None when it is not quiet."""
        zone = ZoneInfo(self.timezone)
        local = now.astimezone(zone)
        if not self._contains(local.time()):
            return None
        end_date = local.date()
        if local.time() >= self.end:
            end_date += timedelta(days=1)
        local_end = datetime.combine(end_date, self.end, tzinfo=zone)
        return local_end.astimezone(now.tzinfo)


def release_time(now: datetime, quiet: QuietHours, *, urgent: bool) -> datetime | None:
    """When a message due `now` may go out: None means now. Only urgent messages break
    quiet hours."""
    if urgent:
        return None
    return quiet.ends_at(now)


def next_local_time(now: datetime, at: time, timezone: str) -> datetime:
    """The next moment (after now) that the local clock shows `at`, in now's zone."""
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    candidate = datetime.combine(local.date(), at, tzinfo=zone)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), at, tzinfo=zone)
    return candidate.astimezone(now.tzinfo)


def retry_delay(attempt: int, *, base_seconds: float, cap_seconds: float = 3600.0) -> timedelta:
    """Exponential backoff after the n-th failed attempt on a channel: base, 2 base, 4 base..."""
    return timedelta(seconds=min(cap_seconds, base_seconds * 2 ** max(0, attempt - 1)))


def channel_plan(preferred: list[str], *, has_email: bool, apprise_urls: list[str]) -> list[str]:
    """The external channels to try, in order: the member's preference, skipping channels
    with no address, up to "inbox" (the inbox always has the message: what the member put
    after it is not tried). Empty means the in-app inbox is the only channel."""
    usable = {"email": has_email, "apprise": bool(apprise_urls)}
    plan: list[str] = []
    for channel in preferred:
        if channel == "inbox":
            break
        if usable.get(channel) and channel not in plan:
            plan.append(channel)
    return plan


# Apprise services that post to their own fixed host (Telegram, SMS providers, chat services):
# a member's URL names an account there, never a machine of its choosing.
HOSTED_APPRISE_SCHEMES = frozenset(
    {
        "tgram", "twilio", "msgbird", "clicksend", "bulksms", "vonage", "nexmo", "d7sms",
        "plivo", "46elks", "elks", "seven", "whatsapp", "threema", "discord", "slack",
        "pover", "pbul",
    }
)  # fmt: skip
WEBHOOK_SCHEMES = frozenset({"json", "jsons", "xml", "xmls", "form", "forms", "http", "https"})
"""Never allowed unless the operator names them (SAMEN_APPRISE_EXTRA_SCHEMES): they post to
any address a member writes, a way into the network the service runs in."""


def apprise_scheme(url: str) -> str:
    return url.split("://", 1)[0].lower() if "://" in url else ""


def apprise_allowed(url: str, extra: frozenset[str] = frozenset()) -> bool:
    """Whether a member may use this Apprise URL: a hosted service's scheme, or one the
    operator allowed (webhooks, a Signal gateway of their own)."""
    scheme = apprise_scheme(url)
    return scheme in HOSTED_APPRISE_SCHEMES or scheme in extra


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_URL_SECRET = re.compile(r"(\w+://)[^\s/]+")


def redact(error: str, limit: int = 500) -> str:
    """An error text fit for the delivery log: no addresses, no credentials in URLs."""
    text = _EMAIL.sub("<address>", error)
    text = _URL_SECRET.sub(r"\1<redacted>", text)
    return text[:limit]
