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

from pydantic import AfterValidator, BaseModel, Field

from shared.categories import Category
from shared.contracts.areas import AREAS_DISTANCE as AREAS_DISTANCE
from shared.contracts.areas import AREAS_GET as AREAS_GET
from shared.contracts.areas import AREAS_LIST as AREAS_LIST
from shared.contracts.areas import AREAS_LOOKUP as AREAS_LOOKUP
from shared.contracts.areas import AreaCode as AreaCode
from shared.contracts.areas import AreaDistance as AreaDistance
from shared.contracts.areas import AreaInfo as AreaInfo
from shared.contracts.areas import AreaLevel as AreaLevel
from shared.contracts.areas import AreaList as AreaList
from shared.contracts.areas import AreaPair as AreaPair
from shared.contracts.areas import AreaQuery as AreaQuery
from shared.contracts.areas import NeighbourhoodCandidate as NeighbourhoodCandidate
from shared.contracts.areas import PostcodeArea as PostcodeArea
from shared.contracts.areas import PostcodeQuery as PostcodeQuery
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
)
from shared.contracts.directory import (
    CLOCK_TIME as CLOCK_TIME,
)
from shared.contracts.directory import DIRECTORY_SEARCH as DIRECTORY_SEARCH
from shared.contracts.directory import (
    MAX_OPENING_HOURS as MAX_OPENING_HOURS,
)
from shared.contracts.directory import OFFER_ADD as OFFER_ADD
from shared.contracts.directory import OFFER_GET as OFFER_GET
from shared.contracts.directory import OFFER_LIST as OFFER_LIST
from shared.contracts.directory import OFFER_RETIRE as OFFER_RETIRE
from shared.contracts.directory import OFFER_UPDATE as OFFER_UPDATE
from shared.contracts.directory import ORGANISATION_ADD as ORGANISATION_ADD
from shared.contracts.directory import ORGANISATION_GET as ORGANISATION_GET
from shared.contracts.directory import ORGANISATION_LIST as ORGANISATION_LIST
from shared.contracts.directory import ORGANISATION_RETIRE as ORGANISATION_RETIRE
from shared.contracts.directory import ORGANISATION_UPDATE as ORGANISATION_UPDATE
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
from shared.contracts.verbs import MemberQuery as MemberQuery
from shared.contracts.verbs import StrictRequest, Verb
from shared.events import AvailabilitySlot, MatchingPolicy, Role
from shared.ids import COOPERATIVE_ID_PATTERN, check_cooperative_id

MAX_CONTACTS_PER_CALL = 500

Language = Literal["nl", "en"]
ConsentPurpose = Literal["matching", "share_phone", "share_email"]
"""matching: my profile and requests may be used to match me with others;
share_phone / share_email: the person I am matched with may see my phone number / e-mail."""

CONSENT_PURPOSES: tuple[ConsentPurpose, ...] = ("matching", "share_phone", "share_email")


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


class CooperativeQuery(StrictRequest):
    area_code: Code | None = Field(
        default=None,
        description="only cooperatives whose areas contain this area, most local first",
    )
    coordinator_id: Id | None = Field(
        default=None, description="cooperatives this member coordinates"
    )


class CooperativeList(BaseModel):
    cooperatives: list[CooperativeInfo] = Field(max_length=MANY)


class CooperativeAdd(StrictRequest):
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


class CooperativeUpdate(StrictRequest):
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


class MemberRegister(StrictRequest):
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


class MemberByEmail(StrictRequest):
    email: Email


class MemberUpdate(StrictRequest):
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


class MemberListQuery(StrictRequest):
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


class VolunteerOffer(BaseModel):
    """What a volunteer offers, as they set it: the kinds of help, when, how far, in which
    languages, how many at once, and whether (or until when) they pause. The one place these
    fields are written: the request to set a profile, the profile and the gateway's forms
    all take them from here."""

    categories: Annotated[list[Category], Distinct] = Field(max_length=FEW, min_length=1)
    availability: list[AvailabilitySlot] = Field(max_length=FEW, default_factory=list)
    flexible: bool = False
    radius_km: float = Field(default=2.0, ge=0, le=100)
    languages: Annotated[list[Code], Distinct] = Field(
        max_length=FEW, default_factory=lambda: ["nl"], min_length=1
    )
    max_open: int = Field(default=3, ge=0, le=20)
    active: bool = True
    paused_until: date | None = Field(
        default=None,
        description="with active false: the local day the profile resumes by itself (after "
        "today); none: paused until the volunteer resumes it",
    )


class VolunteerProfileSet(VolunteerOffer, StrictRequest):
    member_id: Id
    actor_id: Id | None = None
    certificate_of_conduct_date: date | None = Field(
        default=None, description="date of the VOG; needed to offer light care"
    )


