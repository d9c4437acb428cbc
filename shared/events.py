"""The event contract: one envelope, one typed payload per event type.

No personal data in events: ids, area codes, categories and times only. Names,
addresses, phone numbers, e-mail and free text travel only over request/reply.
"""

from __future__ import annotations

import builtins
from datetime import date, datetime
from typing import Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, create_model

from shared.areas import AreaRef
from shared.categories import Category
from shared.clock import utcnow
from shared.contracts.bounds import UtcTime
from shared.ids import new_id
from shared.subjects import event_subject

Role = Literal["resident", "volunteer", "coordinator", "admin"]


class EventData(BaseModel):
    """Base of every event payload. Subclasses set TYPE ('aggregate.event') and VERSION."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    TYPE: ClassVar[str]
    VERSION: ClassVar[int] = 1


class Envelope(BaseModel):
    """What travels on samen.evt.>: the public event contract (docs/events.md)."""

    model_config = ConfigDict(extra="forbid")

    event_id: str = Field(default_factory=new_id)
    type: str
    version: int = 1
    occurred_at: datetime = Field(default_factory=utcnow)
    source: str
    area: AreaRef = Field(default_factory=AreaRef)
    correlation_id: str | None = None
    causation_id: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)

    @property
    def subject(self) -> str:
        return event_subject(self.type, self.area)

    def payload(self, model: builtins.type[E]) -> E:
        if self.type != model.TYPE:
            raise TypeError(f"event is {self.type}, not {model.TYPE}")
        return model.model_validate(self.data)

    def parsed(self) -> EventData:
        """The typed payload of a known event type (raises KeyError for an unknown type)."""
        return EVENT_TYPES[self.type].model_validate(self.data)


E = TypeVar("E", bound=EventData)


def envelope(
    data: EventData,
    *,
    source: str,
    area: AreaRef | None = None,
    correlation_id: str | None = None,
    causation_id: str | None = None,
    occurred_at: datetime | None = None,
) -> Envelope:
    return Envelope(
        type=data.TYPE,
        version=data.VERSION,
        occurred_at=occurred_at or utcnow(),
        source=source,
        area=area or AreaRef(),
        correlation_id=correlation_id,
        causation_id=causation_id,
        data=data.model_dump(mode="json"),
    )


# ---------------------------------------------------------------- registry


class MatchingPolicy(BaseModel):
    """A cooperative's matching numbers (the defaults)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    proposals_per_round: int = Field(default=3, ge=1, le=20)
    offer_hours: float = Field(default=4.0, gt=0)
    urgent_offer_minutes: float = Field(default=30.0, gt=0)
    max_rounds: int = Field(default=3, ge=1, le=10)
    max_open_per_volunteer: int = Field(default=3, ge=1, le=20)
    fairness_days: int = Field(default=30, ge=1, le=365)
    rings: int = Field(
        default=3,
        ge=1,
        le=3,
        description=(
            "how far out volunteers are asked: 1 the neighbourhood, 2 also its district,"
            " 3 also the rest of the municipality"
        ),
    )
    radius_cap_km: float | None = Field(
        default=None,
        gt=0,
        le=100,
        description="no volunteer is asked from further than this, whatever their own radius",
    )


class CooperativeCreated(EventData):
    """A cooperative was founded for a set of areas, with its coordinators and matching policy."""

    TYPE = "cooperative.created"
    cooperative_id: str
    parent_id: str | None = None
    level: Literal["municipality", "district", "neighbourhood"]
    area_codes: list[str]
    coordinator_ids: list[str] = Field(default_factory=list)
    policy: MatchingPolicy = Field(default_factory=MatchingPolicy)


class CooperativeUpdated(CooperativeCreated):
    """Coordinators, areas or policy changed; carries the whole new state."""

    TYPE = "cooperative.updated"


