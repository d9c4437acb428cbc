"""The delivery worker's rounds against the unit of work held in memory: quiet hours as the
clock and the member's preferences say, retries, and the coordinators' tasks for a member
without e-mail."""

from datetime import UTC, datetime, timedelta

import pytest

from services.notify.domain.messages import DeliveryError
from services.notify.domain.model import Status, Template
from services.notify.domain.passing_on import PASSED_ON
from shared.contracts.notify import PreferencesUpdate, TaskQuery, TaskRef
from shared.events import NotificationFailed, NotificationSent, RequestEscalated, RequestMatched
from tests.unit.notify.world import PUBLIC_URL, World

# 23:00 in Utrecht (UTC+1 in December): inside the default quiet hours, 22:00-08:00.
LATE = datetime(2026, 12, 8, 22, 0, tzinfo=UTC)
NEXT_MORNING = datetime(2026, 12, 9, 7, 0, tzinfo=UTC)  # 08:00 in Utrecht


@pytest.fixture
def world() -> World:
    world = World()
    world.member("lotte", "Lotte")
    return world


async def test_a_proposal_late_at_night_waits_for_the_morning_but_is_in_the_inbox(
    world: World,
) -> None:
    world.clock.set(LATE)
    await world.asked_for_help()
    await world.proposed("lotte")

    assert await world.deliver() == 1

    [proposal] = world.db.of("lotte")
    assert proposal.status is Status.held
    assert proposal.due_at == NEXT_MORNING
    assert world.mailbox.sent == []
    assert [(line.channel, line.status) for line in world.db.tables.log] == [
        ("inbox", "sent"),
        ("email", "held"),
    ]
    [item] = world.db.tables.inbox.values()
    assert item.member_id == "lotte" and item.link  # the answer links are in the app too

    world.clock.set(NEXT_MORNING)
    await world.deliver()

    [email] = world.mailbox.to("lotte@example.nl")
    assert f"{PUBLIC_URL}/" in email.text  # the links to answer with
    sent = world.db.of("lotte")[0]
    assert (sent.status, sent.sent_channel) == (Status.sent, "email")
    assert NotificationSent.TYPE in world.db.event_types()


async def test_an_urgent_proposal_goes_out_at_night(world: World) -> None:
    world.clock.set(LATE)
    await world.asked_for_help()
    await world.proposed("lotte", urgent=True)

    await world.deliver()

    assert len(world.mailbox.to("lotte@example.nl")) == 1
    assert world.db.of("lotte")[0].status is Status.sent


async def test_the_quiet_hours_are_the_members_own(world: World) -> None:
    await world.api.preferences_set(
        PreferencesUpdate(member_id="lotte", quiet_start="10:30", quiet_end="12:00")
    )
    await world.asked_for_help()
    await world.proposed("lotte")  # 11:00 in Utrecht

    await world.deliver()

    [proposal] = world.db.of("lotte")
    assert proposal.status is Status.held
    assert proposal.due_at == datetime(2026, 12, 8, 11, 0, tzinfo=UTC)  # 12:00 in Utrecht
    assert world.mailbox.sent == []


async def test_a_refused_send_is_tried_again_later_and_then_goes_out(world: World) -> None:
    await world.asked_for_help()
    await world.proposed("lotte")
    world.mailbox.failing = DeliveryError("421 try again later", transient=True)

    await world.deliver()

    [proposal] = world.db.of("lotte")
    assert (proposal.status, proposal.attempts) == (Status.retrying, 1)
    assert proposal.due_at > world.clock.now()
    assert [line.status for line in world.db.tables.log] == ["sent", "failed"]  # inbox, email
    assert NotificationFailed.TYPE not in world.db.event_types()  # not given up yet

    world.mailbox.failing = None
    world.clock.set(proposal.due_at)
    await world.deliver()

    assert len(world.mailbox.sent) == 1
    assert world.db.of("lotte")[0].status is Status.sent


