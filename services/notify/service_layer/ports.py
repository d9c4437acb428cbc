"""What the use cases need of notify's storage, in domain words, and of the world outside: the
registry, the templates and the channels. The adapters implement these (the SQL ones in
adapters/repository.py, proposal_links.py, preferences_store.py, tasks_store.py); the unit
tests hold them in memory.

The delivery worker reads notifications as rows (`Row`: a mapping of the table's columns, as
the delivery rules take them) and records their steps on the `Notification` entity."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from services.notify.domain.delivery_rules import Row
from services.notify.domain.messages import Email, Rendered
from services.notify.domain.notification import GUARDED, Notification
from services.notify.domain.records import (
    DeliveryLine,
    InboxEntry,
    KnownRequest,
    LinkRecord,
    OpenMessages,
    Task,
)
from shared.contracts.notify import CooperativeChannels, DeliveryLogQuery, Preferences
from shared.contracts.registry import CooperativeInfo, MemberContact


class NotificationRepository(Protocol):
    """Notifications, the in-app inbox and the delivery log."""

    async def by_key(self, key: str) -> Notification | None: ...

    async def add(self, notification: Notification) -> bool:
        """Insert unless its idempotency key is stored already; True when inserted."""
        ...

    def add_later(self, notification: Notification) -> None:
        """The same insert, sent with the transaction's other rows when it commits (a
        consumer's batch: one statement for all its notifications)."""
        ...

    async def due(self, now: datetime, limit: int) -> list[Row]:
        """Open notifications whose time has come, oldest first (one delivery round)."""
        ...

    async def stale_sending(self, before: datetime) -> list[Row]:
        """Handed to a channel before `before`, and no outcome recorded."""
        ...

    async def open_digest_items(self, recipient_id: str, now: datetime) -> list[Row]:
        """A coordinator's escalations held for the digest and due, oldest first."""
        ...

    async def save(self, notification: Notification, *, guard: Sequence[str] = GUARDED) -> bool:
        """Write what changed; with `guard`, only if those columns still hold the values they
        were read with (two workers never both win). True when written."""
        ...

    async def claim_for_sending(
        self, claims: Sequence[Notification], *, channel: str, now: datetime
    ) -> set[str]:
        """Mark these "sending" on `channel`, each only if still as read; the ids won."""
        ...

    async def mark_sent(
        self, ids: Sequence[str], *, channel: str, attempts: int, now: datetime
    ) -> None: ...

    async def cancel_open(self, which: OpenMessages, *, now: datetime, reason: str) -> int:
        """Cancel these messages, each with a `cancelled` line in the log; how many."""
        ...

    async def proposal_went_out(
        self, *, request_id: str, volunteer_id: str, proposal_id: str
    ) -> bool:
        """Whether this proposal reached the volunteer beyond the inbox (or may have)."""
        ...

    async def anonymise(self, notification_id: str) -> None:
        """After an erased member's last message: keep the record, not whose it was."""
        ...

    async def forget_link(self, notification_id: str, member_id: str) -> None:
        """After a message with a link that opens an account: keep the record, not the link."""
        ...

    async def add_inbox_items(self, items: Sequence[InboxEntry]) -> None:
        """One per notification: an item there already stays as it is."""
        ...

    async def log(self, lines: Sequence[DeliveryLine]) -> None: ...

    async def inbox_page(
        self, member_id: str, *, unread_only: bool, limit: int, before: datetime | None
    ) -> tuple[list[InboxEntry], int]:
        """Newest first, and how many are unread."""
        ...

    async def mark_read(self, member_id: str, item_ids: list[str] | None, now: datetime) -> int: ...

    async def attempts(self, query: DeliveryLogQuery) -> list[DeliveryLine]:
        """The delivery log, newest first."""
        ...

    async def member_notifications(self, member_id: str) -> list[Notification]: ...

    async def member_inbox(self, member_id: str) -> list[InboxEntry]: ...

    async def erase_member(self, member_id: str) -> int:
        """Delete what notify holds about a member (a pending erasure confirmation stays until
        it has gone out); how many rows."""
        ...


