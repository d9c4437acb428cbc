"""Calls that wait at the same time, handled together.

A busy service answers many requests of one verb at once (`shared.rpc`). When each of them
would run the same few statements in a transaction of its own, the round trips and commits are
most of the cost. `Together` lets those calls share one go: each caller hands over its item and
waits; whoever finds nothing under way handles everything waiting then, in one call of `handle`.
Nothing is held back on purpose: a lone call is handled at once, alone. Only while one go runs
do others gather, so the goes grow with the load and stay at one under a light one.

`handle(calls)` settles every call (`call.succeed(...)` or `call.fail(...)`). A call it leaves
unsettled, or every call when `handle` itself raises, fails with that error, so no caller hangs.
"""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from shared.logging import correlation, current_correlation_id

T = TypeVar("T")
R = TypeVar("R")


@dataclass(eq=False)  # a call is itself: found in the queue by identity, not by its item
class Call(Generic[T, R]):
    """One caller's item, the correlation it came with, and the answer it waits for."""

    item: T
    correlation_id: str | None
    answer: "asyncio.Future[R]" = field(repr=False)

    @property
    def settled(self) -> bool:
        return self.answer.done()

    def succeed(self, result: R) -> None:
        if not self.answer.done():
            self.answer.set_result(result)

    def fail(self, error: BaseException) -> None:
        if not self.answer.done():
            self.answer.set_exception(error)

    def put_back(self) -> None:
        """Back in the queue: the caller waiting for the old answer is told (and waits on)."""
        told, self.answer = self.answer, asyncio.get_running_loop().create_future()
        told.set_exception(_PutBack())
        told.exception()  # retrieved: a caller that is gone does not leave a warning behind

    @contextlib.contextmanager
    def in_its_correlation(self) -> Iterator[None]:
        """Logs and events of this call's part of a go carry the caller's correlation id."""
        with correlation(self.correlation_id):
            yield


class _PutBack(Exception):
    """The go that had this call was interrupted; it waits for the next one."""


class Unsettled(Exception):
    """`handle` returned without answering this call."""


class Together(Generic[T, R]):
    def __init__(
        self,
        handle: Callable[[list[Call[T, R]]], Awaitable[None]],
        *,
        most: int = 32,
        goes_at_once: int = 1,
        on_go: Callable[[int], None] | None = None,
    ):
        """`most` calls in one go, `goes_at_once` goes under way at a time; `on_go(n)` is told
        the size of each go (a metric). With more than one go at once, a go that stalls (a
        slow commit) does not hold up every call behind it; the goes are smaller for it."""
        self._handle = handle
        self._most = most
        self._on_go = on_go
        self._waiting: list[Call[T, R]] = []
        self._slots = asyncio.Semaphore(goes_at_once)

    async def __call__(self, item: T) -> R:
        call: Call[T, R] = Call(
            item, current_correlation_id(), asyncio.get_running_loop().create_future()
        )
        self._waiting.append(call)
        try:
            # Slots are handed out first come, first served: by the time a caller has one, a
            # go under way has often taken its call already.
            while True:
                async with self._slots:
                    while call in self._waiting:
                        await self._go(self._waiting[: self._most])
                try:
                    return await call.answer  # settled, or still in another caller's go
                except _PutBack:
                    continue  # that go was interrupted: this call waits again
        except asyncio.CancelledError:
            if call in self._waiting:
                self._waiting.remove(call)
            raise

    async def _go(self, calls: list[Call[T, R]]) -> None:
        del self._waiting[: len(calls)]
        if self._on_go is not None:
            self._on_go(len(calls))
        try:
            await self._handle(calls)
        except asyncio.CancelledError:
            # The caller running this go was cancelled: the others go back to the front of
            # the queue, for the next caller with a slot, and their callers are told.
            unsettled = [c for c in calls if not c.settled]
            self._waiting[:0] = unsettled
            for c in unsettled:
                c.put_back()
            raise
        except Exception as exc:
            for call in calls:
                call.fail(exc)
        for call in calls:
            call.fail(Unsettled())

    @property
    def waiting(self) -> int:
        return len(self._waiting)
