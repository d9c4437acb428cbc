"""Request and response bodies of the REST API (those not taken over from the contracts)."""

import re
from datetime import date as date_type
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.categories import Category
from shared.contracts import registry as rc
from shared.contracts.bounds import (
    FEW,
    MANY,
    SOME,
    Code,
    Distinct,
    Email,
    HouseNumber,
    Id,
    Key,
    Line,
    Name,
    Phone,
    Text,
    Token,
    Url,
    UtcTime,
)
from shared.contracts.matching import (
    IDEMPOTENCY_KEY_MAX,
    NOTE_MAX,
    EscalationReason,
    FeedbackSide,
    FeedbackView,
    RequestState,
)
from shared.contracts.notify import HHMM, Channel
from shared.contracts.registry import IMPORT_REJECTIONS_SHOWN, ImportState, MemberImportView
from shared.events import MatchingPolicy, Role

Language = Literal["nl", "en"]
EMAIL_PATTERN = r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$"


# NUL and other control characters (but tab and newlines), DEL, and lone surrogates.
_CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def has_control_characters(text: str) -> bool:
    """NUL and other control characters (but tab and newlines), and lone surrogates: no
    database stores them, and no person types them."""
    return _CONTROL_CHARACTERS.search(text) is not None


def _check_text(value: Any) -> None:
    if isinstance(value, str) and has_control_characters(value):
        raise ValueError("text must not contain control characters")
    if isinstance(value, dict):
        for key, item in value.items():
            _check_text(key)
            _check_text(item)
    if isinstance(value, list):
        for item in value:
            _check_text(item)


IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]+$"


def valid_idempotency_key(value: str | None) -> str | None:
    """A key from a web form: used when it is well-formed, else none (the form still goes)."""
    if not value or len(value) > IDEMPOTENCY_KEY_MAX:
        return None
    return value if re.fullmatch(IDEMPOTENCY_KEY_PATTERN, value) else None


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_control_characters(cls, data: Any) -> Any:
        _check_text(data)
        return data


class RegisterBody(_Body):
    """Signing up as a member: name, e-mail address, password and address."""

    name: str = Field(min_length=1, max_length=200, examples=["Anna de Vries"])
    email: str = Field(max_length=320, pattern=EMAIL_PATTERN, examples=["anna@example.nl"])
    password: str = Field(min_length=8, max_length=200)
    postcode: str = Field(min_length=4, max_length=10, examples=["3561 AB"])
    house_number: str = Field(min_length=1, max_length=12, examples=["81"])
    phone: str | None = Field(default=None, max_length=30)
    language: Language = "nl"
    volunteer: bool = Field(default=False, description="also register as a volunteer")
    share_phone: bool = Field(
        default=False, description="the person I am matched with may see my phone number"
    )
    matching: bool = Field(
        default=False,
        description="my details may be used to find a match in my neighbourhood (without it "
        "a coordinator handles my requests), as the registration form asks",
    )


class Registered(BaseModel):
    """The answer to signing up: the new member."""

    member_id: Id
    area: dict[Code, Code | None] = Field(
        max_length=FEW,
        description="municipality, district and neighbourhood codes of the member's address",
    )
    neighbourhood_name: Name | None = None
    roles: list[Role] = Field(max_length=FEW)


class RegistrationReceived(BaseModel):
    """The same answer whether the address was new or had an account already (which only its
    owner hears, by e-mail): log in next."""

    status: Literal["received"] = "received"
    detail: Line


class PasswordResetBody(_Body):
    """Asking for a password reset link by e-mail."""

    email: str = Field(min_length=3, max_length=320, examples=["anna@example.nl"])


class NewPassword(_Body):
    password: str = Field(min_length=8, max_length=200)


class PasswordResetConfirm(NewPassword):
    """Setting a new password with the token from the reset link."""

    token: str = Field(min_length=1, max_length=500, description="from the e-mailed link")


class PasswordResetRequested(BaseModel):
    """The answer to a reset request (the same whether the address is known or not)."""

    detail: Line


class LoginBody(_Body):
    """Signing in with e-mail address and password."""

    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=200)


class TokenOut(BaseModel):
    """A bearer token to send as `Authorization: Bearer <token>`."""

    access_token: Token
    token_type: Literal["bearer"] = "bearer"
    member_id: Id
    roles: list[Code] = Field(max_length=FEW)
    csrf_token: Token = Field(description="send as X-CSRF-Token when using the session cookie")


