"""Matching's use cases against the unit of work held in memory: asking for help, the
volunteers' answers, the requester's cancel and the coordinators' hand."""

import pytest

from services.matching.adapters.errors import is_retryable
from services.matching.adapters.repository import StaleRequest
from services.matching.service_layer import usecases
from shared.contracts import matching as c
from shared.errors import Conflict, Forbidden, Invalid
from shared.events import MatchingPolicy
from tests.unit.matching.world import (
    NOORDOOST,
    OOG_IN_AL,
    OVERVECHT,
    TAAG,
    VOGELENBUURT,
    WOLGA,
    World,
    answer,
    ask,
)

THREE_A_ROUND = MatchingPolicy(proposals_per_round=3)
TWO_A_ROUND = MatchingPolicy(proposals_per_round=2)


async def neighbourhood(world: World, policy: MatchingPolicy = TWO_A_ROUND) -> None:
    """Overvecht's cooperative (coordinator `coord`), a resident and two volunteers in Taag."""
    await world.cooperative("overvecht", "district", [OVERVECHT], ["coord"], policy)
    await world.resident("res", TAAG)
    await world.volunteer("ans", TAAG)
    await world.volunteer("bram", TAAG)


async def test_a_new_request_is_proposed_to_the_nearest_volunteers(world: World) -> None:
    await world.cooperative("overvecht", "district", [OVERVECHT], ["coord"], THREE_A_ROUND)
    await world.resident("res", TAAG)
    await world.volunteer("west", OOG_IN_AL)
    await world.volunteer("noordoost", VOGELENBUURT)
    await world.volunteer("wolga", WOLGA)
    await world.volunteer("taag", TAAG)
    await world.volunteer("cook", TAAG, categories=["meals"])  # offers other help
    await world.volunteer("away", TAAG, active=False)  # paused

    view = await world.call(usecases.create_request, ask())

    # Own neighbourhood, then the district, then the municipality; the furthest is not asked.
    assert view.state == "proposed"
    assert view.neighbourhood == TAAG
    assert [p.volunteer_id for p in view.proposals] == ["taag", "wolga", "noordoost"]
    assert {p.state for p in view.proposals} == {"pending"}
    assert world.db.event_types()[-4:] == ["request.created"] + ["match.proposed"] * 3
    assert (view.request_id, "round") in world.db.tables.timers

    offered = await world.call(usecases.list_proposals, c.ProposalQuery(volunteer_id="wolga"))
    assert [p.request_id for p in offered.proposals] == [view.request_id]
    assert offered.proposals[0].description == "Boodschappen bij de supermarkt"
    assert offered.proposals[0].distance_km == 0.7
    mine = await world.call(usecases.list_mine, c.MyRequestsQuery(member_id="res"))
    assert [(r.request_id, r.state) for r in mine.requests] == [(view.request_id, "proposed")]


async def test_a_request_sent_again_with_its_key_is_the_same_request(world: World) -> None:
    await neighbourhood(world)

    first = await world.call(usecases.create_request, ask(idempotency_key="k-1"))
    again = await world.call(usecases.create_request, ask(idempotency_key="k-1"))

    assert again.request_id == first.request_id
    assert len(world.db.tables.requests) == 1
    with pytest.raises(Conflict):
        await world.call(
            usecases.create_request, ask(idempotency_key="k-1", description="Iets anders")
        )


async def test_the_first_accept_wins_and_a_second_is_a_conflict(world: World) -> None:
    await neighbourhood(world)
    view = await world.call(usecases.create_request, ask())
    first, second = view.proposals
    before = len(world.db.events)

    accepted = await world.call(usecases.answer_proposal, answer(first), accept=True)
    with pytest.raises(Conflict) as refused:
        await world.call(usecases.answer_proposal, answer(second), accept=True)

    assert accepted.state == "accepted"
    assert refused.value.details == {"reason": "already_matched"}
    request = world.db.request(view.request_id)
    assert (request.state, request.matched_volunteer_id) == ("matched", first.volunteer_id)
    assert [p.state for p in request.proposals] == ["accepted", "withdrawn"]
    assert world.db.event_types(before) == ["match.accepted", "match.withdrawn", "request.matched"]
    # The same accept again (a retry after a lost reply) writes and sends nothing.
    commits = world.db.commits
    again = await world.call(usecases.answer_proposal, answer(first), accept=True)
    assert again.state == "accepted"
    assert world.db.commits == commits


