"""A member's in-app inbox (notify holds it), and what their live updates follow."""

import contextlib

from services.gateway.bootstrap import Gateway
from services.gateway.live import Listener
from services.gateway.principal import Principal
from services.gateway.usecases.areas import coordinator_areas
from services.gateway.usecases.requests import my_requests
from shared.contracts import notify as nc
from shared.errors import SamenError


async def messages(
    gateway: Gateway, principal: Principal, language: nc.Language | None
) -> nc.InboxPage:
    """My messages, newest first, each in `language` (None: in my own)."""
    return await gateway.rpc.call(
        nc.INBOX_LIST, nc.InboxQuery(member_id=principal.member_id, language=language)
    )


async def mark_message_read(gateway: Gateway, principal: Principal, item_id: str) -> None:
    await gateway.rpc.call(
        nc.INBOX_MARK_READ, nc.MarkRead(member_id=principal.member_id, item_ids=[item_id])
    )


async def listener_for(gateway: Gateway, principal: Principal) -> Listener:
    """What my live updates follow: my requests, and a coordinator's areas. Without them
    (a service away) the stream still starts; new requests are picked up from their
    request.created events."""
    listener = Listener(member_id=principal.member_id)
    with contextlib.suppress(SamenError):
        listener.request_ids.update(s.request_id for s in await my_requests(gateway, principal))
    if principal.has("coordinator", "admin"):
        with contextlib.suppress(SamenError):
            listener.areas = tuple(await coordinator_areas(gateway, principal))
    return listener
