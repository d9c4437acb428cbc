"""What notify keeps of a request, written through its repository on a real database."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event

from services.notify.adapters import repository as repo
from services.notify.bootstrap import MIGRATIONS
from shared.db import create_engine, session_factory
from shared.migrations import upgrade


def created(**changes: Any) -> dict[str, Any]:
    return {
        "request_id": "r-1",
        "requester_id": "m-requester",
        "category": "groceries",
        "urgent": False,
        "needed_from": datetime(2026, 11, 30, 9, tzinfo=UTC),
        "needed_until": None,
        **changes,
    }


async def test_a_request_written_again_unchanged_in_one_transaction_costs_no_statement(
    database_url: Callable[[str], str],
) -> None:
    url = database_url("notify")
    await upgrade(MIGRATIONS, url)
    engine = create_engine(url)
    statements: list[str] = []
    event.listen(
        engine.sync_engine,
        "before_cursor_execute",
        lambda _c, _cur, sql, *_: statements.append(sql),
    )
    try:
        async with session_factory(engine)() as session, session.begin():
            await repo.upsert_request(session, created())
            written = len(statements)
            # A proposal of the same request: the requester is kept, nothing else differs.
            await repo.upsert_request(session, created(requester_id=""), keep=("requester_id",))
            await repo.upsert_request(session, created(requester_id=""), keep=("requester_id",))
            assert len(statements) == written
            # A proposal that says otherwise (now urgent) is written.
            await repo.upsert_request(
                session, created(requester_id="", urgent=True), keep=("requester_id",)
            )
            assert len(statements) == written + 1
        async with session_factory(engine)() as session:
            row = await repo.get_request(session, "r-1")
            assert row is not None
            assert row["requester_id"] == "m-requester"
            assert row["urgent"] is True
            # A new transaction knows nothing of the last one's writes: it writes again.
            before = len(statements)
            await repo.upsert_request(session, created(urgent=True))
            assert len(statements) == before + 1
    finally:
        await engine.dispose()
