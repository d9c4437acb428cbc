"""A notification and the steps its status may take.

Each transition checks that it is allowed from the status the notification is in, applies
itself and records the columns it set in `changes`; the repository writes exactly those (one
UPDATE), guarded when asked by the values as they were read, so that two workers never both
win the same step.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.notify.domain.model import OPEN_STATUSES, RecipientKind, Status
from services.notify.domain.passing_on import PASSED_ON
from shared.errors import Conflict

INBOX = "inbox"  # the channel of a message that is in the in-app inbox only
DIGEST = "digest"  # a held item folded into a coordinator's daily digest
COORDINATORS = "coordinators"  # a cooperative's message, copied to each of its coordinators
GUARDED = ("status", "attempts")  # what a save checks by default: still as read, or no write


class IllegalTransition(Conflict):
    """The notification's status does not allow this step."""

    def __init__(self, notification_id: str, status: Status, step: str) -> None:
        super().__init__(
            f"notification {notification_id} is {status.value}: cannot be {step}",
            details={"reason": "illegal_transition"},
        )


@dataclass
class Notification:
    id: str
    idempotency_key: str
    event_id: str
    recipient_id: str
    recipient_kind: RecipientKind
    template: str
    status: Status
    due_at: datetime
    context: dict[str, Any] = field(default_factory=dict)
    request_id: str | None = None
    urgent: bool = False
    digest: bool = False
    municipality: str | None = None
    district: str | None = None
    neighbourhood: str | None = None
    channel_index: int = 0
    attempts: int = 0
    inbox_done: bool = False
    sending_since: datetime | None = None
    sending_channel: str | None = None
    sent_at: datetime | None = None
    sent_channel: str | None = None
    snapshot: dict[str, Any] | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    correlation_id: str | None = None  # of the work that caused it
    # The columns set since it was read (or last saved), and their values as read.
    changes: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    as_read: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.as_read = {"status": self.status, "attempts": self.attempts}

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> Notification:
        """As read from its table (a row, or any mapping of its columns)."""
        return cls(
            id=row["id"],
            idempotency_key=row["idempotency_key"],
            event_id=row["event_id"],
            recipient_id=row["recipient_id"],
            recipient_kind=RecipientKind(row["recipient_kind"]),
            template=row["template"],
            status=Status(row["status"]),
            due_at=row["due_at"],
            context=dict(row["context"] or {}),
            request_id=row["request_id"],
            urgent=bool(row["urgent"]),
            digest=bool(row["digest"]),
            municipality=row["municipality"],
            district=row["district"],
            neighbourhood=row["neighbourhood"],
            channel_index=row["channel_index"],
            attempts=row["attempts"],
            inbox_done=bool(row["inbox_done"]),
            sending_since=row["sending_since"],
            sending_channel=row["sending_channel"],
            sent_at=row["sent_at"],
            sent_channel=row["sent_channel"],
            snapshot=row["snapshot"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            correlation_id=row.get("correlation_id"),
        )

    # -- bookkeeping ------------------------------------------------------------------

    def _set(self, **values: Any) -> None:
        for name, value in values.items():
            setattr(self, name, value)
            self.changes[name] = value

    def _from(self, allowed: tuple[Status, ...], step: str) -> None:
        if self.status not in allowed:
            raise IllegalTransition(self.id, self.status, step)

    def saved(self) -> None:
        """What was recorded is in the database now: nothing left to write."""
        self.changes = {}
        self.as_read = {"status": self.status, "attempts": self.attempts}

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    # -- before sending ---------------------------------------------------------------

    def claim(self, channel: str, now: datetime) -> None:
        """Handed to `channel`: the lease runs from `now` (its inbox item is written by then)."""
        self._from(OPEN_STATUSES, "claimed")
        self._set(
            status=Status.sending,
            sending_since=now,
            sending_channel=channel,
            inbox_done=True,
            updated_at=now,
        )

    def held_until(self, when: datetime, now: datetime, *, digest: bool) -> None:
        """Quiet hours (or the daily digest) hold it until `when`."""
        self._from(OPEN_STATUSES, "held")
        self._set(status=Status.held, due_at=when, digest=digest, updated_at=now)

    def postponed(self, when: datetime, now: datetime) -> None:
        """Not decided now (the registry did not answer): due again at `when`, as it is."""
        self._from(OPEN_STATUSES, "postponed")
        self._set(due_at=when, updated_at=now)

    def inbox_written(self) -> None:
        self._set(inbox_done=True)

    def passed_on(self, now: datetime) -> None:
        """Samen cannot write to the member: their coordinators have it as a task."""
        self._from(OPEN_STATUSES, "passed on")
        self._set(
            status=Status.sent, sent_at=now, sent_channel=PASSED_ON, snapshot=None, updated_at=now
        )

    def finished_in_inbox(self, now: datetime) -> None:
        """No external channel: the inbox item is the message."""
        self._from(OPEN_STATUSES, "finished in the inbox")
        self._set(
            status=Status.sent, sent_at=now, sent_channel=INBOX, snapshot=None, updated_at=now
        )

    def folded_into_digest(self, now: datetime) -> None:
        self._from((Status.held,), "folded into a digest")
        self._set(status=Status.sent, sent_at=now, sent_channel=DIGEST, updated_at=now)

    def fanned_out(self, now: datetime, *, to_anyone: bool) -> None:
        """A cooperative's message, copied to its coordinators (cancelled: it has none)."""
        self._from(OPEN_STATUSES, "fanned out")
        self._set(
            status=Status.sent if to_anyone else Status.cancelled,
            sent_at=now,
            sent_channel=COORDINATORS,
            updated_at=now,
        )

    def cancelled(self, now: datetime) -> None:
        self._from(OPEN_STATUSES, "cancelled")
        self._set(status=Status.cancelled, updated_at=now)

    def given_up(self, now: datetime, *, forget: bool = True) -> None:
        """No channel left to try before any was tried (or no recipient): failed."""
        self._from(OPEN_STATUSES, "given up")
        self._set(status=Status.failed, updated_at=now)
        if forget:
            self._set(snapshot=None)

    # -- after sending ----------------------------------------------------------------

    def sent(self, channel: str, now: datetime) -> None:
        self._from((Status.sending,), "sent")
        self._set(
            status=Status.sent,
            sent_at=now,
            sent_channel=channel,
            sending_since=None,
            attempts=self.attempts + 1,
            snapshot=None,
            updated_at=now,
        )

    def retry_at(self, when: datetime, now: datetime) -> None:
        """A transient failure: the same channel again at `when`."""
        self._from((Status.sending,), "retried")
        self._set(
            status=Status.retrying,
            attempts=self.attempts + 1,
            due_at=when,
            sending_since=None,
            updated_at=now,
        )

    def next_channel(self, now: datetime) -> None:
        """This channel is given up: the next one in the plan, from its first attempt, now."""
        self._from((Status.sending,), "moved to the next channel")
        self._set(
            status=Status.pending,
            channel_index=self.channel_index + 1,
            attempts=0,
            due_at=now,
            sending_since=None,
            updated_at=now,
        )

    def failed(self, now: datetime) -> None:
        """Every channel failed."""
        self._from((Status.sending,), "failed")
        self._set(
            status=Status.failed,
            attempts=self.attempts + 1,
            sending_since=None,
            snapshot=None,
            updated_at=now,
        )

    def uncertain(self, now: datetime) -> None:
        """Found still "sending" after its lease: it may have gone out; never sent again."""
        self._from((Status.sending,), "marked uncertain")
        self._set(status=Status.uncertain, updated_at=now, snapshot=None)
