"""Request and response bodies of the REST API (those not taken over from the contracts):
the accounts' in accounts.py, what they share in base.py, the rest here (volunteering,
requests, coordinating, reports, cooperatives)."""

from datetime import date as date_type
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, model_validator

from services.gateway.models import AuditEntry
from services.gateway.schemas.accounts import AppriseAddress as AppriseAddress
from services.gateway.schemas.accounts import EmailChangeBody as EmailChangeBody
from services.gateway.schemas.accounts import EmailChangeConfirm as EmailChangeConfirm
from services.gateway.schemas.accounts import EmailChangeRequested as EmailChangeRequested
from services.gateway.schemas.accounts import LoginBody as LoginBody
from services.gateway.schemas.accounts import MeOut as MeOut
from services.gateway.schemas.accounts import MePatch as MePatch
from services.gateway.schemas.accounts import NewPassword as NewPassword
from services.gateway.schemas.accounts import NotificationsOut as NotificationsOut
from services.gateway.schemas.accounts import NotificationsPatch as NotificationsPatch
from services.gateway.schemas.accounts import PasswordResetBody as PasswordResetBody
from services.gateway.schemas.accounts import PasswordResetConfirm as PasswordResetConfirm
from services.gateway.schemas.accounts import PasswordResetRequested as PasswordResetRequested
from services.gateway.schemas.accounts import RegisterBody as RegisterBody
from services.gateway.schemas.accounts import Registered as Registered
from services.gateway.schemas.accounts import RegistrationReceived as RegistrationReceived
from services.gateway.schemas.accounts import TestMessageOut as TestMessageOut
from services.gateway.schemas.accounts import TokenOut as TokenOut
from services.gateway.schemas.base import _CONTROL_CHARACTERS as _CONTROL_CHARACTERS
from services.gateway.schemas.base import EMAIL_PATTERN as EMAIL_PATTERN
from services.gateway.schemas.base import IDEMPOTENCY_KEY_PATTERN as IDEMPOTENCY_KEY_PATTERN
from services.gateway.schemas.base import Language as Language
from services.gateway.schemas.base import _Body
from services.gateway.schemas.base import _check_text as _check_text
from services.gateway.schemas.base import has_control_characters as has_control_characters
from services.gateway.schemas.base import valid_idempotency_key as valid_idempotency_key
from shared.categories import Category
from shared.contracts import registry as rc
from shared.contracts.bounds import (
    FEW,
    MANY,
    SOME,
    Code,
    Distinct,
    Email,
    Id,
    Key,
    Line,
    Name,
    Phone,
    Text,
    Url,
    UtcTime,
)
from shared.contracts.matching import (
    NOTE_MAX,
    EscalationReason,
    FeedbackSide,
    FeedbackView,
    RequestState,
)
from shared.contracts.registry import IMPORT_REJECTIONS_SHOWN, ImportState, MemberImportView
from shared.events import MatchingPolicy


class VolunteerBody(rc.VolunteerOffer, _Body):
    """A volunteer's profile: what they help with, where and when (the registry's fields)."""


class VolunteerOut(rc.VolunteerOffer):
    """A volunteer's profile as stored: the offer, and what the registry adds to it."""

    member_id: Id
    matching_consent: bool
    neighbourhood: Code | None = None


class ProposalOut(BaseModel):
    """A request proposed to a volunteer, to accept or decline."""

    id: Id
    request_id: Id
    state: Code
    category: Category
    urgent: bool
    needed_from: datetime | None
    needed_until: datetime | None
    flexible: bool
    when: Line = Field(
        description='"flexible", or the window as an ISO 8601 interval "<from>/<until>"'
    )
    neighbourhood: Code | None
    neighbourhood_name: Name | None = None
    expires_at: datetime
    description: Text | None = None
    distance_km: float | None = Field(
        default=None, ge=0, le=1000, description="about how far, km (never an address)"
    )


