"""The event contract: one envelope, one typed payload per event type.

No personal data in events (DESIGN §5): ids, area codes, categories and times only. Names,
addresses, phone numbers, e-mail and free text travel only over request/reply.
"""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from shared.areas import AreaRef
from shared.categories import Category
from shared.clock import utcnow
from shared.ids import new_id
from shared.subjects import event_subject

Role = Literal["resident", "volunteer", "coordinator", "admin"]


class EventData(BaseModel):
    """Base of every event payload. Subclasses set TYPE ('aggregate.event') and VERSION."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    TYPE: ClassVar[str]
    VERSION: ClassVar[int] = 1


class Envelope(BaseModel):
    """What travels on samen.evt.>: DESIGN §5."""

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
    """A cooperative's matching numbers (DESIGN §6 defaults)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    proposals_per_round: int = Field(default=3, ge=1, le=20)
    offer_hours: float = Field(default=4.0, gt=0)
    urgent_offer_minutes: float = Field(default=30.0, gt=0)
    max_rounds: int = Field(default=3, ge=1, le=10)
    max_open_per_volunteer: int = Field(default=3, ge=1)
    fairness_days: int = Field(default=30, ge=1)


class CooperativeCreated(EventData):
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
    TYPE = "member.registered"
    member_id: str
    roles: list[Role]
    language: Literal["nl", "en"] = "nl"
    registered_by: str | None = None  # a coordinator registering on someone's behalf


class MemberUpdated(EventData):
    TYPE = "member.updated"
    member_id: str
    roles: list[Role]
    language: Literal["nl", "en"] = "nl"
    changed: list[str] = Field(default_factory=list)  # field names only, never values
    consents: dict[str, bool] = Field(default_factory=dict)


class MemberErased(EventData):
    TYPE = "member.erased"
    member_id: str


class AvailabilitySlot(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    weekday: int = Field(ge=0, le=6, description="0 = Monday")
    start: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    end: str = Field(pattern=r"^([01]\d|2[0-4]):[0-5]\d$")


class VolunteerProfileUpdated(EventData):
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


class OfferPublished(EventData):
    TYPE = "offer.published"
    offer_id: str
    organisation_id: str
    categories: list[Category]


# ---------------------------------------------------------------- matching


class RequestCreated(EventData):
    TYPE = "request.created"
    request_id: str
    requester_id: str
    category: Category
    needed_from: datetime | None = None
    needed_until: datetime | None = None
    urgent: bool = False
    languages: list[str] = Field(default_factory=lambda: ["nl"])
    entered_by: str | None = None


class RequestCancelled(EventData):
    TYPE = "request.cancelled"
    request_id: str
    cancelled_by: str | None = None


class MatchProposed(EventData):
    TYPE = "match.proposed"
    proposal_id: str
    request_id: str
    volunteer_id: str
    category: Category
    round: int
    urgent: bool = False
    expires_at: datetime
    needed_from: datetime | None = None
    needed_until: datetime | None = None


class _ProposalOutcome(EventData):
    proposal_id: str
    request_id: str
    volunteer_id: str


class MatchAccepted(_ProposalOutcome):
    TYPE = "match.accepted"


class MatchDeclined(_ProposalOutcome):
    TYPE = "match.declined"


class MatchExpired(_ProposalOutcome):
    TYPE = "match.expired"


class MatchWithdrawn(_ProposalOutcome):
    TYPE = "match.withdrawn"


class RequestMatched(EventData):
    TYPE = "request.matched"
    request_id: str
    requester_id: str
    volunteer_id: str
    matched_by: str | None = None  # a coordinator's id when matched by hand


class RequestEscalated(EventData):
    TYPE = "request.escalated"
    request_id: str
    cooperative_id: str | None
    reason: Literal["no_candidates", "rounds_exhausted", "declined_by_all", "manual"]
    rounds: int = 0


class RequestCompleted(EventData):
    TYPE = "request.completed"
    request_id: str
    requester_id: str
    volunteer_id: str | None
    hours: float | None = None
    score: int | None = Field(default=None, ge=1, le=5)


class RequestExpired(EventData):
    TYPE = "request.expired"
    request_id: str


# ---------------------------------------------------------------- notify


class NotificationSent(EventData):
    TYPE = "notification.sent"
    notification_id: str
    recipient_id: str
    template: str
    channel: str


class NotificationFailed(EventData):
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
