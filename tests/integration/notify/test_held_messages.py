"""Held messages follow the request: an escalation, proposal or digest item held for the quiet
hours or the daily digest is cancelled, with a `cancelled` line in the delivery log, once the
request it is about is matched, cancelled, completed or expired. Real nats-server, real database,
real SMTP server, injected clock (Amsterdam is UTC+1 in January)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.notify.bootstrap import Notify
from shared.clock import FrozenClock
from shared.contracts import notify as nc
from shared.contracts.notify import (
    CooperativeChannels,
    DeliveryLog,
    DeliveryLogQuery,
    PreferencesUpdate,
)
from shared.events import (
    EventData,
    MatchProposed,
    MatchWithdrawn,
    RequestCancelled,
    RequestCreated,
    RequestEscalated,
    RequestExpired,
    RequestMatched,
    envelope,
)
from tests.integration.notify.harness import (
    AREA,
    RegistryData,
    SmtpServer,
    Webhook,
    advance,
    attempts_of,
    publish,
    publish_envelope,
    soon,
    statuses,
)

pytestmark = pytest.mark.integration

AT_23H = datetime(2026, 1, 5, 22, 0, tzinfo=UTC)  # Monday 23:00 in Amsterdam: quiet
AT_7H38 = datetime(2026, 1, 6, 6, 38, tzinfo=UTC)  # Tuesday 07:38: still quiet
AT_8H = datetime(2026, 1, 6, 7, 0, tzinfo=UTC)  # Tuesday 08:00: quiet hours end, digest time


async def _count(notify: Notify, count: int, **where: str) -> bool:
    return len(await attempts_of(notify, **where)) >= count


async def _cancelled_log(notify: Notify) -> DeliveryLog:
    return await notify.runtime.rpc.call(nc.DELIVERY_LOG, DeliveryLogQuery(status="cancelled"))


async def _twice(notify: Notify, data: EventData) -> None:
    """The event, a redelivered copy of it (same event id), and the same news once more under
    a new event id, as a producer that retried would send it."""
    event = envelope(data, source="matching", area=AREA)
    await publish_envelope(notify, event)
    await publish_envelope(notify, event, msg_id=f"{event.event_id}-again")
    await publish(notify, data)


async def _coordinators(
    notify: Notify, registry: RegistryData, webhook: Webhook, *, digest: bool = False
) -> None:
    registry.person("coord-1", "Mirjam")
    registry.person("res-1", "Ans")
    registry.person("vol-1", "Fatima")
    registry.person("vol-2", "Kees")
    registry.cooperative("coop-ov", ["coord-1"])
    await notify.runtime.rpc.call(
        nc.COOPERATIVE_CHANNELS_SET,
        CooperativeChannels(cooperative_id="coop-ov", apprise_urls=[webhook.url("coop")]),
    )
    if digest:
        await notify.runtime.rpc.call(
            nc.PREFERENCES_SET, PreferencesUpdate(member_id="coord-1", daily_digest=True)
        )


async def _escalate(notify: Notify, request_id: str, category: str = "garden") -> None:
    await publish(
        notify, RequestCreated(request_id=request_id, requester_id="res-1", category=category)
    )
    await publish(
        notify,
        RequestEscalated(request_id=request_id, cooperative_id="coop-ov", reason="no_candidates"),
    )


async def _held_until_8h(notify: Notify, clock: FrozenClock, smtp: SmtpServer) -> None:
    """08:00: the quiet hours end; wait until the round that releases them has sent the
    requester's "Fatima helpt u", held as long as the escalation was."""
    advance(clock, notify, AT_8H - clock.now())

    async def requester_told() -> bool:
        notify.worker.wake()
        return bool(smtp.to("res-1@"))

    await soon(requester_told, message="the held match message did not go out at 08:00")
    await notify.worker.run_once()


async def test_an_escalation_held_overnight_is_not_sent_after_a_match_by_hand_at_7h38(
    notify: Notify,
    registry: RegistryData,
    smtp: SmtpServer,
    webhook: Webhook,
    clock: FrozenClock,
) -> None:
    await _coordinators(notify, registry, webhook)
    clock.set(AT_23H)
    await _escalate(notify, "req-1")
    # Held until 08:00: the coordinator's e-mail and the cooperative's chat message.
    await soon(lambda: _count(notify, 2, template="escalation", status="held"))

    clock.set(AT_7H38)
    await _twice(
        notify,
        RequestMatched(
            request_id="req-1", requester_id="res-1", volunteer_id="vol-1", matched_by="coord-1"
        ),
    )
    await soon(lambda: _count(notify, 2, template="escalation", status="cancelled"))

    await _held_until_8h(notify, clock, smtp)
    assert smtp.to("coord-1@") == []
    assert webhook.posts == []
    found = await statuses(notify)
    assert found["escalation:coord-1"] == found["escalation:coop-ov"] == "cancelled"
    log = await _cancelled_log(notify)
    # Exactly one line per message, although the news came three times.
    assert sorted((a.recipient_id, a.template) for a in log.attempts) == [
        ("coop-ov", "escalation"),
        ("coord-1", "escalation"),
    ]
    assert {a.error for a in log.attempts} == {"request matched before it went out"}


