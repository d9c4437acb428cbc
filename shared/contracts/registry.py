"""Public RPC verbs of the registry (`samen.rpc.registry.<verb>`) and their models.

Authorisation: requests that change or reveal personal data carry `actor_id`, the member on
whose behalf the caller (the gateway) acts. The registry looks the actor's roles up itself:
a member may act on themselves, an admin on everyone, a coordinator within the areas of the
cooperatives they coordinate. `actor_id = None` means a trusted internal caller (another
service, the `samen` command); NATS permissions decide which services may call the registry.
So for people signing up themselves the gateway offers only the resident and volunteer roles.

Errors: `Invalid` (bad input, with `details.errors` per field), `NotFound`, `Conflict`
(e-mail already registered, id taken) and `Forbidden` (actor may not do this).
"""

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from shared.categories import Category
from shared.events import AvailabilitySlot, MatchingPolicy, Role
from shared.ids import COOPERATIVE_ID_PATTERN, check_cooperative_id

# ----------------------------------------------------------------- verbs

AREAS_LOOKUP = "areas.lookup"  # PostcodeQuery -> PostcodeArea
AREAS_LIST = "areas.list"  # AreaQuery -> AreaList
AREAS_GET = "areas.get"  # AreaCode -> AreaInfo
AREAS_DISTANCE = "areas.distance"  # AreaPair -> AreaDistance

COOPERATIVE_LIST = "cooperative.list"  # CooperativeQuery -> CooperativeList
COOPERATIVE_GET = "cooperative.get"  # CooperativeRef -> CooperativeInfo
COOPERATIVE_ADD = "cooperative.add"  # CooperativeAdd -> CooperativeInfo
COOPERATIVE_UPDATE = "cooperative.update"  # CooperativeUpdate -> CooperativeInfo

MEMBER_REGISTER = "member.register"  # MemberRegister -> MemberInfo
MEMBER_GET = "member.get"  # MemberQuery -> MemberInfo
MEMBER_UPDATE = "member.update"  # MemberUpdate -> MemberInfo
MEMBER_FIND_BY_EMAIL = "member.find_by_email"  # MemberByEmail -> MemberInfo
MEMBER_LIST = "member.list"  # MemberListQuery -> MemberList (coordinators, admins)
# samen.rpc.registry.member.contact -> MemberContact  (notify and the gateway only)
MEMBER_CONTACT = "member.contact"  # MemberRef -> MemberContact
# The same for many members at once (notify's delivery rounds); unknown or erased ids are left out.
MEMBER_CONTACTS = "member.contacts"  # MemberRefs -> MemberContactList
MEMBER_EXPORT = "member.export"  # MemberQuery -> MemberExport
MEMBER_ERASE = "member.erase"  # MemberQuery -> MemberErasure

VOLUNTEER_PROFILE_GET = "volunteer.profile.get"  # MemberQuery -> VolunteerProfile
VOLUNTEER_PROFILE_SET = "volunteer.profile.set"  # VolunteerProfileSet -> VolunteerProfile

ORGANISATION_ADD = "organisation.add"  # OrganisationAdd -> OrganisationInfo
ORGANISATION_LIST = "organisation.list"  # OrganisationQuery -> OrganisationList
OFFER_ADD = "offer.add"  # OfferAdd -> OfferInfo
OFFER_LIST = "offer.list"  # OfferQuery -> OfferList
DIRECTORY_SEARCH = "directory.search"  # DirectorySearch -> DirectoryResults

MAX_CONTACTS_PER_CALL = 500

Language = Literal["nl", "en"]
AreaLevel = Literal["municipality", "district", "neighbourhood"]
ConsentPurpose = Literal["matching", "share_phone", "share_email"]
"""matching: my profile and requests may be used to match me with others;
share_phone / share_email: the person I am matched with may see my phone number / e-mail."""

CONSENT_PURPOSES: tuple[ConsentPurpose, ...] = ("matching", "share_phone", "share_email")


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ----------------------------------------------------------------- areas


class AreaInfo(BaseModel):
    code: str
    level: AreaLevel
    name: str
    parent_code: str | None = None
    municipality_code: str
    population: int | None = None
    lat: float | None = None
    lon: float | None = None


class PostcodeQuery(_Request):
    postcode: str = Field(examples=["3561 AB", "3561AB", "3561"])


class NeighbourhoodCandidate(BaseModel):
    code: str
    name: str
    share: float = Field(description="share of this postcode's inhabitants living there (0-1)")


class PostcodeArea(BaseModel):
    """Where a postcode lies. At four digits the neighbourhood is the most likely one."""

    postcode: str = Field(description="normalised: '3561 AB' or '3561'")
    pc4: str
    municipality: AreaInfo
    district: AreaInfo
    neighbourhood: AreaInfo
    district_confidence: float = Field(ge=0, le=1)
    neighbourhood_confidence: float = Field(ge=0, le=1)
    confidence: Literal["high", "medium", "low"] = Field(
        description="how sure the neighbourhood is: high >= 0.8, medium >= 0.5, else low"
    )
    candidates: list[NeighbourhoodCandidate] = Field(default_factory=list)
    note: str | None = None


