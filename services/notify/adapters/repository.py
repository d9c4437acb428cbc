"""Reads and writes of notify's own tables (SQLAlchemy Core on the unit of work's session)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, func, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.adapters.member_data import erase_member, rows_touched
from services.notify.adapters.orm import (
    OPEN_NOTIFICATION,
    SENDING_NOTIFICATION,
    delivery_attempts,
    inbox_items,
    notifications,
)
from services.notify.domain.delivery_rules import Row
from services.notify.domain.model import OPEN_STATUSES, Status, Template
from services.notify.domain.notification import GUARDED, Notification
from services.notify.domain.records import (
    CANCELLED_CHANNEL,
    DeliveryLine,
    InboxEntry,
    OpenMessages,
)
from shared.contracts.notify import DeliveryLogQuery
from shared.db import is_postgres
from shared.write_behind import insert_later


def dialect_insert(session: AsyncSession) -> Any:
    return pg_insert if is_postgres(session.get_bind()) else sqlite_insert


class PerDialect:
    """A statement built once per database dialect and executed with parameters, so the hot
    paths neither rebuild it nor miss SQLAlchemy's compiled-statement cache."""

    def __init__(self, build: Callable[[Any], Any]) -> None:
        self._built = {"postgresql": build(pg_insert), "sqlite": build(sqlite_insert)}

    def __call__(self, session: AsyncSession) -> Any:
        return self._built[session.get_bind().dialect.name]


_ADD_NOTIFICATION = PerDialect(
    lambda insert: insert(notifications).on_conflict_do_nothing(index_elements=["idempotency_key"])
)
_ADD_INBOX_ITEMS = PerDialect(
    lambda insert: insert(inbox_items).on_conflict_do_nothing(index_elements=["notification_id"])
)


ERASED = "erased"
# The entity's fields that are its table's columns (not its bookkeeping of changes).
_COLUMNS = tuple(f.name for f in fields(Notification) if f.name not in {"changes", "as_read"})


def _column_value(value: Any) -> Any:
    return value.value if isinstance(value, StrEnum) else value


def record_values(record: Any) -> dict[str, Any]:
    """The row of a record (a dataclass of the domain): its fields, shallow (not copied again
    as `dataclasses.asdict` would, on the hot path of every round)."""
    return dict(vars(record))


def notification_values(notification: Notification) -> dict[str, Any]:
    """The row of a notification: every column."""
    return {name: _column_value(getattr(notification, name)) for name in _COLUMNS}


# The columns' datetimes come back aware (shared.db.UtcDateTime), as the domain has them.


def _inbox_entry(row: Mapping[Any, Any]) -> InboxEntry:
    return InboxEntry(**row)


def _line(row: Mapping[Any, Any]) -> DeliveryLine:
    return DeliveryLine(**row)


def due_query(now: datetime, limit: int) -> Select[Any]:
    """Open notifications whose time has come, oldest first (one delivery round)."""
    return (
        select(notifications)
        .where(OPEN_NOTIFICATION, notifications.c.due_at <= now)
        .order_by(notifications.c.due_at, notifications.c.id)
        .limit(limit)
    )


def stale_sending_query(before: datetime) -> Select[Any]:
    """Notifications handed to a channel before `before` whose outcome was never recorded."""
    return select(notifications).where(SENDING_NOTIFICATION, notifications.c.sending_since < before)


