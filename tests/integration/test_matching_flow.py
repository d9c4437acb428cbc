"""Matching against a real nats-server and a real database (SQLite, and PostgreSQL when given):
registry events build the read model, RPC verbs drive requests, timers fire from the database."""

from datetime import timedelta

import pytest

from shared.contracts import matching as c
from shared.errors import Conflict, Forbidden
from shared.events import MatchingPolicy
from tests.integration.matching_support import (
    OOG_IN_AL,
    OVERVECHT,
    START,
    TAAG,
    VOGELENBUURT,
    WOLGA,
    ZAMENHOF,
    StartMatching,
    published,
    start_matching,
    stream_events,
)
from tests.support import eventually

pytestmark = pytest.mark.integration
__all__ = ["start_matching"]


def ask(requester: str, category: str = "groceries", **kw: object) -> c.RequestCreate:
    fields: dict[str, object] = {
        "requester_id": requester,
        "category": category,
        "description": "Boodschappen voor dinsdag, ik ben slecht ter been",
        "flexible": True,
    }
    fields.update(kw)
    return c.RequestCreate.model_validate(fields)


async def test_proposals_go_to_the_neighbourhood_then_the_district_else_escalate_at_once(
    start_matching: StartMatching, nats_url: str
) -> None:
    m = await start_matching()
    await m.cooperative("overvecht", "district", [OVERVECHT], ["broker-1"])
    await m.resident("ans", TAAG)
    for n in range(3):
        await m.volunteer(f"home-{n}", TAAG, ["groceries"])
        await m.volunteer(f"wijk-{n}", WOLGA, ["groceries", "transport"])
        await m.volunteer(
            f"far-{n}", OOG_IN_AL, ["groceries", "transport", "company"], radius_km=10
        )
    await m.settle()

    groceries = await m.call(c.REQUEST_CREATE, ask("ans"))
    assert groceries.state == "proposed"
    assert sorted(p.volunteer_id for p in groceries.proposals) == ["home-0", "home-1", "home-2"]

    transport = await m.call(c.REQUEST_CREATE, ask("ans", "transport"))
    assert sorted(p.volunteer_id for p in transport.proposals) == ["wijk-0", "wijk-1", "wijk-2"]

    company = await m.call(c.REQUEST_CREATE, ask("ans", "company"))
    assert sorted(p.volunteer_id for p in company.proposals) == ["far-0", "far-1", "far-2"]

    garden = await m.call(c.REQUEST_CREATE, ask("ans", "garden"))
    assert garden.state == "escalated"
    assert garden.escalation_reason == "no_candidates"
    assert garden.escalated_to == "overvecht"

    events = await published(m, nats_url, "samen.evt.request.escalated.", 1)
    assert events[0].data["cooperative_id"] == "overvecht"
    subjects = [s for s, _ in await stream_events(nats_url, "samen.evt.request.created.")]
    assert subjects == [f"samen.evt.request.created.GM0344.{OVERVECHT}.{TAAG}"] * 4
    # The free-text description never travels on samen.evt.>
    everything = await stream_events(nats_url)
    assert all("slecht ter been" not in e.model_dump_json() for _, e in everything)


async def test_accept_withdraws_the_others_and_a_second_accept_is_refused(
    start_matching: StartMatching, nats_url: str
) -> None:
    m = await start_matching()
    await m.resident("ans", TAAG)
    for n in range(3):
        await m.volunteer(f"v{n}", TAAG)
    await m.settle()
    request = await m.call(c.REQUEST_CREATE, ask("ans"))
    first, second, third = request.proposals

    mine = await m.call(
        c.PROPOSAL_LIST_FOR_VOLUNTEER, c.ProposalQuery(volunteer_id=second.volunteer_id)
    )
    assert mine.proposals[0].description == request.description
    as_volunteer = await m.call(
        c.REQUEST_GET, c.RequestQuery(request_id=request.request_id, actor_id=second.volunteer_id)
    )
    assert [p.proposal_id for p in as_volunteer.proposals] == [second.proposal_id]

    accepted = await m.call(
        c.PROPOSAL_ACCEPT,
        c.ProposalAnswer(proposal_id=second.proposal_id, volunteer_id=second.volunteer_id),
    )
    assert accepted.state == "accepted"
    with pytest.raises(Conflict) as refused:
        await m.call(
            c.PROPOSAL_ACCEPT,
            c.ProposalAnswer(proposal_id=first.proposal_id, volunteer_id=first.volunteer_id),
        )
    assert refused.value.details["reason"] == "already_matched"

    seen = await m.call(
        c.REQUEST_GET, c.RequestQuery(request_id=request.request_id, actor_id="ans")
    )
    assert seen.state == "matched"
    assert seen.matched_volunteer_id == second.volunteer_id
    assert {p.volunteer_id: p.state for p in seen.proposals} == {
        first.volunteer_id: "withdrawn",
        second.volunteer_id: "accepted",
        third.volunteer_id: "withdrawn",
    }
    withdrawn = await published(m, nats_url, "samen.evt.match.withdrawn.", 2)
    assert {e.data["volunteer_id"] for e in withdrawn} == {first.volunteer_id, third.volunteer_id}
    await published(m, nats_url, "samen.evt.request.matched.", 1)

    with pytest.raises(Forbidden):
        await m.call(c.REQUEST_GET, c.RequestQuery(request_id=request.request_id, actor_id="nosy"))
    done = await m.call(
        c.REQUEST_COMPLETE,
        c.RequestComplete(
            request_id=request.request_id, actor_id=second.volunteer_id, hours=1, score=5
        ),
    )
    assert done.state == "done"
    completed = await published(m, nats_url, "samen.evt.request.completed.", 1)
    assert completed[0].data["hours"] == 1


