"""Notify's unit of work held in memory, and the registry and channels it talks to: the use
cases run against them as against the database, the registry and a mail server, without any
(nor NATS).

`FakeDatabase` is what the units of work share, like the database: each `FakeNotifyUnitOfWork`
works on its own copy from the moment it starts, and a commit writes that copy back (with the
events emitted). Leaving without a commit forgets it all. A guarded save, a claim and a link's
use check the stored values first, as the SQL statements' WHERE clauses do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from services.notify.adapters.preferences_store import default_preferences
from services.notify.adapters.repository import ERASED, notification_values
from services.notify.domain.delivery_rules import Row
from services.notify.domain.messages import DeliveryError, Email
from services.notify.domain.model import OPEN_STATUSES, Status, Template
from services.notify.domain.notification import GUARDED, Notification
from services.notify.domain.records import (
    CANCELLED_CHANNEL,
    DeliveryLine,
    InboxEntry,
    KnownRequest,
    LinkRecord,
    OpenMessages,
    Task,
)
from shared.clock import Clock
from shared.contracts.notify import CooperativeChannels, DeliveryLogQuery, Preferences
from shared.contracts.registry import CooperativeInfo, MemberContact
from shared.errors import Unavailable
from tests.in_memory import InMemoryDatabase, InMemoryUnitOfWork


@dataclass
class Tables:
    """Everything notify stores: what a unit of work copies, changes and writes back."""

    notifications: dict[str, Notification] = field(default_factory=dict)  # by id
    inbox: dict[str, InboxEntry] = field(default_factory=dict)  # by notification id
    log: list[DeliveryLine] = field(default_factory=list)
    preferences: dict[str, Preferences] = field(default_factory=dict)
    cooperative_channels: dict[str, CooperativeChannels] = field(default_factory=dict)
    requests: dict[str, KnownRequest] = field(default_factory=dict)
    links: dict[str, LinkRecord] = field(default_factory=dict)  # by link id
    tasks: dict[str, Task] = field(default_factory=dict)
    holders: dict[str, list[str]] = field(default_factory=dict)  # task id -> coordinators


class FakeDatabase(InMemoryDatabase[Tables]):
    def __init__(self, clock: Clock) -> None:
        super().__init__(clock, Tables())

    def uow(self) -> FakeNotifyUnitOfWork:
        return FakeNotifyUnitOfWork(self)

    def of(self, recipient_id: str, template: Template | None = None) -> list[Notification]:
        """The committed notifications to a recipient (of a template), oldest first."""
        return [
            n
            for n in self.tables.notifications.values()
            if n.recipient_id == recipient_id and (template is None or n.template == template)
        ]


class FakeNotifyUnitOfWork(InMemoryUnitOfWork[Tables]):
    """Implements the service layer's `NotifyUnitOfWork` Protocol."""

    source = "notify"
    notifications: FakeNotifications
    preferences: FakePreferences
    links: FakeLinks
    tasks: FakeTasks

    def _begin(self) -> None:
        self.notifications = FakeNotifications(self._tables)
        self.preferences = FakePreferences(self._tables)
        self.links = FakeLinks(self._tables)
        self.tasks = FakeTasks(self._tables)


def _row(notification: Notification) -> Row:
    """A notification as the delivery worker reads it: its table's columns."""
    return notification_values(notification)


