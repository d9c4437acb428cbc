"""A member's channels: Apprise addresses added and removed one by one (and only the schemes
the operator allows), the time of a coordinator's digest, a test message through the real
delivery, and the notices about a change of e-mail address. Real nats-server, real database,
real SMTP server."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from services.notify.adapters.orm import notifications
from services.notify.bootstrap import Notify
from shared.clock import FrozenClock
from shared.contracts import notify as nc
from shared.contracts.notify import (
    AccountNotice,
    ChannelCheck,
    CooperativeChannels,
    InboxQuery,
    MemberQuery,
    Preferences,
    PreferencesUpdate,
    apprise_id,
)
from shared.errors import Invalid
from shared.events import RequestCreated, RequestEscalated
from tests.integration.notify.harness import (
    NotifyFactory,
    RegistryData,
    SmtpServer,
    Webhook,
    publish,
    soon,
    text_of,
)

pytestmark = pytest.mark.integration

TELEGRAM = "tgram://123456789:abcdefghijklmnopqrstuvwxyz_ABCDEFGH/987654321"
TELEGRAM_2 = "tgram://223456789:bbcdefghijklmnopqrstuvwxyz_ABCDEFGH/987654322"


async def preferences(notify: Notify, member_id: str) -> Preferences:
    return await notify.runtime.rpc.call(nc.PREFERENCES_GET, MemberQuery(member_id=member_id))


async def change(notify: Notify, **fields: object) -> Preferences:
    update = PreferencesUpdate(member_id="mem-1", **fields)
    return await notify.runtime.rpc.call(nc.PREFERENCES_SET, update)


async def test_apprise_addresses_are_added_and_removed_one_by_one(
    notify: Notify, registry: RegistryData
) -> None:
    registry.person("mem-1", "Anna")
    await change(notify, apprise_add=[TELEGRAM], channels=["apprise", "email"])
    await change(notify, apprise_add=[TELEGRAM_2])
    both = await preferences(notify, "mem-1")
    assert both.apprise_urls == [TELEGRAM, TELEGRAM_2]
    # A change of something else (what the page posts) keeps every address and channel.
    await change(notify, quiet_start="23:00", channels=["apprise", "email"])
    kept = await preferences(notify, "mem-1")
    assert kept.apprise_urls == [TELEGRAM, TELEGRAM_2] and kept.channels == ["apprise", "email"]
    await change(notify, apprise_remove=[apprise_id(TELEGRAM)])
    assert (await preferences(notify, "mem-1")).apprise_urls == [TELEGRAM_2]


@pytest.mark.parametrize(
    "url",
    [
        "json://10.0.0.5:8080/internal",
        "xml://metadata.internal/latest",
        "form://127.0.0.1:9000/",
        "https://10.0.0.1/hook",
        "signal://signal-cli.internal:8080/+31600000000",
    ],
)
async def test_schemes_that_reach_a_host_of_the_members_choosing_are_refused(
    notify_factory: NotifyFactory, registry: RegistryData, url: str
) -> None:
    notify = await notify_factory.start(apprise_extra_schemes="")
    registry.person("mem-1", "Anna")
    with pytest.raises(Invalid) as refused:
        await change(notify, apprise_add=[url])
    assert refused.value.details["reason"] == "scheme_not_allowed"
    assert "10.0.0" not in str(refused.value.details)  # names the scheme, never the URL
    with pytest.raises(Invalid):
        await notify.runtime.rpc.call(
            nc.COOPERATIVE_CHANNELS_SET,
            CooperativeChannels(cooperative_id="coop-ov", apprise_urls=[url]),
        )
    assert (await preferences(notify, "mem-1")).apprise_urls == []


async def test_the_operator_allows_a_scheme_by_setting(
    notify_factory: NotifyFactory, registry: RegistryData, webhook: Webhook
) -> None:
    notify = await notify_factory.start(apprise_extra_schemes="json, signal")
    registry.person("mem-1", "Anna")
    saved = await change(notify, apprise_add=[webhook.url("mine")])
    assert saved.apprise_urls == [webhook.url("mine")]


async def test_a_test_message_goes_through_the_members_own_channels(
    notify: Notify, registry: RegistryData, smtp: SmtpServer, webhook: Webhook
) -> None:
    registry.person("mem-1", "Anna", email="anna@example.org")
    await change(notify, apprise_add=[webhook.url("anna")], channels=["apprise", "email"])
    queued = await notify.runtime.rpc.call(nc.TEST_MESSAGE, ChannelCheck(member_id="mem-1"))
    assert queued.channels == ["apprise", "email", "inbox"]

    async def posted() -> bool:
        return any(post["path"] == "/anna" for post in webhook.posts)

    await soon(posted, message="the test message did not reach the Apprise address")
    assert webhook.posts[-1]["title"] == "Testbericht van Samen"
    inbox = await notify.runtime.rpc.call(nc.INBOX_LIST, InboxQuery(member_id="mem-1"))
    assert [item.template for item in inbox.items] == ["test_message"]
    assert not smtp.to("anna@example.org")  # the first channel worked: no e-mail as well


async def test_inbox_in_the_order_ends_it(
    notify: Notify, registry: RegistryData, smtp: SmtpServer
) -> None:
    registry.person("mem-1", "Anna", email="anna@example.org")
    await change(notify, channels=["inbox", "email"])
    queued = await notify.runtime.rpc.call(nc.TEST_MESSAGE, ChannelCheck(member_id="mem-1"))
    assert queued.channels == ["inbox"]

    async def in_inbox() -> bool:
        inbox = await notify.runtime.rpc.call(nc.INBOX_LIST, InboxQuery(member_id="mem-1"))
        return bool(inbox.items)

    await soon(in_inbox)
    assert not smtp.to("anna@example.org")


async def test_a_coordinators_digest_waits_for_the_time_they_chose(
    notify: Notify, registry: RegistryData, clock: FrozenClock
) -> None:
    registry.person("coord-1", "Mirjam")
    registry.cooperative("coop-ov", ["coord-1"])
    await notify.runtime.rpc.call(
        nc.PREFERENCES_SET,
        PreferencesUpdate(member_id="coord-1", daily_digest=True, digest_time="17:30"),
    )
    assert (await preferences(notify, "coord-1")).digest_time == "17:30"
    await publish(
        notify, RequestCreated(request_id="req-1", requester_id="res-1", category="garden")
    )
    await publish(
        notify,
        RequestEscalated(request_id="req-1", cooperative_id="coop-ov", reason="no_candidates"),
    )

    async def held() -> list[object]:
        async with notify.runtime.sessions() as session:
            rows = await session.execute(
                select(notifications.c.due_at).where(
                    notifications.c.recipient_id == "coord-1",
                    notifications.c.template == "escalation",
                    notifications.c.status == "held",
                )
            )
            return list(rows.scalars())

    (due,) = await soon(held, message="the escalation was not held for the digest")
    # 17:30 in Amsterdam on 5 January is 16:30 UTC.
    expected = clock.now().replace(hour=16, minute=30)
    assert due.replace(tzinfo=None) == expected.replace(tzinfo=None)  # type: ignore[attr-defined]


async def test_the_change_of_address_notices_go_to_the_addresses_they_name(
    notify: Notify, registry: RegistryData, smtp: SmtpServer, clock: FrozenClock
) -> None:
    registry.person("mem-1", "Anna", email="oud@example.org")
    link = "https://samen.example/email/abc.def-ghi_jkl"
    queued = await notify.runtime.rpc.call(
        nc.ACCOUNT_NOTICE,
        AccountNotice(
            member_id="mem-1",
            kind="email_change",
            link=link,
            expires_at=clock.now() + timedelta(hours=24),
            email="nieuw@example.org",
        ),
    )
    assert queued.notification_id is not None

    async def confirmation() -> bool:
        return bool(smtp.to("nieuw@example.org"))

    await soon(confirmation, message="the confirmation did not reach the new address")
    assert link in text_of(smtp.to("nieuw@example.org")[0])
    assert not smtp.to("oud@example.org")
    await notify.runtime.rpc.call(
        nc.ACCOUNT_NOTICE,
        AccountNotice(member_id="mem-1", kind="email_changed", email="oud@example.org"),
    )

    async def notice() -> bool:
        return bool(smtp.to("oud@example.org"))

    await soon(notice, message="the old address heard nothing of the change")
    assert smtp.to("oud@example.org")[0]["Subject"] == "Uw e-mailadres bij Samen is veranderd"
    with pytest.raises(Invalid):  # a confirmation link must be the gateway's own page
        await notify.runtime.rpc.call(
            nc.ACCOUNT_NOTICE,
            AccountNotice(
                member_id="mem-1",
                kind="email_change",
                link="https://elsewhere.example/email/abc",
                expires_at=clock.now() + timedelta(hours=1),
                email="nieuw@example.org",
            ),
        )

    async def forgotten() -> bool:
        async with notify.runtime.sessions() as session:
            contexts = (
                await session.execute(
                    select(notifications.c.context).where(
                        notifications.c.template.in_(["email_change", "email_changed"])
                    )
                )
            ).scalars()
            return all("to" not in context and "url" not in context for context in contexts)

    await soon(forgotten, message="the addresses and the link were kept after sending")