async def test_an_escalation_held_overnight_is_not_sent_for_a_cancelled_request(
    notify: Notify,
    registry: RegistryData,
    smtp: SmtpServer,
    webhook: Webhook,
    clock: FrozenClock,
) -> None:
    await _coordinators(notify, registry, webhook)
    clock.set(AT_23H)
    await _escalate(notify, "req-1")
    await soon(lambda: _count(notify, 2, template="escalation", status="held"))
    # Ans's other request was matched overnight; its message waits for 08:00 too.
    await publish(
        notify, RequestMatched(request_id="req-2", requester_id="res-1", volunteer_id="vol-1")
    )

    clock.set(AT_7H38)
    await _twice(notify, RequestCancelled(request_id="req-1", cancelled_by="res-1"))
    await soon(lambda: _count(notify, 2, template="escalation", status="cancelled"))

    await _held_until_8h(notify, clock, smtp)
    assert smtp.to("coord-1@") == []
    assert webhook.posts == []
    log = await _cancelled_log(notify)
    assert sorted((a.recipient_id, a.channel) for a in log.attempts) == [
        ("coop-ov", "none"),
        ("coord-1", "none"),
    ]
    assert {a.error for a in log.attempts} == {"request cancelled before it went out"}


async def test_a_digest_item_of_an_expired_request_is_left_out_of_the_digest(
    notify: Notify,
    registry: RegistryData,
    smtp: SmtpServer,
    webhook: Webhook,
    clock: FrozenClock,
) -> None:
    await _coordinators(notify, registry, webhook, digest=True)
    clock.set(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))  # Monday 10:00: not quiet
    await _escalate(notify, "req-1", "garden")
    await _escalate(notify, "req-2", "groceries")
    await soon(lambda: _count(notify, 2, template="escalation", status="held", channel="email"))
    assert smtp.to("coord-1@") == []

    clock.set(datetime(2026, 1, 5, 20, 0, tzinfo=UTC))  # 21:00: nobody came for the garden
    await _twice(notify, RequestExpired(request_id="req-1"))
    await soon(lambda: _count(notify, 1, template="escalation", status="cancelled"))

    advance(clock, notify, AT_8H - clock.now())

    async def digest_sent() -> bool:
        notify.worker.wake()
        return bool(smtp.to("coord-1@"))

    await soon(digest_sent, message="no digest at 08:00")
    await notify.worker.run_once()
    (digest,) = smtp.to("coord-1@")
    assert digest["Subject"] == "Vandaag: 1 hulpvraag zonder helper"
    log = await _cancelled_log(notify)
    assert [(a.recipient_id, a.template, a.error) for a in log.attempts] == [
        ("coord-1", "escalation", "request expired before it went out")
    ]


async def test_a_proposal_held_overnight_is_not_sent_once_the_request_is_matched_by_hand(
    notify: Notify,
    registry: RegistryData,
    smtp: SmtpServer,
    webhook: Webhook,
    clock: FrozenClock,
) -> None:
    await _coordinators(notify, registry, webhook)
    clock.set(AT_23H)
    proposal = MatchProposed(
        proposal_id="prop-1",
        request_id="req-1",
        volunteer_id="vol-2",
        category="groceries",
        round=1,
        expires_at=datetime(2026, 1, 6, 12, 0, tzinfo=UTC),
    )
    await publish(notify, proposal)
    await soon(lambda: _count(notify, 1, template="proposal", status="held"))

    clock.set(AT_7H38)
    await _twice(
        notify,
        RequestMatched(
            request_id="req-1", requester_id="res-1", volunteer_id="vol-1", matched_by="coord-1"
        ),
    )
    await soon(lambda: _count(notify, 1, template="proposal", status="cancelled"))
    # Matching withdraws the proposal afterwards: Kees never saw it, so no "already taken".
    await publish(
        notify, MatchWithdrawn(proposal_id="prop-1", request_id="req-1", volunteer_id="vol-2")
    )
    # Events are handled in order: once a later one is recorded, the withdrawal was too.
    await publish(
        notify, RequestMatched(request_id="req-9", requester_id="res-9", volunteer_id="vol-9")
    )

    async def later_one_recorded() -> bool:
        return "request_matched:res-9" in await statuses(notify)

    await soon(later_one_recorded)

    await _held_until_8h(notify, clock, smtp)
    advance(clock, notify, timedelta(minutes=5))
    await notify.worker.run_once()
    assert smtp.to("vol-2@") == []
    assert "proposal_withdrawn:vol-2" not in await statuses(notify)
    log = await _cancelled_log(notify)
    assert [(a.recipient_id, a.template) for a in log.attempts] == [("vol-2", "proposal")]
