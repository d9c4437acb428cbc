"""Public RPC verbs of the matching service (`samen.rpc.matching.<verb>`) and their models.

Authorisation: the gateway authenticates; matching checks what the acting member may do.
- Requests carry `actor_id`: the member on whose behalf the gateway acts.
- A requester (or the coordinator who entered the request on their behalf) may read, cancel
  and complete their request; the matched volunteer may read and complete it; a volunteer with
  a proposal may read it while the proposal is open.
- Coordinator verbs carry `coordinator_id` and `area_codes`: the CBS codes of the areas of the
  coordinator's cooperatives, which the gateway takes from the registry. Matching refuses
  (`forbidden`) any request whose neighbourhood lies outside those areas.

Errors: `invalid` (bad input, `details.errors` per field), `not_found`, `forbidden`, and
`conflict` for a transition the request's state does not allow (e.g. an accept after another
volunteer's: `details.reason = "already_matched"`, a withdrawn or expired proposal:
`details.reason = "proposal_closed"`, the other answer to a proposal answered already:
`details.reason = "answered"`).

Answers are idempotent: `proposal.accept` on a proposal this volunteer accepted already (or
`proposal.decline` on one they declined) changes nothing, sends no event and returns the same
`ProposalView`, so a caller that never got the reply (timeout) may simply ask again.

Free-text descriptions, comments and notes travel only over these verbs, never in events.
"""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, model_validator

from shared.categories import Category
from shared.contracts.bounds import FEW, MANY, SOME, Code, Distinct, Id, Key, Text, UtcTime
from shared.contracts.verbs import MemberQuery as MemberQuery
from shared.contracts.verbs import StrictRequest, Verb

RequestState = Literal["open", "proposed", "matched", "done", "escalated", "cancelled", "expired"]
REQUEST_STATES: tuple[RequestState, ...] = (
    "open",
    "proposed",
    "matched",
    "done",
    "escalated",
    "cancelled",
    "expired",
)
FINAL_STATES: frozenset[str] = frozenset({"done", "cancelled", "expired"})
ProposalState = Literal["pending", "accepted", "declined", "expired", "withdrawn"]
# no_matching_consent: the requester did not agree to automatic matching, so a coordinator
# handles the request by hand.
EscalationReason = Literal[
    "no_candidates",
    "rounds_exhausted",
    "declined_by_all",
    "manual",
    "no_matching_consent",
]

# Who gives feedback on help that was given: the requester (or who entered the request for
# them) and the matched volunteer, once each. A score of SCORE_GOOD or more counts as "good".
FeedbackSide = Literal["requester", "volunteer"]
SCORE_GOOD = 4

DESCRIPTION_MAX = 2000
NOTE_MAX = 2000
IDEMPOTENCY_KEY_MAX = 64

IdempotencyKey = Annotated[
    str,
    Field(
        min_length=1,
        max_length=IDEMPOTENCY_KEY_MAX,
        pattern=r"^[\x21-\x7e]+$",  # printable ASCII without spaces (a UUID, say)
        description="printable ASCII, 1-64 characters",
    ),
]


# ----------------------------------------------------------------- requests


class RequestCreate(StrictRequest):
    """Ask for help. Either a window (`needed_from` .. `needed_until`) or `flexible`.

    `flexible` with a `needed_until` means "any time before then". The request's area is the
    requester's home neighbourhood as matching knows it from the registry's events; a
    coordinator entering it on someone's behalf (`entered_by`, with `area_codes` of their
    cooperatives) may give the `neighbourhood` instead.
    """

    requester_id: Id
    category: Category
    description: str = Field(min_length=1, max_length=DESCRIPTION_MAX)
    needed_from: UtcTime | None = None
    needed_until: UtcTime | None = None
    flexible: bool = False
    urgent: bool = False
    languages: Annotated[list[Code], Distinct] = Field(
        max_length=FEW, default_factory=lambda: ["nl"], min_length=1
    )
    entered_by: Id | None = Field(default=None, description="coordinator acting for requester")
    area_codes: list[Code] = Field(
        max_length=SOME,
        default_factory=list,
        description="the entering coordinator's areas (with entered_by)",
    )
    neighbourhood: Code | None = Field(
        default=None, description="BU code; only a coordinator may set it"
    )
    idempotency_key: IdempotencyKey | None = Field(
        default=None,
        description="the client's Idempotency-Key: a create sent again with the same key (and "
        "requester) returns the request the first one made instead of making another",
    )

    @model_validator(mode="after")
    def _window(self) -> "RequestCreate":
        if not self.flexible and (self.needed_from is None or self.needed_until is None):
            raise ValueError("give needed_from and needed_until, or mark the request flexible")
        if (
            self.needed_from is not None
            and self.needed_until is not None
            and self.needed_until <= self.needed_from
        ):
            raise ValueError("needed_until must be after needed_from")
        for moment in (self.needed_from, self.needed_until):
            if moment is not None and moment.tzinfo is None:
                raise ValueError("times need a time zone (ISO 8601 with offset)")
        return self


