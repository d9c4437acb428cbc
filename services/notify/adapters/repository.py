"""Reads and writes of notify's own tables (SQLAlchemy Core on the unit of work's session)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, func, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.adapters.member_data import (
    erase_member as erase_member,
)
from services.notify.adapters.member_data import (
    member_inbox,
    member_notifications,
    rows_touched,
)
from services.notify.adapters.orm import (
    OPEN_NOTIFICATION,
    SENDING_NOTIFICATION,
    delivery_attempts,
    inbox_items,
    notifications,
)
from services.notify.domain.model import OPEN_STATUSES, Status, Template
from services.notify.domain.notification import Notification
from shared.db import is_postgres
from shared.ids import new_id
from shared.write_behind import insert_later


def aware(moment: datetime | None) -> datetime | None:
    """SQLite gives naive datetimes back; everything here is UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


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


# ---------------------------------------------------------------- notifications


async def notification_by_key(session: AsyncSession, key: str) -> RowMapping | None:
    result = await session.execute(
        select(notifications).where(notifications.c.idempotency_key == key)
    )
    return result.mappings().first()


async def add_notification(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Insert unless the idempotency key exists already; True when inserted."""
    result = await session.execute(_ADD_NOTIFICATION(session), values)
    return bool(rows_touched(result))


def add_notification_later(session: AsyncSession, values: dict[str, Any]) -> None:
    """The same insert, held back and sent with the transaction's other rows (a consumer's
    batch): one statement for all its notifications."""
    insert_later(session, _ADD_NOTIFICATION(session), values)


def due_query(now: datetime, limit: int) -> Select[Any]:
    """Open notifications whose time has come, oldest first (one delivery round)."""
    return (
        select(notifications)
        .where(OPEN_NOTIFICATION, notifications.c.due_at <= now)
        .order_by(notifications.c.due_at, notifications.c.id)
        .limit(limit)
    )


async def due_notifications(session: AsyncSession, now: datetime, limit: int) -> list[RowMapping]:
    return list((await session.execute(due_query(now, limit))).mappings())


def stale_sending_query(before: datetime) -> Select[Any]:
    """Notifications handed to a channel before `before` whose outcome was never recorded."""
    return select(notifications).where(SENDING_NOTIFICATION, notifications.c.sending_since < before)


async def stale_sending(session: AsyncSession, before: datetime) -> list[RowMapping]:
    return list((await session.execute(stale_sending_query(before))).mappings())


def notification_from_row(row: Mapping[Any, Any]) -> Notification:
    """A notifications row as the entity whose transitions the worker records."""
    return Notification.from_row(row)


GUARDED = ("status", "attempts")


async def save(
    session: AsyncSession, notification: Notification, *, guard: Sequence[str] = GUARDED
) -> bool:
    """Write what changed in one UPDATE; with `guard`, only if those columns still hold the
    values they were read with (a claim: two workers never both win). True when written."""
    conditions = [notifications.c.id == notification.id]
    for column in guard:
        conditions.append(notifications.c[column] == _column_value(notification.as_read[column]))
    values = {name: _column_value(value) for name, value in notification.changes.items()}
    result = await session.execute(update(notifications).where(*conditions).values(**values))
    written = bool(rows_touched(result))
    if written:
        notification.saved()
    return written


def _column_value(value: Any) -> Any:
    return value.value if isinstance(value, StrEnum) else value


async def claim_for_sending(
    session: AsyncSession, claims: Sequence[Notification], *, channel: str, now: datetime
) -> set[str]:
    """Mark these notifications "sending" on `channel`, each only if it is still as it was
    read (status, attempts, channel); returns the ids this worker got, whose entities are then
    claimed. Its inbox item is written by then."""
    if not claims:
        return set()
    as_read = tuple_(
        notifications.c.id,
        notifications.c.status,
        notifications.c.attempts,
        notifications.c.channel_index,
    )
    result = await session.execute(
        update(notifications)
        .where(as_read.in_([(n.id, n.status.value, n.attempts, n.channel_index) for n in claims]))
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
    session: AsyncSession, ids: Sequence[str], *, channel: str, attempts: int, now: datetime
) -> None:
    if ids:
        await session.execute(
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


CANCELLED_CHANNEL = "none"  # the delivery log's channel of a message that never went out


async def cancel_open(
    session: AsyncSession,
    *,
    request_id: str,
    templates: Sequence[str],
    now: datetime,
    reason: str,
    recipient_id: str | None = None,
    proposal_id: str | None = None,
) -> int:
    """Cancel the open (pending, held, retrying) messages about a request, of these templates
    (and, given, to this recipient or about this proposal), with a `cancelled` line each in the
    delivery log. Only rows this call moved from open to cancelled get a line: a redelivered
    event, or a worker that claimed the row first, finds nothing open and logs nothing."""
    conditions = [
        notifications.c.request_id == request_id,
        notifications.c.template.in_(list(templates)),
        notifications.c.status.in_([s.value for s in OPEN_STATUSES]),
    ]
    if recipient_id is not None:
        conditions.append(notifications.c.recipient_id == recipient_id)
    rows = list((await session.execute(select(notifications).where(*conditions))).mappings())
    if proposal_id is not None:
        rows = [row for row in rows if row["context"].get("proposal_id") == proposal_id]
    if not rows:
        return 0
    result = await session.execute(
        update(notifications)
        .where(
            notifications.c.id.in_([row["id"] for row in rows]),
            notifications.c.status.in_([s.value for s in OPEN_STATUSES]),
        )
        .values(status=Status.cancelled.value, updated_at=now)
        .returning(notifications.c.id)
    )
    done = set(result.scalars())
    await log_attempts(
        session,
        [
            attempt(
                row, channel=CANCELLED_CHANNEL, status=Status.cancelled.value, at=now, error=reason
            )
            for row in rows
            if row["id"] in done
        ],
    )
    return len(done)


async def proposal_went_out(
    session: AsyncSession, *, request_id: str, volunteer_id: str, proposal_id: str
) -> bool:
    """Whether this proposal reached the volunteer beyond the inbox (sent, or possibly sent):
    a proposal cancelled before it left needs no "already taken" message."""
    rows = await session.execute(
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


async def open_digest_items(
    session: AsyncSession, recipient_id: str, now: datetime
) -> list[RowMapping]:
    result = await session.execute(
        select(notifications)
        .where(
            notifications.c.recipient_id == recipient_id,
            notifications.c.digest.is_(True),
            notifications.c.status == Status.held.value,
            notifications.c.due_at <= now,
        )
        .order_by(notifications.c.created_at)
    )
    return list(result.mappings())


ERASED = "erased"


async def anonymise(session: AsyncSession, notification_id: str) -> None:
    """After an erased member's last message: keep the record, not whose it was."""
    await session.execute(
        update(notifications)
        .where(notifications.c.id == notification_id)
        .values(recipient_id=ERASED, snapshot=None)
    )
    await session.execute(
        update(delivery_attempts)
        .where(delivery_attempts.c.notification_id == notification_id)
        .values(recipient_id=ERASED)
    )


