"""The volunteers' daily jobs: paused profiles whose return day has come are active again, and
certificates of conduct that run out soon (or today) are announced.

The days are stored with the profiles, so a restart loses none; "come" is judged by the
service's injectable clock (the cooperative's local day), so tests move a FrozenClock and
call `tick` instead of waiting.
"""

import asyncio
from collections.abc import Callable

from services.registry.service_layer.uow import RegistryUnitOfWork
from services.registry.service_layer.volunteers import remind_certificates, resume_due_profiles
from shared.logging import get_logger

log = get_logger(__name__)

RESUME_POLL_SECONDS = 60.0


class VolunteerDayJob:
    def __init__(
        self,
        uow: Callable[[], RegistryUnitOfWork],
        *,
        poll_interval: float = RESUME_POLL_SECONDS,
    ) -> None:
        self._uow = uow
        self._poll_interval = poll_interval
        self.resumed = 0
        self.certificate_notices = 0

    async def tick(self) -> int:
        """Resume what is due now; returns how many profiles."""
        resumed = await resume_due_profiles(self._uow)
        if resumed:
            log.info("paused profiles resumed", profiles=resumed)
        self.resumed += resumed
        return resumed

    async def remind(self) -> int:
        """Announce the certificates of conduct due a notice now; returns how many."""
        notices = await remind_certificates(self._uow)
        if notices:
            log.info("certificate notices", notices=notices)
        self.certificate_notices += notices
        return notices

    async def run(self) -> None:
        while True:
            for job in (self.tick, self.remind):
                try:
                    await job()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("volunteer day job failed", job=job.__name__)
            await asyncio.sleep(self._poll_interval)