class RequestQuery(StrictRequest):
    request_id: Id
    actor_id: Id
    area_codes: list[Code] = Field(
        max_length=SOME,
        default_factory=list,
        description="when the actor looks as a coordinator: their areas",
    )


class ProposalView(BaseModel):
    proposal_id: Id
    request_id: Id
    volunteer_id: Id
    state: ProposalState
    round: int
    category: Category
    urgent: bool
    needed_from: datetime | None
    needed_until: datetime | None
    flexible: bool
    neighbourhood: Code | None
    proposed_at: datetime
    expires_at: datetime
    answered_at: datetime | None = None
    description: Text | None = Field(
        default=None, description="shown to the volunteer while pending and once accepted"
    )
    distance_km: float | None = Field(
        default=None,
        ge=0,
        le=1000,
        description="about how far the request's neighbourhood lies from the volunteer's "
        "(between the neighbourhoods' centres; never an address)",
    )


class FeedbackView(BaseModel):
    """One side's feedback; the comment and score only for coordinators."""

    side: FeedbackSide
    given_at: datetime
    score: int | None = Field(default=None, ge=1, le=5)
    comment: Text | None = None


class RequestView(BaseModel):
    request_id: Id
    requester_id: Id
    category: Category
    description: Text | None = Field(description="None once the requester has been erased")
    state: RequestState
    needed_from: datetime | None
    needed_until: datetime | None
    flexible: bool
    urgent: bool
    languages: list[Code] = Field(max_length=FEW)
    neighbourhood: Code | None
    district: Code | None
    municipality: Code | None
    entered_by: Id | None
    created_at: datetime
    expires_at: datetime | None
    round: int
    matched_volunteer_id: Id | None
    matched_at: datetime | None
    matched_by: Id | None = Field(description="coordinator id when matched by hand")
    escalated_at: datetime | None
    escalation_reason: EscalationReason | None
    escalated_to: Id | None = Field(description="cooperative whose coordinators picked it up")
    completed_at: datetime | None
    hours: float | None
    score: int | None
    comment: Text | None
    closed_by: Id | None
    note: Text | None
    cancelled_at: datetime | None
    cancelled_by: Id | None
    proposals: list[ProposalView] = Field(
        max_length=MANY,
        default_factory=list,
        description="all for coordinators and the requester; a volunteer sees their own",
    )
    feedback: list[FeedbackView] = Field(
        max_length=FEW,
        default_factory=list,
        description="the feedback given (one per side); score and comment only for "
        "coordinators, the others see which sides gave it",
    )


class RequestSummary(BaseModel):
    request_id: Id
    requester_id: Id
    category: Category
    state: RequestState
    urgent: bool
    needed_from: datetime | None
    needed_until: datetime | None
    flexible: bool
    neighbourhood: Code | None
    created_at: datetime
    matched_volunteer_id: Id | None
    escalated_at: datetime | None
    escalation_reason: EscalationReason | None
    entered_by: Id | None
    round: int


class MyRequestsQuery(StrictRequest):
    member_id: Id
    role: Literal["requester", "volunteer"] = Field(
        default="requester", description="requests I asked / requests I help with (matched)"
    )
    states: list[RequestState] | None = Field(default=None, max_length=FEW)
    limit: int = Field(default=100, ge=1, le=500)


class RequestList(BaseModel):
    requests: list[RequestSummary] = Field(max_length=MANY)


