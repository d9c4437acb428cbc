"""Random sequences of commands against one help request keep the life cycle's invariants:
at most one accepted volunteer, nothing leaves done/cancelled/expired, a refused command
changes nothing, and every transition is announced by exactly one event."""

import copy
from datetime import UTC, datetime, timedelta

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from services.matching.domain.model import DomainError, HelpRequest
from shared.areas import AreaRef
from shared.categories import Category
from shared.events import MatchingPolicy

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
VOLUNTEERS = [f"v{n}" for n in range(8)]
POLICY = MatchingPolicy(proposals_per_round=2, max_rounds=3)
REQUEST_EVENT_STATE = {
    "request.matched": "matched",
    "request.escalated": "escalated",
    "request.completed": "done",
    "request.cancelled": "cancelled",
    "request.expired": "expired",
}
ROLL = st.integers(min_value=0, max_value=5)
PROPOSAL_EVENT_STATE = {
    "match.accepted": "accepted",
    "match.declined": "declined",
    "match.expired": "expired",
    "match.withdrawn": "withdrawn",
}


class HelpRequestMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = START
        self.request = HelpRequest.open(
            requester_id="req",
            category=Category.groceries,
            description="boodschappen",
            area=AreaRef.from_code("BU03440305"),
            now=self.now,
            flexible=True,
            needed_until=START + timedelta(days=2),
        )
        assert [e.TYPE for e in self.request.pop_events()] == ["request.created"]
        self.final_seen: str | None = None

    def attempt(self, command: object) -> None:
        before = copy.deepcopy(self.request)
        proposals_before = {p.id: p.state for p in before.proposals}
        try:
            command()  # type: ignore[operator]
        except DomainError:
            # A refused command changes nothing and announces nothing.
            assert self.request.events == []
            assert self.request.state == before.state
            assert {p.id: p.state for p in self.request.proposals} == proposals_before
            return
        events = self.request.pop_events()
        types = [e.TYPE for e in events]
        # Each request transition: exactly one request event naming the new state.
        request_events = [t for t in types if t in REQUEST_EVENT_STATE]
        if self.request.state != before.state or request_events:
            if self.request.state == "proposed":
                assert request_events == []
                assert "match.proposed" in types
            else:
                assert request_events == [self._state_event()]
        # Each proposal transition: exactly one match event for that proposal.
        changed = {
            p.id: p.state for p in self.request.proposals if proposals_before.get(p.id) != p.state
        }
        announced: dict[str, str] = {}
        for e in events:
            proposal_id = getattr(e, "proposal_id", None)
            if proposal_id is None:
                continue
            assert proposal_id not in announced, "two events for one proposal transition"
            announced[proposal_id] = (
                "pending" if e.TYPE == "match.proposed" else PROPOSAL_EVENT_STATE[e.TYPE]
            )
        assert announced == changed

    def _state_event(self) -> str:
        return {v: k for k, v in REQUEST_EVENT_STATE.items()}[self.request.state]

    @rule(k=st.integers(min_value=1, max_value=3))
    def propose(self, k: int) -> None:
        self.attempt(lambda: self.request.expire_round(now=self.now))
        fresh = [v for v in VOLUNTEERS if v not in self.request.proposed_to()][:k]
        self.attempt(lambda: self.request.propose(fresh, now=self.now, policy=POLICY))

    @precondition(lambda self: self.request.proposals)
    @rule(data=st.data(), accept=st.booleans(), own=st.booleans())
    def answer(self, data: st.DataObject, accept: bool, own: bool) -> None:
        p = data.draw(st.sampled_from(self.request.proposals))
        who = p.volunteer_id if own else "intruder"
        if accept:
            self.attempt(lambda: self.request.accept(p.id, who, now=self.now))
        else:
            self.attempt(lambda: self.request.decline(p.id, who, now=self.now))

    @rule(minutes=st.integers(min_value=1, max_value=600))
    def time_passes(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)
        self.attempt(lambda: self.request.expire_round(now=self.now))

    @rule(reason=st.sampled_from(["no_candidates", "rounds_exhausted", "manual"]), roll=ROLL)
    def escalate(self, reason: str, roll: int) -> None:
        if roll:
            return
        self.attempt(
            lambda: self.request.escalate(reason, cooperative_id="coop", now=self.now)  # type: ignore[arg-type]
        )

    @rule(volunteer=st.sampled_from([*VOLUNTEERS, "req"]))
    def match_by_hand(self, volunteer: str) -> None:
        self.attempt(
            lambda: self.request.match_by_hand(volunteer, coordinator_id="c", now=self.now)
        )

    @rule(volunteer=st.sampled_from(VOLUNTEERS))
    def reassign(self, volunteer: str) -> None:
        self.attempt(lambda: self.request.reassign(volunteer, coordinator_id="c", now=self.now))

    @rule(by=st.sampled_from(["req", "v0", "v1", "stranger"]))
    def complete(self, by: str) -> None:
        self.attempt(lambda: self.request.complete(by=by, now=self.now, hours=1.0))

    @rule(
        by=st.sampled_from(["req", "v0", "v1", "stranger"]),
        score=st.one_of(st.none(), st.integers(min_value=0, max_value=6)),
    )
    def feedback(self, by: str, score: int | None) -> None:
        given = self.request.feedback_sides()
        before = (self.request.score, self.request.volunteer_score)
        try:
            self.attempt(
                lambda: self.request.give_feedback(by=by, score=score, comment="ok", now=self.now)
            )
        finally:
            # Feedback never changes the state and is given once per side: what a side said
            # stays as it was.
            for side, old in zip(("requester", "volunteer"), before, strict=True):
                if side in given:
                    now = (
                        self.request.score if side == "requester" else self.request.volunteer_score
                    )
                    assert now == old
        assert len(self.request.feedback_sides()) <= 2

    # Final commands are drawn less often, so runs spend their steps in the live states.
    @rule(roll=ROLL)
    def cancel(self, roll: int) -> None:
        if roll:
            return
        self.attempt(lambda: self.request.cancel(by="req", now=self.now))

    @rule(roll=ROLL)
    def close(self, roll: int) -> None:
        if roll:
            return
        self.attempt(lambda: self.request.close(coordinator_id="c", note="klaar", now=self.now))

    @rule(roll=ROLL)
    def expire(self, roll: int) -> None:
        if roll:
            return
        self.attempt(lambda: self.request.expire(now=self.now))

    @rule(volunteer=st.sampled_from(VOLUNTEERS))
    def volunteer_leaves(self, volunteer: str) -> None:
        self.attempt(
            lambda: self.request.volunteer_left(volunteer, cooperative_id="coop", now=self.now)
        )

    @invariant()
    def at_most_one_accepted_volunteer(self) -> None:
        accepted = [p for p in self.request.proposals if p.state == "accepted"]
        assert len(accepted) <= 1
        if accepted and self.request.state == "matched" and self.request.matched_by is None:
            assert accepted[0].volunteer_id == self.request.matched_volunteer_id

    @invariant()
    def matched_means_a_volunteer(self) -> None:
        if self.request.state == "matched":
            assert self.request.matched_volunteer_id is not None
            assert not self.request.pending_proposals()

    @invariant()
    def no_way_out_of_a_final_state(self) -> None:
        if self.final_seen is not None:
            assert self.request.state == self.final_seen
        if self.request.state in ("done", "cancelled", "expired"):
            self.final_seen = self.request.state
            assert not self.request.pending_proposals()

    @invariant()
    def feedback_only_once_done(self) -> None:
        if self.request.feedback_sides():
            assert self.request.state == "done"

    @invariant()
    def rounds_are_bounded(self) -> None:
        assert self.request.round <= POLICY.max_rounds


HelpRequestMachine.TestCase.settings = settings(
    max_examples=300, stateful_step_count=40, deadline=None
)
test_help_request_life_cycle = HelpRequestMachine.TestCase
