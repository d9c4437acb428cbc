"""What the delivery worker does with a notification: the decisions, without the I/O.

The worker gathers (preferences, contacts, links), renders, and then asks these functions:
`decide` before anything is sent (send now, hold, pass on, finish in the inbox, give up),
`after_failure` when a send failed (retry, fall back to the next channel, or fail for good).
The steps are what a round records, one per notification, in one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from services.notify.domain.messages import Rendered
from services.notify.domain.model import (
    ADDRESSED_TEMPLATES,
    ASKED_NOW_TEMPLATES,
    EMAIL_ONLY_TEMPLATES,
    QuietHours,
    RecipientKind,
    Template,
    channel_plan,
    digest_time_for,
    next_local_time,
    parse_hhmm,
    release_time,
    retry_delay,
)
from services.notify.domain.notification import Notification
from services.notify.domain.passing_on import passed_on
from shared.contracts.notify import Preferences
from shared.contracts.registry import MemberContact

# A notification as read (a database row): the steps carry it to the recording.
Row = Mapping[Any, Any]


@dataclass
class Recipient:
    """Who a message goes to, as far as this one delivery needs to know."""

    first_name: str
    name: str
    language: str
    email: str | None
    preferences: Preferences
    apprise_urls: list[str]
    # Set when the member has no address of their own: the coordinators who pass it on.
    passed_on_by: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Composed:
    recipient: Recipient
    rendered: Rendered
    link: str | None
    # The inbox item in the other languages, for a page in one of them: language -> message.
    translations: dict[str, Rendered] = field(default_factory=dict)


# What a round does with each notification before anything is sent (all in one transaction).


@dataclass(frozen=True)
class Send:
    row: Row
    composed: Composed
    plan: list[str]
    channel: str
    # The entity, "sending" once this worker claimed it; its outcome is recorded on it.
    notification: Notification


@dataclass(frozen=True)
class Hold:
    row: Row
    composed: Composed
    channel: str
    until: datetime
    digest: bool


@dataclass(frozen=True)
class PassOn:
    """Samen cannot write to the member: their coordinators get it as a task."""

    row: Row
    composed: Composed


@dataclass(frozen=True)
class FinishInInbox:
    row: Row
    composed: Composed


@dataclass(frozen=True)
class GiveUp:
    row: Row
    composed: Composed


@dataclass(frozen=True)
class Cancel:
    row: Row
    reason: str


@dataclass(frozen=True)
class RecipientGone:
    row: Row


@dataclass(frozen=True)
class Postpone:
    row: Row


Step = Send | Hold | PassOn | FinishInInbox | GiveUp | Cancel | RecipientGone | Postpone


def composed_of(step: Step) -> Composed | None:
    """The message, for the steps that have one (and so an inbox item)."""
    if isinstance(step, Send | Hold | PassOn | FinishInInbox | GiveUp):
        return step.composed
    return None


# -- who it goes to --------------------------------------------------------------------


def member_recipient(
    template: Template, context: Row, contact: MemberContact, prefs: Preferences
) -> Recipient:
    """A member as this message reaches them. `passed_on_by` is left for the caller to fill
    when `needs_passing_on` says so (the coordinators are asked for)."""
    if template in ADDRESSED_TEMPLATES:
        # About a change of address: to the address it names, and to nobody else.
        return Recipient(
            first_name=contact.first_name,
            name=contact.name,
            language=prefs.language or contact.language,
            email=context.get("to"),
            preferences=prefs.model_copy(update={"channels": ["email"]}),
            apprise_urls=[],
        )
    return Recipient(
        first_name=contact.first_name,
        name=contact.name,
        language=prefs.language or contact.language,
        email=contact.email,
        preferences=prefs,
        apprise_urls=list(prefs.apprise_urls),
    )


def needs_passing_on(template: Template, contact: MemberContact, prefs: Preferences) -> bool:
    """Samen cannot write to them (registered at an information point without e-mail,
    journey 4 in docs/design.md): their coordinators call them or hand them a letter."""
    if template in ADDRESSED_TEMPLATES:
        return False
    return passed_on(template, own_email=bool(contact.email), own_channels=bool(prefs.apprise_urls))


# -- before sending --------------------------------------------------------------------


def plan_for(template: Template, recipient: Recipient) -> list[str]:
    """The external channels to try, in order (empty: the inbox only)."""
    if template in EMAIL_ONLY_TEMPLATES:
        # The member's own mailbox only: not an Apprise channel (a group, an SMS gateway).
        return channel_plan(["email"], has_email=bool(recipient.email), apprise_urls=[])
    return channel_plan(
        list(recipient.preferences.channels),
        has_email=bool(recipient.email),
        apprise_urls=recipient.apprise_urls,
    )


def breaks_quiet_hours(template: Template, *, urgent: bool) -> bool:
    """Only an urgent proposal, or a message the member is waiting for, goes out at night."""
    return (urgent and template is Template.proposal) or template in ASKED_NOW_TEMPLATES


def goes_in_digest(row: Row, prefs: Preferences) -> bool:
    """An escalation to a coordinator who chose a daily digest."""
    return bool(
        row["template"] == Template.escalation.value
        and row["recipient_kind"] == RecipientKind.member.value
        and prefs.daily_digest
    )


def decide(
    row: Row,
    composed: Composed,
    now: datetime,
    *,
    cooperative_digest_time: str | None = None,
    default_digest_time: str = "08:00",
) -> Step:
    """What to do with a composed notification that is due `now`."""
    recipient = composed.recipient
    if recipient.passed_on_by:
        return PassOn(row, composed)
    template = Template(row["template"])
    plan = plan_for(template, recipient)
    if not plan:
        return FinishInInbox(row, composed)
    prefs = recipient.preferences
    quiet = QuietHours.of(prefs.quiet_start, prefs.quiet_end, prefs.timezone)
    release = release_time(
        now, quiet, urgent=breaks_quiet_hours(template, urgent=bool(row["urgent"]))
    )
    if release is not None:
        return Hold(row, composed, plan[0], until=release, digest=False)
    if goes_in_digest(row, prefs):
        chosen = digest_time_for(prefs.digest_time, cooperative_digest_time, default_digest_time)
        at = next_local_time(now, parse_hhmm(chosen), prefs.timezone)
        return Hold(row, composed, plan[0], until=at, digest=True)
    index = row["channel_index"]
    if index >= len(plan):
        return GiveUp(row, composed)
    return Send(row, composed, plan, plan[index], Notification.from_row(row))


# -- after a failed send ---------------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    attempts_per_channel: int = 3
    base_seconds: float = 30.0
    cap_seconds: float = 3600.0


@dataclass(frozen=True)
class Retry:
    """The same channel again, at `at`."""

    at: datetime
    delay: timedelta


@dataclass(frozen=True)
class FallBack:
    """This channel is given up: the next one in the plan, now."""

    channel: str


@dataclass(frozen=True)
class Final:
    """Every channel failed."""


AfterFailure = Retry | FallBack | Final


def retries(*, attempts: int, transient: bool, policy: RetryPolicy) -> bool:
    """Whether a send that failed after `attempts` earlier tries is tried again."""
    return transient and attempts + 1 < policy.attempts_per_channel


def after_failure(
    *,
    attempts: int,
    channel_index: int,
    plan: list[str],
    transient: bool,
    now: datetime,
    policy: RetryPolicy,
) -> AfterFailure:
    """What follows a failed send on `plan[channel_index]`, tried `attempts` times before."""
    if retries(attempts=attempts, transient=transient, policy=policy):
        delay = retry_delay(
            attempts + 1, base_seconds=policy.base_seconds, cap_seconds=policy.cap_seconds
        )
        return Retry(at=now + delay, delay=delay)
    if channel_index + 1 < len(plan):
        return FallBack(plan[channel_index + 1])
    return Final()


def is_final(
    *, attempts: int, channel_index: int, plan: list[str], transient: bool, policy: RetryPolicy
) -> bool:
    """True when this failure ends the notification: no retry and no channel left."""
    return not retries(attempts=attempts, transient=transient, policy=policy) and (
        channel_index + 1 >= len(plan)
    )