class AreaQuery(_Request):
    parent_code: str | None = Field(default=None, description="children of this area")
    level: AreaLevel | None = None
    municipality_code: str | None = None


class AreaList(BaseModel):
    areas: list[AreaInfo]


class AreaCode(_Request):
    code: str


class AreaPair(_Request):
    from_code: str
    to_code: str


class AreaDistance(BaseModel):
    from_code: str
    to_code: str
    km: float


# ----------------------------------------------------------------- cooperatives


class MemberRef(BaseModel):
    member_id: str


class MemberRefs(BaseModel):
    member_ids: list[str] = Field(max_length=MAX_CONTACTS_PER_CALL)


class CooperativeRef(BaseModel):
    cooperative_id: str


class CooperativeInfo(BaseModel):
    cooperative_id: str
    name: str
    level: Literal["municipality", "district", "neighbourhood"]
    parent_id: str | None = None
    area_codes: list[str]
    coordinator_ids: list[str]
    policy: MatchingPolicy


class CooperativeQuery(_Request):
    area_code: str | None = Field(
        default=None,
        description="only cooperatives whose areas contain this area, most local first",
    )
    coordinator_id: str | None = Field(
        default=None, description="cooperatives this member coordinates"
    )


class CooperativeList(BaseModel):
    cooperatives: list[CooperativeInfo]


class CooperativeAdd(_Request):
    cooperative_id: Annotated[
        str,
        Field(
            pattern=COOPERATIVE_ID_PATTERN,
            description="slug, not a system name (shared.ids); also used in samen.ext.<id>.>",
        ),
        AfterValidator(check_cooperative_id),
    ]
    name: str = Field(min_length=2, max_length=200)
    parent_id: str | None = None
    area_codes: list[str] = Field(min_length=1)
    coordinator_ids: list[str] = Field(default_factory=list)
    policy: MatchingPolicy | None = None
    actor_id: str | None = None


class CooperativeUpdate(_Request):
    """Fields left out (None) stay as they are."""

    cooperative_id: str
    name: str | None = Field(default=None, min_length=2, max_length=200)
    area_codes: list[str] | None = None
    coordinator_ids: list[str] | None = None
    policy: MatchingPolicy | None = None
    actor_id: str | None = None


# ----------------------------------------------------------------- members


class ConsentState(BaseModel):
    granted: bool
    at: datetime


class ConsentRecord(BaseModel):
    purpose: ConsentPurpose
    granted: bool
    at: datetime
    by: str | None = Field(default=None, description="member who recorded it, if not themselves")


def _default_roles() -> list[Role]:
    return ["resident"]


class MemberRegister(_Request):
    """At least an e-mail or a phone number, unless a coordinator registers on someone's behalf
    (`registered_by`); then the member is reached through that coordinator."""

    name: str
    first_name: str | None = Field(default=None, description="default: first word of name")
    email: str | None = None
    phone: str | None = None
    postcode: str
    house_number: str
    language: Language = "nl"
    roles: list[Role] = Field(default_factory=_default_roles)
    consents: dict[ConsentPurpose, bool] = Field(default_factory=dict)
    registered_by: str | None = Field(
        default=None, description="the coordinator (or admin) registering on someone's behalf"
    )
    actor_id: str | None = Field(
        default=None, description="who asks; default registered_by, else self-registration"
    )


class MemberInfo(BaseModel):
    """Everything about a member the member themselves (and their coordinator) may see."""

    member_id: str
    name: str
    first_name: str
    email: str | None = None
    phone: str | None = None
    postcode: str | None = None
    house_number: str | None = None
    language: Language = "nl"
    roles: list[Role]
    consents: dict[ConsentPurpose, ConsentState] = Field(default_factory=dict)
    municipality: str | None = None
    district: str | None = None
    neighbourhood: str | None = None
    neighbourhood_name: str | None = None
    area_confidence: float | None = None
    registered_by: str | None = None
    coordinates: list[str] = Field(
        default_factory=list, description="ids of the cooperatives this member coordinates"
    )
    created_at: datetime
    updated_at: datetime


class MemberQuery(_Request):
    member_id: str
    actor_id: str | None = None


class MemberByEmail(_Request):
    email: str


class MemberUpdate(_Request):
    """Fields left out (None) stay as they are. An empty string removes the e-mail address or
    phone number (one way to reach the member must stay, unless a coordinator registered them)."""

    member_id: str
    actor_id: str | None = None
    name: str | None = None
    first_name: str | None = None
    email: str | None = None
    phone: str | None = None
    postcode: str | None = None
    house_number: str | None = None
    language: Language | None = None
    roles: list[Role] | None = None
    consents: dict[ConsentPurpose, bool] | None = None


class MemberListQuery(_Request):
    actor_id: str | None = None
    area_code: str | None = None
    role: Role | None = None
    category: Category | None = Field(default=None, description="volunteers offering it")
    q: str | None = Field(default=None, description="part of a name")
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0)