async def forget_link(session: AsyncSession, notification_id: str, member_id: str) -> None:
    """After a message with a link that opens an account: keep the record, not the link."""
    await session.execute(
        update(notifications)
        .where(notifications.c.id == notification_id)
        .values(context={"member_id": member_id})
    )


# ---------------------------------------------------------------- inbox and log


async def add_inbox_items(session: AsyncSession, items: Sequence[dict[str, Any]]) -> None:
    """Write in-app messages; one that is there already (per notification) is left as it is."""
    if items:
        await session.execute(_ADD_INBOX_ITEMS(session), list(items))


def attempt(
    row: Mapping[Any, Any],
    *,
    channel: str,
    status: str,
    at: datetime,
    error: str | None = None,
) -> dict[str, Any]:
    """One line of the delivery log, for `log_attempts`."""
    return {
        "id": new_id(),
        "notification_id": row["id"],
        "recipient_id": row["recipient_id"],
        "template": row["template"],
        "channel": channel,
        "status": status,
        "error": error,
        "at": at,
        "municipality": row["municipality"],
        "district": row["district"],
        "neighbourhood": row["neighbourhood"],
    }


async def log_attempts(session: AsyncSession, lines: Sequence[dict[str, Any]]) -> None:
    if lines:
        await session.execute(delivery_attempts.insert(), list(lines))


async def log_attempt(
    session: AsyncSession,
    row: Mapping[Any, Any],
    *,
    channel: str,
    status: str,
    at: datetime,
    error: str | None = None,
) -> None:
    await log_attempts(session, [attempt(row, channel=channel, status=status, at=at, error=error)])


async def inbox_page(
    session: AsyncSession,
    member_id: str,
    *,
    unread_only: bool,
    limit: int,
    before: datetime | None,
) -> tuple[list[RowMapping], int]:
    query = select(inbox_items).where(inbox_items.c.member_id == member_id)
    if unread_only:
        query = query.where(inbox_items.c.read_at.is_(None))
    if before is not None:
        query = query.where(inbox_items.c.created_at < before)
    query = query.order_by(inbox_items.c.created_at.desc(), inbox_items.c.id.desc()).limit(limit)
    items = list((await session.execute(query)).mappings())
    unread = await session.scalar(
        select(func.count())
        .select_from(inbox_items)
        .where(inbox_items.c.member_id == member_id, inbox_items.c.read_at.is_(None))
    )
    return items, int(unread or 0)


async def mark_read(
    session: AsyncSession, member_id: str, item_ids: list[str] | None, now: datetime
) -> int:
    statement = update(inbox_items).where(
        inbox_items.c.member_id == member_id, inbox_items.c.read_at.is_(None)
    )
    if item_ids is not None:
        statement = statement.where(inbox_items.c.id.in_(item_ids))
    result = await session.execute(statement.values(read_at=now))
    return rows_touched(result)