class RequestBody(_Body):
    """A request for help: what kind, what is needed and when."""

    category: Category
    description: str = Field(min_length=1, max_length=2000)
    needed_from: UtcTime | None = Field(
        default=None, description="ISO 8601 with an offset; answers give it back in UTC"
    )
    needed_until: UtcTime | None = None
    urgent: bool = False
    languages: Annotated[list[Code], Distinct] = Field(
        default_factory=lambda: ["nl"], min_length=1, max_length=10
    )


class RequestCreated(BaseModel):
    """The answer to asking for help: the new request and where to follow it."""

    id: Id
    state: RequestState


class CoordinatorContact(BaseModel):
    """The coordinator through whom someone without e-mail is reached."""

    name: Name
    phone: Phone | None = None
    email: Email | None = None


class Helper(BaseModel):
    """Who helps, as far as they agreed to share it."""

    first_name: Name
    phone: Phone | None = None
    email: Email | None = None
    via_coordinator: CoordinatorContact | None = Field(
        default=None,
        description="someone without e-mail is reached through this coordinator (name, contact)",
    )


class RequestOut(BaseModel):
    """A request for help with its state and, once matched, who helps."""

    id: Id
    state: RequestState
    category: Category
    description: Text | None = None
    needed_from: datetime | None
    needed_until: datetime | None
    flexible: bool
    urgent: bool
    neighbourhood: Code | None
    created_at: datetime
    matched_at: datetime | None = None
    helper: Helper | None = None
    requester: Helper | None = Field(
        default=None, description="for the matched volunteer: whom they help"
    )
    requester_id: Id | None = None
    escalation_reason: EscalationReason | None = None
    my_side: FeedbackSide | None = Field(
        default=None, description="the reader's side of the help (who may give feedback)"
    )
    feedback_from: list[FeedbackSide] = Field(
        default_factory=list,
        max_length=2,
        description="the sides that gave feedback (what they said is not shown here)",
    )
    feedback: list[FeedbackView] = Field(
        default_factory=list,
        max_length=2,
        description="for the cooperative's coordinators only: the feedback itself",
    )


class CompleteBody(_Body):
    """Marking a request done, optionally with the hours spent and how it went."""

    hours: float | None = Field(default=None, ge=0, le=168)
    feedback: str | None = Field(default=None, max_length=2000)
    score: int | None = Field(default=None, ge=1, le=5)


class FeedbackBody(_Body):
    """How it went: a score of 1 (bad) to 5 (very good), a comment, or both. The comment is
    read only by the cooperative's coordinators; the score counts in the anonymous figures."""

    score: int | None = Field(default=None, ge=1, le=5)
    comment: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _something(self) -> "FeedbackBody":
        if self.score is None and not (self.comment and self.comment.strip()):
            raise ValueError("give a score or a comment")
        return self


class CoordinatorMatchBody(_Body):
    """A coordinator proposing a request to a chosen volunteer."""

    volunteer_id: str = Field(min_length=1, max_length=40)


class CoordinatorCancelBody(_Body):
    """A coordinator cancelling a request, with the reason."""

    note: str | None = Field(default=None, max_length=NOTE_MAX, description="why, for the log")


class CertificateBody(_Body):
    """The day a volunteer's certificate of conduct (VOG) was issued; none: there is none."""

    date: date_type | None = None


class CoordinatorCloseBody(_Body):
    """A coordinator closing a request, with the reason."""

    note: str = Field(
        min_length=1, max_length=NOTE_MAX, description="what happened, e.g. arranged by phone"
    )
    hours: float | None = Field(default=None, ge=0, le=24 * 7)


class OnBehalfMember(_Body):
    """The person a coordinator asks for help on behalf of (by phone, say)."""

    name: str = Field(min_length=1, max_length=200)
    postcode: str = Field(min_length=4, max_length=10)
    house_number: str = Field(min_length=1, max_length=12)
    phone: str | None = Field(default=None, max_length=30)
    email: str | None = Field(
        default=None, max_length=320, pattern=EMAIL_PATTERN, examples=["anna@example.nl"]
    )
    language: Language = "nl"
    share_phone: bool = Field(
        default=False,
        description="the resident agrees that the volunteer they are matched with sees their "
        "phone number (otherwise the volunteer reaches them through the coordinator)",
    )


