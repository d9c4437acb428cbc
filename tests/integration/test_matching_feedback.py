"""Feedback on help given, through the real matching service and database: both sides once
each, after either closed it; the comment only for coordinators, the scores in the figures."""

from datetime import timedelta

import pytest

from shared.contracts import matching as c
from shared.errors import Conflict
from tests.integration.matching_support import (
    OVERVECHT,
    START,
    TAAG,
    WOLGA,
    StartMatching,
    published,
    start_matching,
)

pytestmark = pytest.mark.integration
__all__ = ["start_matching"]


async def test_both_sides_give_feedback_once_and_only_coordinators_read_the_comments(
    start_matching: StartMatching, nats_url: str
) -> None:
    m = await start_matching()
    await m.cooperative("coop", "district", [OVERVECHT], coordinators=["coord"])
    await m.resident("ans", TAAG)
    await m.volunteer("vera", WOLGA)
    await m.settle()
    request = await m.call(
        c.REQUEST_CREATE,
        c.RequestCreate(
            requester_id="ans", category="groceries", description="Boodschappen", flexible=True
        ),
    )
    [proposal] = request.proposals
    mine = await m.call(c.PROPOSAL_LIST_FOR_VOLUNTEER, c.ProposalQuery(volunteer_id="vera"))
    assert mine.proposals[0].distance_km is not None and 0 < mine.proposals[0].distance_km < 2
    # The proposal's event tells notify how far it is (for the e-mail), never an address.
    [proposed] = await published(m, nats_url, "samen.evt.match.proposed.", 1)
    assert proposed.data["distance_km"] == mine.proposals[0].distance_km
    await m.call(
        c.PROPOSAL_ACCEPT, c.ProposalAnswer(proposal_id=proposal.proposal_id, volunteer_id="vera")
    )
    # The volunteer closes it; the requester, coming from the e-mail, still says how it went.
    await m.call(
        c.REQUEST_COMPLETE,
        c.RequestComplete(request_id=request.request_id, actor_id="vera", hours=1),
    )
    mine_given = await m.call(
        c.REQUEST_FEEDBACK,
        c.RequestFeedback(
            request_id=request.request_id, actor_id="ans", score=5, comment="Vera was top"
        ),
    )
    assert [(f.side, f.score) for f in mine_given.feedback] == [("requester", 5)]
    await m.call(
        c.REQUEST_FEEDBACK,
        c.RequestFeedback(
            request_id=request.request_id, actor_id="vera", score=2, comment="Lastige trap"
        ),
    )
    with pytest.raises(Conflict) as again:
        await m.call(
            c.REQUEST_FEEDBACK,
            c.RequestFeedback(request_id=request.request_id, actor_id="ans", score=1),
        )
    assert again.value.details["reason"] == "feedback_given"

    def query(actor: str, areas: list[str] | None = None) -> c.RequestQuery:
        return c.RequestQuery(request_id=request.request_id, actor_id=actor, area_codes=areas or [])

    as_requester = await m.call(c.REQUEST_GET, query("ans"))
    as_volunteer = await m.call(c.REQUEST_GET, query("vera"))
    as_coordinator = await m.call(c.REQUEST_GET, query("coord", [OVERVECHT]))
    assert "Lastige trap" not in as_requester.model_dump_json()
    assert "Vera was top" not in as_volunteer.model_dump_json()
    assert {f.side for f in as_requester.feedback} == {"requester", "volunteer"}
    assert {(f.side, f.score, f.comment) for f in as_coordinator.feedback} == {
        ("requester", 5, "Vera was top"),
        ("volunteer", 2, "Lastige trap"),
    }
    # Each finds what they said in their export, and not what the other side said.
    theirs = await m.call(c.MEMBER_EXPORT, c.MemberQuery(member_id="vera"))
    assert [(f.score, f.comment) for f in theirs.feedback_as_volunteer] == [(2, "Lastige trap")]
    assert "Vera was top" not in theirs.model_dump_json()
    hers = await m.call(c.MEMBER_EXPORT, c.MemberQuery(member_id="ans"))
    assert "Vera was top" in hers.model_dump_json()
    assert "Lastige trap" not in hers.model_dump_json()


async def test_the_figures_show_the_share_of_good_scores_over_five_requests(
    start_matching: StartMatching,
) -> None:
    m = await start_matching()
    await m.cooperative("coop", "district", [OVERVECHT], coordinators=["coord"])
    for n in range(5):
        await m.resident(f"r{n}", TAAG)
    await m.settle()
    for n in range(5):
        request = await m.call(
            c.REQUEST_CREATE,
            c.RequestCreate(
                requester_id=f"r{n}", category="groceries", description="x", flexible=True
            ),
        )
        await m.call(
            c.COORDINATOR_CLOSE,
            c.CoordinatorClose(
                coordinator_id="coord",
                area_codes=[OVERVECHT],
                request_id=request.request_id,
                note="geregeld",
            ),
        )
        await m.call(
            c.REQUEST_FEEDBACK,
            c.RequestFeedback(request_id=request.request_id, actor_id=f"r{n}", score=5 if n else 1),
        )
    figures = await m.call(
        c.REPORT_FIGURES,
        c.FiguresQuery(
            area_code=OVERVECHT, period_from=START, period_until=START + timedelta(days=1)
        ),
    )
    assert figures.good_ratings_share == 0.8
    assert figures.good_ratings_by_category == {"groceries": 0.8}
