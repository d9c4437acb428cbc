"""The timer job: fires due timers (offer time over, needed-by time passed) from the database.

Timers live in the `timers` table, so they survive a restart; "due" is judged by the service's
injectable clock, so tests fire them at once with a FrozenClock.
"""

from collections.abc import Callable

from services.matching.service_layer.uow import MatchingUnitOfWork, retrying
from services.matching.service_layer.usecases import Context, fire_timer
from shared.errors import NotFound
from shared.logging import get_logger
from shared.polling import Poller

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
        self._batch = batch
        self._poller = Poller("timer pass", every=poll_interval)
        self.fired = 0

    def wake(self) -> None:
        self._poller.wake()

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
        async def fire() -> None:
            await self.fire_due()

        await self._poller.run(fire)