async def test_a_member_without_email_hears_it_from_a_coordinator_who_ticks_it_done(
    world: World,
) -> None:
    world.member("gerrit", "Gerrit", email=False, via="joke", phone="030 765 4321")
    world.member("joke", "Joke")
    world.cooperative("coop-1", ["joke", "ahmed"])
    await world.asked_for_help(needed_in=timedelta(hours=6))
    await world.handle(
        world.recorder.request_matched,
        RequestMatched(request_id="req-1", requester_id="gerrit", volunteer_id="lotte"),
    )

    await world.deliver()

    [matched] = world.db.of("gerrit", Template.request_matched)
    assert (matched.status, matched.sent_channel) == (Status.sent, PASSED_ON)
    assert world.mailbox.to("lotte@example.nl")  # the volunteer hears it herself
    tasks = await world.tasks.tasks(TaskQuery(coordinator_id="joke"))
    [task] = tasks.tasks
    assert (task.resident_name, task.resident_phone) == ("Gerrit de Vries", "030 765 4321")
    assert task.template == Template.request_matched
    assert task.other is not None and task.other.first_name == "Lotte"
    assert [
        t.task_id for t in (await world.tasks.tasks(TaskQuery(coordinator_id="ahmed"))).tasks
    ] == [task.task_id]

    done = await world.tasks.done(TaskRef(task_id=task.task_id, coordinator_id="joke"))
    again = await world.tasks.done(TaskRef(task_id=task.task_id, coordinator_id="ahmed"))

    assert done.done_by == again.done_by == "joke"  # the first tick stays
    assert (await world.tasks.tasks(TaskQuery(coordinator_id="joke"))).tasks == []


async def test_a_member_the_registry_no_longer_knows_gets_nothing(world: World) -> None:
    await world.asked_for_help()
    await world.proposed("ahmed")  # never registered, or erased since

    await world.deliver()

    [proposal] = world.db.of("ahmed")
    assert proposal.status is Status.failed
    assert [line.error for line in world.db.tables.log] == ["recipient unknown"]


async def test_while_the_registry_is_away_the_round_is_put_off(world: World) -> None:
    await world.asked_for_help()
    await world.proposed("lotte")
    world.registry.down = True

    await world.deliver()

    [proposal] = world.db.of("lotte")
    assert proposal.status is Status.pending
    assert proposal.due_at == world.clock.now() + timedelta(seconds=30)
    assert world.db.tables.inbox == {}


async def test_an_escalation_is_copied_to_each_coordinator_and_a_digest_folds_it_in(
    world: World,
) -> None:
    world.member("joke", "Joke")
    world.member("ahmed", "Ahmed")
    world.cooperative("coop-1", ["joke", "ahmed"])
    await world.api.preferences_set(
        PreferencesUpdate(member_id="ahmed", daily_digest=True, digest_time="17:00")
    )
    await world.asked_for_help()
    await world.handle(
        world.recorder.request_escalated,
        RequestEscalated(request_id="req-1", cooperative_id="coop-1", reason="no_candidates"),
    )

    await world.deliver()  # the cooperative's message becomes one per coordinator
    await world.deliver()  # which go out, or wait for the digest

    [original] = world.db.of("coop-1")
    assert (original.status, original.sent_channel) == (Status.sent, "coordinators")
    assert len(world.mailbox.to("joke@example.nl")) == 1
    [held] = world.db.of("ahmed", Template.escalation)
    assert held.status is Status.held and held.digest
    assert held.due_at == datetime(2026, 12, 8, 16, 0, tzinfo=UTC)  # 17:00 in Utrecht
    assert world.mailbox.to("ahmed@example.nl") == []

    world.clock.set(held.due_at)
    await world.deliver()  # folded into the day's digest
    await world.deliver()  # which goes out

    [digest] = world.db.of("ahmed", Template.digest)
    assert digest.status is Status.sent
    assert [item["reason"] for item in digest.context["items"]] == ["no_candidates"]
    assert world.db.of("ahmed", Template.escalation)[0].sent_channel == "digest"
    assert len(world.mailbox.to("ahmed@example.nl")) == 1
