"""The registry, asked over request/reply: only for a requester whose events have not reached
matching yet (after a large import, the stream may be minutes behind a new registration)."""

from shared.contracts import registry as rc
from shared.errors import NotFound, Unavailable
from shared.logging import get_logger
from shared.rpc import RpcClient

log = get_logger(__name__)


class RegistryOverRpc:
    def __init__(self, rpc: RpcClient) -> None:
        self._rpc = rpc

    async def placement(self, member_id: str) -> rc.MemberPlacement | None:
        try:
            return await self._rpc.call(rc.MEMBER_PLACEMENT, rc.MemberRef(member_id=member_id))
        except NotFound:
            return None
        except Unavailable as exc:  # the registry away too: the member stays unknown for now
            log.warning("registry not reached for an unknown requester", error=exc.message)
            return None
