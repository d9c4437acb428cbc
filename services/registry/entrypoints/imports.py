"""The background worker that runs members imports uploaded in the web, one at a time."""

import asyncio

from services.registry.service_layer import member_imports
from services.registry.service_layer.member_imports import Live, MakeUow
from shared.logging import get_logger
from shared.polling import cancel_and_wait

log = get_logger(__name__)


class ImportRunner:
    def __init__(
        self, make_uow: MakeUow, *, poll_seconds: float = 0.5, save_every_seconds: float = 1.0
    ) -> None:
        self.make_uow = make_uow
        self.poll_seconds = poll_seconds
        self.save_every_seconds = save_every_seconds
        self.live: Live = {}

    async def run(self) -> None:
        saver = asyncio.create_task(self._save_progress())
        try:
            while True:
                try:
                    import_id = await member_imports.claim_next(self.make_uow)
                except Exception as exc:  # the database away for a moment: try again
                    log.warning("could not look for member imports", error=repr(exc))
                    import_id = None
                if import_id is None:
                    await asyncio.sleep(self.poll_seconds)
                    continue
                try:
                    await member_imports.run_import(
                        import_id, make_uow=self.make_uow, live=self.live
                    )
                except Exception as exc:  # e.g. the database away: the import waits its turn
                    log.warning("member import interrupted", import_id=import_id, error=repr(exc))
                    await member_imports.try_again_later(self.make_uow, import_id)
                    await asyncio.sleep(self.poll_seconds)
        finally:
            await cancel_and_wait([saver])

    async def _save_progress(self) -> None:
        while True:
            await asyncio.sleep(self.save_every_seconds)
            await member_imports.save_progress(self.make_uow, self.live)
