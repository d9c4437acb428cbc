"""The unit of work as use cases see it, whatever holds its data: each service's Protocol adds
its repositories; shared.uow.UnitOfWork is the one on a database, and unit tests hold one in
memory. Nothing here touches a database, so a service layer may import it and no SQL."""

from types import TracebackType
from typing import Protocol, Self

from shared.areas import AreaRef
from shared.events import Envelope, EventData


class Transaction(Protocol):
    """`async with uow: ...; uow.emit(...); await uow.commit()`: the events emitted go out with
    the commit, or not at all."""

    def emit(self, data: EventData, area: AreaRef | None = None) -> Envelope: ...

    async def commit(self) -> None: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