class RequestCancel(StrictRequest):
    request_id: Id
    actor_id: Id


class RequestComplete(StrictRequest):
    """The requester or the matched volunteer marks the help done."""

    request_id: Id
    actor_id: Id
    hours: float | None = Field(default=None, ge=0, le=24 * 7)
    score: int | None = Field(default=None, ge=1, le=5)
    comment: str | None = Field(default=None, max_length=NOTE_MAX)


class RequestFeedback(StrictRequest):
    """After the help (`done`, closed by either side or a coordinator): the requester or the
    matched volunteer says how it went, once each. A score, a comment or both."""

    request_id: Id
    actor_id: Id
    score: int | None = Field(default=None, ge=1, le=5, description="1 (bad) to 5 (very good)")
    comment: str | None = Field(default=None, max_length=NOTE_MAX)


class NoticeBoardQuery(StrictRequest):
    area_code: Code = Field(description="GM, WK or BU code")


class NoticeItem(BaseModel):
    """One open request as the notice board shows it: category and days, never names."""

    category: Category
    neighbourhood: Code | None
    needed_from: datetime | None
    needed_until: datetime | None
    flexible: bool
    urgent: bool


class NoticeBoard(BaseModel):
    area_code: Code
    items: list[NoticeItem] = Field(max_length=MANY)


# ----------------------------------------------------------------- proposals


class ProposalQuery(StrictRequest):
    volunteer_id: Id
    states: list[ProposalState] | None = Field(
        max_length=FEW, default=None, description="default: all"
    )
    limit: int = Field(default=100, ge=1, le=500)


class ProposalList(BaseModel):
    proposals: list[ProposalView] = Field(max_length=MANY)


class ProposalAnswer(StrictRequest):
    """Accept or decline; `volunteer_id` must be the proposal's volunteer."""

    proposal_id: Id
    volunteer_id: Id


# ----------------------------------------------------------------- coordinators


class _CoordinatorRequest(StrictRequest):
    coordinator_id: Id
    area_codes: list[Code] = Field(
        max_length=SOME, min_length=1, description="the coordinator's areas (CBS codes)"
    )


class BoardQuery(_CoordinatorRequest):
    states: list[RequestState] | None = Field(
        max_length=FEW, default=None, description="default: open, proposed, escalated, matched"
    )
    limit: int = Field(default=200, ge=1, le=1000, description="per state")


class Board(BaseModel):
    """Requests in the coordinator's areas by state, urgent ones first; then `escalated`
    oldest escalation first, the others oldest first."""

    area_codes: list[Code] = Field(max_length=SOME)
    requests: dict[RequestState, Annotated[list[RequestSummary], Field(max_length=MANY)]] = Field(
        max_length=FEW
    )
    counts: dict[RequestState, int] = Field(max_length=FEW)


class CandidatesQuery(_CoordinatorRequest):
    """Volunteers a coordinator might match by hand: everyone in the request's municipality
    who offers the category and is available, nearest first (radius and rounds ignored)."""

    request_id: Id
    limit: int = Field(default=20, ge=1, le=200)


class Candidate(BaseModel):
    """A volunteer who could take a request, with what matching weighs them by."""

    volunteer_id: Id
    neighbourhood: Code | None
    distance_km: float | None
    tier: Literal["neighbourhood", "district", "municipality", "elsewhere"]
    open_assignments: int
    assignments_recent: int
    acceptance_rate: float | None
    within_radius: bool
    already_proposed: bool


class CandidateList(BaseModel):
    """The volunteers who could take a request, best first."""

    request_id: Id
    candidates: list[Candidate] = Field(max_length=MANY)


class CoordinatorMatch(_CoordinatorRequest):
    """Match by hand (`coordinator.match`: open, proposed or escalated) or hand a matched
    request to another volunteer (`coordinator.reassign`)."""

    request_id: Id
    volunteer_id: Id


class CoordinatorCancel(_CoordinatorRequest):
    request_id: Id
    note: str | None = Field(default=None, max_length=NOTE_MAX)


class CoordinatorClose(_CoordinatorRequest):
    """Close as done with a note (e.g. help arranged outside Samen); from any open state."""

    request_id: Id
    note: str = Field(min_length=1, max_length=NOTE_MAX)
    hours: float | None = Field(default=None, ge=0, le=24 * 7)


