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
from shared.contracts.bounds import (
    FEW,
    MANY,
    SOME,
    Code,
    Distinct,
    Email,
    HouseNumber,
    Id,
    Line,
    Name,
    Phone,
    Text,
)
from shared.contracts.directory import (
    CLOCK_TIME as CLOCK_TIME,
)
from shared.contracts.directory import (
    MAX_OPENING_HOURS as MAX_OPENING_HOURS,
)
from shared.contracts.directory import (
    DirectoryResults as DirectoryResults,
)
from shared.contracts.directory import (
    DirectorySearch as DirectorySearch,
)
from shared.contracts.directory import (
    HsdsLocation as HsdsLocation,
)
from shared.contracts.directory import (
    HsdsOrganization as HsdsOrganization,
)
from shared.contracts.directory import (
    HsdsService as HsdsService,
)
from shared.contracts.directory import (
    HsdsServiceArea as HsdsServiceArea,
)
from shared.contracts.directory import (
    OfferAdd as OfferAdd,
)
from shared.contracts.directory import (
    OfferInfo as OfferInfo,
)
from shared.contracts.directory import (
    OfferList as OfferList,
)
from shared.contracts.directory import (
    OfferQuery as OfferQuery,
)
from shared.contracts.directory import (
    OfferRef as OfferRef,
)
from shared.contracts.directory import (
    OfferUpdate as OfferUpdate,
)
from shared.contracts.directory import (
    OpeningHours as OpeningHours,
)
from shared.contracts.directory import (
    OrganisationAdd as OrganisationAdd,
)
from shared.contracts.directory import (
    OrganisationInfo as OrganisationInfo,
)
from shared.contracts.directory import (
    OrganisationList as OrganisationList,
)
from shared.contracts.directory import (
    OrganisationQuery as OrganisationQuery,
)
from shared.contracts.directory import (
    OrganisationRef as OrganisationRef,
)
from shared.contracts.directory import (
    OrganisationUpdate as OrganisationUpdate,
)
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
# A coordinator's CSV of members, sent in parts, imported in the background, then its report.
MEMBER_IMPORT_PART = "member.import_part"  # MemberImportPart -> MemberImportView
MEMBER_IMPORT_GET = "member.import_get"  # MemberImportQuery -> MemberImportView
# What matching keeps of a member, for one it has not heard of yet (its events still on their way).
MEMBER_PLACEMENT = "member.placement"  # MemberRef -> MemberPlacement (matching only)
MEMBER_ERASE = "member.erase"  # MemberQuery -> MemberErasure
# Imported members with an e-mail address who have not been invited to set a password yet
# (the gateway only: it gives them a log-in and has notify send the invitation).
MEMBER_INVITATIONS_DUE = "member.invitations_due"  # InvitationsQuery -> InvitationsDue
MEMBER_INVITATION_DONE = "member.invitation_done"  # MemberRef -> MemberRef (idempotent)

VOLUNTEER_PROFILE_GET = "volunteer.profile.get"  # MemberQuery -> VolunteerProfile
VOLUNTEER_PROFILE_SET = "volunteer.profile.set"  # VolunteerProfileSet -> VolunteerProfile

# The social map. Organisations are added by their area's coordinators, who name the
# members managing them (the organisation's accounts) by e-mail; managers and coordinators
# edit and retire them and their standing offers. Retired ones leave the map but are kept.
ORGANISATION_ADD = "organisation.add"  # OrganisationAdd -> OrganisationInfo
ORGANISATION_GET = "organisation.get"  # OrganisationRef -> OrganisationInfo
ORGANISATION_UPDATE = "organisation.update"  # OrganisationUpdate -> OrganisationInfo
ORGANISATION_RETIRE = "organisation.retire"  # OrganisationRef -> OrganisationInfo (and offers)
ORGANISATION_LIST = "organisation.list"  # OrganisationQuery -> OrganisationList
OFFER_ADD = "offer.add"  # OfferAdd -> OfferInfo
OFFER_GET = "offer.get"  # OfferRef -> OfferInfo
OFFER_UPDATE = "offer.update"  # OfferUpdate -> OfferInfo
OFFER_RETIRE = "offer.retire"  # OfferRef -> OfferInfo
OFFER_LIST = "offer.list"  # OfferQuery -> OfferList
DIRECTORY_SEARCH = "directory.search"  # DirectorySearch -> DirectoryResults
# A CSV of organisations and their offers (a coordinator's list), imported at once.
DIRECTORY_IMPORT = "directory.import"  # DirectoryImport -> DirectoryImportReport

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
    """An area of the CBS registry (municipality, district or neighbourhood) with where it lies."""

    code: Code
    level: AreaLevel
    name: Name
    parent_code: Code | None = None
    municipality_code: Code
    population: int | None = None
    lat: float | None = None
    lon: float | None = None