class FakeNotifications:
    """Implements `NotificationRepository` over a unit of work's copy of the tables."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def by_key(self, key: str) -> Notification | None:
        found = [n for n in self._t.notifications.values() if n.idempotency_key == key]
        return Notification.from_row(_row(found[0])) if found else None

    async def add(self, notification: Notification) -> bool:
        if any(
            n.idempotency_key == notification.idempotency_key
            for n in self._t.notifications.values()
        ):
            return False
        self._t.notifications[notification.id] = Notification.from_row(_row(notification))
        return True

    def add_later(self, notification: Notification) -> None:
        if all(
            n.idempotency_key != notification.idempotency_key
            for n in self._t.notifications.values()
        ):
            self._t.notifications[notification.id] = Notification.from_row(_row(notification))

    def _open(self) -> list[Notification]:
        return [n for n in self._t.notifications.values() if n.is_open]

    async def due(self, now: datetime, limit: int) -> list[Row]:
        due = sorted((n for n in self._open() if n.due_at <= now), key=lambda n: (n.due_at, n.id))
        return [_row(n) for n in due[:limit]]

    async def stale_sending(self, before: datetime) -> list[Row]:
        return [
            _row(n)
            for n in self._t.notifications.values()
            if n.status is Status.sending and n.sending_since and n.sending_since < before
        ]

    async def open_digest_items(self, recipient_id: str, now: datetime) -> list[Row]:
        items = [
            n
            for n in self._t.notifications.values()
            if n.recipient_id == recipient_id
            and n.digest
            and n.status is Status.held
            and n.due_at <= now
        ]
        return [_row(n) for n in sorted(items, key=lambda n: n.created_at or n.due_at)]

    def _still(self, notification_id: str, values: dict[str, Any]) -> bool:
        """As the WHERE of an UPDATE: the row holds these values now (in this unit of work,
        which began with what was committed by then)."""
        stored = self._t.notifications.get(notification_id)
        return stored is not None and all(
            getattr(stored, column) == value for column, value in values.items()
        )

    async def save(self, notification: Notification, *, guard: Sequence[str] = GUARDED) -> bool:
        if not self._still(
            notification.id, {column: notification.as_read[column] for column in guard}
        ):
            return False
        stored = self._t.notifications[notification.id]
        for name, value in notification.changes.items():
            setattr(stored, name, value)
        notification.saved()
        return True

    async def claim_for_sending(
        self, claims: Sequence[Notification], *, channel: str, now: datetime
    ) -> set[str]:
        got: set[str] = set()
        for notification in claims:
            as_read = {
                "status": notification.status,
                "attempts": notification.attempts,
                "channel_index": notification.channel_index,
            }
            if self._still(notification.id, as_read):
                notification.claim(channel, now)
                self._t.notifications[notification.id] = Notification.from_row(_row(notification))
                notification.saved()
                got.add(notification.id)
        return got

    async def mark_sent(
        self, ids: Sequence[str], *, channel: str, attempts: int, now: datetime
    ) -> None:
        for notification_id in ids:
            n = self._t.notifications[notification_id]
            n.status, n.sent_at, n.sent_channel = Status.sent, now, channel
            n.sending_since, n.attempts, n.snapshot, n.updated_at = None, attempts, None, now

    async def cancel_open(self, which: OpenMessages, *, now: datetime, reason: str) -> int:
        cancelled = [
            n
            for n in self._open()
            if n.request_id == which.request_id
            and n.template in which.templates
            and which.covers(_row(n))
        ]
        for n in cancelled:
            n.status, n.updated_at = Status.cancelled, now
            self._t.log.append(
                DeliveryLine.about(
                    _row(n), channel=CANCELLED_CHANNEL, status="cancelled", at=now, error=reason
                )
            )
        return len(cancelled)

    async def proposal_went_out(
        self, *, request_id: str, volunteer_id: str, proposal_id: str
    ) -> bool:
        return any(
            n.request_id == request_id
            and n.recipient_id == volunteer_id
            and n.template == Template.proposal
            and n.context.get("proposal_id") == proposal_id
            and n.status is not Status.cancelled
            for n in self._t.notifications.values()
        )

    async def anonymise(self, notification_id: str) -> None:
        notification = self._t.notifications[notification_id]
        notification.recipient_id, notification.snapshot = ERASED, None
        self._t.log = [
            replace(line, recipient_id=ERASED) if line.notification_id == notification_id else line
            for line in self._t.log
        ]

    async def forget_link(self, notification_id: str, member_id: str) -> None:
        self._t.notifications[notification_id].context = {"member_id": member_id}

    async def add_inbox_items(self, items: Sequence[InboxEntry]) -> None:
        for item in items:
            self._t.inbox.setdefault(item.notification_id, item)

    async def log(self, lines: Sequence[DeliveryLine]) -> None:
        self._t.log.extend(lines)

    def _inbox_of(self, member_id: str) -> list[InboxEntry]:
        return sorted(
            (item for item in self._t.inbox.values() if item.member_id == member_id),
            key=lambda item: (item.created_at, item.id),
        )

    async def inbox_page(
        self, member_id: str, *, unread_only: bool, limit: int, before: datetime | None
    ) -> tuple[list[InboxEntry], int]:
        mine = self._inbox_of(member_id)
        page = [
            item
            for item in reversed(mine)
            if not (unread_only and item.read_at) and (before is None or item.created_at < before)
        ]
        return page[:limit], sum(1 for item in mine if item.read_at is None)

    async def mark_read(self, member_id: str, item_ids: list[str] | None, now: datetime) -> int:
        marked = 0
        for key, item in self._t.inbox.items():
            unread = item.member_id == member_id and item.read_at is None
            if unread and (item_ids is None or item.id in item_ids):
                self._t.inbox[key] = replace(item, read_at=now)
                marked += 1
        return marked

    async def attempts(self, query: DeliveryLogQuery) -> list[DeliveryLine]:
        lines = [
            line
            for line in self._t.log
            if (
                not query.area_codes
                or {line.municipality, line.district, line.neighbourhood} & set(query.area_codes)
            )
            and query.recipient_id in (None, line.recipient_id)
            and query.notification_id in (None, line.notification_id)
            and query.status in (None, line.status)
        ]
        return sorted(lines, key=lambda line: (line.at, line.id), reverse=True)[: query.limit]

    async def member_notifications(self, member_id: str) -> list[Notification]:
        return [n for n in self._t.notifications.values() if n.recipient_id == member_id]

    async def member_inbox(self, member_id: str) -> list[InboxEntry]:
        return self._inbox_of(member_id)

    async def erase_member(self, member_id: str) -> int:
        """As the adapter's, but for the scrubbing of other members' inboxes."""
        keep = {
            n.id
            for n in self._t.notifications.values()
            if n.template == Template.erasure_confirmed
            and n.status in (*OPEN_STATUSES, Status.sending)
        }
        before = (
            len(self._t.inbox)
            + len(self._t.log)
            + len(self._t.notifications)
            + len(self._t.preferences)
            + len(self._t.links)
            + len(self._t.requests)
        )
        t = self._t
        t.inbox = {k: i for k, i in t.inbox.items() if i.member_id != member_id}
        t.log = [
            line
            for line in t.log
            if line.recipient_id != member_id or line.template == Template.erasure_confirmed
        ]
        t.notifications = {
            k: n for k, n in t.notifications.items() if n.recipient_id != member_id or k in keep
        }
        t.preferences.pop(member_id, None)
        t.links = {k: link for k, link in t.links.items() if link.volunteer_id != member_id}
        t.requests = {k: r for k, r in t.requests.items() if r.requester_id != member_id}
        after = (
            len(t.inbox)
            + len(t.log)
            + len(t.notifications)
            + len(t.preferences)
            + len(t.links)
            + len(t.requests)
        )
        return before - after


class FakePreferences:
    """Implements `PreferencesRepository`."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def get_preferences(self, member_id: str) -> Preferences:
        return (await self.preferences_of([member_id]))[member_id]

    async def preferences_of(self, member_ids: Sequence[str]) -> dict[str, Preferences]:
        return {
            member_id: self._t.preferences.get(member_id) or default_preferences(member_id)
            for member_id in member_ids
        }

    async def put_preferences(self, prefs: Preferences, now: datetime) -> None:
        self._t.preferences[prefs.member_id] = prefs

    async def get_cooperative_urls(self, cooperative_id: str) -> list[str]:
        return (await self.get_cooperative_channels(cooperative_id)).apprise_urls

    async def get_cooperative_channels(self, cooperative_id: str) -> CooperativeChannels:
        return self._t.cooperative_channels.get(cooperative_id) or CooperativeChannels(
            cooperative_id=cooperative_id
        )

    async def cooperative_digest_times(
        self, cooperative_ids: Sequence[str]
    ) -> dict[str, str | None]:
        return {
            cooperative_id: (await self.get_cooperative_channels(cooperative_id)).digest_time
            for cooperative_id in cooperative_ids
        }

    async def put_cooperative_channels(
        self, cooperative_id: str, changes: dict[str, Any], now: datetime
    ) -> None:
        stored = await self.get_cooperative_channels(cooperative_id)
        self._t.cooperative_channels[cooperative_id] = stored.model_copy(update=changes)