# ----------------------------------------------------------------- reports


SUPPRESS_BELOW = 5
PERIODS_MAX = 60  # weeks of a report (a quarter has 14 at most, a page 26)


class FiguresQuery(StrictRequest):
    """Figures for the requests created in [period_from, period_until) in one area."""

    area_code: Code = Field(description="GM, WK or BU code (a cooperative's area)")
    period_from: datetime
    period_until: datetime
    periods: list[datetime] = Field(
        default_factory=list,
        max_length=PERIODS_MAX,
        description="where the parts of the period begin (e.g. each Monday): their figures are "
        "suppressed together with the whole, so no part is the whole minus the others",
    )

    @model_validator(mode="after")
    def _period(self) -> "FiguresQuery":
        if self.period_until <= self.period_from:
            raise ValueError("period_until must be after period_from")
        if any(b <= a for a, b in zip(self.periods, self.periods[1:], strict=False)):
            raise ValueError("periods must go up")
        return self


class PeriodFigures(BaseModel):
    """One part of the period (a week), suppressed together with the whole report."""

    period_from: datetime
    period_until: datetime
    requests: int | None
    residents: int | None = Field(description="distinct residents who asked")
    by_state: dict[Key, int | None] = Field(max_length=FEW)
    matched: int | None
    time_to_match_median_hours: float | None


class Figures(BaseModel):
    """Anonymous figures. A cell that describes 1-4 people (the residents who asked, or the
    volunteers) is suppressed (None), with as many more as keep it from being worked out from
    the rest; so is any rate, duration or sum computed over fewer than 5 people, or beside a
    hidden base. A count of 0 is shown."""

    area_code: Code
    period_from: datetime
    period_until: datetime
    suppress_below: int = SUPPRESS_BELOW
    requests: int | None
    by_category: dict[Key, int | None] = Field(max_length=MANY)
    by_state: dict[Key, int | None] = Field(max_length=MANY)
    by_district: dict[Key, int | None] = Field(max_length=MANY)
    matched: int | None
    match_rate: float | None = Field(description="matched / (requests - cancelled)")
    time_to_match_median_hours: float | None
    time_to_match_p90_hours: float | None
    escalations: int | None
    volunteer_hours: float | None = Field(description="hours of requests completed in period")
    active_volunteers: int | None = Field(description="distinct volunteers matched in period")
    unmet_by_neighbourhood: dict[Key, int | None] = Field(
        max_length=MANY, description="requests never matched (open, proposed, escalated or expired)"
    )
    by_neighbourhood: dict[Key, int | None] = Field(
        max_length=MANY,
        default_factory=dict,
        description="all requests per neighbourhood (for the map; suppressed below 5)",
    )
    good_ratings_share: float | None = Field(
        default=None,
        description="share of the feedback scores (both sides) that were good (4 or 5); "
        "None over fewer than 5 scores or requests",
    )
    good_ratings_by_district: dict[Key, float | None] = Field(
        max_length=MANY, default_factory=dict, description="the same share per district"
    )
    good_ratings_by_category: dict[Key, float | None] = Field(
        max_length=MANY, default_factory=dict, description="the same share per category"
    )
    residents: int | None = Field(default=None, description="distinct residents who asked")
    residents_by_category: dict[Key, int | None] = Field(max_length=MANY, default_factory=dict)
    residents_by_district: dict[Key, int | None] = Field(max_length=MANY, default_factory=dict)
    residents_by_neighbourhood: dict[Key, int | None] = Field(max_length=MANY, default_factory=dict)
    periods: list[PeriodFigures] = Field(
        max_length=PERIODS_MAX, default_factory=list, description="the parts asked for (weeks)"
    )


# ----------------------------------------------------------------- privacy


class VolunteerProfileHeld(BaseModel):
    categories: list[Code] = Field(max_length=FEW)
    radius_km: float
    languages: list[Code] = Field(max_length=FEW)
    flexible: bool
    active: bool
    matching_consent: bool


class VolunteerFeedback(BaseModel):
    request_id: Id
    given_at: datetime
    score: int | None = Field(default=None, ge=1, le=5)
    comment: Text | None = None


