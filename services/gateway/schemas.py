"""Request and response bodies of the REST API (those not taken over from the contracts)."""

import re
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.categories import Category
from shared.contracts.matching import RequestState
from shared.events import AvailabilitySlot, MatchingPolicy, Role

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


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_control_characters(cls, data: Any) -> Any:
        _check_text(data)
        return data


class RegisterBody(_Body):
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


class Registered(BaseModel):
    member_id: str
    area: dict[str, str | None] = Field(
        description="municipality, district and neighbourhood codes of the member's address"
    )
    neighbourhood_name: str | None = None
    roles: list[Role]


class LoginBody(_Body):
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=200)


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    member_id: str
    roles: list[str]
    csrf_token: str = Field(description="send as X-CSRF-Token when using the session cookie")


class MeOut(BaseModel):
    member_id: str
    name: str
    first_name: str
    email: str | None
    phone: str | None
    postcode: str | None
    house_number: str | None
    language: Language
    roles: list[Role]
    municipality: str | None
    district: str | None
    neighbourhood: str | None
    neighbourhood_name: str | None
    consents: dict[str, bool]


class MePatch(_Body):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    phone: str | None = Field(default=None, max_length=30)
    postcode: str | None = Field(default=None, min_length=4, max_length=10)
    house_number: str | None = Field(default=None, min_length=1, max_length=12)
    language: Language | None = None
    consents: dict[Literal["matching", "share_phone", "share_email"], bool] | None = None


class VolunteerBody(_Body):
    categories: list[Category] = Field(min_length=1)
    availability: list[AvailabilitySlot] = Field(default_factory=list)
    flexible: bool = False
    radius_km: float = Field(default=2.0, ge=0, le=100)
    languages: list[str] = Field(default_factory=lambda: ["nl"], min_length=1)
    max_open: int = Field(default=3, ge=0, le=20)
    active: bool = True


class VolunteerOut(BaseModel):
    member_id: str
    categories: list[Category]
    availability: list[AvailabilitySlot]
    flexible: bool
    radius_km: float
    languages: list[str]
    max_open: int
    active: bool
    matching_consent: bool
    neighbourhood: str | None = None


class ProposalOut(BaseModel):
    id: str
    request_id: str
    state: str
    category: Category
    urgent: bool
    needed_from: datetime | None
    needed_until: datetime | None
    flexible: bool
    when: str = Field(
        description='"flexible", or the window as an ISO 8601 interval "<from>/<until>"'
    )
    neighbourhood: str | None
    neighbourhood_name: str | None = None
    expires_at: datetime
    description: str | None = None


class RequestBody(_Body):
    category: Category
    description: str = Field(min_length=1, max_length=2000)
    needed_from: datetime | None = None
    needed_until: datetime | None = None
    urgent: bool = False
    languages: list[str] = Field(default_factory=lambda: ["nl"], min_length=1, max_length=10)


class RequestCreated(BaseModel):
    id: str
    state: RequestState


class Helper(BaseModel):
    """Who helps, as far as they agreed to share it."""

    first_name: str
    phone: str | None = None


class RequestOut(BaseModel):
    id: str
    state: RequestState
    category: Category
    description: str | None = None
    needed_from: datetime | None
    needed_until: datetime | None
    flexible: bool
    urgent: bool
    neighbourhood: str | None
    created_at: datetime
    matched_at: datetime | None = None
    helper: Helper | None = None
    requester: Helper | None = Field(
        default=None, description="for the matched volunteer: whom they help"
    )
    requester_id: str | None = None
    escalation_reason: str | None = None


class CompleteBody(_Body):
    hours: float | None = Field(default=None, ge=0, le=168)
    feedback: str | None = Field(default=None, max_length=2000)
    score: int | None = Field(default=None, ge=1, le=5)


class CoordinatorMatchBody(_Body):
    volunteer_id: str = Field(min_length=1, max_length=40)


class OnBehalfMember(_Body):
    name: str = Field(min_length=1, max_length=200)
    postcode: str = Field(min_length=4, max_length=10)
    house_number: str = Field(min_length=1, max_length=12)
    phone: str | None = Field(default=None, max_length=30)
    email: str | None = Field(default=None, max_length=320, pattern=EMAIL_PATTERN)
    language: Language = "nl"


class OnBehalfRequest(RequestBody):
    requester_id: str = Field(min_length=1, max_length=40)


class BoardOut(BaseModel):
    area_codes: list[str]
    counts: dict[str, int]
    requests: list[RequestOut]


class ReportOut(BaseModel):
    area_code: str
    period_from: datetime
    period_until: datetime
    suppress_below: int
    requests: int | None
    by_category: dict[str, int | None]
    by_state: dict[str, int | None]
    by_district: dict[str, int | None]
    matched: int | None
    match_rate: float | None
    time_to_match_median_hours: float | None
    time_to_match_p90_hours: float | None
    escalations: int | None
    volunteer_hours: float | None
    active_volunteers: int | None
    unmet_by_neighbourhood: dict[str, int | None]
    by_neighbourhood: dict[str, int | None] = Field(default_factory=dict)


class InboxItemOut(BaseModel):
    id: str
    subject: str
    body: str
    link: str | None
    created_at: datetime
    read: bool


class InboxOut(BaseModel):
    unread: int
    items: list[InboxItemOut]


class AuditOut(BaseModel):
    at: datetime
    actor_id: str
    action: str
    subject_type: str
    subject_id: str
    area: str | None


class PublicCooperative(BaseModel):
    """A cooperative as anyone may see it: no member ids (who coordinates is not public;
    a member id links everything a person did)."""

    cooperative_id: str
    name: str
    level: Literal["municipality", "district", "neighbourhood"]
    parent_id: str | None = None
    area_codes: list[str]
    policy: MatchingPolicy


class PublicCooperativeList(BaseModel):
    cooperatives: list[PublicCooperative]
