"""The volunteers' daily jobs: paused profiles whose return day has come are active again, and
certificates of conduct that run out soon (or today) are announced.

The days are stored with the profiles, so a restart loses none; "come" is judged by the
service's injectable clock (the cooperative's local day), so tests move a FrozenClock and
call `tick` instead of waiting.
"""

from collections.abc import Callable

from services.registry.service_layer.uow import RegistryUnitOfWork
from services.registry.service_layer.volunteers import remind_certificates, resume_due_profiles
from shared.logging import get_logger
from shared.polling import Poller

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
        async def both() -> None:
            try:
                await self.tick()
            finally:  # the reminders go out even when resuming failed this time
                await self.remind()

        await Poller("volunteer day jobs", every=self._poll_interval).run(both)
