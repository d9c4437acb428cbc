"""Idempotent consumer: `(consumer, event_id)` is recorded in the handler's own transaction,
so an event delivered twice changes nothing the second time."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Column, DateTime, MetaData, String, Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession


def inbox_table(metadata: MetaData) -> Table:
    return Table(
        "inbox",
        metadata,
        Column("consumer", String(100), primary_key=True),
        Column("event_id", String(40), primary_key=True),
        Column("handled_at", DateTime(timezone=True), nullable=False),
    )


async def record_new(
    session: AsyncSession,
    table: Table,
    *,
    consumer: str,
    event_ids: Sequence[str],
    now: datetime,
) -> set[str]:
    """Record a batch of events as handled, in one statement; returns those that were not
    recorded before (the others are duplicates)."""
    if not event_ids:
        return set()
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    rows = [
        {"consumer": consumer, "event_id": e, "handled_at": now} for e in dict.fromkeys(event_ids)
    ]
    statement = (
        insert(table)
        .on_conflict_do_nothing(index_elements=["consumer", "event_id"])
        .returning(table.c.event_id)
    )
    # Many rows, one statement: SQLAlchemy sends them as one multi-row INSERT with RETURNING.
    result = await session.execute(statement, rows)
    return set(result.scalars())
