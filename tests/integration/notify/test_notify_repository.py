"""What notify keeps of a request, written through its repository on a real database."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import event

from services.notify.adapters.proposal_links import ProposalLinkRepository
from services.notify.bootstrap import MIGRATIONS
from services.notify.domain.records import KnownRequest
from shared.db import create_engine, session_factory
from shared.migrations import upgrade
from shared.write_behind import held_rows


def created(**changes: Any) -> KnownRequest:
    values: dict[str, Any] = {
        "request_id": "r-1",
        "requester_id": "m-requester",
        "category": "groceries",
        "urgent": False,
        "needed_from": datetime(2026, 11, 30, 9, tzinfo=UTC),
        "needed_until": None,
        **changes,
    }
    return KnownRequest(**values)


async def test_requests_are_written_together_at_the_end_and_unchanged_ones_not_again(
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
            ProposalLinkRepository(session).upsert_request_later(created())
            # A proposal of the same request: the requester is kept, nothing else differs.
            ProposalLinkRepository(session).upsert_request_later(
                created(requester_id=""), keep_requester=True
            )
            ProposalLinkRepository(session).upsert_request_later(
                created(requester_id=""), keep_requester=True
            )
            assert held_rows(session) == 1
            # A proposal that says otherwise (now urgent) is written.
            ProposalLinkRepository(session).upsert_request_later(
                created(requester_id="", urgent=True), keep_requester=True
            )
            # Other requests of the same batch of events go out with them.
            for n in range(2, 6):
                ProposalLinkRepository(session).upsert_request_later(created(request_id=f"r-{n}"))
            assert held_rows(session) == 6
            assert statements == []  # nothing sent before the commit
        assert len(statements) == 2  # one statement for each kind of upsert
        async with session_factory(engine)() as session:
            row = await ProposalLinkRepository(session).get_request("r-1")
            assert row is not None
            assert row.requester_id == "m-requester"
            assert row.urgent is True
            assert await ProposalLinkRepository(session).get_request("r-5") is not None
            # A new transaction knows nothing of the last one's writes: it writes again.
            before = len(statements)
            ProposalLinkRepository(session).upsert_request_later(created(urgent=True))
            await session.commit()
            assert len(statements) == before + 1
    finally:
        await engine.dispose()


async def test_a_proposal_held_before_its_request_still_leaves_the_requester(
    database_url: Callable[[str], str],
) -> None:
    """The proposal's upsert (keeping the requester) goes out before the request's own when
    it was held first; the request's, which writes every column, then names the requester."""
    url = database_url("notify")
    await upgrade(MIGRATIONS, url)
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session, session.begin():
            ProposalLinkRepository(session).upsert_request_later(
                created(requester_id=""), keep_requester=True
            )
            ProposalLinkRepository(session).upsert_request_later(created())
        async with session_factory(engine)() as session:
            row = await ProposalLinkRepository(session).get_request("r-1")
            assert row is not None
            assert row.requester_id == "m-requester"
    finally:
        await engine.dispose()


async def test_a_time_with_an_offset_is_kept_as_the_same_moment_on_every_database(
    database_url: Callable[[str], str],
) -> None:
    """SQLite keeps no time zone: 08:00+01:00 written as it is reads back as 08:00 UTC, an
    hour late in every message. Notify stores every moment in UTC, so it reads back the same."""
    url = database_url("notify")
    await upgrade(MIGRATIONS, url)
    engine = create_engine(url)
    tuesday_8h = datetime(2026, 12, 8, 8, tzinfo=timezone(timedelta(hours=1)))
    try:
        async with session_factory(engine)() as session, session.begin():
            ProposalLinkRepository(session).upsert_request_later(
                created(needed_from=tuesday_8h, needed_until=tuesday_8h + timedelta(hours=4)),
            )
        async with session_factory(engine)() as session:
            row = await ProposalLinkRepository(session).get_request("r-1")
        assert row is not None
        assert row.needed_from == datetime(2026, 12, 8, 7, tzinfo=UTC)
        assert row.needed_from.utcoffset() == timedelta(0)
        assert row.needed_until == datetime(2026, 12, 8, 11, tzinfo=UTC)
    finally:
        await engine.dispose()