async def test_of_two_accepts_at_once_the_later_commit_loses_and_its_retry_is_refused(
    world: World,
) -> None:
    await neighbourhood(world)
    view = await world.call(usecases.create_request, ask())
    first, second = view.proposals

    late = world.db.uow()
    async with late:  # reads the request before the first accept is committed
        await world.call(usecases.answer_proposal, answer(first), accept=True)
        with pytest.raises(StaleRequest) as lost:
            await usecases.answer_proposal(answer(second), accept=True, uow=late, ctx=world.ctx)
    assert is_retryable(lost.value)
    with pytest.raises(Conflict) as refused:
        await world.call(usecases.answer_proposal, answer(second), accept=True)

    assert refused.value.details == {"reason": "already_matched"}
    assert world.db.request(view.request_id).matched_volunteer_id == first.volunteer_id


async def test_declined_by_all_goes_to_the_cooperatives_coordinators(world: World) -> None:
    await neighbourhood(world)
    view = await world.call(usecases.create_request, ask())
    before = len(world.db.events)

    for proposal in view.proposals:
        declined = await world.call(usecases.answer_proposal, answer(proposal), accept=False)
        assert declined.state == "declined"

    request = world.db.request(view.request_id)
    assert request.state == "escalated"
    assert (request.escalation_reason, request.escalated_to) == ("declined_by_all", "overvecht")
    assert world.db.event_types(before) == ["match.declined"] * 2 + ["request.escalated"]
    assert (view.request_id, "round") not in world.db.tables.timers
    board = await world.call(
        usecases.board, c.BoardQuery(coordinator_id="coord", area_codes=[OVERVECHT])
    )
    assert [r.request_id for r in board.requests["escalated"]] == [view.request_id]
    assert board.counts == {"escalated": 1, "open": 0, "proposed": 0, "matched": 0}


async def test_the_requester_cancels_and_the_volunteers_offers_are_withdrawn(
    world: World,
) -> None:
    await neighbourhood(world)
    view = await world.call(usecases.create_request, ask())
    cancel = c.RequestCancel(request_id=view.request_id, actor_id="res")
    before = len(world.db.events)

    with pytest.raises(Forbidden):
        await world.call(usecases.cancel_request, cancel.model_copy(update={"actor_id": "ans"}))
    cancelled = await world.call(usecases.cancel_request, cancel)

    assert cancelled.state == "cancelled"
    assert cancelled.cancelled_by == "res"
    assert {p.state for p in cancelled.proposals} == {"withdrawn"}
    assert world.db.event_types(before) == ["match.withdrawn"] * 2 + ["request.cancelled"]
    assert not [key for key in world.db.tables.timers if key[0] == view.request_id]
    offered = await world.call(usecases.list_proposals, c.ProposalQuery(volunteer_id="ans"))
    assert [(p.state, p.description) for p in offered.proposals] == [("withdrawn", None)]
    board = await world.call(usecases.notice_board, c.NoticeBoardQuery(area_code=TAAG))
    assert board.items == []


async def test_a_coordinator_matches_by_hand_only_within_their_cooperatives_areas(
    world: World,
) -> None:
    await neighbourhood(world)
    await world.cooperative("noordoost", "district", [NOORDOOST], ["elsewhere"])
    await world.volunteer("carla", WOLGA)
    view = await world.call(usecases.create_request, ask())
    by_hand = c.CoordinatorMatch(
        coordinator_id="elsewhere",
        area_codes=[NOORDOOST],
        request_id=view.request_id,
        volunteer_id="carla",
    )
    before = len(world.db.events)

    with pytest.raises(Forbidden):
        await world.call(usecases.coordinator_match, by_hand)
    assert world.db.request(view.request_id).state == "proposed"
    assert len(world.db.events) == before

    ours = by_hand.model_copy(update={"coordinator_id": "coord", "area_codes": [OVERVECHT]})
    with pytest.raises(Invalid):  # matching knows no such volunteer
        await world.call(usecases.coordinator_match, ours.model_copy(update={"volunteer_id": "x"}))
    matched = await world.call(usecases.coordinator_match, ours)

    assert (matched.state, matched.matched_volunteer_id, matched.matched_by) == (
        "matched",
        "carla",
        "coord",
    )
    assert {p.state for p in matched.proposals} == {"withdrawn"}
    assert world.db.event_types(before) == ["match.withdrawn"] * 2 + ["request.matched"]
    helping = await world.call(
        usecases.list_mine, c.MyRequestsQuery(member_id="carla", role="volunteer")
    )
    assert [r.request_id for r in helping.requests] == [view.request_id]
