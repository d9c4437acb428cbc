"""A notification's status steps: which are allowed, and what each records for the UPDATE."""

from datetime import UTC, datetime, timedelta

import pytest

from services.notify.domain.model import RecipientKind, Status
from services.notify.domain.notification import (
    COORDINATORS,
    DIGEST,
    INBOX,
    IllegalTransition,
    Notification,
)
from services.notify.domain.passing_on import PASSED_ON

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5)


def notification(status: Status = Status.pending, **values: object) -> Notification:
    return Notification(
        id="n1",
        idempotency_key="k1",
        event_id="e1",
        recipient_id="m1",
        recipient_kind=RecipientKind.member,
        template="proposal",
        status=status,
        due_at=NOW,
        **values,  # type: ignore[arg-type]
    )


def claimed(**values: object) -> Notification:
    n = notification(Status.pending, **values)
    n.claim("email", NOW)
    n.saved()
    return n


def test_a_claim_records_the_lease_and_the_channel() -> None:
    n = notification()
    n.claim("email", NOW)
    assert n.status is Status.sending
    assert n.changes == {
        "status": Status.sending,
        "sending_since": NOW,
        "sending_channel": "email",
        "inbox_done": True,
        "updated_at": NOW,
    }
    assert n.as_read == {"status": Status.pending, "attempts": 0}  # the guard, as read


@pytest.mark.parametrize("status", [Status.sending, Status.sent, Status.failed, Status.cancelled])
def test_only_an_open_notification_is_claimed(status: Status) -> None:
    with pytest.raises(IllegalTransition):
        notification(status).claim("email", NOW)


def test_saved_clears_the_changes_and_moves_the_guard() -> None:
    n = claimed()
    assert n.changes == {}
    assert n.as_read == {"status": Status.sending, "attempts": 0}


def test_sent_counts_the_attempt_and_forgets_the_snapshot() -> None:
    n = claimed(snapshot={"email": "a@example.org"})
    n.sent("email", LATER)
    assert n.status is Status.sent
    assert n.attempts == 1
    assert n.changes["snapshot"] is None
    assert n.changes["sending_since"] is None
    assert n.sent_channel == "email"


def test_only_a_notification_being_sent_is_sent() -> None:
    with pytest.raises(IllegalTransition):
        notification().sent("email", NOW)


def test_a_retry_keeps_the_channel_and_counts_the_attempt() -> None:
    n = claimed(attempts=1)
    n.retry_at(LATER, NOW)
    assert (n.status, n.attempts, n.due_at) == (Status.retrying, 2, LATER)
    assert n.changes["sending_since"] is None
    assert "channel_index" not in n.changes


def test_the_next_channel_starts_from_its_first_attempt() -> None:
    n = claimed(attempts=2, channel_index=0)
    n.next_channel(NOW)
    assert (n.status, n.channel_index, n.attempts, n.due_at) == (Status.pending, 1, 0, NOW)


def test_failed_after_the_last_channel() -> None:
    n = claimed(attempts=2, snapshot={"email": "a@example.org"})
    n.failed(LATER)
    assert (n.status, n.attempts, n.snapshot) == (Status.failed, 3, None)


def test_failed_is_not_allowed_before_sending() -> None:
    with pytest.raises(IllegalTransition):
        notification().failed(NOW)


def test_a_held_notification_comes_due_at_the_end_of_quiet_hours() -> None:
    n = notification()
    n.held_until(LATER, NOW, digest=False)
    assert n.changes == {
        "status": Status.held,
        "due_at": LATER,
        "digest": False,
        "updated_at": NOW,
    }


def test_a_held_notification_may_be_held_again() -> None:
    n = notification(Status.held)
    n.held_until(LATER, NOW, digest=True)
    assert n.digest is True


def test_the_inbox_item_is_recorded_with_the_step() -> None:
    n = notification()
    n.inbox_written()
    n.finished_in_inbox(NOW)
    assert n.changes["inbox_done"] is True
    assert (n.status, n.sent_channel) == (Status.sent, INBOX)


def test_passed_on_is_sent_through_the_coordinators() -> None:
    n = notification(Status.retrying)
    n.passed_on(NOW)
    assert (n.status, n.sent_channel, n.sent_at) == (Status.sent, PASSED_ON, NOW)


def test_cancelled_only_while_open() -> None:
    n = notification(Status.held)
    n.cancelled(NOW)
    assert n.changes == {"status": Status.cancelled, "updated_at": NOW}
    with pytest.raises(IllegalTransition):
        n.cancelled(NOW)


def test_given_up_without_a_recipient_keeps_the_snapshot_column_out() -> None:
    n = notification()
    n.given_up(NOW, forget=False)
    assert n.changes == {"status": Status.failed, "updated_at": NOW}
    m = notification()
    m.given_up(NOW)
    assert m.changes["snapshot"] is None


def test_only_a_held_item_is_folded_into_a_digest() -> None:
    n = notification(Status.held)
    n.folded_into_digest(NOW)
    assert (n.status, n.sent_channel) == (Status.sent, DIGEST)
    with pytest.raises(IllegalTransition):
        notification(Status.pending).folded_into_digest(NOW)


@pytest.mark.parametrize(("to_anyone", "status"), [(True, Status.sent), (False, Status.cancelled)])
def test_fanned_out_to_the_coordinators(to_anyone: bool, status: Status) -> None:
    n = notification()
    n.fanned_out(NOW, to_anyone=to_anyone)
    assert (n.status, n.sent_channel) == (status, COORDINATORS)


def test_postponed_keeps_the_status() -> None:
    n = notification(Status.retrying)
    n.postponed(LATER, NOW)
    assert n.changes == {"due_at": LATER, "updated_at": NOW}


def test_uncertain_after_the_lease_and_never_again() -> None:
    n = claimed(snapshot={"email": "a@example.org"})
    n.uncertain(LATER)
    assert (n.status, n.snapshot) == (Status.uncertain, None)
    with pytest.raises(IllegalTransition):
        n.uncertain(LATER)
    with pytest.raises(IllegalTransition):
        notification().uncertain(NOW)
