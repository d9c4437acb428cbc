"""Inserts held back and sent together, the way the ORM's own unit of work holds back `add()`.

A consumer handles a batch of events in one transaction, and some handlers write a row or two
per event (notify: a link and a notification per proposal). Sent one by one, each row is a
round trip to the database. `insert_later` keeps the row in the session instead; the rows go
out as one executemany per statement just before the next statement runs on that session, or
before the commit. So reads and updates later in the same transaction see them, as with the
ORM's autoflush, and a rollback drops them with everything else.

Only for inserts whose result nobody reads (typically `ON CONFLICT DO NOTHING`): an error in
one of them surfaces at the next statement or at the commit.
"""

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction
from sqlalchemy.sql.dml import Insert

_HELD = "samen.write_behind"


class WriteBehindSession(Session):
    """The services' synchronous session class (under `AsyncSession`): sends held-back
    inserts before any other statement and before the commit."""


def insert_later(session: AsyncSession, statement: Insert, values: dict[str, Any]) -> None:
    """Hold one row of `statement` until the session's next statement or commit. Rows of the
    same statement object go out together, so build the statement once and reuse it."""
    held: dict[Insert, list[dict[str, Any]]] = session.info.setdefault(_HELD, {})
    held.setdefault(statement, []).append(values)


def held_rows(session: AsyncSession) -> int:
    """How many rows the session holds back (for tests)."""
    return sum(len(rows) for rows in session.info.get(_HELD, {}).values())


def _send_held(session: Session) -> None:
    held = session.info.pop(_HELD, None)  # popped first: these executes must not recurse
    if held:
        for statement, rows in held.items():  # in the order first held
            session.execute(statement, rows)


@event.listens_for(WriteBehindSession, "do_orm_execute")
def _before_statement(state: ORMExecuteState) -> None:
    _send_held(state.session)


@event.listens_for(WriteBehindSession, "before_commit")
def _before_commit(session: Session) -> None:
    _send_held(session)


@event.listens_for(WriteBehindSession, "after_soft_rollback")
def _after_rollback(session: Session, previous: SessionTransaction) -> None:
    if not previous.nested:  # a savepoint's rollback leaves the transaction's rows alone
        session.info.pop(_HELD, None)
