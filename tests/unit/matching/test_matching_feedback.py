"""Feedback after the help: both sides, once each, after either closed the request; the
scores reach the anonymous figures, suppressed like the other cells."""

from datetime import UTC, datetime, timedelta

import pytest

from services.matching.domain.model import (
    BadCommand,
    HelpRequest,
    IllegalTransition,
    NotAllowed,
)
from services.matching.domain.reports import RequestFact, figures
from services.matching.service_layer.views import request_view
from shared.areas import AreaRef
from shared.categories import Category

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def done_by(closer: str) -> HelpRequest:
    request = HelpRequest.open(
        requester_id="req",
        category=Category.groceries,
        description="boodschappen",
        area=AreaRef.from_code("BU03440305"),
        now=NOW,
        flexible=True,
    )
    request.match_by_hand("vol", coordinator_id="coord", now=NOW)
    if closer == "coordinator":
        request.close(coordinator_id="coord", note="geregeld", now=NOW)
    else:
        request.complete(by=closer, now=NOW)
    request.pop_events()
    return request


@pytest.mark.parametrize("closer", ["req", "vol", "coordinator"])
def test_both_sides_give_feedback_after_either_closed_it(closer: str) -> None:
    request = done_by(closer)
    assert request.give_feedback(by="req", score=5, comment="Fijn!", now=NOW) == "requester"
    assert request.give_feedback(by="vol", score=2, comment=None, now=NOW) == "volunteer"
    assert (request.score, request.comment) == (5, "Fijn!")
    assert (request.volunteer_score, request.volunteer_comment) == (2, None)
    assert request.feedback_sides() == ["requester", "volunteer"]
    assert request.events == []  # feedback is announced to nobody: no event on the bus


def test_one_feedback_per_person_per_request() -> None:
    request = done_by("vol")
    request.give_feedback(by="vol", score=4, comment="goed", now=NOW)
    with pytest.raises(IllegalTransition) as refused:
        request.give_feedback(by="vol", score=1, comment=None, now=NOW)
    assert refused.value.details == {"reason": "feedback_given"}
    assert request.volunteer_score == 4


def test_completing_with_a_score_is_that_sides_feedback() -> None:
    request = HelpRequest.open(
        requester_id="req",
        category=Category.groceries,
        description="x",
        area=AreaRef.from_code("BU03440305"),
        now=NOW,
        flexible=True,
    )
    request.match_by_hand("vol", coordinator_id="coord", now=NOW)
    request.complete(by="vol", now=NOW, score=5, comment="leuk")
    assert (request.volunteer_score, request.volunteer_comment) == (5, "leuk")
    assert request.score is None and not request.feedback_given("requester")
    request.give_feedback(by="req", score=3, comment=None, now=NOW)
    assert request.score == 3


def test_feedback_is_refused_before_done_from_strangers_and_empty() -> None:
    request = done_by("req")
    with pytest.raises(NotAllowed):
        request.give_feedback(by="someone", score=5, comment=None, now=NOW)
    with pytest.raises(BadCommand):
        request.give_feedback(by="req", score=None, comment="  ", now=NOW)
    with pytest.raises(BadCommand):
        request.give_feedback(by="req", score=6, comment=None, now=NOW)
    open_one = HelpRequest.open(
        requester_id="req",
        category=Category.groceries,
        description="x",
        area=AreaRef.from_code("BU03440305"),
        now=NOW,
        flexible=True,
    )
    with pytest.raises(IllegalTransition):
        open_one.give_feedback(by="req", score=5, comment=None, now=NOW)


def test_the_comment_is_shown_only_to_whom_may_see_it() -> None:
    request = done_by("req")
    request.give_feedback(by="req", score=5, comment="over de buurvrouw", now=NOW)
    request.give_feedback(by="vol", score=4, comment="over meneer", now=NOW)
    hidden = request_view(request)
    assert hidden.comment is None and hidden.score is None
    assert [(f.side, f.score, f.comment) for f in hidden.feedback] == [
        ("requester", None, None),
        ("volunteer", None, None),
    ]
    volunteer = request_view(request, feedback_of={"volunteer"})
    assert "over de buurvrouw" not in volunteer.model_dump_json()
    coordinator = request_view(request, feedback_of=("requester", "volunteer"))
    assert {f.comment for f in coordinator.feedback} == {"over de buurvrouw", "over meneer"}


def test_erasure_drops_the_comments_and_keeps_the_scores() -> None:
    request = done_by("req")
    request.give_feedback(by="req", score=5, comment="tekst", now=NOW)
    request.give_feedback(by="vol", score=4, comment="over de bewoner", now=NOW)
    request.anonymise_requester("erased-1")
    assert (request.comment, request.volunteer_comment) == (None, None)
    assert request.ratings() == [5, 4]


def rated(district: str, category: str, *ratings: int) -> RequestFact:
    return RequestFact(
        category=category,
        state="done",
        neighbourhood="BU" + district[2:] + "11",
        district=district,
        created_at=NOW,
        matched_at=NOW,
        ratings=ratings,
    )


def test_the_share_of_good_ratings_shows_per_district_and_category_over_five_or_more() -> None:
    many = [rated("WK034403", "groceries", 5, 4)] * 6 + [rated("WK034403", "groceries", 2)]
    few = [rated("WK034405", "transport", 5)] * 3
    unrated = [rated("WK034404", "other")] * 5
    out = figures(
        area_code="GM0344",
        period_from=NOW,
        period_until=NOW + timedelta(days=30),
        cohort=many + few + unrated,
        completed=[],
    )
    assert out.good_ratings_by_district["WK034403"] == round(12 / 13, 4)
    assert out.good_ratings_by_category["groceries"] == round(12 / 13, 4)
    # Three requests' scores (a district of three) are not shown, nor where none were given.
    assert out.good_ratings_by_district["WK034405"] is None
    assert out.good_ratings_by_category["transport"] is None
    assert out.good_ratings_by_district["WK034404"] is None
    assert out.good_ratings_share == round(15 / 16, 4)


def test_no_share_over_fewer_than_five_rated_requests_even_with_many_scores() -> None:
    out = figures(
        area_code="GM0344",
        period_from=NOW,
        period_until=NOW + timedelta(days=30),
        cohort=[rated("WK034403", "groceries", 5, 5)] * 3 + [rated("WK034403", "groceries")] * 5,
        completed=[],
    )
    assert out.requests == 8
    assert out.good_ratings_share is None
