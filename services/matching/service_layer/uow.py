"""The matching service's unit of work: one transaction with its repositories."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Protocol, Self, TypeVar

from services.matching.adapters.errors import is_retryable
from services.matching.adapters.readmodel import ReadModel as SqlReadModel
from services.matching.adapters.repository import RequestRepository as SqlRequestRepository
from services.matching.service_layer.ports import ReadModel, RequestRepository
from shared.logging import get_logger
from shared.transaction import Transaction
from shared.uow import UnitOfWork

log = get_logger(__name__)
T = TypeVar("T")


class MatchingUnitOfWork(Transaction, Protocol):
    """The unit of work as the use cases see it: `async with make_uow() as uow: ...;
    await uow.commit()`; the events emitted go out with the commit, or not at all."""

    @property
    def requests(self) -> RequestRepository: ...

    @property
    def readmodel(self) -> ReadModel: ...


class SqlMatchingUnitOfWork(UnitOfWork):
    """The unit of work on matching's database. A commit ends it: the repositories hold the
    transaction's connection, which the commit gives back (every use case commits as its last
    step)."""

    requests: SqlRequestRepository
    readmodel: SqlReadModel

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        # The repositories run Core statements on the session's connection: the ORM session's
        # own layer adds a tenth to a third to each statement's client CPU, for no objects here.
        connection = await self.session.connection()
        self.requests = SqlRequestRepository(connection)
        self.readmodel = SqlReadModel(connection)
        return self

    async def commit(self) -> None:
        await self.requests.write_added()
        await super().commit()


async def retrying(
    make_uow: Callable[[], MatchingUnitOfWork],
    use_case: Callable[[MatchingUnitOfWork], Awaitable[T]],
    *,
    attempts: int = 5,
) -> T:
    """Run a use case in a fresh unit of work; start again when a concurrent change won."""
    for attempt in range(1, attempts + 1):
        try:
            async with make_uow() as uow:
                return await use_case(uow)
        except Exception as exc:
            if attempt == attempts or not is_retryable(exc):
                raise
            log.info(
                "retrying after a concurrent change", attempt=attempt, error=type(exc).__name__
            )
            await asyncio.sleep(0.01 * attempt)
    raise AssertionError("unreachable")