class PostcodeQuery(_Request):
    postcode: Code = Field(examples=["3561 AB", "3561AB", "3561"])


class NeighbourhoodCandidate(BaseModel):
    """A neighbourhood a postcode may lie in, with the share of its inhabitants."""

    code: Code
    name: Name
    share: float = Field(description="share of this postcode's inhabitants living there (0-1)")


class PostcodeArea(BaseModel):
    """Where a postcode lies. At four digits the neighbourhood is the most likely one."""

    postcode: Code = Field(description="normalised: '3561 AB' or '3561'")
    pc4: Code
    municipality: AreaInfo
    district: AreaInfo
    neighbourhood: AreaInfo
    district_confidence: float = Field(ge=0, le=1)
    neighbourhood_confidence: float = Field(ge=0, le=1)
    confidence: Literal["high", "medium", "low"] = Field(
        description="how sure the neighbourhood is: high >= 0.8, medium >= 0.5, else low"
    )
    candidates: list[NeighbourhoodCandidate] = Field(max_length=MANY, default_factory=list)
    note: Text | None = None


class AreaQuery(_Request):
    parent_code: Code | None = Field(default=None, description="children of this area")
    level: AreaLevel | None = None
    municipality_code: Code | None = None


class AreaList(BaseModel):
    areas: list[AreaInfo] = Field(max_length=MANY)


class AreaCode(_Request):
    code: Code


class AreaPair(_Request):
    from_code: Code
    to_code: Code


class AreaDistance(BaseModel):
    from_code: Code
    to_code: Code
    km: float


# ----------------------------------------------------------------- cooperatives


class MemberRef(BaseModel):
    member_id: Id


class InvitationsQuery(BaseModel):
    limit: int = Field(default=100, ge=1, le=1000)


class InvitationDue(BaseModel):
    member_id: Id
    email: Email
    roles: list[Role] = Field(max_length=FEW)
    language: Language


class InvitationsDue(BaseModel):
    invitations: list[InvitationDue] = Field(max_length=1000)


class MemberPlacement(BaseModel):
    """What the registry's member events tell matching (no name, no contact details)."""

    member_id: Id
    roles: list[Role] = Field(max_length=FEW)
    language: Language = "nl"
    consents: dict[ConsentPurpose, bool] = Field(max_length=FEW, default_factory=dict)
    municipality: Code | None = None
    district: Code | None = None
    neighbourhood: Code | None = None


class MemberRefs(BaseModel):
    member_ids: list[Id] = Field(max_length=MAX_CONTACTS_PER_CALL)


class CooperativeRef(BaseModel):
    cooperative_id: Id


class CooperativeInfo(BaseModel):
    cooperative_id: Id
    name: Name
    level: Literal["municipality", "district", "neighbourhood"]
    parent_id: Id | None = None
    area_codes: list[Code] = Field(max_length=SOME)
    coordinator_ids: list[Id] = Field(max_length=SOME)
    policy: MatchingPolicy


class CooperativeQuery(_Request):
    area_code: Code | None = Field(
        default=None,
        description="only cooperatives whose areas contain this area, most local first",
    )
    coordinator_id: Id | None = Field(
        default=None, description="cooperatives this member coordinates"
    )


class CooperativeList(BaseModel):
    cooperatives: list[CooperativeInfo] = Field(max_length=MANY)


class CooperativeAdd(_Request):
    cooperative_id: Annotated[
        str,
        Field(
            max_length=63,
            pattern=COOPERATIVE_ID_PATTERN,
            description="slug, not a system name (shared.ids); also used in samen.ext.<id>.>",
        ),
        AfterValidator(check_cooperative_id),
    ]
    name: str = Field(min_length=2, max_length=200)
    parent_id: Id | None = None
    area_codes: list[Code] = Field(max_length=SOME, min_length=1)
    coordinator_ids: list[Id] = Field(max_length=SOME, default_factory=list)
    policy: MatchingPolicy | None = None
    actor_id: Id | None = None