async def test_three_unanswered_rounds_escalate_and_a_restart_loses_no_timer(
    start_matching: StartMatching, nats_url: str
) -> None:
    m = await start_matching()
    await m.cooperative("buurt", "neighbourhood", [TAAG], [])
    await m.cooperative("overvecht", "district", [OVERVECHT], ["broker-1"])
    await m.resident("ans", TAAG)
    for n in range(10):
        await m.volunteer(f"v{n}", TAAG)
    await m.settle()
    request = await m.call(c.REQUEST_CREATE, ask("ans"))
    assert request.round == 1

    async def state() -> c.RequestView:
        return await m.call(
            c.REQUEST_GET, c.RequestQuery(request_id=request.request_id, actor_id="ans")
        )

    m.clock.advance(timedelta(hours=4))
    await m.fire_timers()
    assert (await state()).round == 2

    # Stop in the middle of round 2; the offer time passes while the service is down.
    await m.stop()
    m.clock.advance(timedelta(hours=4, minutes=1))
    m = await start_matching()  # its timer job fires what came due meanwhile

    async def round_three() -> bool:
        return (await state()).round == 3

    await eventually(round_three, message="the timer did not fire after the restart")
    m.clock.advance(timedelta(hours=4))

    async def escalated() -> c.RequestView | None:
        view = await state()
        return view if view.state == "escalated" else None

    view = await eventually(escalated, message="the third unanswered round did not escalate")
    assert view is not None
    assert view.escalation_reason == "rounds_exhausted"
    assert view.escalated_to == "overvecht"  # the most local cooperative with coordinators
    assert [p.state for p in view.proposals] == ["expired"] * 9
    assert len({p.volunteer_id for p in view.proposals}) == 9
    expired = await published(m, nats_url, "samen.evt.match.expired.", 9)
    assert len(expired) == 9
    [event] = await published(m, nats_url, "samen.evt.request.escalated.", 1)
    assert event.data["rounds"] == 3


async def test_a_round_everyone_declined_moves_on_at_once(start_matching: StartMatching) -> None:
    m = await start_matching()
    await m.cooperative(
        "overvecht",
        "district",
        [OVERVECHT],
        ["broker-1"],
        MatchingPolicy(proposals_per_round=2, max_rounds=3),
    )
    await m.resident("ans", TAAG)
    for n in range(3):
        await m.volunteer(f"v{n}", TAAG)
    await m.settle()
    request = await m.call(c.REQUEST_CREATE, ask("ans"))
    assert len(request.proposals) == 2
    for p in request.proposals:
        await m.call(
            c.PROPOSAL_DECLINE,
            c.ProposalAnswer(proposal_id=p.proposal_id, volunteer_id=p.volunteer_id),
        )
    view = await m.call(
        c.REQUEST_GET, c.RequestQuery(request_id=request.request_id, actor_id="ans")
    )
    assert view.round == 2
    [last] = [p for p in view.proposals if p.state == "pending"]
    await m.call(
        c.PROPOSAL_DECLINE,
        c.ProposalAnswer(proposal_id=last.proposal_id, volunteer_id=last.volunteer_id),
    )
    view = await m.call(
        c.REQUEST_GET, c.RequestQuery(request_id=request.request_id, actor_id="ans")
    )
    assert view.state == "escalated"
    assert view.escalation_reason == "declined_by_all"


