"""The help request's life cycle as a pure model."""

from datetime import UTC, datetime, timedelta

import pytest

from services.matching.domain.model import (
    BadCommand,
    HelpRequest,
    IllegalTransition,
    NotAllowed,
)
from shared.areas import AreaRef
from shared.categories import Category
from shared.events import MatchingPolicy

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
AREA = AreaRef.from_code("BU03440305")
POLICY = MatchingPolicy()


def new_request(**kwargs: object) -> HelpRequest:
    args: dict[str, object] = {
        "requester_id": "req",
        "category": Category.groceries,
        "description": "boodschappen op dinsdag",
        "area": AREA,
        "now": NOW,
        "needed_from": NOW + timedelta(days=1),
        "needed_until": NOW + timedelta(days=1, hours=3),
    }
    args.update(kwargs)
    return HelpRequest.open(**args)  # type: ignore[arg-type]


def types(request: HelpRequest) -> list[str]:
    return [e.TYPE for e in request.pop_events()]


def test_opening_a_request_emits_request_created_and_sets_expiry() -> None:
    request = new_request()
    assert request.state == "open"
    assert request.expires_at == NOW + timedelta(days=1, hours=3)
    assert types(request) == ["request.created"]


def test_a_flexible_request_without_deadline_expires_after_thirty_days() -> None:
    request = new_request(flexible=True, needed_from=None, needed_until=None)
    assert request.expires_at == NOW + timedelta(days=30)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"description": "   "},
        {"needed_from": None},
        {"needed_until": NOW + timedelta(hours=-1), "needed_from": NOW - timedelta(hours=2)},
        {"needed_until": NOW + timedelta(hours=1), "needed_from": NOW + timedelta(hours=2)},
        {"area": AreaRef.from_code("GM0344")},  # a municipality alone is no home
    ],
)
def test_bad_requests_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(BadCommand):
        new_request(**kwargs)


def test_a_request_of_a_district_whose_neighbourhood_is_not_known_is_taken() -> None:
    # Outside the areas whose postcodes give the buurt, a resident lives in a district.
    request = new_request(area=AreaRef.from_code("WK020004"))
    assert (request.area.district, request.area.neighbourhood) == ("WK020004", None)


def test_first_accept_wins_and_the_others_are_withdrawn() -> None:
    request = new_request()
    request.pop_events()
    a, b, _c = request.propose(["a", "b", "c"], now=NOW, policy=POLICY)
    assert types(request) == ["match.proposed"] * 3
    assert a.expires_at == NOW + timedelta(hours=4)
    request.accept(b.id, "b", now=NOW + timedelta(minutes=5))
    assert request.state == "matched"
    assert request.matched_volunteer_id == "b"
    assert types(request) == [
        "match.accepted",
        "match.withdrawn",
        "match.withdrawn",
        "request.matched",
    ]
    with pytest.raises(IllegalTransition) as refused:
        request.accept(a.id, "a", now=NOW + timedelta(minutes=6))
    assert refused.value.details["reason"] == "already_matched"
    assert request.events == []
    assert [p.state for p in request.proposals] == ["withdrawn", "accepted", "withdrawn"]


def test_urgent_requests_get_a_short_offer_time() -> None:
    request = new_request(urgent=True)
    [p] = request.propose(["a"], now=NOW, policy=POLICY)
    assert p.expires_at == NOW + timedelta(minutes=30)


def test_a_volunteer_cannot_answer_someone_elses_proposal() -> None:
    request = new_request()
    [p] = request.propose(["a"], now=NOW, policy=POLICY)
    with pytest.raises(NotAllowed):
        request.accept(p.id, "b", now=NOW)


def test_an_expired_proposal_cannot_be_accepted() -> None:
    request = new_request()
    [p] = request.propose(["a"], now=NOW, policy=POLICY)
    with pytest.raises(IllegalTransition):
        request.accept(p.id, "a", now=NOW + timedelta(hours=5))


def test_accepting_again_changes_nothing_and_is_no_error() -> None:
    """A volunteer whose first answer timed out may ask again: same answer, no second effect."""
    request = new_request()
    a, _b = request.propose(["a", "b"], now=NOW, policy=POLICY)
    assert request.accept(a.id, "a", now=NOW + timedelta(minutes=5)) is True
    request.pop_events()
    before = (
        request.state,
        request.matched_at,
        [(p.state, p.answered_at) for p in request.proposals],
    )
    # even after the offer time: the answer was given in time
    assert request.accept(a.id, "a", now=NOW + timedelta(hours=5)) is False
    assert request.events == []
    after = (
        request.state,
        request.matched_at,
        [(p.state, p.answered_at) for p in request.proposals],
    )
    assert after == before


def test_declining_again_changes_nothing_and_does_not_end_the_round_twice() -> None:
    request = new_request()
    a, _b = request.propose(["a", "b"], now=NOW, policy=POLICY)
    assert request.decline(a.id, "a", now=NOW) is True
    request.pop_events()
    assert request.decline(a.id, "a", now=NOW + timedelta(minutes=1)) is False
    assert request.events == []
    assert not request.round_finished(NOW + timedelta(minutes=1))
    assert a.answered_at == NOW


@pytest.mark.parametrize(("first", "then"), [("accept", "decline"), ("decline", "accept")])
def test_the_other_answer_after_one_was_given_is_a_conflict(first: str, then: str) -> None:
    request = new_request()
    [p] = request.propose(["a"], now=NOW, policy=POLICY)
    getattr(request, first)(p.id, "a", now=NOW)
    request.pop_events()
    with pytest.raises(IllegalTransition) as refused:
        getattr(request, then)(p.id, "a", now=NOW + timedelta(minutes=1))
    assert refused.value.details["reason"] == "answered"
    assert request.events == []
    assert p.state == {"accept": "accepted", "decline": "declined"}[first]


