"""A help request's life as a pure model: no I/O, time passed in.

States: open -> proposed -> matched -> done; open|proposed -> escalated -> (by hand) matched;
cancelled from any state before done; expired when the needed-by time passes unmatched.

Every command on `HelpRequest` either raises a `DomainError` and changes nothing, or changes the
request and appends the events that announce the change to `request.events` (or, repeating an
answer a volunteer gave already, changes nothing and appends nothing: answers are idempotent):
- each change of the request's state is announced by exactly one `request.*` event, except
  open/proposed -> proposed, which the round's `match.proposed` events announce;
- each change of a proposal's state is announced by exactly one `match.*` event.
Feedback after the help (`give_feedback`) changes no state and is announced by no event: its
score counts only in the anonymous figures, and its comment never leaves matching except to
coordinators.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from shared.areas import AreaRef
from shared.categories import Category
from shared.contracts.matching import (
    SCORE_GOOD,
    EscalationReason,
    FeedbackSide,
    ProposalState,
    RequestState,
)
from shared.errors import Conflict, Forbidden, Invalid
from shared.events import (
    EventData,
    MatchAccepted,
    MatchDeclined,
    MatchExpired,
    MatchingPolicy,
    MatchProposed,
    MatchWithdrawn,
    RequestCancelled,
    RequestCompleted,
    RequestCreated,
    RequestEscalated,
    RequestExpired,
    RequestMatched,
)
from shared.ids import new_id

from .proposals import Proposal, offer_time, reachable_from

PROPOSAL_OUTCOME_EVENTS: dict[str, Callable[..., EventData]] = {
    "accepted": MatchAccepted,
    "declined": MatchDeclined,
    "expired": MatchExpired,
    "withdrawn": MatchWithdrawn,
}
FINAL: frozenset[RequestState] = frozenset({"done", "cancelled", "expired"})
UNMATCHED: frozenset[RequestState] = frozenset({"open", "proposed", "escalated"})
# A flexible request without a needed-by time expires after this long unmatched.
FLEXIBLE_EXPIRY = timedelta(days=30)


class DomainError(Exception):
    """Base of the matching domain's errors (each is also a typed RPC error)."""


class IllegalTransition(DomainError, Conflict):
    """The request's state does not allow this command."""

    def __init__(self, message: str, *, reason: str = "illegal_transition") -> None:
        Conflict.__init__(self, message, details={"reason": reason})


class NotAllowed(DomainError, Forbidden):
    """The acting member may not do this to this request."""


class BadCommand(DomainError, Invalid):
    """The command itself is wrong (bad numbers, unknown volunteer)."""


