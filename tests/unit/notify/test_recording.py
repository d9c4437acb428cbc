"""Notify's event handlers against the unit of work held in memory: which messages each event
records, to whom and when, once however often it comes, and what it makes stale."""

from datetime import date, timedelta

import pytest

from services.notify.domain.model import RecipientKind, Status, Template, cancel_reason
from shared.contracts.notify import CooperativeChannels
from shared.events import (
    MatchAccepted,
    MatchWithdrawn,
    MemberErased,
    MemberRegistered,
    RequestCancelled,
    RequestCompleted,
    RequestEscalated,
    RequestMatched,
    VolunteerCertificateExpiring,
)
from tests.unit.notify.world import MORNING, TAAG, World


@pytest.fixture
def world() -> World:
    return World()


async def test_a_new_member_is_welcomed_once_however_often_the_event_comes(world: World) -> None:
    registered = MemberRegistered(member_id="gerrit", roles=["resident"], registered_by="joke")

    event = await world.handle(world.recorder.member_registered, registered)
    await world.handle(world.recorder.member_registered, event)  # redelivered

    [welcome] = world.db.of("gerrit")
    assert welcome.template == Template.welcome
    assert welcome.status is Status.pending
    assert welcome.due_at == MORNING
    assert welcome.neighbourhood == TAAG
    assert welcome.context == {
        "member_id": "gerrit",
        "roles": ["resident"],
        "registered_by": "joke",
    }
    assert not welcome.inbox_done  # a member's message goes to their inbox too


async def test_a_proposal_records_its_link_and_the_request_keeps_its_requester(
    world: World,
) -> None:
    await world.asked_for_help()
    await world.proposed("lotte", urgent=True)

    [proposal] = world.db.of("lotte", Template.proposal)
    assert proposal.urgent and proposal.request_id == "req-1"
    assert proposal.context["proposal_id"] == "prop-lotte"
    [link] = world.db.tables.links.values()
    assert (link.proposal_id, link.volunteer_id, link.state) == ("prop-lotte", "lotte", "open")
    # The proposal does not name the requester; what request.created said stays.
    assert world.db.tables.requests["req-1"].requester_id == "gerrit"


async def test_a_match_tells_both_and_reminds_both_a_day_ahead(world: World) -> None:
    await world.asked_for_help(needed_in=timedelta(days=3))
    await world.proposed("lotte", needed_in=timedelta(days=3))

    await world.handle(
        world.recorder.request_matched,
        RequestMatched(request_id="req-1", requester_id="gerrit", volunteer_id="lotte"),
    )

    needed_from = MORNING + timedelta(days=3)
    [matched] = world.db.of("gerrit", Template.request_matched)
    [confirmed] = world.db.of("lotte", Template.match_confirmed)
    assert matched.context["category"] == confirmed.context["category"] == "groceries"
    assert matched.context["needed_from"] == needed_from.isoformat()
    reminders = world.db.of("gerrit", Template.reminder) + world.db.of("lotte", Template.reminder)
    assert {(r.recipient_id, r.context["role"]) for r in reminders} == {
        ("gerrit", "requester"),
        ("lotte", "volunteer"),
    }
    assert {r.due_at for r in reminders} == {needed_from - timedelta(hours=24)}
    # The proposal not yet sent is no longer news: cancelled, with a line in the log.
    [proposal] = world.db.of("lotte", Template.proposal)
    assert proposal.status is Status.cancelled
    assert [line.status for line in world.db.tables.log] == ["cancelled"]


async def test_help_needed_within_half_a_day_gets_no_reminder(world: World) -> None:
    await world.asked_for_help(needed_in=timedelta(hours=6))

    await world.handle(
        world.recorder.request_matched,
        RequestMatched(request_id="req-1", requester_id="gerrit", volunteer_id="lotte"),
    )

    assert world.db.of("gerrit", Template.reminder) == []
    assert len(world.db.of("gerrit", Template.request_matched)) == 1


async def withdrawn(world: World, volunteer: str) -> None:
    await world.handle(
        world.recorder.match_withdrawn,
        MatchWithdrawn(proposal_id=f"prop-{volunteer}", request_id="req-1", volunteer_id=volunteer),
    )


async def test_a_withdrawn_proposal_that_never_went_out_needs_no_apology(world: World) -> None:
    await world.asked_for_help()
    await world.proposed("lotte")

    await withdrawn(world, "lotte")

    [proposal] = world.db.of("lotte")
    assert proposal.status is Status.cancelled
    assert world.db.tables.links[next(iter(world.db.tables.links))].state == "withdrawn"


