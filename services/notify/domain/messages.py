"""What each message says: the variables of every template, built from facts.

`message_context` is pure: the service layer fetches contacts and area names first and hands
them in; the preview command and the template tests use the same function with sample facts,
so a template can never need a variable the service does not give it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from services.notify.domain.model import DEFAULT_TIMEZONE, Template
from shared.categories import label
from shared.clock import to_local

DAYS = {
    "nl": ["maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"],
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
}
MONTHS = {
    "nl": [
        "januari", "februari", "maart", "april", "mei", "juni",
        "juli", "augustus", "september", "oktober", "november", "december",
    ],
    "en": [
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ],
}  # fmt: skip


def format_moment(moment: datetime, lang: str, timezone: str = DEFAULT_TIMEZONE) -> str:
    local = to_local(moment, timezone)
    day = DAYS[lang][local.weekday()]
    month = MONTHS[lang][local.month - 1]
    return f"{day} {local.day} {month}, {local:%H:%M}"


def format_day(day: date, lang: str) -> str:
    """'dinsdag 6 januari 2026'."""
    return f"{DAYS[lang][day.weekday()]} {day.day} {MONTHS[lang][day.month - 1]} {day.year}"


def format_window(
    start: datetime | None, end: datetime | None, lang: str, timezone: str = DEFAULT_TIMEZONE
) -> str | None:
    """'dinsdag 6 januari, 09:00 tot 12:00' or None when no time was given; a window that
    ends on a later local day names that day too ('... 23:30 tot woensdag 9 december, 00:30')."""
    if start is None:
        return None
    text = format_moment(start, lang, timezone)
    if end is not None:
        local_start, local_end = to_local(start, timezone), to_local(end, timezone)
        joiner = " tot " if lang == "nl" else " to "
        if local_end.date() == local_start.date():
            text += f"{joiner}{local_end:%H:%M}"
        else:
            text += joiner + format_moment(end, lang, timezone)
    return text


@dataclass(frozen=True)
class Rendered:
    """One message in one language, as the templates made it."""

    subject: str
    text: str
    html: str


LANGUAGES = ("nl", "en")  # the languages of the templates


@dataclass(frozen=True)
class Email:
    to: str
    to_name: str
    subject: str
    text: str
    html: str
    message_id: str  # derived from the idempotency key


class DeliveryError(Exception):
    """A channel did not deliver; `transient`: trying again later may help (a 4xx reply, a
    connection that failed), or not (a 5xx reply, a bad URL)."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True)
class Person:
    """What a message may say about someone: first name, and a phone number only when they
    agreed to share it with the person they are matched with."""

    first_name: str
    phone: str | None = None
    # Someone without e-mail is reached through the coordinator who registered them.
    via_name: str | None = None
    via_contact: str | None = None  # the coordinator's phone, else their e-mail address


@dataclass(frozen=True)
class Facts:
    """Everything a message may be built from, gathered at send time."""

    template: Template
    lang: str
    recipient_first_name: str
    context: dict[str, Any]
    public_url: str
    timezone: str = DEFAULT_TIMEZONE
    others: dict[str, Person] = field(default_factory=dict)  # member id -> person
    area_name: str | None = None
    links: dict[str, str] = field(default_factory=dict)  # accept_url, decline_url


def _when(facts: Facts, ctx: dict[str, Any]) -> str | None:
    def parse(key: str) -> datetime | None:
        value = ctx.get(key)
        return datetime.fromisoformat(value) if value else None

    return format_window(parse("needed_from"), parse("needed_until"), facts.lang, facts.timezone)


def _person(facts: Facts, member_id: str | None) -> Person | None:
    return facts.others.get(member_id) if member_id else None


