"""The invitation job: imported members with an e-mail address get their invitation.

The registry keeps who is still to be invited (`member.invitations_due`), so the job only
asks every `SAMEN_INVITATION_POLL_SECONDS`; several gateway processes asking at once invite
nobody twice (the log-in is made once: `accounts.invite_imported`).
"""

import asyncio

from services.gateway.bootstrap import Gateway
from services.gateway.usecases import accounts
from shared.errors import SamenError
from shared.logging import get_logger

log = get_logger(__name__)


async def run(gateway: Gateway) -> None:
    interval = gateway.options.invitation_poll_seconds
    while True:
        try:
            invited = await accounts.invite_imported(gateway)
            if invited:
                log.info("imported members invited", members=invited)
        except asyncio.CancelledError:
            raise
        except SamenError as exc:  # the registry is away: next time
            log.warning("invitations not fetched", code=exc.code)
        except Exception:
            log.exception("invitation pass failed")
        await asyncio.sleep(interval)


def start(gateway: Gateway) -> asyncio.Task[None] | None:
    if gateway.options.invitation_poll_seconds <= 0:
        return None
    return asyncio.create_task(run(gateway), name="gateway-invitations")