class FakeLinks:
    """Implements `LinkRepository`."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    def upsert_request_later(self, request: KnownRequest, *, keep_requester: bool = False) -> None:
        known = self._t.requests.get(request.request_id)
        if keep_requester and known is not None:
            request = replace(request, requester_id=known.requester_id)
        self._t.requests[request.request_id] = request

    async def get_request(self, request_id: str) -> KnownRequest | None:
        return self._t.requests.get(request_id)

    def add_link_later(self, link: LinkRecord) -> None:
        if all(known.proposal_id != link.proposal_id for known in self._t.links.values()):
            self._t.links[link.link_id] = link

    async def link_by_proposal(self, proposal_id: str) -> LinkRecord | None:
        return (await self.links_by_proposals([proposal_id])).get(proposal_id)

    async def links_by_proposals(self, proposal_ids: Sequence[str]) -> dict[str, LinkRecord]:
        return {
            link.proposal_id: link
            for link in self._t.links.values()
            if link.proposal_id in proposal_ids
        }

    async def link(self, link_id: str) -> LinkRecord | None:
        return self._t.links.get(link_id)

    async def use_link(
        self, link_id: str, *, state: str, action: str | None, now: datetime
    ) -> bool:
        link = self._t.links.get(link_id)
        if link is None or link.state != "open":
            return False
        self._t.links[link_id] = replace(link, state=state, used_action=action, used_at=now)
        return True

    async def close_proposal_link(
        self, proposal_id: str, state: str, *, action: str | None = None
    ) -> None:
        for link_id, link in self._t.links.items():
            if link.proposal_id == proposal_id and link.state == "open":
                self._t.links[link_id] = replace(link, state=state, used_action=action)


class FakeTasks:
    """Implements `TaskRepository`."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def add_task(self, task: Task, holders: Sequence[str]) -> bool:
        if any(t.notification_id == task.notification_id for t in self._t.tasks.values()):
            return False
        self._t.tasks[task.task_id] = task
        self._t.holders[task.task_id] = list(dict.fromkeys(holders))
        return True

    async def tasks_of(self, coordinator_id: str, *, open_only: bool, limit: int) -> list[Task]:
        mine = [
            task
            for task in self._t.tasks.values()
            if coordinator_id in self._t.holders[task.task_id] and not (open_only and task.done_at)
        ]
        mine.sort(key=lambda t: (t.done_at is not None, t.created_at, t.task_id))
        return mine[:limit]

    async def task_for(self, task_id: str, coordinator_id: str) -> Task | None:
        task = self._t.tasks.get(task_id)
        return task if task and coordinator_id in self._t.holders[task_id] else None

    async def mark_done(self, task_id: str, coordinator_id: str, at: datetime) -> None:
        task = self._t.tasks[task_id]
        if task.done_at is None:
            self._t.tasks[task_id] = replace(task, done_at=at, done_by=coordinator_id)

    async def erase_member(self, member_id: str) -> int:
        gone = [t.task_id for t in self._t.tasks.values() if t.member_id == member_id]
        count = 0
        for task_id in gone:
            count += 1 + len(self._t.holders.pop(task_id))
            del self._t.tasks[task_id]
        for holders in self._t.holders.values():
            if member_id in holders:
                holders.remove(member_id)
                count += 1
        for task_id, task in self._t.tasks.items():
            if task.done_by == member_id:
                self._t.tasks[task_id] = replace(task, done_by=None)
        return count

    async def member_tasks(self, member_id: str) -> list[Task]:
        return [t for t in self._t.tasks.values() if t.member_id == member_id]