class MemberData(BaseModel):
    """Everything matching holds about a member (for `GET /api/v1/me/export`)."""

    member_id: Id
    neighbourhood: Code | None
    roles: list[Code] = Field(max_length=FEW)
    volunteer_profile: VolunteerProfileHeld | None
    requests: list[RequestView] = Field(max_length=MANY)
    proposals: list[ProposalView] = Field(max_length=MANY)
    helped_with: list[RequestSummary] = Field(max_length=MANY)
    feedback_as_volunteer: list[VolunteerFeedback] = Field(
        max_length=MANY,
        default_factory=list,
        description="the feedback the member gave on requests they helped with",
    )


class MemberErasure(BaseModel):
    member_id: Id
    requests_anonymised: int
    requests_cancelled: int
    proposals_anonymised: int


# ----------------------------------------------------------------- verbs
# fmt: off
_SERVICE = "matching"
REQUEST_CREATE = Verb(_SERVICE, "request.create", RequestCreate, RequestView,
    "Ask for help: stores the request and proposes it to the first volunteers.")
REQUEST_GET = Verb(_SERVICE, "request.get", RequestQuery, RequestView,
    "One request, as the acting member may see it.")
REQUEST_LIST_MINE = Verb(_SERVICE, "request.list_mine", MyRequestsQuery, RequestList,
    "Requests a member asked for (or entered), or helps with.")
REQUEST_CANCEL = Verb(_SERVICE, "request.cancel", RequestCancel, RequestView,
    "The requester cancels.")
REQUEST_COMPLETE = Verb(_SERVICE, "request.complete", RequestComplete, RequestView,
    "The requester or the volunteer marks it done, with hours and feedback.")
REQUEST_FEEDBACK = Verb(_SERVICE, "request.feedback", RequestFeedback, RequestView,
    "How it went: the requester or the matched volunteer, once each, once done.")
NOTICE_BOARD = Verb(_SERVICE, "request.notice_board", NoticeBoardQuery, NoticeBoard,
    "Open requests of an area: categories and days, never names.")
PROPOSAL_LIST_FOR_VOLUNTEER = Verb(_SERVICE, "proposal.list_for_volunteer",
    ProposalQuery, ProposalList,
    "A volunteer's proposals, newest first.")
PROPOSAL_ACCEPT = Verb(_SERVICE, "proposal.accept", ProposalAnswer, ProposalView,
    "The first accept wins; a later one is a conflict, the same one again the same view.")
PROPOSAL_DECLINE = Verb(_SERVICE, "proposal.decline", ProposalAnswer, ProposalView,
    "Decline; when the whole round declined, the next round starts at once.")
COORDINATOR_BOARD = Verb(_SERVICE, "coordinator.board", BoardQuery, Board,
    "Requests in the coordinator's areas by state, oldest escalations first.")
COORDINATOR_CANDIDATES = Verb(_SERVICE, "coordinator.candidates", CandidatesQuery, CandidateList,
    "Volunteers a coordinator might match by hand.")
COORDINATOR_MATCH = Verb(_SERVICE, "coordinator.match", CoordinatorMatch, RequestView,
    "Match by hand.")
COORDINATOR_REASSIGN = Verb(_SERVICE, "coordinator.reassign", CoordinatorMatch, RequestView,
    "Hand a matched request to another volunteer.")
COORDINATOR_CANCEL = Verb(_SERVICE, "coordinator.cancel", CoordinatorCancel, RequestView,
    "Cancel on the cooperative's behalf.")
COORDINATOR_CLOSE = Verb(_SERVICE, "coordinator.close", CoordinatorClose, RequestView,
    "Close as done with a note.")
REPORT_FIGURES = Verb(_SERVICE, "report.figures", FiguresQuery, Figures,
    "Anonymous figures of an area and period; groups under 5 suppressed.")
MEMBER_EXPORT = Verb(_SERVICE, "member.export", MemberQuery, MemberData,
    "Everything matching holds about a member.")
MEMBER_ERASE = Verb(_SERVICE, "member.erase", MemberQuery, MemberErasure,
    "Forget a member, keeping anonymous figures (also done on member.erased).")
# fmt: on
