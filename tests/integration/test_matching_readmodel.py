"""The volunteer read model comes only from registry events: replaying the stream into an empty
database rebuilds it; erasure removes a member's data and keeps anonymous figures."""

import asyncio
from collections.abc import Callable

import pytest
from sqlalchemy import event

from services.matching.bootstrap import build
from shared.areas import area_of
from shared.contracts import matching as c
from shared.errors import Conflict
from shared.events import (
    CooperativeUpdated,
    MatchingPolicy,
    MemberErased,
    MemberUpdated,
    VolunteerProfileUpdated,
)
from shared.settings import Settings
from shared.streams import ConsumerSpec, consumers_of
from tests.integration.matching_support import (
    OVERVECHT,
    TAAG,
    VOGELENBUURT,
    WOLGA,
    Matching,
    StartMatching,
    published,
    start_matching,
)

pytestmark = pytest.mark.integration
__all__ = ["start_matching"]


async def dump(m: Matching) -> dict[str, list[dict[str, object]]]:
    async with m.runtime.matching_uow() as uow:
        return await uow.readmodel.dump()


async def test_replaying_the_registry_events_into_an_empty_database_rebuilds_the_read_model(
    start_matching: StartMatching, settings_for: Callable[[str], Settings]
) -> None:
    m = await start_matching()
    await m.cooperative("overvecht", "district", [OVERVECHT], ["broker-1"])
    await m.publish(
        CooperativeUpdated(
            cooperative_id="overvecht",
            level="district",
            area_codes=[OVERVECHT, "BU03440311"],
            coordinator_ids=["broker-1", "broker-2"],
            policy=MatchingPolicy(proposals_per_round=2),
        ),
        OVERVECHT,
    )
    await m.cooperative("taag", "neighbourhood", [TAAG])
    await m.resident("ans", TAAG)
    for n in range(5):
        await m.volunteer(f"v{n}", TAAG, ["groceries", "company"])
    # v1 goes on holiday, v2 stops volunteering, v3 withdraws consent, v4 moves to Noordoost.
    await m.publish(
        VolunteerProfileUpdated(
            member_id="v1",
            categories=["groceries"],
            radius_km=3,
            active=False,
            matching_consent=True,
        ),
        TAAG,
    )
    await m.publish(MemberUpdated(member_id="v2", roles=["resident"]), TAAG)
    await m.publish(
        MemberUpdated(
            member_id="v3", roles=["resident", "volunteer"], consents={"matching": False}
        ),
        TAAG,
    )
    await m.publish(
        VolunteerProfileUpdated(
            member_id="v4", categories=["transport"], radius_km=8, matching_consent=True
        ),
        VOGELENBUURT,
    )
    await m.volunteer("gone", WOLGA)
    await m.publish(MemberErased(member_id="gone"), WOLGA)
    # A late profile event must not bring an erased member back.
    await m.publish(
        VolunteerProfileUpdated(member_id="gone", categories=["groceries"], radius_km=1),
        WOLGA,
    )
    await m.settle()
    original = await dump(m)
    assert {(r["member_id"], r["category"]) for r in original["candidates"]} == {
        ("v0", "company"),
        ("v0", "groceries"),
        ("v4", "transport"),
    }
    gone = next(r for r in original["members"] if r["member_id"] == "gone")
    assert gone["erased"] and gone["neighbourhood"] is None
    assert [r["area_code"] for r in original["cooperative_areas"]] == [TAAG, TAAG, OVERVECHT]
    await m.stop()

    # A fresh database and a fresh durable read the whole stream again.
    spec = consumers_of("matching")[0]
    replay = ConsumerSpec(
        service="matching", durable="matching-replay", filter_subjects=spec.filter_subjects
    )
    runtime = build(settings_for("matching-replay"), m.clock, consumer=replay)
    await runtime.start()
    try:
        rebuilt = Matching(runtime, m.clock)
        await rebuilt.settle("matching-replay")
        again = await dump(rebuilt)
        for table in original:
            assert again[table] == original[table], table
    finally:
        await runtime.stop()