class CooperativeUpdate(_Request):
    """Fields left out (None) stay as they are."""

    cooperative_id: Id
    name: str | None = Field(default=None, min_length=2, max_length=200)
    area_codes: list[Code] | None = Field(default=None, max_length=SOME)
    coordinator_ids: list[Id] | None = Field(default=None, max_length=SOME)
    policy: MatchingPolicy | None = None
    actor_id: Id | None = None


# ----------------------------------------------------------------- members


class ConsentState(BaseModel):
    granted: bool
    at: datetime


class ConsentRecord(BaseModel):
    purpose: ConsentPurpose
    granted: bool
    at: datetime
    by: Id | None = Field(default=None, description="member who recorded it, if not themselves")


def _default_roles() -> list[Role]:
    return ["resident"]


class MemberRegister(_Request):
    """At least an e-mail or a phone number, unless a coordinator registers on someone's behalf
    (`registered_by`); then the member is reached through that coordinator.

    Every field is checked before a known e-mail address is refused (`conflict`): the gateway
    relies on that to answer a taken address exactly as a new one."""

    name: Name
    first_name: Name | None = Field(default=None, description="default: first word of name")
    email: Email | None = None
    phone: Phone | None = None
    postcode: Code
    house_number: HouseNumber
    language: Language = "nl"
    roles: list[Role] = Field(max_length=FEW, default_factory=_default_roles)
    consents: dict[ConsentPurpose, bool] = Field(max_length=FEW, default_factory=dict)
    registered_by: Id | None = Field(
        default=None, description="the coordinator (or admin) registering on someone's behalf"
    )
    actor_id: Id | None = Field(
        default=None, description="who asks; default registered_by, else self-registration"
    )


class MemberInfo(BaseModel):
    """Everything about a member the member themselves (and their coordinator) may see."""

    member_id: Id
    name: Name
    first_name: Name
    email: Email | None = None
    phone: Phone | None = None
    postcode: Code | None = None
    house_number: HouseNumber | None = None
    language: Language = "nl"
    roles: list[Role] = Field(max_length=FEW)
    consents: dict[ConsentPurpose, ConsentState] = Field(max_length=FEW, default_factory=dict)
    municipality: Code | None = None
    district: Code | None = None
    neighbourhood: Code | None = None
    neighbourhood_name: Name | None = None
    area_confidence: float | None = None
    registered_by: Id | None = None
    coordinates: list[Id] = Field(
        max_length=SOME,
        default_factory=list,
        description="ids of the cooperatives this member coordinates",
    )
    created_at: datetime
    updated_at: datetime


class MemberQuery(_Request):
    member_id: Id
    actor_id: Id | None = None


class MemberByEmail(_Request):
    email: Email


class MemberUpdate(_Request):
    """Fields left out (None) stay as they are. An empty string removes the e-mail address or
    phone number (one way to reach the member must stay, unless a coordinator registered them)."""

    member_id: Id
    actor_id: Id | None = None
    name: Name | None = None
    first_name: Name | None = None
    email: Email | None = None
    phone: Phone | None = None
    postcode: Code | None = None
    house_number: HouseNumber | None = None
    language: Language | None = None
    roles: list[Role] | None = Field(default=None, max_length=FEW)
    consents: dict[ConsentPurpose, bool] | None = Field(default=None, max_length=FEW)


class MemberListQuery(_Request):
    actor_id: Id | None = None
    area_code: Code | None = None
    role: Role | None = None
    category: Category | None = Field(default=None, description="volunteers offering it")
    q: Name | None = Field(default=None, description="part of a name")
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0)


class MemberSummary(BaseModel):
    member_id: Id
    name: Name
    roles: list[Role] = Field(max_length=FEW)
    neighbourhood: Code | None = None
    neighbourhood_name: Name | None = None
    language: Language = "nl"


class MemberList(BaseModel):
    total: int
    members: list[MemberSummary] = Field(max_length=MANY)


class MemberContact(BaseModel):
    """How to reach a member, fetched at send time and not kept."""

    member_id: Id
    name: Name
    first_name: Name
    email: Email | None = None
    phone: Phone | None = None
    language: Literal["nl", "en"] = "nl"
    # Registered without an e-mail address: reach them through this coordinator.
    via_coordinator_id: Id | None = None
    share_phone_with_match: bool = False
    share_email_with_match: bool = False
    neighbourhood: Code | None = None