async def attempts(
    session: AsyncSession,
    *,
    area_codes: Sequence[str] = (),
    recipient_id: str | None = None,
    notification_id: str | None = None,
    status: str | None = None,
    limit: int = 100,
) -> list[RowMapping]:
    query = select(delivery_attempts)
    if area_codes:
        codes = list(area_codes)
        query = query.where(
            or_(
                delivery_attempts.c.municipality.in_(codes),
                delivery_attempts.c.district.in_(codes),
                delivery_attempts.c.neighbourhood.in_(codes),
            )
        )
    if recipient_id is not None:
        query = query.where(delivery_attempts.c.recipient_id == recipient_id)
    if notification_id is not None:
        query = query.where(delivery_attempts.c.notification_id == notification_id)
    if status is not None:
        query = query.where(delivery_attempts.c.status == status)
    query = query.order_by(delivery_attempts.c.at.desc(), delivery_attempts.c.id.desc())
    return list((await session.execute(query.limit(limit))).mappings())


class NotificationRepository:
    """Notify's notifications, inbox items and delivery log, on one transaction's session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def dialect_insert(self) -> Any:
        return dialect_insert(self._session)

    async def notification_by_key(self, key: str) -> RowMapping | None:
        return await notification_by_key(self._session, key)

    async def add_notification(self, values: dict[str, Any]) -> bool:
        return await add_notification(self._session, values)

    def add_notification_later(self, values: dict[str, Any]) -> None:
        return add_notification_later(self._session, values)

    async def due_notifications(self, now: datetime, limit: int) -> list[RowMapping]:
        return await due_notifications(self._session, now, limit)

    async def stale_sending(self, before: datetime) -> list[RowMapping]:
        return await stale_sending(self._session, before)

    async def save(self, notification: Notification, *, guard: Sequence[str] = GUARDED) -> bool:
        return await save(self._session, notification, guard=guard)

    async def claim_for_sending(
        self, claims: Sequence[Notification], *, channel: str, now: datetime
    ) -> set[str]:
        return await claim_for_sending(self._session, claims, channel=channel, now=now)

    async def mark_sent(
        self, ids: Sequence[str], *, channel: str, attempts: int, now: datetime
    ) -> None:
        return await mark_sent(self._session, ids, channel=channel, attempts=attempts, now=now)

    async def cancel_open(
        self,
        *,
        request_id: str,
        templates: Sequence[str],
        now: datetime,
        reason: str,
        recipient_id: str | None = None,
        proposal_id: str | None = None,
    ) -> int:
        return await cancel_open(
            self._session,
            request_id=request_id,
            templates=templates,
            now=now,
            reason=reason,
            recipient_id=recipient_id,
            proposal_id=proposal_id,
        )

    async def proposal_went_out(
        self, *, request_id: str, volunteer_id: str, proposal_id: str
    ) -> bool:
        return await proposal_went_out(
            self._session, request_id=request_id, volunteer_id=volunteer_id, proposal_id=proposal_id
        )

    async def open_digest_items(self, recipient_id: str, now: datetime) -> list[RowMapping]:
        return await open_digest_items(self._session, recipient_id, now)

    async def anonymise(self, notification_id: str) -> None:
        return await anonymise(self._session, notification_id)

    async def forget_link(self, notification_id: str, member_id: str) -> None:
        return await forget_link(self._session, notification_id, member_id)

    async def add_inbox_items(self, items: Sequence[dict[str, Any]]) -> None:
        return await add_inbox_items(self._session, items)

    async def log_attempts(self, lines: Sequence[dict[str, Any]]) -> None:
        return await log_attempts(self._session, lines)

    async def log_attempt(
        self,
        row: Mapping[Any, Any],
        *,
        channel: str,
        status: str,
        at: datetime,
        error: str | None = None,
    ) -> None:
        return await log_attempt(
            self._session, row, channel=channel, status=status, at=at, error=error
        )

    async def inbox_page(
        self, member_id: str, *, unread_only: bool, limit: int, before: datetime | None
    ) -> tuple[list[RowMapping], int]:
        return await inbox_page(
            self._session, member_id, unread_only=unread_only, limit=limit, before=before
        )

    async def mark_read(self, member_id: str, item_ids: list[str] | None, now: datetime) -> int:
        return await mark_read(self._session, member_id, item_ids, now)

    async def attempts(
        self,
        *,
        area_codes: Sequence[str] = (),
        recipient_id: str | None = None,
        notification_id: str | None = None,
        status: str | None = None,
        limit: int = 100,
    ) -> list[RowMapping]:
        return await attempts(
            self._session,
            area_codes=area_codes,
            recipient_id=recipient_id,
            notification_id=notification_id,
            status=status,
            limit=limit,
        )

    async def member_notifications(self, member_id: str) -> list[RowMapping]:
        return await member_notifications(self._session, member_id)

    async def member_inbox(self, member_id: str) -> list[RowMapping]:
        return await member_inbox(self._session, member_id)

    async def erase_member(self, member_id: str) -> int:
        return await erase_member(self._session, member_id)
