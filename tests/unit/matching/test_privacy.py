"""Export and erasure of a member's data in matching, against the unit of work held in memory."""

from services.matching.service_layer import privacy, usecases
from shared.contracts import matching as c
from tests.unit.matching.world import OVERVECHT, TAAG, World, answer, ask


async def helped_once(world: World) -> str:
    """`res` asked, `ans` helped and said how it went, and so did `res`: the request's id."""
    await world.cooperative("overvecht", "district", [OVERVECHT], ["coord"])
    await world.resident("res", TAAG)
    await world.volunteer("ans", TAAG)
    view = await world.call(usecases.create_request, ask())
    await world.call(usecases.answer_proposal, answer(view.proposals[0]), accept=True)
    await world.call(
        usecases.complete_request,
        c.RequestComplete(
            request_id=view.request_id, actor_id="ans", hours=2, score=5, comment="Gezellig"
        ),
    )
    await world.call(
        usecases.give_feedback,
        c.RequestFeedback(request_id=view.request_id, actor_id="res", score=4, comment="Dank!"),
    )
    return view.request_id


async def test_an_export_holds_what_each_side_gave(world: World) -> None:
    request_id = await helped_once(world)

    asked = await world.run(lambda uow: privacy.export_member("res", uow=uow))
    helped = await world.run(lambda uow: privacy.export_member("ans", uow=uow))

    assert (asked.neighbourhood, asked.roles, asked.volunteer_profile) == (TAAG, ["resident"], None)
    assert [(r.request_id, r.description) for r in asked.requests] == [
        (request_id, "Boodschappen bij de supermarkt")
    ]
    assert [(f.side, f.score, f.comment) for f in asked.requests[0].feedback] == [
        ("requester", 4, "Dank!"),
        ("volunteer", None, None),  # the other side's: only that it was given
    ]
    assert asked.proposals == asked.helped_with == []
    assert helped.volunteer_profile is not None
    assert helped.volunteer_profile.categories == ["groceries"]
    assert [(p.request_id, p.state) for p in helped.proposals] == [(request_id, "accepted")]
    assert [(r.request_id, r.state) for r in helped.helped_with] == [(request_id, "done")]
    assert [(f.request_id, f.score, f.comment) for f in helped.feedback_as_volunteer] == [
        (request_id, 5, "Gezellig")
    ]
    assert helped.requests == []


async def test_an_erased_requester_leaves_only_anonymous_figures(world: World) -> None:
    request_id = await helped_once(world)
    await world.call(usecases.create_request, ask(description="Nog een keer"))

    erased = await world.run(lambda uow: privacy.erase_member("res", uow=uow, ctx=world.ctx))

    assert (erased.requests_anonymised, erased.requests_cancelled) == (2, 1)
    done = world.db.request(request_id)
    assert done.requester_id.startswith("erased-")
    assert (done.state, done.category, done.area.neighbourhood) == ("done", "groceries", TAAG)
    assert (done.description, done.comment, done.volunteer_comment) == (None, None, None)
    assert {r.requester_id for r in world.db.tables.requests.values()} == {done.requester_id}
    after = await world.run(lambda uow: privacy.export_member("res", uow=uow))
    assert (after.neighbourhood, after.roles, after.requests) == (None, [], [])
    # A registry event arriving late does not bring them back.
    await world.resident("res", TAAG)
    assert world.db.tables.members["res"].erased


async def test_an_erased_volunteers_request_goes_to_the_coordinators(world: World) -> None:
    await world.cooperative("overvecht", "district", [OVERVECHT], ["coord"])
    await world.resident("res", TAAG)
    await world.volunteer("ans", TAAG)
    view = await world.call(usecases.create_request, ask())
    await world.call(usecases.answer_proposal, answer(view.proposals[0]), accept=True)
    before = len(world.db.events)

    erased = await world.run(lambda uow: privacy.erase_member("ans", uow=uow, ctx=world.ctx))

    assert erased.proposals_anonymised == 1
    request = world.db.request(view.request_id)
    assert (request.state, request.escalation_reason, request.escalated_to) == (
        "escalated",
        "manual",
        "overvecht",
    )
    assert request.matched_volunteer_id is not None
    assert request.matched_volunteer_id.startswith("erased-")
    assert [p.volunteer_id for p in request.proposals] == [request.matched_volunteer_id]
    assert world.db.event_types(before) == ["match.withdrawn", "request.escalated"]
    assert "ans" not in world.db.tables.volunteers
    gone = await world.run(lambda uow: privacy.export_member("ans", uow=uow))
    assert (gone.volunteer_profile, gone.proposals, gone.helped_with) == (None, [], [])