class MemberSummary(BaseModel):
    member_id: str
    name: str
    roles: list[Role]
    neighbourhood: str | None = None
    neighbourhood_name: str | None = None
    language: Language = "nl"


class MemberList(BaseModel):
    total: int
    members: list[MemberSummary]


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


class MemberContactList(BaseModel):
    contacts: list[MemberContact]


class MemberErasure(BaseModel):
    member_id: str
    erased_at: datetime


# ----------------------------------------------------------------- volunteers


class VolunteerProfileSet(_Request):
    member_id: str
    actor_id: str | None = None
    categories: list[Category] = Field(min_length=1)
    availability: list[AvailabilitySlot] = Field(default_factory=list)
    flexible: bool = False
    radius_km: float = Field(default=2.0, ge=0, le=100)
    languages: list[str] = Field(default_factory=lambda: ["nl"], min_length=1)
    max_open: int = Field(default=3, ge=0, le=20)
    active: bool = True
    certificate_of_conduct_date: date | None = Field(
        default=None, description="date of the VOG; needed to offer light care"
    )


class VolunteerProfile(BaseModel):
    member_id: str
    categories: list[Category]
    availability: list[AvailabilitySlot]
    flexible: bool
    radius_km: float
    languages: list[str]
    max_open: int
    active: bool
    certificate_of_conduct_date: date | None = None
    matching_consent: bool
    neighbourhood: str | None = None
    updated_at: datetime


# ----------------------------------------------------------------- organisations, offers


class OrganisationAdd(_Request):
    name: str = Field(min_length=2, max_length=200)
    description: str = ""
    email: str | None = None
    phone: str | None = None
    website: str | None = None
    area_code: str = Field(description="where it is based (any CBS level)")
    actor_id: str | None = Field(default=None, description="becomes a manager of it")


class OrganisationInfo(BaseModel):
    organisation_id: str
    name: str
    description: str = ""
    email: str | None = None
    phone: str | None = None
    website: str | None = None
    area_code: str
    manager_ids: list[str] = Field(default_factory=list)
    created_at: datetime


class OrganisationQuery(_Request):
    area_code: str | None = None
    manager_id: str | None = None


class OrganisationList(BaseModel):
    organisations: list[OrganisationInfo]


class OfferAdd(_Request):
    """A standing offer: an HSDS 'service' of an organisation (grocery delivery, repair café)."""

    organisation_id: str
    name: str = Field(min_length=2, max_length=200)
    description: str = ""
    categories: list[Category] = Field(min_length=1)
    languages: list[str] = Field(default_factory=lambda: ["nl"])
    area_codes: list[str] = Field(min_length=1, description="areas it serves")
    schedule: str = Field(default="", description="e.g. 'every Tuesday 10:00-12:00'")
    address: str | None = Field(default=None, description="where it takes place")
    location_area_code: str | None = None
    email: str | None = None
    phone: str | None = None
    url: str | None = None
    actor_id: str | None = None


class OfferInfo(BaseModel):
    offer_id: str
    organisation_id: str
    organisation_name: str
    name: str
    description: str
    categories: list[Category]
    languages: list[str]
    area_codes: list[str]
    schedule: str
    address: str | None = None
    location_area_code: str | None = None
    email: str | None = None
    phone: str | None = None
    url: str | None = None
    active: bool = True
    created_at: datetime


class OfferQuery(_Request):
    organisation_id: str | None = None
    area_code: str | None = None
    category: Category | None = None


class OfferList(BaseModel):
    offers: list[OfferInfo]


class DirectorySearch(_Request):
    q: str | None = Field(default=None, description="words in a name or description")
    category: Category | None = None
    area_code: str | None = Field(default=None, description="offers serving this area")
    language: str | None = None
    limit: int = Field(default=50, ge=1, le=200)
    offset: int = Field(default=0, ge=0)


class HsdsOrganization(BaseModel):
    id: str
    name: str
    description: str = ""
    email: str | None = None
    phone: str | None = None
    url: str | None = None


class HsdsLocation(BaseModel):
    address: str | None = None
    area_code: str | None = None
    area_name: str | None = None
    latitude: float | None = None
    longitude: float | None = None


class HsdsService(BaseModel):
    """One entry of the social map, shaped after Open Referral HSDS."""

    id: str
    name: str
    description: str
    status: Literal["active", "inactive"] = "active"
    categories: list[Category]
    languages: list[str]
    schedule: str
    email: str | None = None
    phone: str | None = None
    url: str | None = None
    organization: HsdsOrganization
    location: HsdsLocation
    service_areas: list[str]


class DirectoryResults(BaseModel):
    total: int
    services: list[HsdsService]


class MemberExport(BaseModel):
    """Everything the registry holds about one member (`member.export`, GDPR art. 15)."""

    member: MemberInfo
    consent_history: list[ConsentRecord]
    volunteer_profile: VolunteerProfile | None = None
    organisations: list[OrganisationInfo] = Field(default_factory=list)
    coordinated_cooperatives: list[CooperativeInfo] = Field(default_factory=list)
    members_registered: list[str] = Field(
        default_factory=list, description="ids of members this member registered on their behalf"
    )
    exported_at: datetime
