"""What the services' units of work held in memory share (tests/unit/*/fakes.py): a database of
tables that each unit of work copies when it starts and writes back, with the events it
emitted, when it commits; leaving without a commit forgets it all."""

import copy
from types import TracebackType
from typing import Generic, Self, TypeVar

from shared.areas import AreaRef
from shared.clock import Clock
from shared.events import Envelope, EventData, envelope

T = TypeVar("T")


class InMemoryDatabase(Generic[T]):
    def __init__(self, clock: Clock, tables: T) -> None:
        self.clock = clock
        self.tables = tables
        self.events: list[Envelope] = []  # what was committed to the outbox, in order
        self.commits = 0

    def event_types(self, since: int = 0) -> list[str]:
        return [e.type for e in self.events[since:]]


class InMemoryUnitOfWork(Generic[T]):
    """A service's fake unit of work adds its repositories over `self._tables` (`_begin`), and
    may refuse a commit as its database would (`_check`)."""

    source = "test"

    def __init__(self, db: InMemoryDatabase[T]) -> None:
        self._db = db
        self.clock = db.clock
        self._read_only = False
        self._pending: list[Envelope] = []

    def _begin(self) -> None:
        """Build the repositories over `self._tables`."""

    def _check(self) -> None:
        """Raise as the database would refuse the commit."""

    def read_only(self) -> Self:
        self._read_only = True
        return self

    async def __aenter__(self) -> Self:
        self._tables = copy.deepcopy(self._db.tables)
        self._pending = []
        self._begin()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._pending = []

    def emit(self, data: EventData, area: AreaRef | None = None) -> Envelope:
        event = envelope(data, source=self.source, area=area, occurred_at=self.clock.now())
        self._pending.append(event)
        return event

    async def commit(self) -> None:
        if self._read_only:
            raise RuntimeError("a read-only unit of work cannot commit")
        self._check()
        self._db.tables = copy.deepcopy(self._tables)
        self._db.events.extend(self._pending)
        self._db.commits += 1
        self._pending = []
