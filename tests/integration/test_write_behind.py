"""Held-back inserts (`shared.write_behind`) on a real database: one statement for many rows,
visible to the rest of the transaction, gone with a rollback."""

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, event, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db import is_postgres, session_factory
from shared.write_behind import held_rows, insert_later
from tests.support import engine_with_tables

metadata = MetaData()
links = Table(
    "links",
    metadata,
    Column("proposal_id", String, primary_key=True),
    Column("state", String, nullable=False),
    Column("hits", Integer, nullable=False, default=0),
)


@pytest.fixture
async def engine(database_url: Callable[[str], str]) -> AsyncIterator[AsyncEngine]:
    async with engine_with_tables(database_url("write_behind"), metadata) as engine:
        yield engine


def statements_of(engine: AsyncEngine) -> list[str]:
    seen: list[str] = []
    event.listen(
        engine.sync_engine,
        "before_cursor_execute",
        lambda _c, _cur, sql, *_: seen.append(sql.split()[0]),
    )
    return seen


def add_link(engine: AsyncEngine) -> Any:
    insert = pg_insert if is_postgres(engine) else sqlite_insert
    return insert(links).on_conflict_do_nothing(index_elements=["proposal_id"])


async def stored(engine: AsyncEngine) -> list[tuple[str, str]]:
    async with session_factory(engine)() as session:
        rows = await session.execute(select(links.c.proposal_id, links.c.state).order_by("state"))
        return [(r.proposal_id, r.state) for r in rows]


async def test_held_rows_go_in_one_statement_before_the_next_and_the_rest_sees_them(
    engine: AsyncEngine,
) -> None:
    statements = statements_of(engine)
    statement = add_link(engine)  # built once, as the services do
    async with session_factory(engine)() as session:
        for n in range(5):
            insert_later(session, statement, {"proposal_id": f"p-{n}", "state": "open"})
        insert_later(session, statement, {"proposal_id": "p-0", "state": "again"})
        assert held_rows(session) == 6
        assert statements == []  # nothing sent yet
        await session.execute(
            update(links).where(links.c.proposal_id == "p-4").values(state="answered")
        )
        assert held_rows(session) == 0
        assert statements.count("INSERT") == 1  # six rows, one statement
        assert statements[-1] == "UPDATE"  # after them: it found p-4
        await session.commit()
    assert await stored(engine) == [
        ("p-4", "answered"),
        ("p-0", "open"),  # the first p-0 stays: the second did nothing
        ("p-1", "open"),
        ("p-2", "open"),
        ("p-3", "open"),
    ]


async def test_a_commit_sends_what_is_held(engine: AsyncEngine) -> None:
    async with session_factory(engine)() as session:
        await session.execute(select(links))  # a transaction that began before the rows
        insert_later(session, add_link(engine), {"proposal_id": "p-1", "state": "open"})
        await session.commit()
    async with session_factory(engine)() as session:
        insert_later(session, add_link(engine), {"proposal_id": "p-2", "state": "open"})
        await session.commit()  # nothing else ran in this one
    assert await stored(engine) == [("p-1", "open"), ("p-2", "open")]


async def test_a_rollback_drops_what_is_held(engine: AsyncEngine) -> None:
    async with session_factory(engine)() as session:
        await session.execute(select(links))
        insert_later(session, add_link(engine), {"proposal_id": "p-1", "state": "open"})
        await session.rollback()
        assert held_rows(session) == 0
        await session.commit()
    assert await stored(engine) == []


async def test_a_held_row_that_fails_fails_the_commit_and_writes_nothing(
    engine: AsyncEngine,
) -> None:
    statement = add_link(engine)
    async with session_factory(engine)() as session:
        insert_later(session, statement, {"proposal_id": "p-1", "state": "open"})
        insert_later(session, statement, {"proposal_id": "p-2", "state": None})
        with pytest.raises(IntegrityError):
            await session.commit()
        await session.rollback()
    assert await stored(engine) == []