class OnBehalfRequest(RequestBody):
    """A request a coordinator places for someone without the app."""

    requester_id: str = Field(min_length=1, max_length=40)


class BoardOut(BaseModel):
    """A coordinator's board: the requests in their areas and how many are in each state."""

    area_codes: list[Code] = Field(max_length=SOME)
    counts: dict[Key, int] = Field(max_length=FEW)
    requests: list[RequestOut] = Field(max_length=MANY)


class ReportWeekOut(BaseModel):
    """The figures of one week of a report."""

    period_from: datetime
    period_until: datetime
    requests: int | None
    residents: int | None
    by_state: dict[Key, int | None] = Field(max_length=MANY)
    matched: int | None
    time_to_match_median_hours: float | None = Field(
        description="null when hidden, or when nobody asked that week (requests 0)"
    )


class ReportOut(BaseModel):
    """An area's figures for a period; counts below `suppress_below` are left out (null)."""

    area_code: Code
    period_from: datetime
    period_until: datetime
    suppress_below: int
    requests: int | None
    by_category: dict[Key, int | None] = Field(max_length=MANY)
    by_state: dict[Key, int | None] = Field(max_length=MANY)
    by_district: dict[Key, int | None] = Field(max_length=MANY)
    matched: int | None
    match_rate: float | None
    time_to_match_median_hours: float | None
    time_to_match_p90_hours: float | None
    escalations: int | None
    volunteer_hours: float | None
    active_volunteers: int | None
    unmet_by_neighbourhood: dict[Key, int | None] = Field(max_length=MANY)
    by_neighbourhood: dict[Key, int | None] = Field(max_length=MANY, default_factory=dict)
    residents: int | None = Field(default=None, description="distinct residents who asked")
    residents_by_category: dict[Key, int | None] = Field(max_length=MANY, default_factory=dict)
    residents_by_district: dict[Key, int | None] = Field(max_length=MANY, default_factory=dict)
    residents_by_neighbourhood: dict[Key, int | None] = Field(max_length=MANY, default_factory=dict)
    periods: list[ReportWeekOut] = Field(
        max_length=60, default_factory=list, description="each week, suppressed with the whole"
    )


class InboxItemOut(BaseModel):
    """One message in a member's inbox."""

    id: Id
    subject: Line
    body: Text
    link: Url | None
    created_at: datetime
    read: bool


class InboxOut(BaseModel):
    """A member's inbox: the newest messages and how many are unread."""

    unread: int
    items: list[InboxItemOut] = Field(max_length=MANY)


class AuditOut(AuditEntry):
    """One entry of a cooperative's audit log: who did what, when."""


class PublicCooperative(BaseModel):
    """A cooperative as anyone may see it: no member ids (who coordinates is not public;
    a member id links everything a person did)."""

    cooperative_id: Id
    name: Name
    level: Literal["municipality", "district", "neighbourhood"]
    parent_id: Id | None = None
    area_codes: list[Code] = Field(max_length=SOME)
    policy: MatchingPolicy


class PublicCooperativeList(BaseModel):
    """The cooperatives, with their areas."""

    cooperatives: list[PublicCooperative] = Field(max_length=MANY)


# ------------------------------------------------------------------ running a cooperative


class CoordinatorOut(BaseModel):
    """A coordinator of a cooperative."""

    member_id: Id
    name: Name
    email: Email | None
    phone: Phone | None


class CooperativeChangeOut(BaseModel):
    """One change to the cooperative, from the audit log."""

    at: datetime
    actor_id: Id
    detail: Line | None = Field(description="what changed: fields and new values, member ids")