async def test_paused_and_busy_volunteers_are_skipped(start_matching: StartMatching) -> None:
    m = await start_matching()
    await m.resident("ans", TAAG)
    await m.resident("bob", TAAG)
    await m.volunteer("paused", TAAG, active=False)
    await m.volunteer("busy", TAAG, max_open=1)
    await m.volunteer("english", TAAG, languages=["en"])
    await m.volunteer("ok", ZAMENHOF)
    await m.settle()
    first = await m.call(c.REQUEST_CREATE, ask("ans"))
    assert sorted(p.volunteer_id for p in first.proposals) == ["busy", "ok"]
    busy = next(p for p in first.proposals if p.volunteer_id == "busy")
    await m.call(
        c.PROPOSAL_ACCEPT, c.ProposalAnswer(proposal_id=busy.proposal_id, volunteer_id="busy")
    )
    second = await m.call(c.REQUEST_CREATE, ask("bob"))
    assert [p.volunteer_id for p in second.proposals] == ["ok"]


async def test_expiry_fires_when_the_needed_by_time_passes(start_matching: StartMatching) -> None:
    m = await start_matching()
    await m.resident("ans", TAAG)
    await m.settle()
    request = await m.call(
        c.REQUEST_CREATE,
        ask(
            "ans",
            "garden",
            flexible=False,
            needed_from=START + timedelta(hours=2),
            needed_until=START + timedelta(hours=5),
        ),
    )
    assert request.state == "escalated"
    m.clock.advance(timedelta(hours=6))
    await m.fire_timers()  # or the service's own timer loop, which may be first: no count
    view = await m.call(
        c.REQUEST_GET, c.RequestQuery(request_id=request.request_id, actor_id="ans")
    )
    assert view.state == "expired"


async def test_coordinators_board_manual_match_close_and_on_behalf(
    start_matching: StartMatching,
) -> None:
    m = await start_matching()
    await m.cooperative("overvecht", "district", [OVERVECHT], ["broker-1"])
    await m.resident("ans", TAAG)
    await m.resident("piet", WOLGA)
    await m.volunteer("noordoost", VOGELENBUURT, ["odd_jobs"])
    await m.settle()
    hedge = await m.call(c.REQUEST_CREATE, ask("ans", "garden"))
    m.clock.advance(timedelta(minutes=10))
    ride = await m.call(
        c.REQUEST_CREATE, ask("piet", "transport", entered_by="broker-1", area_codes=[OVERVECHT])
    )
    assert ride.entered_by == "broker-1"
    assert ride.state == "escalated"

    board = await m.call(
        c.COORDINATOR_BOARD, c.BoardQuery(coordinator_id="broker-1", area_codes=[OVERVECHT])
    )
    assert [r.request_id for r in board.requests["escalated"]] == [
        hedge.request_id,
        ride.request_id,
    ]
    with pytest.raises(Forbidden):
        await m.call(
            c.COORDINATOR_MATCH,
            c.CoordinatorMatch(
                coordinator_id="west-broker",
                area_codes=["WK034401"],
                request_id=hedge.request_id,
                volunteer_id="noordoost",
            ),
        )
    with pytest.raises(Forbidden):
        await m.call(
            c.REQUEST_CREATE,
            ask("piet", "transport", entered_by="west-broker", area_codes=["WK034401"]),
        )
    matched = await m.call(
        c.COORDINATOR_MATCH,
        c.CoordinatorMatch(
            coordinator_id="broker-1",
            area_codes=[OVERVECHT],
            request_id=hedge.request_id,
            volunteer_id="noordoost",
        ),
    )
    assert matched.state == "matched"
    assert matched.matched_by == "broker-1"
    closed = await m.call(
        c.COORDINATOR_CLOSE,
        c.CoordinatorClose(
            coordinator_id="broker-1",
            area_codes=[OVERVECHT],
            request_id=ride.request_id,
            note="Regiotaxi geregeld",
        ),
    )
    assert closed.state == "done"
    assert closed.note == "Regiotaxi geregeld"
    sheet = await m.call(c.NOTICE_BOARD, c.NoticeBoardQuery(area_code=OVERVECHT))
    assert sheet.items == []


async def test_a_request_whose_time_passes_mid_round_expires_without_new_proposals(
    start_matching: StartMatching, nats_url: str
) -> None:
    m = await start_matching()
    await m.resident("ans", TAAG)
    for n in range(6):
        await m.volunteer(f"v{n}", TAAG)
    await m.settle()
    request = await m.call(
        c.REQUEST_CREATE,
        ask(
            "ans",
            urgent=True,
            flexible=False,
            needed_from=START,
            needed_until=START + timedelta(minutes=20),
        ),
    )
    assert {p.expires_at for p in request.proposals} == {START + timedelta(minutes=20)}
    m.clock.advance(timedelta(minutes=21))
    await m.fire_timers()
    view = await m.call(
        c.REQUEST_GET, c.RequestQuery(request_id=request.request_id, actor_id="ans")
    )
    assert view.state == "expired"
    assert view.round == 1
    assert [p.state for p in view.proposals] == ["expired"] * 3
    await published(m, nats_url, "samen.evt.request.expired.", 1)


