"""Domain objects turned into the contract's reply models."""

from collections.abc import Collection

from services.matching.domain.model import HelpRequest, Proposal
from shared.contracts.matching import (
    FeedbackSide,
    FeedbackView,
    ProposalView,
    RequestSummary,
    RequestView,
)

ALL_SIDES: tuple[FeedbackSide, ...] = ("requester", "volunteer")
REQUESTER_SIDE: tuple[FeedbackSide, ...] = ("requester",)


def proposal_view(
    p: Proposal,
    request: HelpRequest,
    *,
    with_description: bool = False,
    distance_km: float | None = None,
) -> ProposalView:
    show = with_description and p.state in ("pending", "accepted")
    return ProposalView(
        proposal_id=p.id,
        request_id=request.id,
        volunteer_id=p.volunteer_id,
        state=p.state,
        round=p.round,
        category=request.category,
        urgent=request.urgent,
        needed_from=request.needed_from,
        needed_until=request.needed_until,
        flexible=request.flexible,
        neighbourhood=request.area.neighbourhood,
        proposed_at=p.proposed_at,
        expires_at=p.expires_at,
        answered_at=p.answered_at,
        description=request.description if show else None,
        distance_km=distance_km,
    )


def feedback_views(r: HelpRequest, shown: Collection[FeedbackSide]) -> list[FeedbackView]:
    """The feedback given; score and comment only of the sides in `shown`."""
    out = []
    for side, score, comment, at in (
        ("requester", r.score, r.comment, r.requester_feedback_at),
        ("volunteer", r.volunteer_score, r.volunteer_comment, r.volunteer_feedback_at),
    ):
        if at is None:
            continue
        visible = side in shown
        out.append(
            FeedbackView(
                side=side,
                given_at=at,
                score=score if visible else None,
                comment=comment if visible else None,
            )
        )
    return out


def request_view(
    r: HelpRequest, *, with_proposals: bool = False, feedback_of: Collection[FeedbackSide] = ()
) -> RequestView:
    """`feedback_of`: the sides whose feedback (score, comment) the reader may see: all for
    coordinators, their own for a participant; of the others only that it was given."""
    own = "requester" in feedback_of
    return RequestView(
        request_id=r.id,
        requester_id=r.requester_id,
        category=r.category,
        description=r.description,
        state=r.state,
        needed_from=r.needed_from,
        needed_until=r.needed_until,
        flexible=r.flexible,
        urgent=r.urgent,
        languages=list(r.languages),
        neighbourhood=r.area.neighbourhood,
        district=r.area.district,
        municipality=r.area.municipality,
        entered_by=r.entered_by,
        created_at=r.created_at,
        expires_at=r.expires_at,
        round=r.round,
        matched_volunteer_id=r.matched_volunteer_id,
        matched_at=r.matched_at,
        matched_by=r.matched_by,
        escalated_at=r.escalated_at,
        escalation_reason=r.escalation_reason,
        escalated_to=r.escalated_to,
        completed_at=r.completed_at,
        hours=r.hours,
        score=r.score if own else None,
        comment=r.comment if own else None,
        closed_by=r.closed_by,
        note=r.note,
        cancelled_at=r.cancelled_at,
        cancelled_by=r.cancelled_by,
        proposals=[proposal_view(p, r) for p in r.proposals] if with_proposals else [],
        feedback=feedback_views(r, feedback_of),
    )


def summary_of(r: HelpRequest) -> RequestSummary:
    """A request in a list."""
    return RequestSummary(
        request_id=r.id,
        requester_id=r.requester_id,
        category=r.category,
        state=r.state,
        urgent=r.urgent,
        needed_from=r.needed_from,
        needed_until=r.needed_until,
        flexible=r.flexible,
        neighbourhood=r.area.neighbourhood,
        created_at=r.created_at,
        matched_volunteer_id=r.matched_volunteer_id,
        escalated_at=r.escalated_at,
        escalation_reason=r.escalation_reason,
        entered_by=r.entered_by,
        round=r.round,
    )
