"""One way for a background job to run again and again: the outbox relay, notify's delivery
rounds, matching's timers, the registry's day jobs.

A pass of the job answers when the next one should come: `AT_ONCE` (more is waiting), a
number of seconds, or None for the poller's own period. Between passes the poller waits that
long, or less when woken (`wake()`: something new is due now). A pass that fails is logged and
the next comes after `after_failure` seconds; cancelling the task stops the loop.
"""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from shared.logging import get_logger

log = get_logger(__name__)

AT_ONCE = 0.0
Pass = Callable[[], Awaitable[float | None]]


class Poller:
    def __init__(
        self,
        name: str,
        *,
        every: float,
        after_failure: float | None = None,
        settle_after_wake: float = 0.0,
    ) -> None:
        self.name = name
        self.every = every
        self.after_failure = every if after_failure is None else after_failure
        # Woken by one new item, wait this much longer for the ones that come with it.
        self.settle_after_wake = settle_after_wake
        self._woken = asyncio.Event()

    def wake(self) -> None:
        self._woken.set()

    async def run(self, job: Pass) -> None:
        while True:
            self._woken.clear()  # a wake during the pass makes the next one come at once
            try:
                wait = await job()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception(f"{self.name} failed")
                wait = self.after_failure
            wait = self.every if wait is None else wait
            if wait <= AT_ONCE:
                continue
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancel that
            # arrives as the wake-up does, and stopping would wait forever.
            woken = False
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    woken = await self._woken.wait()
            if woken and self.settle_after_wake > 0:
                await asyncio.sleep(self.settle_after_wake)


async def cancel_and_wait(tasks: list[asyncio.Task[None]], timeout: float = 5.0) -> None:
    """Cancel background tasks and wait until they are gone. A cancel can be lost on Python
    3.11 (asyncio.wait_for inside a library), so it is repeated until the task ends."""
    deadline = asyncio.get_running_loop().time() + timeout
    pending = {task for task in tasks if not task.done()}
    while pending and asyncio.get_running_loop().time() < deadline:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=0.2)
    for task in pending:
        log.warning("background task did not stop", task=task.get_name())