def message_context(facts: Facts) -> dict[str, Any]:
    """The variables of `facts.template` (StrictUndefined: every one must be here)."""
    ctx = facts.context
    base = facts.public_url.rstrip("/")
    out: dict[str, Any] = {
        "lang": facts.lang,
        "first_name": facts.recipient_first_name,
        "public_url": base,
        "inbox_url": f"{base}/inbox",
        "settings_url": f"{base}/me/notifications",
        "link": None,
    }
    category = ctx.get("category")
    if category:
        out["category"] = label(category, facts.lang)
    template = facts.template
    if template is Template.welcome:
        out["is_volunteer"] = "volunteer" in ctx.get("roles", [])
        out["on_behalf"] = bool(ctx.get("registered_by"))
        out["link"] = f"{base}/me"
    elif template is Template.proposal:
        out["when"] = _when(facts, ctx)
        out["area_name"] = facts.area_name
        out["urgent"] = bool(ctx.get("urgent"))
        distance = ctx.get("distance_km")
        decimal = "," if facts.lang == "nl" else "."
        out["distance"] = (
            None if distance is None else f"{float(distance):.1f}".replace(".", decimal)
        )
        out["expires"] = format_moment(
            datetime.fromisoformat(ctx["expires_at"]), facts.lang, facts.timezone
        )
        out["accept_url"] = facts.links["accept_url"]
        out["decline_url"] = facts.links["decline_url"]
        out["link"] = f"{base}/proposals/{ctx['proposal_id']}"
    elif template is Template.proposal_withdrawn:
        out["when"] = _when(facts, ctx)
        out["link"] = f"{base}/proposals"
    elif template in (Template.request_matched, Template.match_confirmed, Template.reminder):
        if template is Template.match_confirmed:
            other_id = ctx["requester_id"]
        elif template is Template.request_matched:
            other_id = ctx["volunteer_id"]
        else:  # a reminder goes to both; each hears of the other
            other_id = ctx["requester_id"] if ctx["role"] == "volunteer" else ctx["volunteer_id"]
        other = _person(facts, other_id)
        out["when"] = _when(facts, ctx)
        out["other_name"] = other.first_name if other else None
        out["other_phone"] = other.phone if other else None
        out["via_name"] = other.via_name if other else None
        out["via_contact"] = other.via_contact if other else None
        out["area_name"] = facts.area_name
        out["role"] = ctx.get("role", "requester")
        out["link"] = f"{base}/requests/{ctx['request_id']}"
    elif template is Template.escalation:
        out["reason"] = ctx["reason"]
        out["rounds"] = int(ctx.get("rounds", 0))
        out["area_name"] = facts.area_name
        out["urgent"] = bool(ctx.get("urgent"))
        out["link"] = f"{base}/coordinator/board"
    elif template is Template.thanks_requester:
        helper = _person(facts, ctx.get("volunteer_id"))
        out["other_name"] = helper.first_name if helper else None
        out["link"] = f"{base}/requests/{ctx['request_id']}/feedback"
    elif template is Template.thanks_volunteer:
        hours = ctx.get("hours")
        decimal = "," if facts.lang == "nl" else "."
        out["hours"] = None if hours is None else f"{float(hours):g}".replace(".", decimal)
        out["link"] = f"{base}/requests/{ctx['request_id']}/feedback"
    elif template is Template.erasure_confirmed:
        pass
    elif template is Template.registration_attempt:
        out["login_url"] = f"{base}/login"
        out["reset_url"] = f"{base}/password-reset"
        out["link"] = out["login_url"]
    elif template in (Template.password_reset, Template.invitation):
        # The link is a secret: it goes in the e-mail only, not in `link` (the inbox's).
        out["set_password_url"] = ctx["url"]
        out["expires"] = format_moment(
            datetime.fromisoformat(ctx["expires_at"]), facts.lang, facts.timezone
        )
        out["reset_url"] = f"{base}/password-reset"
    elif template is Template.email_change:
        # The link is a secret: in the e-mail only.
        out["confirm_url"] = ctx["url"]
        out["expires"] = format_moment(
            datetime.fromisoformat(ctx["expires_at"]), facts.lang, facts.timezone
        )
    elif template is Template.email_changed:
        out["reset_url"] = f"{base}/password-reset"
    elif template is Template.test_message:
        out["link"] = f"{base}/me/notifications"
    elif template is Template.certificate_expiring:
        out["expires"] = format_day(date.fromisoformat(ctx["expires_on"]), facts.lang)
        out["expired"] = bool(ctx.get("expired"))
        out["role"] = ctx.get("role", "volunteer")
        if out["role"] == "coordinator":
            volunteer = _person(facts, ctx.get("volunteer_id"))
            out["other_name"] = volunteer.first_name if volunteer else None
            out["link"] = f"{base}/board/volunteers"
        else:
            out["link"] = f"{base}/volunteer"
    elif template is Template.digest:
        out["items"] = [
            {
                "category": label(item["category"], facts.lang),
                "reason": item["reason"],
                "rounds": int(item.get("rounds", 0)),
                "area_name": item.get("area_name"),
            }
            for item in ctx["items"]
        ]
        out["link"] = f"{base}/coordinator/board"
    return out