class AdminCooperativeOut(PublicCooperative):
    """A cooperative as the member who runs it sees it."""

    coordinators: list[CoordinatorOut] = Field(max_length=SOME)
    apprise: list[AppriseAddress] = Field(
        max_length=FEW, description="the cooperative's own channels, masked (they are secrets)"
    )
    digest_time: Code | None = Field(
        description="local HH:MM of its coordinators' daily digest; None: the service's"
    )
    may_change_areas: bool = Field(description="admins only")
    may_invite: bool = Field(description="admins only: giving the coordinator role")
    changes: list[CooperativeChangeOut] = Field(max_length=MANY, description="newest first")


class CooperativePatch(_Body):
    """Only the fields given change."""

    name: str | None = Field(default=None, min_length=2, max_length=200)
    area_codes: Annotated[list[Code], Distinct] | None = Field(
        default=None, min_length=1, max_length=SOME, description="admins only"
    )


class CoordinatorInvite(_Body):
    """Someone to coordinate the cooperative, by e-mail address. Someone not registered yet
    needs a name, postcode and house number (their home or their office)."""

    email: str = Field(max_length=320, pattern=EMAIL_PATTERN, examples=["anna@example.nl"])
    name: str | None = Field(default=None, min_length=1, max_length=200)
    postcode: str | None = Field(default=None, min_length=4, max_length=10)
    house_number: str | None = Field(default=None, min_length=1, max_length=12)
    language: Language = "nl"


class ChannelsPatch(_Body):
    """The cooperative's Apprise addresses change one by one; the digest time only if given."""

    apprise_add: list[Annotated[str, Field(min_length=4, max_length=2000)]] | None = Field(
        default=None, max_length=5, description="Apprise URLs (a group chat) for escalations"
    )
    apprise_remove: list[Annotated[str, Field(max_length=16)]] | None = Field(
        default=None, max_length=FEW, description="`id`s of addresses to remove"
    )
    digest_time: str | None = Field(
        default=None,
        max_length=5,
        pattern=r"^$|^([01]\d|2[0-3]):[0-5]\d$",
        examples=["08:00"],
        description="local HH:MM of the coordinators' daily digest; \"\" for the service's",
    )


class ImportRejectionOut(BaseModel):
    """A line of a member import that was not taken, and why."""

    line: int = Field(description="line in the file (the header is line 1)")
    reason: Line


class MemberImportOut(BaseModel):
    """An uploaded CSV of members: how far its import is, and its report once done."""

    id: Id
    state: ImportState = Field(
        description="receiving, waiting, checking (rows), importing, done or failed"
    )
    file_name: Name | None
    rows: int
    done: int = Field(description="rows checked or imported so far in this phase")
    imported: int
    volunteers: int
    already_imported: int = Field(description="rows of people imported before (nobody twice)")
    rejected_count: int
    rejected: list[ImportRejectionOut] = Field(
        max_length=IMPORT_REJECTIONS_SHOWN, description="the first rejected rows"
    )
    error: Line | None = Field(description="why the import failed, if it did")
    created_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, view: MemberImportView) -> "MemberImportOut":
        return cls(
            id=view.import_id,
            state=view.state,
            file_name=view.file_name,
            rows=view.rows,
            done=view.done,
            imported=view.imported,
            volunteers=view.volunteers,
            already_imported=view.already_imported,
            rejected_count=view.rejected_count,
            rejected=[ImportRejectionOut(line=r.line, reason=r.reason) for r in view.rejected],
            error=view.error,
            created_at=view.created_at,
            finished_at=view.finished_at,
        )


class AreaVolunteerOut(BaseModel):
    """A volunteer of the coordinator's areas and their certificate of conduct (VOG)."""

    member_id: Id
    name: Name
    neighbourhood: Code | None
    certificate_of_conduct_date: date_type | None
    certificate_expires: date_type | None = Field(description="three years after it was issued")
    certificate: Literal["none", "valid", "expiring", "expired"] = Field(
        description="expiring: within two months"
    )
