"""Transactional outbox: an event row commits in the same transaction as the change it
announces; a relay publishes it to JetStream afterwards, so nothing is lost when NATS is away.

Each row is published with `Nats-Msg-Id = event_id`: if the relay crashes after publishing but
before marking the row, the server drops the second copy inside its duplicate window.
"""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    func,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared import metrics
from shared.clock import Clock, SystemClock
from shared.events import Envelope
from shared.logging import get_logger
from shared.polling import AT_ONCE, Poller, cancel_and_wait

log = get_logger(__name__)

Publish = Callable[[str, bytes, str], Awaitable[None]]
"""publish(subject, payload, event_id): returns once the stream stored it, raises otherwise."""


# The partial index's condition, repeated word for word by the queries it serves.
UNPUBLISHED = text("published_at IS NULL")


def outbox_table(metadata: MetaData) -> Table:
    return Table(
        "outbox",
        metadata,
        Column(
            "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
        ),
        Column("event_id", String(40), nullable=False, unique=True),
        Column("subject", String(255), nullable=False),
        Column("payload", Text, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("published_at", DateTime(timezone=True), nullable=True),
        Column("attempts", Integer, nullable=False, default=0),
        Column("next_attempt_at", DateTime(timezone=True), nullable=True),
        Column("last_error", Text, nullable=True),
        # Partial: published rows leave it, so the relay reads what is left to publish only,
        # however long the table. (On all rows, each row marked published would leave an
        # entry behind until the next vacuum, and every read of the relay would visit them.)
        Index(
            "ix_outbox_unpublished",
            "id",
            postgresql_where=UNPUBLISHED,
            sqlite_where=UNPUBLISHED,
        ),
    )


OutboxRow = dict[str, Any]
"""One outbox row as written: event_id, subject, payload, created_at, attempts."""


def outbox_rows(envelopes: Sequence[Envelope], now: datetime) -> list[OutboxRow]:
    return [
        {
            "event_id": e.event_id,
            "subject": e.subject,
            "payload": e.model_dump_json(),
            "created_at": now,
            "attempts": 0,
        }
        for e in envelopes
    ]


def due_rows(table: Table, batch_size: int) -> Any:
    """The relay's read: rows still to publish whose retry time has come (bound: `now`),
    oldest first."""
    t = table
    return (
        select(t.c.id, t.c.event_id, t.c.subject, t.c.payload, t.c.attempts)
        .where(UNPUBLISHED)
        .where((t.c.next_attempt_at.is_(None)) | (t.c.next_attempt_at <= bindparam("now")))
        .order_by(t.c.id)
        .limit(batch_size)
    )


def event_type_of(subject: str) -> str:
    """`samen.evt.request.created.GM0344...` -> `request.created`."""
    parts = subject.split(".")
    return f"{parts[2]}.{parts[3]}" if len(parts) > 3 else subject


# How long published rows may wait to be marked, so that one statement marks many: at a
# moderate rate a shorter wait marks nearly every event on its own. A crash in between
# publishes them again, which the stream's duplicate window and the consumers' inboxes absorb.
MARK_DELAY_SECONDS = 0.5


def retry_delay(attempts: int, *, base: float = 0.5, cap: float = 60.0) -> float:
    """Exponential backoff: 0.5 s, 1 s, 2 s, ... up to a minute."""
    return float(min(cap, base * 2 ** max(0, attempts - 1)))


class OutboxRelay:
    """Publishes unpublished outbox rows in order; wakes at once after a commit."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        table: Table,
        publish: Publish,
        *,
        batch_size: int = 200,
        poll_interval: float = 1.0,
        clock: Clock | None = None,
        claim_rows: bool = False,
        service: str = "",
    ) -> None:
        self._service = service
        self._sessions = sessions
        self._table = table
        self._publish = publish
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._clock = clock or SystemClock()
        # PostgreSQL: replicas claim rows with FOR UPDATE SKIP LOCKED, so no two publish one.
        self._claim_rows = claim_rows
        # After a failed pass (the database away a moment), not again in a tight loop.
        self._poller = Poller(
            "outbox relay pass", every=poll_interval, after_failure=min(poll_interval, 0.5)
        )
        self._task: asyncio.Task[None] | None = None
        self.published_total = 0
        # Rows this process committed, published from memory (no read back); the table is
        # read at start, once per poll interval (rows other processes wrote, such as an
        # import), and after any failure, which leaves the retries to the read.
        self._committed: list[OutboxRow] = []
        self._read_due = True
        self._last_read = 0.0
        self._last_read_ids: set[str] = set()  # the event ids the last read found
        # Published from memory, marked in the table together a little later: one statement
        # for the events of many commits instead of a transaction after each.
        self._unmarked: list[str] = []
        self._unmarked_since = 0.0
        # Built once: a pass runs after every commit.
        t = table
        self._due = due_rows(table, batch_size)
        self._due_claimed = self._due.with_for_update(skip_locked=True)
        self._mark_published_events = (
            update(t)
            .where(t.c.event_id.in_(bindparam("event_ids", expanding=True)))
            .values(published_at=bindparam("now"))
        )

    def committed(self, rows: list[OutboxRow]) -> None:
        """This process just committed `rows`: publish them without reading them back."""
        if rows:
            if len(self._committed) < self._batch_size:
                self._committed.extend(rows)
            else:  # falling behind: the table has them in order, read it instead
                self._committed.clear()
                self._read_due = True
            self._poller.wake()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        if self._task is not None:
            await cancel_and_wait([self._task])
            self._task = None
        try:
            await self._mark_published_rows()
        except Exception as exc:  # the next start reads and publishes them again: no loss
            log.warning("could not mark published outbox rows", error=str(exc))

    async def _run(self) -> None:
        await self._poller.run(self._pass)

    async def _pass(self) -> float | None:
        """Publish what is due; answers how long until the next pass may be needed."""
        loop = asyncio.get_running_loop()
        more = False
        try:
            if self._read_due or loop.time() - self._last_read >= self._poll_interval:
                await self._mark_published_rows()  # or the read would find them again
                self._read_due = False
                self._last_read = loop.time()
                self._committed.clear()  # the read finds them as well
                more = await self.publish_pending() >= self._batch_size
                self._read_due = more
                if self._committed:  # handed over during the read: publish each once
                    self._committed = [
                        r for r in self._committed if r["event_id"] not in self._last_read_ids
                    ]
            elif self._committed:
                await self._publish_committed()
            if self._unmarked and (
                len(self._unmarked) >= self._batch_size
                or loop.time() - self._unmarked_since >= MARK_DELAY_SECONDS
            ):
                await self._mark_published_rows()
        except Exception:
            self._read_due = True  # what failed is found again by the next read
            raise
        if more or self._committed:
            return AT_ONCE
        wait = self._poll_interval
        if self._unmarked:
            wait = min(wait, self._unmarked_since + MARK_DELAY_SECONDS - loop.time())
        return max(wait, AT_ONCE)

    async def _publish_committed(self) -> None:
        rows, self._committed = self._committed, []
        results = await asyncio.gather(
            *(self._publish(r["subject"], r["payload"].encode(), r["event_id"]) for r in rows),
            return_exceptions=True,
        )
        done = [
            r for r, res in zip(rows, results, strict=True) if not isinstance(res, BaseException)
        ]
        if done:
            if not self._unmarked:
                self._unmarked_since = asyncio.get_running_loop().time()
            self._unmarked += [r["event_id"] for r in done]
            for row in done:
                metrics.event_published(self._service, event_type_of(row["subject"]))
            self.published_total += len(done)
        if len(done) < len(rows):
            # The read counts the attempts and backs off; it also keeps the order.
            log.warning("outbox publish failed", failed=len(rows) - len(done))
            self._read_due = True

    async def _mark_published_rows(self) -> None:
        """Mark what was published since the last time, in one statement. Until then a crash
        would publish those rows again: the stream drops the copies (same message id), and
        consumers skip what their inbox has seen."""
        if not self._unmarked:
            return
        event_ids, self._unmarked = self._unmarked, []
        try:
            async with self._sessions() as session, session.begin():
                await session.execute(
                    self._mark_published_events, {"event_ids": event_ids, "now": self._clock.now()}
                )
        except BaseException:
            self._unmarked = event_ids + self._unmarked  # try again with the next ones
            raise

    async def backlog(self) -> int:
        async with self._sessions() as session:
            count = await session.scalar(
                select(func.count()).select_from(self._table).where(UNPUBLISHED)
            )
            return int(count or 0)

    async def publish_pending(self) -> int:
        """One pass: publish what is due, oldest first. Returns how many were published."""
        now = {"now": self._clock.now()}
        if self._claim_rows:
            async with self._sessions() as session, session.begin():
                rows = (await session.execute(self._due_claimed, now)).all()
                self._last_read_ids = {r.event_id for r in rows}
                return await self._publish_rows(session, rows)
        async with self._sessions() as session:
            rows = (await session.execute(self._due, now)).all()
            await session.rollback()  # end the read before the network round trips
        self._last_read_ids = {r.event_id for r in rows}
        if not rows:
            return 0
        async with self._sessions() as session, session.begin():
            return await self._publish_rows(session, rows)

    async def _publish_rows(self, session: AsyncSession, rows: Sequence[Any]) -> int:
        if not rows:
            return 0
        t = self._table
        # Pipelined: all publishes of the batch in flight at once, acks awaited together.
        results = await asyncio.gather(
            *(self._publish(r.subject, r.payload.encode(), r.event_id) for r in rows),
            return_exceptions=True,
        )
        now = self._clock.now()
        done = [
            r.event_id
            for r, res in zip(rows, results, strict=True)
            if not isinstance(res, BaseException)
        ]
        if done:
            # One marking statement for both paths (event ids are unique).
            await session.execute(self._mark_published_events, {"event_ids": done, "now": now})
            for row, result in zip(rows, results, strict=True):
                if not isinstance(result, BaseException):
                    metrics.event_published(self._service, event_type_of(row.subject))
        for row, result in zip(rows, results, strict=True):
            if isinstance(result, BaseException):
                attempts = row.attempts + 1
                await session.execute(
                    update(t)
                    .where(t.c.id == row.id)
                    .values(
                        attempts=attempts,
                        next_attempt_at=now + timedelta(seconds=retry_delay(attempts)),
                        last_error=f"{type(result).__name__}: {result}"[:500],
                    )
                )
        failed = len(rows) - len(done)
        if failed:
            log.warning("outbox publish failed", failed=failed, published=len(done))
        self.published_total += len(done)
        return len(done)
