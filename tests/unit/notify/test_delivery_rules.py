"""The delivery decisions, on plain values: no database, registry or clock of the worker."""

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from services.notify.domain.delivery_rules import (
    Composed,
    FallBack,
    Final,
    FinishInInbox,
    GiveUp,
    Hold,
    PassOn,
    Recipient,
    Retry,
    RetryPolicy,
    Send,
    after_failure,
    decide,
    is_final,
    member_recipient,
    needs_passing_on,
)
from services.notify.domain.messages import Rendered
from services.notify.domain.model import Status, Template
from shared.contracts.notify import Preferences
from shared.contracts.registry import MemberContact

ZONE = "Europe/Amsterdam"
POLICY = RetryPolicy(attempts_per_channel=3, base_seconds=30, cap_seconds=3600)


def row(template: Template = Template.reminder, **values: Any) -> dict[str, Any]:
    return {
        "id": "n1",
        "idempotency_key": "k1",
        "event_id": "e1",
        "recipient_id": "m1",
        "recipient_kind": "member",
        "template": template.value,
        "request_id": "r1",
        "urgent": False,
        "digest": False,
        "context": {},
        "municipality": "GM0363",
        "district": None,
        "neighbourhood": None,
        "status": Status.pending.value,
        "due_at": datetime(2026, 1, 1, tzinfo=UTC),
        "channel_index": 0,
        "attempts": 0,
        "inbox_done": False,
        "sending_since": None,
        "sending_channel": None,
        "sent_at": None,
        "sent_channel": None,
        "snapshot": None,
        "created_at": None,
        "updated_at": None,
        **values,
    }


def composed(*, email: str | None = "a@example.org", **prefs: Any) -> Composed:
    preferences = Preferences(member_id="m1", timezone=ZONE, channels=["email", "inbox"], **prefs)
    recipient = Recipient(
        first_name="Anna",
        name="Anna de Vries",
        language="nl",
        email=email,
        preferences=preferences,
        apprise_urls=list(preferences.apprise_urls),
    )
    return Composed(recipient=recipient, rendered=Rendered("s", "t", "h"), link=None)


def local(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A moment on the Amsterdam clock, in UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(ZONE)).astimezone(UTC)


# -- before sending ---------------------------------------------------------------------


def test_in_the_day_it_is_sent_on_the_first_channel() -> None:
    step = decide(row(), composed(), local(2026, 3, 10, 14, 0))
    assert isinstance(step, Send)
    assert (step.channel, step.plan) == ("email", ["email"])
    assert step.notification.id == "n1"


def test_quiet_hours_across_midnight_hold_it_until_the_morning() -> None:
    for now in (local(2026, 3, 10, 23, 30), local(2026, 3, 11, 3, 0)):
        step = decide(row(), composed(), now)
        assert isinstance(step, Hold)
        assert step.until == local(2026, 3, 11, 8, 0)
        assert not step.digest


def test_quiet_hours_end_on_the_local_clock_across_a_change_to_summer_time() -> None:
    # The night of 28 to 29 March 2026 the clocks go from 02:00 to 03:00: 08:00 is 06:00 UTC.
    step = decide(row(), composed(), local(2026, 3, 28, 23, 0))
    assert isinstance(step, Hold)
    assert step.until == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)


def test_quiet_hours_end_on_the_local_clock_across_a_change_to_winter_time() -> None:
    step = decide(row(), composed(), local(2026, 10, 24, 23, 0))
    assert isinstance(step, Hold)
    assert step.until == datetime(2026, 10, 25, 7, 0, tzinfo=UTC)


def test_an_urgent_proposal_breaks_quiet_hours() -> None:
    night = local(2026, 3, 10, 23, 30)
    assert isinstance(decide(row(Template.proposal, urgent=True), composed(), night), Send)
    assert isinstance(decide(row(Template.proposal), composed(), night), Hold)
    # Urgent counts for proposals only.
    assert isinstance(decide(row(Template.reminder, urgent=True), composed(), night), Hold)


def test_a_message_the_member_waits_for_breaks_quiet_hours() -> None:
    night = local(2026, 3, 10, 23, 30)
    assert isinstance(decide(row(Template.password_reset), composed(), night), Send)


