"""Idempotent consumer: `(consumer, event_id)` is recorded in the handler's own transaction,
so an event delivered twice changes nothing the second time."""

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


async def record_once(
    session: AsyncSession, table: Table, *, consumer: str, event_id: str, now: datetime
) -> bool:
    """Record the event as handled; False when it already was (a duplicate)."""
    values = {"consumer": consumer, "event_id": event_id, "handled_at": now}
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    result = await session.execute(
        insert(table).values(values).on_conflict_do_nothing(index_elements=["consumer", "event_id"])
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