# -------------------------------------------------------------- the world outside


class FakeRegistry:
    """Implements the service layer's `Registry`: members and cooperatives as the registry
    holds them; `down` makes every call fail as an unanswered request does."""

    def __init__(self) -> None:
        self.members: dict[str, MemberContact] = {}
        self.cooperatives: dict[str, CooperativeInfo] = {}
        self.area_names: dict[str, str] = {}
        self.down = False

    def _up(self) -> None:
        if self.down:
            raise Unavailable("registry did not answer")

    async def contact(self, member_id: str) -> MemberContact | None:
        self._up()
        return self.members.get(member_id)

    async def contacts(self, member_ids: list[str]) -> dict[str, MemberContact]:
        self._up()
        return {m: self.members[m] for m in member_ids if m in self.members}

    async def cooperative(self, cooperative_id: str) -> CooperativeInfo | None:
        self._up()
        return self.cooperatives.get(cooperative_id)

    async def cooperative_of(self, area_code: str | None) -> CooperativeInfo | None:
        self._up()
        return next(
            (c for c in self.cooperatives.values() if area_code and area_code in c.area_codes),
            None,
        )

    async def area_name(self, code: str | None) -> str | None:
        return self.area_names.get(code or "")


class FakeMailbox:
    """Implements `EmailChannel`: every e-mail it was given; `failing` refuses them."""

    def __init__(self) -> None:
        self.sent: list[Email] = []
        self.failing: DeliveryError | None = None

    async def send(self, email: Email) -> None:
        if self.failing is not None:
            raise self.failing
        self.sent.append(email)

    def to(self, address: str) -> list[Email]:
        return [email for email in self.sent if email.to == address]

    async def close(self) -> None:
        pass


class FakeApprise:
    """Implements `AppriseChannel`."""

    def __init__(self) -> None:
        self.sent: list[tuple[list[str], str]] = []

    async def send(self, urls: list[str], *, title: str, body: str) -> None:
        self.sent.append((urls, title))