class NotificationRepository:
    """Notify's notifications, inbox items and delivery log, on one transaction's session
    (implements the service layer's `NotificationRepository`)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _rows(self, query: Select[Any]) -> list[Row]:
        return list((await self._session.execute(query)).mappings())

    # -- notifications ----------------------------------------------------------------

    async def by_key(self, key: str) -> Notification | None:
        rows = await self._rows(select(notifications).where(notifications.c.idempotency_key == key))
        return Notification.from_row(rows[0]) if rows else None

    async def add(self, notification: Notification) -> bool:
        result = await self._session.execute(
            _ADD_NOTIFICATION(self._session), notification_values(notification)
        )
        return bool(rows_touched(result))

    def add_later(self, notification: Notification) -> None:
        insert_later(
            self._session, _ADD_NOTIFICATION(self._session), notification_values(notification)
        )

    async def due(self, now: datetime, limit: int) -> list[Row]:
        return await self._rows(due_query(now, limit))

    async def stale_sending(self, before: datetime) -> list[Row]:
        return await self._rows(stale_sending_query(before))

    async def open_digest_items(self, recipient_id: str, now: datetime) -> list[Row]:
        return await self._rows(
            select(notifications)
            .where(
                notifications.c.recipient_id == recipient_id,
                notifications.c.digest.is_(True),
                notifications.c.status == Status.held.value,
                notifications.c.due_at <= now,
            )
            .order_by(notifications.c.created_at)
        )

    async def save(self, notification: Notification, *, guard: Sequence[str] = GUARDED) -> bool:
        conditions = [notifications.c.id == notification.id]
        for column in guard:
            conditions.append(
                notifications.c[column] == _column_value(notification.as_read[column])
            )
        values = {name: _column_value(value) for name, value in notification.changes.items()}
        result = await self._session.execute(
            update(notifications).where(*conditions).values(**values)
        )
        written = bool(rows_touched(result))
        if written:
            notification.saved()
        return written

    async def claim_for_sending(
        self, claims: Sequence[Notification], *, channel: str, now: datetime
    ) -> set[str]:
        """Its inbox item is written by then."""
        if not claims:
            return set()
        as_read = tuple_(
            notifications.c.id,
            notifications.c.status,
            notifications.c.attempts,
            notifications.c.channel_index,
        )
        result = await self._session.execute(
            update(notifications)
            .where(
                as_read.in_([(n.id, n.status.value, n.attempts, n.channel_index) for n in claims])
            )
            .values(
                status=Status.sending.value,
                sending_since=now,
                sending_channel=channel,
                inbox_done=True,
                updated_at=now,
            )
            .returning(notifications.c.id)
        )
        got = set(result.scalars())
        for notification in claims:
            if notification.id in got:
                notification.claim(channel, now)
                notification.saved()
        return got

    async def mark_sent(
        self, ids: Sequence[str], *, channel: str, attempts: int, now: datetime
    ) -> None:
        if ids:
            await self._session.execute(
                update(notifications)
                .where(notifications.c.id.in_(list(ids)))
                .values(
                    status=Status.sent.value,
                    sent_at=now,
                    sent_channel=channel,
                    sending_since=None,
                    attempts=attempts,
                    snapshot=None,
                    updated_at=now,
                )
            )

    async def cancel_open(self, which: OpenMessages, *, now: datetime, reason: str) -> int:
        """Only rows this call moved from open to cancelled get a line: a redelivered event,
        or a worker that claimed the row first, finds nothing open and logs nothing."""
        open_statuses = [s.value for s in OPEN_STATUSES]
        conditions = [
            notifications.c.request_id == which.request_id,
            notifications.c.template.in_(list(which.templates)),
            notifications.c.status.in_(open_statuses),
        ]
        if which.recipient_id is not None:
            conditions.append(notifications.c.recipient_id == which.recipient_id)
        rows = await self._rows(select(notifications).where(*conditions))
        rows = [row for row in rows if which.covers(row)]
        if not rows:
            return 0
        result = await self._session.execute(
            update(notifications)
            .where(
                notifications.c.id.in_([row["id"] for row in rows]),
                notifications.c.status.in_(open_statuses),
            )
            .values(status=Status.cancelled.value, updated_at=now)
            .returning(notifications.c.id)
        )
        done = set(result.scalars())
        await self.log(
            [
                DeliveryLine.about(
                    row,
                    channel=CANCELLED_CHANNEL,
                    status=Status.cancelled.value,
                    at=now,
                    error=reason,
                )
                for row in rows
                if row["id"] in done
            ]
        )
        return len(done)

    async def proposal_went_out(
        self, *, request_id: str, volunteer_id: str, proposal_id: str
    ) -> bool:
        rows = await self._session.execute(
            select(notifications.c.context, notifications.c.status).where(
                notifications.c.request_id == request_id,
                notifications.c.recipient_id == volunteer_id,
                notifications.c.template == Template.proposal.value,
            )
        )
        return any(
            context.get("proposal_id") == proposal_id and status != Status.cancelled.value
            for context, status in rows.all()
        )

    async def anonymise(self, notification_id: str) -> None:
        await self._session.execute(
            update(notifications)
            .where(notifications.c.id == notification_id)
            .values(recipient_id=ERASED, snapshot=None)
        )
        await self._session.execute(
            update(delivery_attempts)
            .where(delivery_attempts.c.notification_id == notification_id)
            .values(recipient_id=ERASED)
        )

    async def forget_link(self, notification_id: str, member_id: str) -> None:
        await self._session.execute(
            update(notifications)
            .where(notifications.c.id == notification_id)
            .values(context={"member_id": member_id})
        )

    # -- inbox and log ----------------------------------------------------------------

    async def add_inbox_items(self, items: Sequence[InboxEntry]) -> None:
        if items:
            await self._session.execute(
                _ADD_INBOX_ITEMS(self._session), [record_values(item) for item in items]
            )

    async def log(self, lines: Sequence[DeliveryLine]) -> None:
        if lines:
            await self._session.execute(
                delivery_attempts.insert(), [record_values(line) for line in lines]
            )

    async def inbox_page(
        self, member_id: str, *, unread_only: bool, limit: int, before: datetime | None
    ) -> tuple[list[InboxEntry], int]:
        query = select(inbox_items).where(inbox_items.c.member_id == member_id)
        if unread_only:
            query = query.where(inbox_items.c.read_at.is_(None))
        if before is not None:
            query = query.where(inbox_items.c.created_at < before)
        query = query.order_by(inbox_items.c.created_at.desc(), inbox_items.c.id.desc()).limit(
            limit
        )
        items = [_inbox_entry(row) for row in await self._rows(query)]
        unread = await self._session.scalar(
            select(func.count())
            .select_from(inbox_items)
            .where(inbox_items.c.member_id == member_id, inbox_items.c.read_at.is_(None))
        )
        return items, int(unread or 0)

    async def mark_read(self, member_id: str, item_ids: list[str] | None, now: datetime) -> int:
        statement = update(inbox_items).where(
            inbox_items.c.member_id == member_id, inbox_items.c.read_at.is_(None)
        )
        if item_ids is not None:
            statement = statement.where(inbox_items.c.id.in_(item_ids))
        result = await self._session.execute(statement.values(read_at=now))
        return rows_touched(result)

    async def attempts(self, query: DeliveryLogQuery) -> list[DeliveryLine]:
        statement = select(delivery_attempts)
        if query.area_codes:
            codes = list(query.area_codes)
            statement = statement.where(
                or_(
                    delivery_attempts.c.municipality.in_(codes),
                    delivery_attempts.c.district.in_(codes),
                    delivery_attempts.c.neighbourhood.in_(codes),
                )
            )
        for column, value in (
            (delivery_attempts.c.recipient_id, query.recipient_id),
            (delivery_attempts.c.notification_id, query.notification_id),
            (delivery_attempts.c.status, query.status),
        ):
            if value is not None:
                statement = statement.where(column == value)
        statement = statement.order_by(
            delivery_attempts.c.at.desc(), delivery_attempts.c.id.desc()
        ).limit(query.limit)
        return [_line(row) for row in await self._rows(statement)]

    # -- one member's data ------------------------------------------------------------

    async def member_notifications(self, member_id: str) -> list[Notification]:
        rows = await self._rows(
            select(notifications)
            .where(notifications.c.recipient_id == member_id)
            .order_by(notifications.c.created_at)
        )
        return [Notification.from_row(row) for row in rows]

    async def member_inbox(self, member_id: str) -> list[InboxEntry]:
        rows = await self._rows(
            select(inbox_items)
            .where(inbox_items.c.member_id == member_id)
            .order_by(inbox_items.c.created_at)
        )
        return [_inbox_entry(row) for row in rows]

    async def erase_member(self, member_id: str) -> int:
        return await erase_member(self._session, member_id)
