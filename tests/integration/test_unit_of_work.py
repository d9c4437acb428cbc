"""The unit of work on a real database: a read-only one reads committed data without a
transaction around its statements (on PostgreSQL) and cannot commit."""

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest
from sqlalchemy import Column, MetaData, String, Table, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db import is_postgres, session_factory
from shared.uow import MessagingTables, UnitOfWork
from tests.support import engine_with_tables

metadata = MetaData()
members = Table("members", metadata, Column("member_id", String, primary_key=True))
outbox = Table(
    "outbox",
    metadata,
    Column("event_id", String, primary_key=True),
    Column("subject", String),
)
inbox = Table("inbox", metadata, Column("event_id", String, primary_key=True))


@pytest.fixture
async def engine(database_url: Callable[[str], str]) -> AsyncIterator[AsyncEngine]:
    async with engine_with_tables(database_url("unit_of_work"), metadata) as engine:
        yield engine


def unit_of_work(engine: AsyncEngine) -> UnitOfWork:
    return UnitOfWork(session_factory(engine), MessagingTables(outbox, inbox), source="test")


async def test_a_read_only_unit_of_work_reads_what_others_committed(engine: AsyncEngine) -> None:
    async with unit_of_work(engine) as writer:
        await writer.session.execute(insert(members), [{"member_id": "m1"}, {"member_id": "m2"}])
        await writer.commit()
    async with unit_of_work(engine).read_only() as reader:
        found = (await reader.session.execute(select(members.c.member_id))).scalars().all()
    assert sorted(found) == ["m1", "m2"]


async def test_a_read_only_unit_of_work_cannot_commit(engine: AsyncEngine) -> None:
    async with unit_of_work(engine).read_only() as reader:
        await reader.session.execute(select(members))
        with pytest.raises(RuntimeError, match="read-only"):
            await reader.commit()


async def test_on_postgresql_a_read_only_unit_of_work_runs_no_transaction(
    engine: AsyncEngine,
) -> None:
    if not is_postgres(engine):
        pytest.skip("SQLite's driver begins a transaction only to write")

    async def two_clock_readings(uow: UnitOfWork) -> set[object]:
        async with uow:
            first = (await uow.session.execute(text("SELECT now()"))).scalar()
            await asyncio.sleep(0.01)
            second = (await uow.session.execute(text("SELECT now()"))).scalar()
        return {first, second}

    # now() is the start of the transaction: one value inside a transaction, two without.
    assert len(await two_clock_readings(unit_of_work(engine))) == 1
    assert len(await two_clock_readings(unit_of_work(engine).read_only())) == 2
    # The connection goes back to the pool as it came: the next unit of work is a transaction.
    assert len(await two_clock_readings(unit_of_work(engine))) == 1
