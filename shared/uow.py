"""Unit of work: one database transaction that carries the change and the events it announces."""

from collections.abc import Callable
from types import TracebackType
from typing import Self

from sqlalchemy import Table, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.areas import AreaRef
from shared.clock import Clock, SystemClock
from shared.db import is_postgres
from shared.errors import AlreadyStored
from shared.events import Envelope, EventData, envelope
from shared.inbox import record_new
from shared.logging import current_correlation_id
from shared.outbox import OutboxRow, outbox_rows

AfterCommit = Callable[[list[OutboxRow]], None]
"""Told the outbox rows a commit wrote (none, when it emitted no event)."""


class MessagingTables:
    """The outbox and inbox tables of one service's database."""

    def __init__(self, outbox: Table, inbox: Table) -> None:
        self.outbox = outbox
        self.inbox = inbox


class UnitOfWork:
    """`async with uow: ...; uow.emit(...); await uow.commit()`

    Services subclass it to add their repositories (built on `self.session`).
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        tables: MessagingTables,
        *,
        source: str,
        clock: Clock | None = None,
        after_commit: AfterCommit | None = None,
    ) -> None:
        self._sessions = sessions
        self._tables = tables
        self.source = source
        self.clock = clock or SystemClock()
        self._after_commit = after_commit
        self._pending: list[Envelope] = []
        self.committed_events: list[Envelope] = []
        self.causation_id: str | None = None
        self.session: AsyncSession
        self._read_only = False

    def read_only(self) -> Self:
        """This unit of work only reads: `async with make_uow().read_only() as uow: ...`.

        On PostgreSQL its statements then run without a transaction around them, which saves
        the BEGIN and ROLLBACK round trips; each statement still sees committed data only, but
        two of them may see different moments. For reads that need no snapshot across their
        statements (a look-up, a list to act on with its own checks). It cannot commit."""
        self._read_only = True
        return self

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        self._pending = []
        if self._read_only and is_postgres(self.session.get_bind()):
            # SQLite reads need no such care: its driver begins a transaction only to write.
            await self.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self.session.in_transaction():
                await self.session.rollback()
        finally:
            await self.session.close()
            self._pending = []

    def emit(self, data: EventData, area: AreaRef | None = None) -> Envelope:
        """Queue an event; it is written to the outbox when the unit of work commits."""
        event = envelope(
            data,
            source=self.source,
            area=area,
            correlation_id=current_correlation_id(),
            causation_id=self.causation_id,
            occurred_at=self.clock.now(),
        )
        self._pending.append(event)
        return event

    async def first_seen(self, consumer: str, event_ids: list[str]) -> set[str]:
        """Record a batch of incoming events in the inbox; returns those not handled before."""
        return await record_new(
            self.session,
            self._tables.inbox,
            consumer=consumer,
            event_ids=event_ids,
            now=self.clock.now(),
        )

    async def commit(self) -> None:
        if self._read_only:
            raise RuntimeError("a read-only unit of work cannot commit")
        rows = outbox_rows(self._pending, self.clock.now()) if self._pending else []
        if rows:
            await self.session.execute(insert(self._tables.outbox), rows)
        try:
            await self.session.commit()
        except IntegrityError as exc:
            raise AlreadyStored("a row with the same unique key is stored already") from exc
        self.committed_events.extend(self._pending)
        self._pending = []
        if self._after_commit is not None:
            self._after_commit(rows)

    async def rollback(self) -> None:
        await self.session.rollback()
        self._pending = []
