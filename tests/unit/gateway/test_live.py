"""Which events reach which open page: a member hears about their own requests and
proposals; a coordinator about requests in their areas; nobody about anyone else."""

from collections.abc import AsyncGenerator

from services.gateway.live import Listener, LiveHub
from shared.areas import AreaRef
from shared.events import (
    MatchAccepted,
    MatchProposed,
    NotificationSent,
    RequestCreated,
    RequestEscalated,
    RequestMatched,
    envelope,
)

OVERVECHT = AreaRef.from_code("BU03440312")
OOST = AreaRef.from_code("BU03440531")
NOW = "2026-01-05T09:00:00Z"


def test_a_requester_hears_each_state_of_their_own_request_only() -> None:
    me = Listener(member_id="m1")
    created = envelope(
        RequestCreated(request_id="r1", requester_id="m1", category="groceries"),
        source="matching",
        area=OVERVECHT,
    )
    assert [m.data["state"] for m in me.wants(created)] == ["open"]
    proposed = envelope(
        MatchProposed(
            proposal_id="p1",
            request_id="r1",
            volunteer_id="v1",
            category="groceries",
            round=1,
            expires_at=NOW,
        ),
        source="matching",
        area=OVERVECHT,
    )
    assert [(m.event, m.data["state"]) for m in me.wants(proposed)] == [("request", "proposed")]
    escalated = envelope(
        RequestEscalated(request_id="r1", cooperative_id=None, reason="no_candidates"),
        source="matching",
        area=OVERVECHT,
    )
    assert [m.data["state"] for m in me.wants(escalated)] == ["escalated"]
    someone_else = envelope(
        RequestMatched(request_id="r2", requester_id="m2", volunteer_id="v1"),
        source="matching",
        area=OVERVECHT,
    )
    assert me.wants(someone_else) == []


def test_a_volunteer_hears_of_proposals_to_them_and_inbox_items() -> None:
    volunteer = Listener(member_id="v1")
    accepted = envelope(
        MatchAccepted(proposal_id="p1", request_id="r1", volunteer_id="v1"), source="matching"
    )
    assert [m.event for m in volunteer.wants(accepted)] == ["proposal"]
    inbox = envelope(
        NotificationSent(notification_id="n1", recipient_id="v1", template="t", channel="inbox"),
        source="notify",
    )
    assert [m.event for m in volunteer.wants(inbox)] == ["inbox"]
    other = envelope(
        MatchAccepted(proposal_id="p2", request_id="r1", volunteer_id="v2"), source="matching"
    )
    assert volunteer.wants(other) == []


def test_a_coordinator_board_follows_requests_of_their_areas_only() -> None:
    coordinator = Listener(member_id="c1", areas=("WK034403",))
    here = envelope(
        RequestEscalated(request_id="r1", cooperative_id="x", reason="no_candidates"),
        source="matching",
        area=OVERVECHT,
    )
    there = envelope(
        RequestEscalated(request_id="r2", cooperative_id="y", reason="no_candidates"),
        source="matching",
        area=OOST,
    )
    assert [(m.event, m.data["area"]) for m in coordinator.wants(here)] == [("board", "BU03440312")]
    assert coordinator.wants(there) == []


def test_events_carry_ids_and_states_only() -> None:
    me = Listener(member_id="m1", request_ids={"r1"})
    event = envelope(
        RequestMatched(request_id="r1", requester_id="m1", volunteer_id="v1"),
        source="matching",
        area=OVERVECHT,
    )
    (message,) = me.wants(event)
    assert set(message.data) == {"type", "event_id", "request_id", "state"}


async def test_the_hub_delivers_to_listening_streams_and_forgets_closed_ones() -> None:
    hub = LiveHub()
    listener = Listener(member_id="m1", request_ids={"r1"})
    stream = hub.stream(listener)
    hub.listen(listener)
    hub.publish(
        envelope(
            RequestMatched(request_id="r1", requester_id="m1", volunteer_id="v1"),
            source="matching",
            area=OVERVECHT,
        )
    )
    message = await anext(stream)
    assert message.data["state"] == "matched"
    assert isinstance(stream, AsyncGenerator)
    await stream.aclose()
    assert hub.listeners == 0