class MemberRegistered(EventData):
    """Someone joined (area = their home neighbourhood), possibly registered by a coordinator."""

    TYPE = "member.registered"
    member_id: str
    roles: list[Role]
    language: Literal["nl", "en"] = "nl"
    registered_by: str | None = None  # a coordinator registering on someone's behalf
    # Every purpose, granted or not, as it stands at registration; None in events from before
    # registration carried them (consent unknown: matching keeps its old default).
    consents: dict[str, bool] | None = None


class MemberUpdated(EventData):
    """A member's roles, language, consents or address changed (field names only, never values)."""

    TYPE = "member.updated"
    member_id: str
    roles: list[Role]
    language: Literal["nl", "en"] = "nl"
    changed: list[str] = Field(default_factory=list)  # field names only, never values
    consents: dict[str, bool] = Field(default_factory=dict)


class MemberErased(EventData):
    """A member asked to be forgotten: every service deletes or anonymises what it holds."""

    TYPE = "member.erased"
    member_id: str


class AvailabilitySlot(BaseModel):
    """A weekly time a volunteer can help: a weekday and hours."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    weekday: int = Field(ge=0, le=6, description="0 = Monday")
    start: str = Field(max_length=5, pattern=r"^([01]\d|2[0-3]):[0-5]\d$", examples=["09:00"])
    end: str = Field(max_length=5, pattern=r"^([01]\d|2[0-4]):[0-5]\d$", examples=["12:00"])


class VolunteerProfileUpdated(EventData):
    """What a volunteer offers, when, how far and in which languages; paused when not active."""

    TYPE = "volunteer.profile_updated"
    member_id: str
    categories: list[Category]
    availability: list[AvailabilitySlot] = Field(default_factory=list)
    flexible: bool = False
    radius_km: float = Field(ge=0)
    languages: list[str] = Field(default_factory=lambda: ["nl"])
    max_open: int = Field(default=3, ge=0)
    active: bool = True
    matching_consent: bool = False
    certificate_of_conduct: bool = False


class VolunteerCertificateExpiring(EventData):
    """A volunteer's certificate of conduct (VOG) runs out soon, or ran out today (then it
    no longer counts for matching: a `volunteer.profile_updated` says so beside it). Once per
    stage per certificate; the dates are the certificate's, never who the volunteer is."""

    TYPE = "volunteer.certificate_expiring"
    member_id: str
    expires_on: date
    expired: bool = False
    cooperative_id: str | None = Field(
        default=None, description="whose coordinators are told (the most local with any)"
    )


class OfferPublished(EventData):
    """An organisation's standing offer (a shop delivering groceries, a repair café)."""

    TYPE = "offer.published"
    offer_id: str
    organisation_id: str
    categories: list[Category]


# ---------------------------------------------------------------- matching


class RequestCreated(EventData):
    """A resident asked for help (area = their neighbourhood); the description stays in matching."""

    TYPE = "request.created"
    request_id: str
    requester_id: str
    category: Category
    needed_from: UtcTime | None = None
    needed_until: UtcTime | None = None
    urgent: bool = False
    languages: list[str] = Field(default_factory=lambda: ["nl"])
    entered_by: str | None = None


class RequestCancelled(EventData):
    """The requester or a coordinator cancelled a request before it was done."""

    TYPE = "request.cancelled"
    request_id: str
    cancelled_by: str | None = None


class MatchProposed(EventData):
    """A volunteer was asked to help with a request; the offer stands until expires_at."""

    TYPE = "match.proposed"
    proposal_id: str
    request_id: str
    volunteer_id: str
    category: Category
    round: int
    urgent: bool = False
    expires_at: UtcTime
    needed_from: UtcTime | None = None
    needed_until: UtcTime | None = None
    distance_km: float | None = Field(
        default=None,
        ge=0,
        le=1000,
        description="about how far the request's neighbourhood lies from the volunteer's "
        "(between the neighbourhoods' centres, one decimal; never an address)",
    )


class _ProposalOutcome(EventData):
    proposal_id: str
    request_id: str
    volunteer_id: str


