"""Public RPC verbs of the registry that other services call."""

from typing import Literal

from pydantic import BaseModel

from shared.events import MatchingPolicy

# samen.rpc.registry.member.contact -> MemberContact  (notify and the gateway only)
MEMBER_CONTACT = "member.contact"
# samen.rpc.registry.cooperative.get -> CooperativeInfo
COOPERATIVE_GET = "cooperative.get"


class MemberRef(BaseModel):
    member_id: str


class CooperativeRef(BaseModel):
    cooperative_id: str


class MemberContact(BaseModel):
    """How to reach a member, fetched at send time and not kept."""

    member_id: str
    name: str
    first_name: str
    email: str | None = None
    phone: str | None = None
    language: Literal["nl", "en"] = "nl"
    # Registered without contact details: reach them through this coordinator.
    via_coordinator_id: str | None = None
    share_phone_with_match: bool = False
    neighbourhood: str | None = None


class CooperativeInfo(BaseModel):
    cooperative_id: str
    name: str
    level: Literal["municipality", "district", "neighbourhood"]
    parent_id: str | None = None
    area_codes: list[str]
    coordinator_ids: list[str]
    policy: MatchingPolicy
