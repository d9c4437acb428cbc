"""The registry, asked over request/reply: only for a requester whose events have not reached
matching yet (after a large import, the stream may be minutes behind a new registration)."""

from shared.contracts import registry as rc
from shared.errors import NotFound
from shared.rpc import RpcClient


class RegistryOverRpc:
    def __init__(self, rpc: RpcClient) -> None:
        self._rpc = rpc

    async def placement(self, member_id: str) -> rc.MemberPlacement | None:
        try:
            return await self._rpc.call(
                "registry",
                rc.MEMBER_PLACEMENT,
                rc.MemberRef(member_id=member_id),
                result=rc.MemberPlacement,
            )
        except NotFound:
            return None
