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
from shared.polling import Poller

log = get_logger(__name__)


async def invite_once(gateway: Gateway) -> None:
    try:
        invited = await accounts.invite_imported(gateway)
    except SamenError as exc:  # the registry is away: next time
        log.warning("invitations not fetched", code=exc.code)
        return
    if invited:
        log.info("imported members invited", members=invited)


def start(gateway: Gateway) -> asyncio.Task[None] | None:
    interval = gateway.options.invitation_poll_seconds
    if interval <= 0:
        return None
    poller = Poller("invitation pass", every=interval)

    async def one_pass() -> None:
        await invite_once(gateway)

    return asyncio.create_task(poller.run(one_pass), name="gateway-invitations")