async def test_a_coordinator_finds_candidates_reassigns_and_cancels(
    start_matching: StartMatching, nats_url: str
) -> None:
    m = await start_matching()
    await m.cooperative("overvecht", "district", [OVERVECHT], ["broker-1"])
    await m.resident("ans", TAAG)
    await m.volunteer("near", TAAG, radius_km=1)
    await m.volunteer("wolga", WOLGA, radius_km=1)
    await m.volunteer("noordoost", VOGELENBUURT, radius_km=1)  # ~1.5 km: out of reach
    await m.settle()
    request = await m.call(c.REQUEST_CREATE, ask("ans"))
    assert sorted(p.volunteer_id for p in request.proposals) == ["near", "wolga"]

    found = await m.call(
        c.COORDINATOR_CANDIDATES,
        c.CandidatesQuery(
            coordinator_id="broker-1", area_codes=[OVERVECHT], request_id=request.request_id
        ),
    )
    assert [
        (x.volunteer_id, x.tier, x.within_radius, x.already_proposed) for x in found.candidates
    ] == [
        ("near", "neighbourhood", True, True),
        ("wolga", "district", True, True),
        ("noordoost", "municipality", False, False),
    ]
    first = request.proposals[0]
    await m.call(
        c.PROPOSAL_ACCEPT,
        c.ProposalAnswer(proposal_id=first.proposal_id, volunteer_id=first.volunteer_id),
    )
    handed = await m.call(
        c.COORDINATOR_REASSIGN,
        c.CoordinatorMatch(
            coordinator_id="broker-1",
            area_codes=[OVERVECHT],
            request_id=request.request_id,
            volunteer_id="noordoost",
        ),
    )
    assert handed.state == "matched"
    assert handed.matched_volunteer_id == "noordoost"
    assert handed.matched_by == "broker-1"
    cancelled = await m.call(
        c.COORDINATOR_CANCEL,
        c.CoordinatorCancel(
            coordinator_id="broker-1",
            area_codes=[OVERVECHT],
            request_id=request.request_id,
            note="Mevrouw is verhuisd",
        ),
    )
    assert cancelled.state == "cancelled"
    assert cancelled.cancelled_by == "broker-1"
    matched = await published(m, nats_url, "samen.evt.request.matched.", 2)
    assert [e.data["volunteer_id"] for e in matched] == [first.volunteer_id, "noordoost"]
    with pytest.raises(Conflict):
        await m.call(
            c.REQUEST_COMPLETE, c.RequestComplete(request_id=request.request_id, actor_id="ans")
        )


async def test_where_postcodes_give_no_neighbourhood_members_live_in_the_district_and_match_there(
    start_matching: StartMatching, nats_url: str
) -> None:
    """Apeldoorn: a four-digit postcode gives the district (wijk) only, so the registry places
    its members in the district (`_` for the neighbourhood in the events), and matching works
    district first: the volunteers of the resident's own district, then the municipality's."""
    zuid, noord = "WK020004", "WK020001"  # Apeldoorn Zuid, and Centrum north of it
    m = await start_matching()
    await m.cooperative("zuid-doet-samen", "district", [zuid], ["broker-zuid"])
    await m.resident("aaltje", zuid)
    for n in (1, 2, 3):
        await m.volunteer(f"zuid-{n}", zuid, ["groceries"])
    await m.volunteer("noord-1", noord, ["groceries", "transport"], radius_km=10)
    await m.volunteer("utrecht-1", TAAG, ["groceries", "transport"], radius_km=10)
    await m.settle()

    groceries = await m.call(c.REQUEST_CREATE, ask("aaltje"))
    assert (groceries.state, groceries.neighbourhood) == ("proposed", None)
    assert sorted(p.volunteer_id for p in groceries.proposals) == ["zuid-1", "zuid-2", "zuid-3"]
    transport = await m.call(c.REQUEST_CREATE, ask("aaltje", "transport"))
    assert [p.volunteer_id for p in transport.proposals] == ["noord-1"]
    garden = await m.call(c.REQUEST_CREATE, ask("aaltje", "garden"))
    assert (garden.state, garden.escalated_to) == ("escalated", "zuid-doet-samen")

    created = await published(m, nats_url, "samen.evt.request.created.", 3)
    assert {e.subject.split(".")[-3:][1:] == ["WK020004", "_"] for e in created} == {True}