class PreferencesRepository(Protocol):
    """Members' and cooperatives' channel preferences."""

    async def get_preferences(self, member_id: str) -> Preferences: ...

    async def preferences_of(self, member_ids: Sequence[str]) -> dict[str, Preferences]:
        """Each member's preferences, the defaults for those who never set any."""
        ...

    async def put_preferences(self, prefs: Preferences, now: datetime) -> None: ...

    async def get_cooperative_urls(self, cooperative_id: str) -> list[str]: ...

    async def get_cooperative_channels(self, cooperative_id: str) -> CooperativeChannels: ...

    async def cooperative_digest_times(
        self, cooperative_ids: Sequence[str]
    ) -> dict[str, str | None]: ...

    async def put_cooperative_channels(
        self, cooperative_id: str, changes: dict[str, Any], now: datetime
    ) -> None:
        """Store the given fields; those not given keep their stored values."""
        ...


class LinkRepository(Protocol):
    """The requests notify knows of and the accept/decline links it sent."""

    def upsert_request_later(self, request: KnownRequest, *, keep_requester: bool = False) -> None:
        """Write what an event says of a request when the transaction commits; with
        `keep_requester`, a stored request keeps its requester (the event does not name it)."""
        ...

    async def get_request(self, request_id: str) -> KnownRequest | None: ...

    def add_link_later(self, link: LinkRecord) -> None:
        """Unless the proposal has its link already (the first stays), at commit."""
        ...

    async def link_by_proposal(self, proposal_id: str) -> LinkRecord | None: ...

    async def links_by_proposals(self, proposal_ids: Sequence[str]) -> dict[str, LinkRecord]: ...

    async def link(self, link_id: str) -> LinkRecord | None: ...

    async def use_link(
        self, link_id: str, *, state: str, action: str | None, now: datetime
    ) -> bool:
        """Open -> state, atomically: True for the one caller that changed it."""
        ...

    async def close_proposal_link(
        self, proposal_id: str, state: str, *, action: str | None = None
    ) -> None:
        """An open link closes with what happened to its proposal; a used one stays."""
        ...


class TaskRepository(Protocol):
    """The coordinators' pass-on tasks."""

    async def add_task(self, task: Task, holders: Sequence[str]) -> bool:
        """One task per notification; True when added."""
        ...

    async def tasks_of(self, coordinator_id: str, *, open_only: bool, limit: int) -> list[Task]:
        """Oldest open first."""
        ...

    async def task_for(self, task_id: str, coordinator_id: str) -> Task | None:
        """The task, when it is one of `coordinator_id`'s."""
        ...

    async def mark_done(self, task_id: str, coordinator_id: str, at: datetime) -> None:
        """The first tick is kept."""
        ...

    async def erase_member(self, member_id: str) -> int: ...

    async def member_tasks(self, member_id: str) -> list[Task]: ...


class Registry(Protocol):
    """What notify asks the registry. Each call raises `Unavailable` when it does not answer
    (the caller tries again later)."""

    async def contact(self, member_id: str) -> MemberContact | None:
        """None when the registry does not know the member (erased)."""
        ...

    async def contacts(self, member_ids: list[str]) -> dict[str, MemberContact]:
        """Members the registry does not know are missing from the answer."""
        ...

    async def cooperative(self, cooperative_id: str) -> CooperativeInfo | None: ...

    async def cooperative_of(self, area_code: str | None) -> CooperativeInfo | None:
        """The most local cooperative whose areas hold `area_code` (None: none does)."""
        ...

    async def area_name(self, code: str | None) -> str | None:
        """A neighbourhood's name for a message; a message without it is still fine."""
        ...


class Renderer(Protocol):
    def render(self, template: str, lang: str, variables: dict[str, Any]) -> Rendered: ...


class EmailChannel(Protocol):
    async def send(self, email: Email) -> None:
        """Returns once delivered; raises `DeliveryError` otherwise."""
        ...

    async def close(self) -> None:
        """Let go of what the channel holds open (on stop, after the last send)."""


class AppriseChannel(Protocol):
    async def send(self, urls: list[str], *, title: str, body: str) -> None: ...