def test_the_same_answer_from_another_volunteer_is_still_refused() -> None:
    request = new_request()
    [p] = request.propose(["a"], now=NOW, policy=POLICY)
    request.accept(p.id, "a", now=NOW)
    with pytest.raises(NotAllowed):
        request.accept(p.id, "b", now=NOW)


def test_a_round_runs_until_its_offer_time_unless_everyone_declined() -> None:
    request = new_request()
    a, b = request.propose(["a", "b"], now=NOW, policy=POLICY)
    with pytest.raises(IllegalTransition):
        request.propose(["c"], now=NOW, policy=POLICY)
    request.decline(a.id, "a", now=NOW)
    assert not request.round_finished(NOW)
    request.decline(b.id, "b", now=NOW)
    assert request.round_finished(NOW)
    request.propose(["c"], now=NOW, policy=POLICY)
    assert request.round == 2


def test_nobody_is_proposed_the_same_request_twice() -> None:
    request = new_request()
    request.propose(["a"], now=NOW, policy=POLICY)
    request.expire_round(now=NOW + timedelta(hours=4))
    with pytest.raises(BadCommand):
        request.propose(["a"], now=NOW + timedelta(hours=4), policy=POLICY)


def test_escalation_withdraws_what_is_pending() -> None:
    request = new_request()
    request.propose(["a"], now=NOW, policy=POLICY)
    request.pop_events()
    request.escalate("rounds_exhausted", cooperative_id="coop", now=NOW + timedelta(hours=1))
    assert request.state == "escalated"
    assert types(request) == ["match.withdrawn", "request.escalated"]
    request.match_by_hand("x", coordinator_id="coord", now=NOW + timedelta(hours=2))
    assert request.state == "matched"
    assert request.matched_by == "coord"


def test_done_cancelled_and_expired_are_final() -> None:
    done = new_request()
    done.match_by_hand("v", coordinator_id="c", now=NOW)
    done.complete(by="v", now=NOW, hours=1.5, score=5)
    cancelled = new_request()
    cancelled.cancel(by="req", now=NOW)
    expired = new_request()
    expired.expire(now=NOW + timedelta(days=2))
    for request in (done, cancelled, expired):
        request.pop_events()
        for command in (
            lambda r: r.cancel(by="req", now=NOW),
            lambda r: r.escalate("manual", cooperative_id=None, now=NOW),
            lambda r: r.match_by_hand("z", coordinator_id="c", now=NOW),
            lambda r: r.propose(["q"], now=NOW, policy=POLICY),
            lambda r: r.close(coordinator_id="c", note="n", now=NOW),
        ):
            with pytest.raises(IllegalTransition):
                command(request)
        assert request.events == []


def test_only_the_requester_or_the_volunteer_completes() -> None:
    request = new_request()
    request.match_by_hand("v", coordinator_id="c", now=NOW)
    with pytest.raises(NotAllowed):
        request.complete(by="someone", now=NOW)
    request.complete(by="req", now=NOW, hours=2, comment="dank")
    assert request.state == "done"
    assert request.hours == 2


def test_a_coordinator_closes_an_escalated_request_with_a_note() -> None:
    request = new_request()
    request.escalate("no_candidates", cooperative_id="coop", now=NOW)
    request.pop_events()
    request.close(coordinator_id="c", note="verwezen naar de huisarts", now=NOW)
    assert request.state == "done"
    assert types(request) == ["request.completed"]


def test_reassign_moves_a_matched_request_to_another_volunteer() -> None:
    request = new_request()
    [p] = request.propose(["a"], now=NOW, policy=POLICY)
    request.accept(p.id, "a", now=NOW)
    request.pop_events()
    request.reassign("b", coordinator_id="c", now=NOW)
    assert request.matched_volunteer_id == "b"
    assert types(request) == ["match.withdrawn", "request.matched"]


def test_a_request_does_not_expire_before_its_time() -> None:
    request = new_request()
    with pytest.raises(IllegalTransition):
        request.expire(now=NOW)


def test_erasing_the_matched_volunteer_sends_the_request_to_the_coordinators() -> None:
    request = new_request()
    [p] = request.propose(["a"], now=NOW, policy=POLICY)
    request.accept(p.id, "a", now=NOW)
    request.pop_events()
    request.volunteer_left("a", cooperative_id="coop", now=NOW)
    assert request.state == "escalated"
    assert types(request) == ["match.withdrawn", "request.escalated"]


def test_proposals_never_outlive_the_request() -> None:
    request = new_request(needed_until=NOW + timedelta(hours=1), needed_from=NOW)
    [p] = request.propose(["a"], now=NOW, policy=POLICY)
    assert p.expires_at == NOW + timedelta(hours=1)


def test_pausing_withdraws_only_the_volunteers_pending_proposals() -> None:
    request = new_request()
    a, b = request.propose(["a", "b"], now=NOW, policy=POLICY)
    request.pop_events()
    assert request.volunteer_paused("a", now=NOW)
    assert types(request) == ["match.withdrawn"]
    assert (a.state, b.state) == ("withdrawn", "pending")
    assert not request.round_finished(NOW)  # b may still answer
    assert request.volunteer_paused("b", now=NOW)
    assert request.round_finished(NOW)  # nobody left: the next round may start at once
    assert not request.volunteer_paused("b", now=NOW)  # nothing left to withdraw


def test_pausing_leaves_a_request_the_volunteer_already_took() -> None:
    request = new_request()
    [p] = request.propose(["a"], now=NOW, policy=POLICY)
    request.accept(p.id, "a", now=NOW)
    request.pop_events()
    assert not request.volunteer_paused("a", now=NOW)
    assert request.state == "matched" and types(request) == []
