"""The resume job: paused volunteer profiles whose return day has come are active again.

The return day is stored with the profile, so a restart loses none; "come" is judged by the
service's injectable clock (the cooperative's local day), so tests move a FrozenClock and
call `tick` instead of waiting.
"""

import asyncio
from collections.abc import Callable

from services.registry.service_layer.uow import RegistryUnitOfWork
from services.registry.service_layer.volunteers import resume_due_profiles
from shared.logging import get_logger

log = get_logger(__name__)

RESUME_POLL_SECONDS = 60.0


class ResumeJob:
    def __init__(
        self,
        uow: Callable[[], RegistryUnitOfWork],
        *,
        poll_interval: float = RESUME_POLL_SECONDS,
    ) -> None:
        self._uow = uow
        self._poll_interval = poll_interval
        self.resumed = 0

    async def tick(self) -> int:
        """Resume what is due now; returns how many profiles."""
        resumed = await resume_due_profiles(self._uow)
        if resumed:
            log.info("paused profiles resumed", profiles=resumed)
        self.resumed += resumed
        return resumed

    async def run(self) -> None:
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("resume pass failed")
            await asyncio.sleep(self._poll_interval)