class MeOut(BaseModel):
    """The signed-in member's own account."""

    member_id: Id
    name: Name
    first_name: Name
    email: Email | None
    phone: Phone | None
    postcode: Code | None
    house_number: HouseNumber | None
    language: Language
    roles: list[Role] = Field(max_length=FEW)
    municipality: Code | None
    district: Code | None
    neighbourhood: Code | None
    neighbourhood_name: Name | None
    consents: dict[Key, bool] = Field(max_length=FEW)


class MePatch(_Body):
    """Changes to one's own account; fields left out stay as they are."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    phone: str | None = Field(default=None, max_length=30)
    postcode: str | None = Field(default=None, min_length=4, max_length=10)
    house_number: str | None = Field(default=None, min_length=1, max_length=12)
    language: Language | None = None
    consents: dict[Literal["matching", "share_phone", "share_email"], bool] | None = Field(
        default=None, max_length=FEW
    )


class EmailChangeBody(_Body):
    """Asking to change one's e-mail address (a link goes to the new one)."""

    email: str = Field(max_length=320, pattern=EMAIL_PATTERN, examples=["anna@example.nl"])


class EmailChangeRequested(BaseModel):
    """The answer to an e-mail change: a link was sent to the new address."""

    detail: Line


class EmailChangeConfirm(_Body):
    """Confirming a new e-mail address with the token from the link."""

    token: str = Field(min_length=1, max_length=500, description="from the e-mailed link")


class AppriseAddress(BaseModel):
    """One Apprise address, masked: the whole URL is a secret and is never shown again."""

    id: Code = Field(description="names it in `apprise_remove`")
    scheme: Code
    masked: Line = Field(examples=["tgram://…7Q"])


class NotificationsOut(BaseModel):
    """How a member is told of proposals and news: the channels, in order."""

    channels: list[Channel] = Field(
        max_length=FEW,
        description="in order of preference; the inbox on this site always gets the message, "
        "and the channels after `inbox` are not tried",
    )
    apprise: list[AppriseAddress] = Field(max_length=FEW)
    quiet_start: Code = Field(description="local time (HH:MM) from which messages wait")
    quiet_end: Code = Field(description="local time (HH:MM) until which they wait")
    language: Language | None = Field(description="None: the language of my details")
    digest: Literal["immediate", "daily"] = Field(
        description="coordinators: escalations at once, or once a day at `digest_time`"
    )
    digest_time: Code = Field(description="local time (HH:MM) of the daily digest")
    may_choose_digest: bool = Field(description="coordinators and admins only")


class NotificationsPatch(_Body):
    """Only the fields given change; the Apprise addresses change one by one."""

    channels: Annotated[list[Channel], Distinct] | None = Field(
        default=None, min_length=1, max_length=3, examples=[["email", "apprise", "inbox"]]
    )
    apprise_add: list[Annotated[str, Field(min_length=4, max_length=2000)]] | None = Field(
        default=None,
        max_length=5,
        description="Apprise URLs to add (tgram://..., twilio://..., ...); webhooks (json, xml, "
        "form, http) and self-hosted services only where the operator allows them",
    )
    apprise_remove: list[Annotated[str, Field(max_length=16)]] | None = Field(
        default=None, max_length=FEW, description="`id`s of addresses to remove"
    )
    quiet_start: str | None = Field(default=None, max_length=5, pattern=HHMM, examples=["22:00"])
    quiet_end: str | None = Field(default=None, max_length=5, pattern=HHMM, examples=["07:30"])
    language: Language | None = None
    digest: Literal["immediate", "daily"] | None = None
    digest_time: str | None = Field(default=None, max_length=5, pattern=HHMM, examples=["08:00"])


class TestMessageOut(BaseModel):
    """The answer to a test message: where it was sent."""

    detail: Line
    channels: list[Channel] = Field(max_length=FEW, description="where it goes, in order")


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


class AuditOut(BaseModel):
    """One entry of a cooperative's audit log: who did what, when."""

    at: datetime
    actor_id: Id
    action: Name
    subject_type: Name
    subject_id: Id
    area: Code | None
    detail: Line | None = Field(default=None, description="for a change: what changed")


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