def test_an_escalation_waits_for_the_daily_digest() -> None:
    noon = local(2026, 3, 10, 12, 0)
    step = decide(
        row(Template.escalation), composed(daily_digest=True), noon, cooperative_digest_time="17:30"
    )
    assert isinstance(step, Hold)
    assert step.digest
    assert step.until == local(2026, 3, 10, 17, 30)
    own = decide(
        row(Template.escalation),
        composed(daily_digest=True, digest_time="09:00"),
        noon,
        cooperative_digest_time="17:30",
    )
    assert isinstance(own, Hold)
    assert own.until == local(2026, 3, 11, 9, 0)


def test_without_an_external_channel_the_inbox_is_the_message() -> None:
    assert isinstance(decide(row(), composed(email=None), local(2026, 3, 10, 12)), FinishInInbox)


def test_with_every_channel_tried_it_is_given_up() -> None:
    assert isinstance(decide(row(channel_index=1), composed(), local(2026, 3, 10, 12)), GiveUp)


def test_a_message_for_coordinators_to_pass_on_is_passed_on() -> None:
    message = composed(email=None)
    message.recipient.passed_on_by = ["c1"]
    assert isinstance(decide(row(), message, local(2026, 3, 10, 23, 30)), PassOn)


# -- who it goes to ---------------------------------------------------------------------


def contact(email: str | None) -> MemberContact:
    return MemberContact(
        member_id="m1", name="Anna de Vries", first_name="Anna", email=email, language="en"
    )


def test_no_contact_of_their_own_means_passing_on() -> None:
    prefs = Preferences(member_id="m1", timezone=ZONE)
    assert needs_passing_on(Template.request_matched, contact(None), prefs)
    assert not needs_passing_on(Template.request_matched, contact("a@example.org"), prefs)
    with_channel = Preferences(member_id="m1", timezone=ZONE, apprise_urls=["tgram://x/y"])
    assert not needs_passing_on(Template.request_matched, contact(None), with_channel)


def test_a_change_of_address_goes_to_the_address_it_names_only() -> None:
    prefs = Preferences(member_id="m1", timezone=ZONE, apprise_urls=["tgram://x/y"])
    recipient = member_recipient(
        Template.email_change, {"to": "new@example.org"}, contact("old@example.org"), prefs
    )
    assert recipient.email == "new@example.org"
    assert recipient.apprise_urls == []
    assert recipient.preferences.channels == ["email"]
    assert recipient.language == "en"
    assert not needs_passing_on(Template.email_change, contact(None), prefs)


# -- after a failed send ----------------------------------------------------------------

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def test_transient_failures_are_retried_with_backoff_then_fall_back_then_fail() -> None:
    plan = ["email", "apprise"]
    first = after_failure(
        attempts=0, channel_index=0, plan=plan, transient=True, now=NOW, policy=POLICY
    )
    second = after_failure(
        attempts=1, channel_index=0, plan=plan, transient=True, now=NOW, policy=POLICY
    )
    assert first == Retry(at=NOW + timedelta(seconds=30), delay=timedelta(seconds=30))
    assert second == Retry(at=NOW + timedelta(seconds=60), delay=timedelta(seconds=60))
    third = after_failure(
        attempts=2, channel_index=0, plan=plan, transient=True, now=NOW, policy=POLICY
    )
    assert third == FallBack("apprise")
    assert not is_final(attempts=2, channel_index=0, plan=plan, transient=True, policy=POLICY)
    last = after_failure(
        attempts=2, channel_index=1, plan=plan, transient=True, now=NOW, policy=POLICY
    )
    assert last == Final()
    assert is_final(attempts=2, channel_index=1, plan=plan, transient=True, policy=POLICY)


@pytest.mark.parametrize(("channel_index", "expected"), [(0, FallBack("apprise")), (1, Final())])
def test_a_permanent_failure_is_not_retried(channel_index: int, expected: object) -> None:
    outcome = after_failure(
        attempts=0,
        channel_index=channel_index,
        plan=["email", "apprise"],
        transient=False,
        now=NOW,
        policy=POLICY,
    )
    assert outcome == expected


def test_the_backoff_stops_at_its_cap() -> None:
    policy = RetryPolicy(attempts_per_channel=20, base_seconds=30, cap_seconds=600)
    outcome = after_failure(
        attempts=10, channel_index=0, plan=["email"], transient=True, now=NOW, policy=policy
    )
    assert outcome == Retry(at=NOW + timedelta(seconds=600), delay=timedelta(seconds=600))
