"""What notify asks the registry over request/reply: contacts, cooperatives, area names."""

from __future__ import annotations

from shared.contracts.registry import (
    AREAS_GET,
    COOPERATIVE_GET,
    COOPERATIVE_LIST,
    MAX_CONTACTS_PER_CALL,
    MEMBER_CONTACT,
    MEMBER_CONTACTS,
    AreaCode,
    CooperativeInfo,
    CooperativeQuery,
    CooperativeRef,
    MemberContact,
    MemberRef,
    MemberRefs,
)
from shared.errors import NotFound, SamenError
from shared.rpc import RpcClient


class RegistryOverRpc:
    """Implements the service layer's `Registry` over request/reply."""

    def __init__(self, rpc: RpcClient) -> None:
        self._rpc = rpc
        # Area names are reference data (a few thousand nationally): asked once per process,
        # not once per message. Contact details are never kept.
        self._area_names: dict[str, str] = {}

    async def contact(self, member_id: str) -> MemberContact | None:
        """None when the registry does not know the member (erased); `Unavailable` when the
        registry does not answer (the caller tries again later)."""
        try:
            return await self._rpc.call(MEMBER_CONTACT, MemberRef(member_id=member_id))
        except NotFound:
            return None

    async def contacts(self, member_ids: list[str]) -> dict[str, MemberContact]:
        """Many members' contacts in as few calls as the contract allows; members the registry
        does not know (erased) are missing from the answer."""
        found: dict[str, MemberContact] = {}
        for start in range(0, len(member_ids), MAX_CONTACTS_PER_CALL):
            answer = await self._rpc.call(
                MEMBER_CONTACTS,
                MemberRefs(member_ids=member_ids[start : start + MAX_CONTACTS_PER_CALL]),
            )
            found.update((contact.member_id, contact) for contact in answer.contacts)
        return found

    async def cooperative(self, cooperative_id: str) -> CooperativeInfo | None:
        try:
            return await self._rpc.call(
                COOPERATIVE_GET, CooperativeRef(cooperative_id=cooperative_id)
            )
        except NotFound:
            return None

    async def cooperative_of(self, area_code: str | None) -> CooperativeInfo | None:
        """The most local cooperative whose areas hold `area_code` (None: none does)."""
        if not area_code:
            return None
        answer = await self._rpc.call(COOPERATIVE_LIST, CooperativeQuery(area_code=area_code))
        return answer.cooperatives[0] if answer.cooperatives else None

    async def area_name(self, code: str | None) -> str | None:
        """A neighbourhood's name for a message; a message without it is still fine."""
        if not code:
            return None
        if code in self._area_names:
            return self._area_names[code]
        try:
            info = await self._rpc.call(AREAS_GET, AreaCode(code=code))
        except SamenError:
            return None
        self._area_names[code] = info.name
        return info.name