class VolunteerProfile(VolunteerOffer):
    """A volunteer's profile as the registry keeps it."""

    member_id: Id
    certificate_of_conduct_date: date | None = None
    matching_consent: bool
    neighbourhood: Code | None = None
    updated_at: datetime


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


class MemberImportPart(StrictRequest):
    """Part `seq` of a CSV file (parts cut at line ends); the first part has no `import_id`
    and starts an import, the `last` one sets it going."""

    actor_id: Id
    import_id: Id | None = None
    file_name: Name | None = None
    seq: int = Field(ge=0, le=1000)
    text: str = Field(max_length=IMPORT_PART_CHARS)
    last: bool = False


class MemberImportQuery(StrictRequest):
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


class DirectoryImport(StrictRequest):
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


# ----------------------------------------------------------------- verbs
# fmt: off
_SERVICE = "registry"
COOPERATIVE_LIST = Verb(_SERVICE, "cooperative.list", CooperativeQuery, CooperativeList,
    "Cooperatives (covering an area, most local first; or coordinated by a member).")
COOPERATIVE_GET = Verb(_SERVICE, "cooperative.get", CooperativeRef, CooperativeInfo,
    "One cooperative: areas, coordinators, matching policy.")
COOPERATIVE_ADD = Verb(_SERVICE, "cooperative.add", CooperativeAdd, CooperativeInfo,
    "Add a cooperative (admins).")
COOPERATIVE_UPDATE = Verb(_SERVICE, "cooperative.update", CooperativeUpdate, CooperativeInfo,
    "Change a cooperative's name, areas (admins), coordinators or policy.")
MEMBER_REGISTER = Verb(_SERVICE, "member.register", MemberRegister, MemberInfo,
    "Register a member (themselves, or on their behalf by a coordinator).")
MEMBER_GET = Verb(_SERVICE, "member.get", MemberQuery, MemberInfo,
    "A member's own data (themselves, their coordinator, an admin).")
MEMBER_PLACEMENT = Verb(_SERVICE, "member.placement", MemberRef, MemberPlacement,
    "Where a member lives and what they agreed to, for matching when it has not heard of "
    "them yet (no contact details).")
MEMBER_IMPORT_PART = Verb(_SERVICE, "member.import_part", MemberImportPart, MemberImportView,
    "One part of a CSV a coordinator uploads; the last sets its import going.")
MEMBER_IMPORT_GET = Verb(_SERVICE, "member.import_get", MemberImportQuery, MemberImportView,
    "How far an uploaded import is, and its report once done.")
MEMBER_UPDATE = Verb(_SERVICE, "member.update", MemberUpdate, MemberInfo,
    "Change the given fields of a member.")
MEMBER_FIND_BY_EMAIL = Verb(_SERVICE, "member.find_by_email", MemberByEmail, MemberInfo,
    "The member with this e-mail address (case-insensitive).")
MEMBER_LIST = Verb(_SERVICE, "member.list", MemberListQuery, MemberList,
    "Members of an area (coordinators: only their own areas).")
MEMBER_CONTACT = Verb(_SERVICE, "member.contact", MemberRef, MemberContact,
    "How to reach a member (notify and the gateway only).")
MEMBER_CONTACTS = Verb(_SERVICE, "member.contacts", MemberRefs, MemberContactList,
    "How to reach many members at once (notify only); unknown or erased ids are left out.")
MEMBER_EXPORT = Verb(_SERVICE, "member.export", MemberQuery, MemberExport,
    "Everything the registry holds about a member.")
MEMBER_ERASE = Verb(_SERVICE, "member.erase", MemberQuery, MemberErasure,
    "Erase a member's personal data; publishes member.erased.")
MEMBER_INVITATIONS_DUE = Verb(_SERVICE, "member.invitations_due", InvitationsQuery, InvitationsDue,
    "Imported members with an e-mail address not yet invited to set a password.")
MEMBER_INVITATION_DONE = Verb(_SERVICE, "member.invitation_done", MemberRef, MemberRef,
    "Record that a member has been invited (idempotent).")
VOLUNTEER_PROFILE_GET = Verb(_SERVICE, "volunteer.profile.get", MemberQuery, VolunteerProfile,
    "A volunteer's profile.")
VOLUNTEER_PROFILE_SET = Verb(_SERVICE, "volunteer.profile.set",
    VolunteerProfileSet, VolunteerProfile,
    "Create or replace a volunteer profile; publishes volunteer.profile_updated.")
DIRECTORY_IMPORT = Verb(_SERVICE, "directory.import", DirectoryImport, DirectoryImportReport,
    "Put a CSV of organisations and their offers on the map; rows refused are listed.")
# fmt: on