@dataclass
class HelpRequest:
    id: str
    requester_id: str
    category: Category
    description: str | None
    area: AreaRef
    created_at: datetime
    needed_from: datetime | None = None
    needed_until: datetime | None = None
    flexible: bool = False
    urgent: bool = False
    languages: list[str] = field(default_factory=lambda: ["nl"])
    entered_by: str | None = None
    state: RequestState = "open"
    round: int = 0
    expires_at: datetime | None = None
    matched_volunteer_id: str | None = None
    matched_at: datetime | None = None
    matched_by: str | None = None
    escalated_at: datetime | None = None
    escalation_reason: EscalationReason | None = None
    escalated_to: str | None = None
    completed_at: datetime | None = None
    hours: float | None = None
    # The requester's feedback (score, comment, when) and the volunteer's: one each.
    score: int | None = None
    comment: str | None = None
    requester_feedback_at: datetime | None = None
    volunteer_score: int | None = None
    volunteer_comment: str | None = None
    volunteer_feedback_at: datetime | None = None
    closed_by: str | None = None
    note: str | None = None
    cancelled_at: datetime | None = None
    cancelled_by: str | None = None
    round_deadline: datetime | None = None
    proposals: list[Proposal] = field(default_factory=list)
    version: int = 0
    events: list[EventData] = field(default_factory=list, repr=False)

    # -- creation ---------------------------------------------------------------

    @classmethod
    def open(
        cls,
        *,
        requester_id: str,
        category: Category,
        description: str,
        area: AreaRef,
        now: datetime,
        needed_from: datetime | None = None,
        needed_until: datetime | None = None,
        flexible: bool = False,
        urgent: bool = False,
        languages: list[str] | None = None,
        entered_by: str | None = None,
        request_id: str | None = None,
    ) -> HelpRequest:
        if not description.strip():
            raise BadCommand("describe what help is needed")
        if not flexible and (needed_from is None or needed_until is None):
            raise BadCommand("give a window (needed_from, needed_until) or mark it flexible")
        if needed_from and needed_until and needed_until <= needed_from:
            raise BadCommand("needed_until must be after needed_from")
        if needed_until is not None and needed_until <= now:
            raise BadCommand("needed_until lies in the past")
        if area.district is None:
            raise BadCommand("the request needs the requester's neighbourhood, or district")
        request = cls(
            id=request_id or new_id(),
            requester_id=requester_id,
            category=category,
            description=description.strip(),
            area=area,
            created_at=now,
            needed_from=needed_from,
            needed_until=needed_until,
            flexible=flexible,
            urgent=urgent,
            languages=list(languages or ["nl"]),
            entered_by=entered_by,
            expires_at=needed_until or now + FLEXIBLE_EXPIRY,
        )
        request.events.append(
            RequestCreated(
                request_id=request.id,
                requester_id=requester_id,
                category=category,
                needed_from=needed_from,
                needed_until=needed_until,
                urgent=urgent,
                languages=request.languages,
                entered_by=entered_by,
            )
        )
        return request

    # -- queries ----------------------------------------------------------------

    @property
    def final(self) -> bool:
        return self.state in FINAL

    def pending_proposals(self) -> list[Proposal]:
        return [p for p in self.proposals if p.pending]

    def proposed_to(self) -> set[str]:
        return {p.volunteer_id for p in self.proposals}

    def proposal(self, proposal_id: str) -> Proposal:
        for p in self.proposals:
            if p.id == proposal_id:
                return p
        raise BadCommand(f"proposal {proposal_id} is not part of request {self.id}")

    def accepted_proposal(self) -> Proposal | None:
        for p in self.proposals:
            if p.state == "accepted":
                return p
        return None

    def side_of(self, member_id: str) -> FeedbackSide:
        """Which side of the help this member is on (who entered it speaks for the requester)."""
        if member_id in (self.requester_id, self.entered_by):
            return "requester"
        if member_id == self.matched_volunteer_id:
            return "volunteer"
        raise NotAllowed("only the requester or the matched volunteer can give feedback")

    def feedback_given(self, side: FeedbackSide) -> bool:
        given = self.requester_feedback_at if side == "requester" else self.volunteer_feedback_at
        return given is not None

    def feedback_sides(self) -> list[FeedbackSide]:
        sides: tuple[FeedbackSide, ...] = ("requester", "volunteer")
        return [s for s in sides if self.feedback_given(s)]

    def ratings(self) -> list[int]:
        """The scores given, from either side (for the anonymous figures)."""
        return [s for s in (self.score, self.volunteer_score) if s is not None]

    def round_finished(self, now: datetime) -> bool:
        """No proposal of the current round can still be accepted."""
        return self.state == "proposed" and not any(
            p.pending and p.expires_at > now for p in self.proposals
        )

    def may_read(self, actor_id: str) -> bool:
        if actor_id in (self.requester_id, self.entered_by, self.matched_volunteer_id):
            return True
        return any(
            p.volunteer_id == actor_id and p.state in ("pending", "accepted")
            for p in self.proposals
        )

    # -- commands ---------------------------------------------------------------

    def _require(self, allowed: frozenset[str] | set[str], action: str) -> None:
        if self.state not in allowed:
            reason = "already_matched" if self.state == "matched" else "illegal_transition"
            raise IllegalTransition(
                f"cannot {action} a request that is {self.state}", reason=reason
            )

    def propose(
        self,
        volunteer_ids: list[str],
        *,
        now: datetime,
        policy: MatchingPolicy,
        distances: Mapping[str, float | None] | None = None,
        zone: str | None = None,
    ) -> list[Proposal]:
        """Start the next round: propose to these volunteers at once (`distances`: how far
        each lives from the request, km, to tell them; `zone`: the cooperative's time zone,
        whose night a non-urgent offer waits out)."""
        self._require({"open", "proposed"}, "propose")
        if not volunteer_ids:
            raise BadCommand("a round needs at least one volunteer")
        if self.state == "proposed" and not self.round_finished(now):
            raise IllegalTransition("the current round is still running", reason="round_running")
        if len(set(volunteer_ids)) != len(volunteer_ids):
            raise BadCommand("a volunteer appears twice in one round")
        if self.requester_id in volunteer_ids:
            raise BadCommand("the requester cannot help themselves")
        if again := set(volunteer_ids) & self.proposed_to():
            raise BadCommand(f"already proposed to {sorted(again)}")
        if self.round >= policy.max_rounds:
            raise IllegalTransition("all rounds are used", reason="rounds_exhausted")
        self.round += 1
        asked_from = now if self.urgent else reachable_from(now, zone)
        expires_at = asked_from + offer_time(policy, self.urgent)
        if self.expires_at is not None:
            expires_at = min(expires_at, max(self.expires_at, now))
        made = []
        for volunteer_id in volunteer_ids:
            proposal = Proposal(
                id=new_id(),
                request_id=self.id,
                volunteer_id=volunteer_id,
                round=self.round,
                state="pending",
                proposed_at=now,
                expires_at=expires_at,
            )
            self.proposals.append(proposal)
            made.append(proposal)
            self.events.append(
                MatchProposed(
                    proposal_id=proposal.id,
                    request_id=self.id,
                    volunteer_id=volunteer_id,
                    category=self.category,
                    round=self.round,
                    urgent=self.urgent,
                    expires_at=expires_at,
                    needed_from=self.needed_from,
                    needed_until=self.needed_until,
                    distance_km=(distances or {}).get(volunteer_id),
                )
            )
        self.state = "proposed"
        self.round_deadline = expires_at
        return made

    def _close_proposal(self, proposal: Proposal, state: ProposalState, now: datetime) -> None:
        event = PROPOSAL_OUTCOME_EVENTS[state]
        proposal.state = state
        proposal.answered_at = now
        self.events.append(
            event(
                proposal_id=proposal.id,
                request_id=self.id,
                volunteer_id=proposal.volunteer_id,
            )
        )

    def _withdraw_pending(self, now: datetime) -> None:
        for p in self.pending_proposals():
            self._close_proposal(p, "withdrawn", now)
        self.round_deadline = None

    def _answerable(
        self, proposal_id: str, volunteer_id: str, answer: ProposalState, now: datetime
    ) -> Proposal | None:
        """The proposal to answer; None when it has this very answer already (a repeat, e.g.
        after a reply that never arrived: nothing changes and it is no error)."""
        proposal = self.proposal(proposal_id)
        if proposal.volunteer_id != volunteer_id:
            raise NotAllowed("this proposal was made to another volunteer")
        if proposal.state == answer:
            return None
        if proposal.state in ("accepted", "declined"):
            raise IllegalTransition(
                f"this proposal was {proposal.state} already", reason="answered"
            )
        if self.state == "matched" and proposal.state != "pending":
            raise IllegalTransition("this request has been matched", reason="already_matched")
        if proposal.state != "pending":
            raise IllegalTransition(f"this proposal is {proposal.state}", reason="proposal_closed")
        if proposal.expires_at <= now:
            raise IllegalTransition("this proposal has expired", reason="proposal_closed")
        self._require({"proposed"}, "answer a proposal of")
        return proposal

    def accept(self, proposal_id: str, volunteer_id: str, *, now: datetime) -> bool:
        """The first accept wins; the others are withdrawn. False: accepted already by this
        volunteer, nothing changed."""
        proposal = self._answerable(proposal_id, volunteer_id, "accepted", now)
        if proposal is None:
            return False
        self._close_proposal(proposal, "accepted", now)
        self._withdraw_pending(now)
        self._matched(volunteer_id, now, matched_by=None)
        return True

    def decline(self, proposal_id: str, volunteer_id: str, *, now: datetime) -> bool:
        """False: declined already, nothing changed."""
        proposal = self._answerable(proposal_id, volunteer_id, "declined", now)
        if proposal is None:
            return False
        self._close_proposal(proposal, "declined", now)
        if not self.pending_proposals():
            self.round_deadline = now  # the round is over: the next one may start at once
        return True

    def expire_round(self, *, now: datetime) -> None:
        """The offer time passed: the round's unanswered proposals expire."""
        for p in self.pending_proposals():
            if p.expires_at <= now:
                self._close_proposal(p, "expired", now)

    def _matched(self, volunteer_id: str, now: datetime, *, matched_by: str | None) -> None:
        self.state = "matched"
        self.matched_volunteer_id = volunteer_id
        self.matched_at = now
        self.matched_by = matched_by
        self.round_deadline = None
        self.events.append(
            RequestMatched(
                request_id=self.id,
                requester_id=self.requester_id,
                volunteer_id=volunteer_id,
                matched_by=matched_by,
            )
        )

    def escalate(
        self,
        reason: EscalationReason,
        *,
        cooperative_id: str | None,
        now: datetime,
    ) -> None:
        self._require({"open", "proposed"}, "escalate")
        self.expire_round(now=now)
        self._withdraw_pending(now)
        self.state = "escalated"
        self.escalated_at = now
        self.escalation_reason = reason
        self.escalated_to = cooperative_id
        self.events.append(
            RequestEscalated(
                request_id=self.id,
                cooperative_id=cooperative_id,
                reason=reason,
                rounds=self.round,
            )
        )

    def match_by_hand(self, volunteer_id: str, *, coordinator_id: str, now: datetime) -> None:
        self._require(UNMATCHED, "match")
        if volunteer_id == self.requester_id:
            raise BadCommand("the requester cannot help themselves")
        self._withdraw_pending(now)
        self._matched(volunteer_id, now, matched_by=coordinator_id)

    def reassign(self, volunteer_id: str, *, coordinator_id: str, now: datetime) -> None:
        """A coordinator hands a matched request to another volunteer."""
        self._require({"matched"}, "reassign")
        if volunteer_id == self.requester_id:
            raise BadCommand("the requester cannot help themselves")
        if volunteer_id == self.matched_volunteer_id:
            raise BadCommand("this volunteer already helps with this request")
        if accepted := self.accepted_proposal():
            self._close_proposal(accepted, "withdrawn", now)
        self._matched(volunteer_id, now, matched_by=coordinator_id)

    def cancel(self, *, by: str | None, now: datetime, note: str | None = None) -> None:
        self._require({"open", "proposed", "matched", "escalated"}, "cancel")
        self._withdraw_pending(now)
        if self.state == "matched" and (accepted := self.accepted_proposal()):
            self._close_proposal(accepted, "withdrawn", now)
        self.state = "cancelled"
        self.cancelled_at = now
        self.cancelled_by = by
        if note is not None:
            self.note = note
        self.events.append(RequestCancelled(request_id=self.id, cancelled_by=by))

    def complete(
        self,
        *,
        by: str,
        now: datetime,
        hours: float | None = None,
        score: int | None = None,
        comment: str | None = None,
    ) -> None:
        """The requester (or who entered it) or the matched volunteer marks it done."""
        if by not in (self.requester_id, self.entered_by, self.matched_volunteer_id):
            raise NotAllowed("only the requester or the matched volunteer can mark it done")
        self._require({"matched"}, "complete")
        if hours is not None and hours < 0:
            raise BadCommand("hours cannot be negative")
        check_score(score)
        self._done(now, hours=hours, score=score)
        if score is not None or (comment and comment.strip()):
            self._feedback(self.side_of(by), score, comment, now)

    def give_feedback(
        self, *, by: str, score: int | None, comment: str | None, now: datetime
    ) -> FeedbackSide:
        """Once the help is done (closed by either side or a coordinator), each side may say
        how it went, once: a score of 1 to 5 and/or a comment."""
        side = self.side_of(by)
        self._require({"done"}, "give feedback on")
        if self.feedback_given(side):
            raise IllegalTransition("feedback was given already", reason="feedback_given")
        check_score(score)
        if score is None and not (comment and comment.strip()):
            raise BadCommand("give a score or a comment")
        self._feedback(side, score, comment, now)
        return side

    def _feedback(
        self, side: FeedbackSide, score: int | None, comment: str | None, now: datetime
    ) -> None:
        text = comment.strip() if comment and comment.strip() else None
        if side == "requester":
            self.score, self.comment, self.requester_feedback_at = score, text, now
        else:
            self.volunteer_score, self.volunteer_comment = score, text
            self.volunteer_feedback_at = now

    def close(
        self, *, coordinator_id: str, note: str, now: datetime, hours: float | None = None
    ) -> None:
        """A coordinator closes it as done with a note (e.g. help arranged elsewhere)."""
        self._require({"open", "proposed", "matched", "escalated"}, "close")
        if not note.strip():
            raise BadCommand("closing needs a note")
        self._withdraw_pending(now)
        self.closed_by = coordinator_id
        self.note = note.strip()
        self._done(now, hours=hours, score=None)

    def _done(self, now: datetime, *, hours: float | None, score: int | None) -> None:
        self.state = "done"
        self.completed_at = now
        self.hours = hours
        self.round_deadline = None
        self.events.append(
            RequestCompleted(
                request_id=self.id,
                requester_id=self.requester_id,
                volunteer_id=self.matched_volunteer_id,
                hours=hours,
                score=score,
            )
        )

    def expire(self, *, now: datetime) -> None:
        """The needed-by time passed while unmatched."""
        self._require(UNMATCHED, "expire")
        if self.expires_at is None or self.expires_at > now:
            raise IllegalTransition("the request has not reached its needed-by time")
        for p in self.pending_proposals():
            self._close_proposal(p, "expired", now)
        self.round_deadline = None
        self.state = "expired"
        self.events.append(RequestExpired(request_id=self.id))

    def pop_events(self) -> list[EventData]:
        events, self.events = self.events, []
        return events

    # -- erasure ----------------------------------------------------------------

    def volunteer_paused(self, volunteer_id: str, *, now: datetime) -> bool:
        """A volunteer paused (or withdrew consent): their open proposals are withdrawn, so the
        round can go on without them; a request they already took stays theirs. True when a
        proposal was withdrawn."""
        mine = [p for p in self.pending_proposals() if p.volunteer_id == volunteer_id]
        for p in mine:
            self._close_proposal(p, "withdrawn", now)
        if mine and not self.pending_proposals() and self.state == "proposed":
            self.round_deadline = now
        return bool(mine)

    def volunteer_left(
        self, volunteer_id: str, *, cooperative_id: str | None, now: datetime
    ) -> None:
        """A volunteer was erased or stopped: their open proposals are withdrawn, and a request
        they were matched to goes to the coordinators."""
        for p in self.pending_proposals():
            if p.volunteer_id == volunteer_id:
                self._close_proposal(p, "withdrawn", now)
        if not self.pending_proposals() and self.state == "proposed":
            self.round_deadline = now
        if self.state == "matched" and self.matched_volunteer_id == volunteer_id:
            if accepted := self.accepted_proposal():
                self._close_proposal(accepted, "withdrawn", now)
            self.state = "escalated"
            self.escalated_at = now
            self.escalation_reason = "manual"
            self.escalated_to = cooperative_id
            self.events.append(
                RequestEscalated(
                    request_id=self.id,
                    cooperative_id=cooperative_id,
                    reason="manual",
                    rounds=self.round,
                )
            )

    def anonymise_requester(self, pseudonym: str) -> None:
        """Erasure: keep category, area and times; drop who asked and what they wrote."""
        self.requester_id = pseudonym
        if self.entered_by is not None:
            self.entered_by = None
        self.description = None
        self.comment = None
        self.volunteer_comment = None  # what the volunteer wrote may be about them
        self.note = None

    def anonymise_volunteer(self, volunteer_id: str, pseudonym: str) -> int:
        changed = 0
        for p in self.proposals:
            if p.volunteer_id == volunteer_id:
                p.volunteer_id = pseudonym
                changed += 1
        if self.matched_volunteer_id == volunteer_id:
            self.matched_volunteer_id = pseudonym
            self.volunteer_comment = None
        return changed


def check_score(score: int | None) -> None:
    if score is not None and not 1 <= score <= 5:
        raise BadCommand("a score is 1 to 5")


def is_good(score: int) -> bool:
    return score >= SCORE_GOOD