async def test_erasure_cancels_open_requests_and_keeps_anonymous_figures(
    start_matching: StartMatching, nats_url: str
) -> None:
    m = await start_matching()
    await m.cooperative("overvecht", "district", [OVERVECHT], ["broker-1"])
    await m.resident("ans", TAAG)
    await m.resident("bob", TAAG)
    await m.volunteer("vera", TAAG)
    await m.settle()
    ask = c.RequestCreate(
        requester_id="ans", category="groceries", description="Melk en brood", flexible=True
    )
    open_one = await m.call(c.REQUEST_CREATE, ask)
    helped = await m.call(c.REQUEST_CREATE, ask.model_copy(update={"requester_id": "bob"}))
    [proposal] = helped.proposals
    await m.call(
        c.PROPOSAL_ACCEPT, c.ProposalAnswer(proposal_id=proposal.proposal_id, volunteer_id="vera")
    )

    exported = await m.call(c.MEMBER_EXPORT, c.MemberQuery(member_id="ans"))
    assert [r.description for r in exported.requests] == ["Melk en brood"]
    assert exported.neighbourhood == TAAG
    vera = await m.call(c.MEMBER_EXPORT, c.MemberQuery(member_id="vera"))
    assert vera.volunteer_profile is not None
    assert [r.request_id for r in vera.helped_with] == [helped.request_id]

    await m.publish(MemberErased(member_id="ans"))
    await m.publish(MemberErased(member_id="vera"))
    await m.settle()

    after = await m.call(c.MEMBER_EXPORT, c.MemberQuery(member_id="ans"))
    assert after.requests == [] and after.neighbourhood is None
    assert (await m.call(c.MEMBER_EXPORT, c.MemberQuery(member_id="vera"))) == (
        c.MemberData(
            member_id="vera",
            neighbourhood=None,
            roles=[],
            volunteer_profile=None,
            requests=[],
            proposals=[],
            helped_with=[],
        )
    )
    board = await m.call(
        c.COORDINATOR_BOARD,
        c.BoardQuery(
            coordinator_id="broker-1", area_codes=[OVERVECHT], states=["cancelled", "escalated"]
        ),
    )
    [cancelled] = board.requests["cancelled"]
    assert cancelled.request_id == open_one.request_id
    assert cancelled.requester_id.startswith("erased-")
    [escalated] = board.requests["escalated"]  # vera was helping bob: back to the broker
    assert escalated.request_id == helped.request_id
    view = await m.call(
        c.REQUEST_GET,
        c.RequestQuery(request_id=open_one.request_id, actor_id="broker-1", area_codes=[OVERVECHT]),
    )
    assert view.description is None
    await published(m, nats_url, "samen.evt.request.cancelled.", 1)


async def test_two_simultaneous_accepts_on_one_request_match_exactly_one(
    start_matching: StartMatching,
) -> None:
    m = await start_matching()
    await m.resident("ans", TAAG)
    for n in range(3):
        await m.volunteer(f"v{n}", TAAG)
    await m.settle()
    request = await m.call(
        c.REQUEST_CREATE,
        c.RequestCreate(requester_id="ans", category="groceries", description="x", flexible=True),
    )
    results = await asyncio.gather(
        *(
            m.call(
                c.PROPOSAL_ACCEPT,
                c.ProposalAnswer(proposal_id=p.proposal_id, volunteer_id=p.volunteer_id),
            )
            for p in request.proposals
        ),
        return_exceptions=True,
    )
    accepted = [r for r in results if isinstance(r, c.ProposalView)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(accepted) == 1 and len(refused) == 2, results


async def test_a_requester_s_home_comes_with_the_most_local_cooperative_s_policy(
    start_matching: StartMatching,
) -> None:
    m = await start_matching()
    await m.cooperative("overvecht", "district", [OVERVECHT], [], MatchingPolicy(max_rounds=5))
    await m.cooperative("taag", "neighbourhood", [TAAG], [], MatchingPolicy(max_rounds=2))
    await m.resident("ans", TAAG)
    await m.resident("bob", WOLGA)  # in Overvecht, outside Taag
    await m.settle()
    statements: list[str] = []
    event.listen(
        m.runtime.engine.sync_engine,
        "before_cursor_execute",
        lambda _c, _cur, sql, *_: statements.append(sql),
    )
    for member_id, cooperative_id, max_rounds in (("ans", "taag", 2), ("bob", "overvecht", 5)):
        async with m.runtime.matching_uow() as uow:
            home = await uow.readmodel.requester(member_id)
            assert home is not None and not home.erased
            area = area_of(home.municipality, home.district, home.neighbourhood)
            # Read along with the home (no statement of its own), and the same as a look-up.
            read = len(statements)
            along = await uow.readmodel.policy_for(area)
            assert len(statements) == read
        async with m.runtime.matching_uow() as uow:
            alone = await uow.readmodel.policy_for(area)
        assert along == alone == (cooperative_id, MatchingPolicy(max_rounds=max_rounds))
    async with m.runtime.matching_uow() as uow:
        assert await uow.readmodel.requester("nobody") is None
