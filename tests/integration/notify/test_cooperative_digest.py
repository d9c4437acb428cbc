"""A cooperative's own digest time: its coordinators who chose a daily digest, but no time of
their own, get its escalations at the time the cooperative chose; one with a time of their own
keeps it. Set and read with `cooperative_channels.set` / `.get`. Real nats-server, real
database, real SMTP server, injected clock (Amsterdam is UTC+1 in January)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from services.notify.adapters.orm import notifications
from services.notify.bootstrap import Notify
from shared.clock import FrozenClock
from shared.contracts import notify as nc
from shared.contracts.notify import CooperativeChannels, CooperativeQuery, PreferencesUpdate
from shared.errors import Invalid
from shared.events import RequestCreated, RequestEscalated
from tests.integration.notify.harness import (
    RegistryData,
    SmtpServer,
    Webhook,
    advance,
    publish,
    soon,
)
from tests.support import error_fields

pytestmark = pytest.mark.integration

AT_17H30 = datetime(2026, 1, 5, 16, 30, tzinfo=UTC)  # Monday 17:30 in Amsterdam
AT_19H = datetime(2026, 1, 5, 18, 0, tzinfo=UTC)  # Monday 19:00 in Amsterdam


async def _channels(notify: Notify, cooperative_id: str = "coop-ov") -> CooperativeChannels:
    return await notify.runtime.rpc.call(
        nc.COOPERATIVE_CHANNELS_GET, CooperativeQuery(cooperative_id=cooperative_id)
    )


async def _set(notify: Notify, **fields: object) -> CooperativeChannels:
    """`cooperative_channels.set` with exactly these fields in the request."""
    answer = await notify.runtime.rpc.call_unchecked(
        nc.COOPERATIVE_CHANNELS_SET, {"cooperative_id": "coop-ov", **fields}
    )
    return CooperativeChannels.model_validate(answer)


async def _held_until(notify: Notify) -> dict[str, datetime]:
    """coordinator -> when their held digest item of the escalation goes out."""
    async with notify.runtime.sessions() as session:
        rows = await session.execute(
            select(notifications.c.recipient_id, notifications.c.due_at).where(
                notifications.c.template == "escalation",
                notifications.c.digest.is_(True),
                notifications.c.status == "held",
            )
        )
        return {
            recipient: due.replace(tzinfo=UTC) if due.tzinfo is None else due
            for recipient, due in rows.all()
        }


async def _mail_to(notify: Notify, smtp: SmtpServer, address: str) -> bool:
    notify.worker.wake()
    return bool(smtp.to(address))


async def test_coordinators_without_a_time_of_their_own_get_the_digest_at_the_cooperatives(
    notify: Notify, registry: RegistryData, smtp: SmtpServer, clock: FrozenClock
) -> None:
    registry.person("coord-1", "Mirjam")
    registry.person("coord-2", "Henk")
    registry.person("res-1", "Ans")
    registry.cooperative("coop-ov", ["coord-1", "coord-2"])
    await _set(notify, digest_time="17:30")
    for update in (
        PreferencesUpdate(member_id="coord-1", daily_digest=True),
        PreferencesUpdate(member_id="coord-2", daily_digest=True, digest_time="19:00"),
    ):
        await notify.runtime.rpc.call(nc.PREFERENCES_SET, update)

    # Monday 10:00: nobody to be found for Ans's garden.
    await publish(
        notify, RequestCreated(request_id="req-1", requester_id="res-1", category="garden")
    )
    await publish(
        notify,
        RequestEscalated(request_id="req-1", cooperative_id="coop-ov", reason="no_candidates"),
    )

    async def both_held() -> dict[str, datetime] | None:
        held = await _held_until(notify)
        return held if len(held) == 2 else None

    held = await soon(both_held, message="the escalation was not held for both digests")
    assert held == {"coord-1": AT_17H30, "coord-2": AT_19H}
    assert smtp.to("coord-1@") == smtp.to("coord-2@") == []

    # 17:30: Mirjam's digest, at the cooperative's time; Henk waits for his own.
    advance(clock, notify, AT_17H30 - clock.now())
    await soon(lambda: _mail_to(notify, smtp, "coord-1@"), message="no digest at 17:30")
    await notify.worker.run_once()
    (digest,) = smtp.to("coord-1@")
    assert digest["Subject"] == "Vandaag: 1 hulpvraag zonder helper"
    assert smtp.to("coord-2@") == []

    advance(clock, notify, AT_19H - clock.now())
    await soon(lambda: _mail_to(notify, smtp, "coord-2@"), message="no digest at 19:00")
    (digest,) = smtp.to("coord-2@")
    assert digest["Subject"] == "Vandaag: 1 hulpvraag zonder helper"
    assert len(smtp.to("coord-1@")) == 1


async def test_the_digest_time_and_the_urls_change_apart_and_a_bad_time_is_refused(
    notify: Notify, webhook: Webhook
) -> None:
    assert await _channels(notify) == CooperativeChannels(cooperative_id="coop-ov")
    url = webhook.url("coop")

    stored = await _set(notify, digest_time="17:30")
    assert stored == CooperativeChannels(cooperative_id="coop-ov", digest_time="17:30")
    # The URLs alone: the digest time stays.
    await _set(notify, apprise_urls=[url])
    assert await _channels(notify) == CooperativeChannels(
        cooperative_id="coop-ov", apprise_urls=[url], digest_time="17:30"
    )
    # The digest time alone: the URLs stay.
    await _set(notify, digest_time="06:45")
    assert await _channels(notify) == CooperativeChannels(
        cooperative_id="coop-ov", apprise_urls=[url], digest_time="06:45"
    )
    # The whole state as the admin page sends it after a read: back to the default time.
    whole = (await _channels(notify)).model_copy(update={"digest_time": None})
    await notify.runtime.rpc.call(nc.COOPERATIVE_CHANNELS_SET, whole)
    assert await _channels(notify) == CooperativeChannels(
        cooperative_id="coop-ov", apprise_urls=[url]
    )

    with pytest.raises(Invalid) as refused:
        await _set(notify, digest_time="25:00")
    assert [error["field"] for error in error_fields(refused.value)] == ["digest_time"]
    with pytest.raises(Invalid):  # the Apprise URLs are still checked
        await _set(notify, apprise_urls=["gopher://example.org/chat"], digest_time="09:00")
    assert await _channels(notify) == CooperativeChannels(
        cooperative_id="coop-ov", apprise_urls=[url]
    )
