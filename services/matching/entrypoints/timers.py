"""The timer job: fires due timers (offer time over, needed-by time passed) from the database.

Timers live in the `timers` table, so they survive a restart; "due" is judged by the service's
injectable clock, so tests fire them at once with a FrozenClock.
"""

import asyncio
import contextlib
from collections.abc import Callable

from services.matching.service_layer.uow import MatchingUnitOfWork, retrying
from services.matching.service_layer.usecases import Context, fire_timer
from shared.errors import NotFound
from shared.logging import get_logger

log = get_logger(__name__)


class TimerJob:
    def __init__(
        self,
        uow: Callable[[], MatchingUnitOfWork],
        ctx: Context,
        *,
        poll_interval: float = 1.0,
        batch: int = 100,
    ) -> None:
        self._uow = uow
        self._ctx = ctx
        self._poll_interval = poll_interval
        self._batch = batch
        self._wakeup = asyncio.Event()
        self.fired = 0

    def wake(self) -> None:
        self._wakeup.set()

    async def fire_due(self) -> int:
        """Fire every timer due now; returns how many changed a request."""
        changed = 0
        while True:
            async with self._uow() as uow:
                due = await uow.requests.due_timers(self._ctx.now(), self._batch)
            if not due:
                return changed
            for request_id, kind in due:
                try:
                    if await self._fire(request_id, kind):
                        changed += 1
                except NotFound:
                    await self._drop(request_id)
            self.fired += changed
            if len(due) < self._batch:
                return changed

    async def _fire(self, request_id: str, kind: str) -> bool:
        async def use_case(uow: MatchingUnitOfWork) -> bool:
            return await fire_timer(request_id, kind, uow=uow, ctx=self._ctx)

        return await retrying(self._uow, use_case)

    async def _drop(self, request_id: str) -> None:
        async with self._uow() as uow:
            await uow.requests.drop_timers(request_id)
            await uow.commit()

    async def run(self) -> None:
        while True:
            try:
                await self.fire_due()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("timer pass failed")
            self._wakeup.clear()
            with contextlib.suppress(TimeoutError):  # not wait_for: it can swallow a cancel
                async with asyncio.timeout(self._poll_interval):
                    await self._wakeup.wait()