class MatchAccepted(_ProposalOutcome):
    """The volunteer said yes (the first yes wins)."""

    TYPE = "match.accepted"


class MatchDeclined(_ProposalOutcome):
    """The volunteer said no."""

    TYPE = "match.declined"


class MatchExpired(_ProposalOutcome):
    """The volunteer did not answer in time."""

    TYPE = "match.expired"


class MatchWithdrawn(_ProposalOutcome):
    """Someone else accepted first, or the request ended: the proposal no longer stands."""

    TYPE = "match.withdrawn"


class RequestMatched(EventData):
    """A volunteer will help: by accepting a proposal or matched by hand by a coordinator."""

    TYPE = "request.matched"
    request_id: str
    requester_id: str
    volunteer_id: str
    matched_by: str | None = None  # a coordinator's id when matched by hand


class RequestEscalated(EventData):
    """Nobody could be found: the request goes to the coordinators of the most local cooperative."""

    TYPE = "request.escalated"
    request_id: str
    cooperative_id: str | None
    reason: Literal[
        "no_candidates", "rounds_exhausted", "declined_by_all", "manual", "no_matching_consent"
    ]
    rounds: int = 0


class RequestCompleted(EventData):
    """The help was given; hours spent and an optional score (1-5)."""

    TYPE = "request.completed"
    request_id: str
    requester_id: str
    volunteer_id: str | None
    hours: float | None = None
    score: int | None = Field(default=None, ge=1, le=5)


class RequestExpired(EventData):
    """The needed-by time passed without a match."""

    TYPE = "request.expired"
    request_id: str


# ---------------------------------------------------------------- notify


class NotificationSent(EventData):
    """A message reached a member over a channel."""

    TYPE = "notification.sent"
    notification_id: str
    recipient_id: str
    template: str
    channel: str


class NotificationFailed(EventData):
    """A message could not be delivered over any channel of the member."""

    TYPE = "notification.failed"
    notification_id: str
    recipient_id: str
    template: str
    channel: str
    reason: str


EVENT_TYPES: dict[str, type[EventData]] = {
    model.TYPE: model
    for model in (
        CooperativeCreated,
        CooperativeUpdated,
        MemberRegistered,
        MemberUpdated,
        MemberErased,
        VolunteerProfileUpdated,
        VolunteerCertificateExpiring,
        OfferPublished,
        RequestCreated,
        RequestCancelled,
        MatchProposed,
        MatchAccepted,
        MatchDeclined,
        MatchExpired,
        MatchWithdrawn,
        RequestMatched,
        RequestEscalated,
        RequestCompleted,
        RequestExpired,
        NotificationSent,
        NotificationFailed,
    )
}


# Which service publishes which events (the AsyncAPI documents are generated from this).
PUBLISHED_BY: dict[str, tuple[type[EventData], ...]] = {
    "registry": (
        CooperativeCreated,
        CooperativeUpdated,
        MemberRegistered,
        MemberUpdated,
        MemberErased,
        VolunteerProfileUpdated,
        VolunteerCertificateExpiring,
        OfferPublished,
    ),
    "matching": (
        RequestCreated,
        RequestCancelled,
        MatchProposed,
        MatchAccepted,
        MatchDeclined,
        MatchExpired,
        MatchWithdrawn,
        RequestMatched,
        RequestEscalated,
        RequestCompleted,
        RequestExpired,
    ),
    "notify": (NotificationSent, NotificationFailed),
}


def typed_envelope(model: builtins.type[EventData]) -> builtins.type[Envelope]:
    """The envelope of one event type with its payload schema (for AsyncAPI and docs)."""
    event_type: Any = Literal[model.TYPE]
    return create_model(
        f"{model.__name__}Event",
        __base__=Envelope,
        __doc__=model.__doc__ or f"`{model.TYPE}`",
        type=(event_type, model.TYPE),
        version=(int, model.VERSION),
        data=(model, ...),
    )
