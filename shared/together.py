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
        stalled_after: float | None = None,
        on_go: Callable[[int], None] | None = None,
    ):
        """`most` calls in one go; `on_go(n)` is told the size of each go (a metric).

        Up to `goes_at_once` goes run at once. With `stalled_after` (seconds), only one does
        as a rule, and a caller that has waited that long for the go under way starts one
        beside it (up to `goes_at_once` in all): a go that stalls (a slow commit) does not hold
        up every call behind it, while in the ordinary case the goes stay as large as the load
        makes them."""
        self._handle = handle
        self._most = most
        self._on_go = on_go
        self._waiting: list[Call[T, R]] = []
        self._stalled_after = stalled_after
        self._beside: asyncio.Semaphore | None = None
        if stalled_after is not None and goes_at_once > 1:
            self._turn = asyncio.Semaphore(1)
            self._beside = asyncio.Semaphore(goes_at_once - 1)
        else:
            self._turn = asyncio.Semaphore(goes_at_once)

    async def __call__(self, item: T) -> R:
        call: Call[T, R] = Call(
            item, current_correlation_id(), asyncio.get_running_loop().create_future()
        )
        self._waiting.append(call)
        try:
            while True:
                await self._run_goes_until_taken(call)
                try:
                    return await call.answer  # settled, or still in another caller's go
                except _PutBack:
                    continue  # that go was interrupted: this call waits again
        except asyncio.CancelledError:
            if call in self._waiting:
                self._waiting.remove(call)
            raise

    async def _run_goes_until_taken(self, call: Call[T, R]) -> None:
        # Turns are handed out first come, first served: by the time a caller has one, a go
        # under way has often taken its call already.
        slot = self._turn
        if self._beside is not None and self._stalled_after is not None:
            try:
                async with asyncio.timeout(self._stalled_after):
                    await self._turn.acquire()
            except TimeoutError:
                slot = self._beside  # the go under way is slow: one beside it
                await slot.acquire()
        else:
            await slot.acquire()
        try:
            while call in self._waiting:
                await self._go(self._waiting[: self._most])
        finally:
            slot.release()

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