async def test_a_withdrawn_proposal_that_went_out_is_followed_by_word_it_is_taken(
    world: World,
) -> None:
    world.member("lotte", "Lotte")
    await world.asked_for_help()
    await world.proposed("lotte")
    await world.deliver()
    assert world.mailbox.to("lotte@example.nl")

    await withdrawn(world, "lotte")

    [taken] = world.db.of("lotte", Template.proposal_withdrawn)
    assert taken.context["proposal_id"] == "prop-lotte"
    assert taken.context["category"] == "groceries"


async def test_an_answer_in_the_app_spends_the_link_and_the_held_proposal(world: World) -> None:
    await world.asked_for_help()
    await world.proposed("lotte")

    await world.handle(
        world.recorder.match_answered,
        MatchAccepted(proposal_id="prop-lotte", request_id="req-1", volunteer_id="lotte"),
    )

    [link] = world.db.tables.links.values()
    assert (link.state, link.used_action) == ("answered", "accept")
    assert world.db.of("lotte")[0].status is Status.cancelled


async def test_an_escalation_goes_to_the_coordinators_and_the_cooperatives_own_channel(
    world: World,
) -> None:
    await world.asked_for_help()
    escalated = RequestEscalated(
        request_id="req-1", cooperative_id="coop-1", reason="no_candidates", rounds=2
    )
    await world.handle(world.recorder.request_escalated, escalated)
    assert [n.recipient_kind for n in world.db.of("coop-1")] == [RecipientKind.coordinators]

    world.db.tables.cooperative_channels["coop-1"] = CooperativeChannels(
        cooperative_id="coop-1", apprise_urls=["tgram://bot/chat"]
    )
    await world.handle(
        world.recorder.request_escalated, escalated.model_copy(update={"request_id": "req-2"})
    )

    kinds = {n.recipient_kind for n in world.db.of("coop-1") if n.request_id == "req-2"}
    assert kinds == {RecipientKind.coordinators, RecipientKind.cooperative}
    first = world.db.of("coop-1")[0]
    assert first.context["reason"] == "no_candidates" and first.context["rounds"] == 2
    assert first.context["requester_id"] == "gerrit" and first.context["urgent"] is False


async def test_an_escalation_without_a_cooperative_records_nothing(world: World) -> None:
    await world.handle(
        world.recorder.request_escalated,
        RequestEscalated(request_id="req-1", cooperative_id=None, reason="no_candidates"),
    )

    assert world.db.tables.notifications == {}


async def test_a_cancelled_request_cancels_what_is_still_held_about_it(world: World) -> None:
    await world.asked_for_help()
    await world.proposed("lotte")
    await world.proposed("ahmed")

    await world.handle(world.recorder.request_closed, RequestCancelled(request_id="req-1"))

    assert {n.status for n in world.db.tables.notifications.values()} == {Status.cancelled}
    assert len(world.db.tables.log) == 2
    assert {line.error for line in world.db.tables.log} == {cancel_reason("cancelled")}


async def test_an_erased_member_leaves_nothing_behind(world: World) -> None:
    await world.handle(
        world.recorder.member_registered, MemberRegistered(member_id="gerrit", roles=["resident"])
    )
    await world.asked_for_help()

    await world.handle(world.recorder.member_erased, MemberErased(member_id="gerrit"))

    assert world.db.of("gerrit") == []
    assert world.db.tables.requests == {}


async def test_a_completed_request_thanks_both_and_a_request_done_without_a_volunteer_one(
    world: World,
) -> None:
    await world.asked_for_help()
    await world.asked_for_help("req-2")

    await world.handle(
        world.recorder.request_completed,
        RequestCompleted(request_id="req-1", requester_id="gerrit", volunteer_id="lotte", hours=2),
    )
    await world.handle(
        world.recorder.request_completed,
        RequestCompleted(request_id="req-2", requester_id="gerrit", volunteer_id=None),
    )

    thanked = world.db.of("gerrit", Template.thanks_requester)
    assert [n.request_id for n in thanked] == ["req-1", "req-2"]
    [volunteer] = world.db.of("lotte", Template.thanks_volunteer)
    assert volunteer.context["hours"] == 2 and volunteer.context["category"] == "groceries"


async def test_an_expiring_certificate_is_told_to_the_volunteer_and_the_coordinators(
    world: World,
) -> None:
    await world.handle(
        world.recorder.certificate_expiring,
        VolunteerCertificateExpiring(
            member_id="lotte", expires_on=date(2027, 1, 1), cooperative_id="coop-1"
        ),
    )

    [own] = world.db.of("lotte")
    [theirs] = world.db.of("coop-1")
    assert (own.context["role"], theirs.context["role"]) == ("volunteer", "coordinator")
    assert theirs.recipient_kind is RecipientKind.coordinators
    assert theirs.context["volunteer_id"] == "lotte"