class MemberContactList(BaseModel):
    contacts: list[MemberContact] = Field(max_length=MANY)


class MemberErasure(BaseModel):
    member_id: Id
    erased_at: datetime


# ----------------------------------------------------------------- volunteers


class VolunteerProfileSet(_Request):
    member_id: Id
    actor_id: Id | None = None
    categories: Annotated[list[Category], Distinct] = Field(max_length=FEW, min_length=1)
    availability: list[AvailabilitySlot] = Field(max_length=FEW, default_factory=list)
    flexible: bool = False
    radius_km: float = Field(default=2.0, ge=0, le=100)
    languages: Annotated[list[Code], Distinct] = Field(
        max_length=FEW, default_factory=lambda: ["nl"], min_length=1
    )
    max_open: int = Field(default=3, ge=0, le=20)
    active: bool = True
    certificate_of_conduct_date: date | None = Field(
        default=None, description="date of the VOG; needed to offer light care"
    )
    paused_until: date | None = Field(
        default=None,
        description="with active false: the local day the profile resumes by itself (after "
        "today); none: paused until the volunteer resumes it",
    )


class VolunteerProfile(BaseModel):
    member_id: Id
    categories: list[Category] = Field(max_length=FEW)
    availability: list[AvailabilitySlot] = Field(max_length=FEW)
    flexible: bool
    radius_km: float
    languages: list[Code] = Field(max_length=FEW)
    max_open: int
    active: bool
    certificate_of_conduct_date: date | None = None
    matching_consent: bool
    neighbourhood: Code | None = None
    updated_at: datetime
    paused_until: date | None = Field(default=None, description="resumes by itself that day")


class MemberExport(BaseModel):
    """Everything the registry holds about one member (`member.export`, GDPR art. 15)."""

    member: MemberInfo
    consent_history: list[ConsentRecord] = Field(max_length=MANY)
    volunteer_profile: VolunteerProfile | None = None
    organisations: list[OrganisationInfo] = Field(max_length=MANY, default_factory=list)
    coordinated_cooperatives: list[CooperativeInfo] = Field(max_length=MANY, default_factory=list)
    members_registered: list[Id] = Field(
        max_length=SOME,
        default_factory=list,
        description="ids of members this member registered on their behalf",
    )
    exported_at: datetime


# ----------------------------------------------------------------- imports from the web

IMPORT_PART_CHARS = 200_000  # one part of an uploaded file: well inside a NATS message
IMPORT_REJECTIONS_SHOWN = 200
ImportState = Literal["receiving", "waiting", "checking", "importing", "done", "failed"]


class MemberImportPart(_Request):
    """Part `seq` of a CSV file (parts cut at line ends); the first part has no `import_id`
    and starts an import, the `last` one sets it going."""

    actor_id: Id
    import_id: Id | None = None
    file_name: Name | None = None
    seq: int = Field(ge=0, le=1000)
    text: str = Field(max_length=IMPORT_PART_CHARS)
    last: bool = False


class MemberImportQuery(_Request):
    import_id: Id
    actor_id: Id


class ImportRejection(BaseModel):
    line: int = Field(ge=1, description="line in the file (the header is line 1)")
    reason: Line


class MemberImportView(BaseModel):
    import_id: Id
    state: ImportState
    file_name: Name | None = None
    phase: Literal["validate", "import"] | None = None
    rows: int = 0
    done: int = Field(default=0, description="rows checked or imported so far in this phase")
    imported: int = 0
    volunteers: int = 0
    already_imported: int = 0
    rejected_count: int = 0
    rejected: list[ImportRejection] = Field(
        max_length=IMPORT_REJECTIONS_SHOWN, default_factory=list
    )
    error: Line | None = None
    created_at: datetime
    finished_at: datetime | None = None


DIRECTORY_IMPORT_CHARS = 1_000_000  # a CSV of a district's organisations, well inside NATS


class DirectoryImport(_Request):
    """A CSV (header line first) with one standing offer a row and its organisation's details;
    rows naming the same organisation share it. See docs/registry.md for the columns."""

    text: str = Field(max_length=DIRECTORY_IMPORT_CHARS)
    actor_id: Id | None = None


class DirectoryImportReport(BaseModel):
    rows: int
    organisations_added: int
    offers_added: int
    already_there: int = Field(description="rows whose offer was on the map already")
    rejected: list[ImportRejection] = Field(max_length=IMPORT_REJECTIONS_SHOWN)
    rejected_count: int
