"""Notify end to end: events from JetStream, notify's own database, a real SMTP server and a
real HTTP endpoint behind Apprise's json://. SQLite, and PostgreSQL when given."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

import pytest

from services.notify.adapters.orm import inbox_items, notifications
from services.notify.bootstrap import Notify
from shared.clock import FrozenClock
from shared.contracts import notify as nc
from shared.contracts.notify import InboxPage, InboxQuery, PreferencesUpdate
from shared.events import (
    Envelope,
    MatchProposed,
    MemberRegistered,
    NotificationFailed,
    NotificationSent,
)
from shared.ids import new_id
from tests.integration.notify.harness import (
    EventWatcher,
    NotifyFactory,
    RegistryData,
    SmtpServer,
    Webhook,
    advance,
    attempts_of,
    count_rows,
    html_of,
    publish,
    publish_envelope,
    soon,
    text_of,
)

pytestmark = pytest.mark.integration


def proposal(
    volunteer_id: str, *, urgent: bool = False, expires_in: timedelta = timedelta(hours=4)
) -> MatchProposed:
    return MatchProposed(
        proposal_id=new_id(),
        request_id="req-" + new_id(),
        volunteer_id=volunteer_id,
        category="groceries",
        round=1,
        urgent=urgent,
        expires_at=datetime(2026, 1, 5, 9, 0, tzinfo=UTC) + expires_in,
        needed_from=datetime(2026, 1, 6, 8, 0, tzinfo=UTC),
        needed_until=datetime(2026, 1, 6, 11, 0, tzinfo=UTC),
    )


async def inbox(notify: Notify, member_id: str) -> InboxPage:
    return await notify.runtime.rpc.call(nc.INBOX_LIST, InboxQuery(member_id=member_id))


async def test_a_proposal_arrives_by_email_with_text_html_and_links_and_in_the_inbox(
    notify: Notify, registry: RegistryData, smtp: SmtpServer
) -> None:
    registry.person("vol-1", "Fatima", email="fatima@example.org")
    event = await publish(notify, proposal("vol-1"))

    await soon(lambda: _async(len(smtp.received) == 1), message="no e-mail arrived")
    message = smtp.received[0]
    assert message["To"] == "Fatima Jansen <fatima@example.org>"
    assert message["Subject"] == "Kunt u helpen? Boodschappen"
    assert message["Message-ID"].endswith("@samen.local>")
    text, html = text_of(message), html_of(message)
    assert "Hallo Fatima" in text and "Overvecht-Noord" in text
    assert "dinsdag 6 januari, 09:00 tot 12:00" in text
    links = re.findall(r"https://samen\.example/p/\S+", text)
    assert len(links) == 2 and all(link in html for link in links)

    page = await soon(lambda: inbox(notify, "vol-1"))
    assert [item.subject for item in page.items] == ["Kunt u helpen? Boodschappen"]
    assert page.unread == 1
    assert page.items[0].link == f"https://samen.example/proposals/{event.data['proposal_id']}"
    await soon(lambda: _has_email_attempt(notify, "sent"))
    assert await attempts_of(notify) == [("inbox", "sent"), ("email", "sent")]


async def test_the_inbox_shows_each_message_in_the_language_of_the_page_that_asks(
    notify: Notify, registry: RegistryData, smtp: SmtpServer
) -> None:
    """The e-mail is in the reader's language (Dutch here); the inbox page asks in its own
    language, so an English page shows the same message in English, not Dutch."""
    registry.person("vol-2", "Fatima", email="fatima@example.org")
    await publish(notify, proposal("vol-2"))
    await soon(lambda: _async(len(smtp.received) == 1), message="no e-mail arrived")
    assert smtp.received[0]["Subject"] == "Kunt u helpen? Boodschappen"

    async def page_in(language: Literal["nl", "en"] | None) -> InboxPage:
        return await notify.runtime.rpc.call(
            nc.INBOX_LIST, InboxQuery(member_id="vol-2", language=language)
        )

    english = (await page_in("en")).items[0]
    assert english.subject == "Can you help? Groceries"
    assert "Hello Fatima" in english.body and "Hallo" not in english.body
    dutch = (await page_in("nl")).items[0]
    assert dutch.subject == "Kunt u helpen? Boodschappen" and "Hallo Fatima" in dutch.body
    assert (await page_in(None)).items[0].subject == dutch.subject  # the reader's own


async def test_the_same_match_proposed_three_times_gives_one_email_and_one_inbox_item(
    notify: Notify, registry: RegistryData, smtp: SmtpServer, nats_url: str
) -> None:
    registry.person("vol-1", "Fatima")
    event = await publish(notify, proposal("vol-1"))
    # Two more copies under other message ids: JetStream stores and delivers all three.
    await publish_envelope(notify, event, msg_id="copy-2")
    await publish_envelope(notify, event, msg_id="copy-3")
    async with EventWatcher(nats_url) as watcher:
        await soon(
            lambda: _async(notify.runtime.consumers[0].handled >= 1 and len(smtp.received) >= 1)
        )
        # All three copies have been taken off the stream (acked) ...
        await soon(lambda: _consumer_done(notify, nats_url, 3))
        await soon(lambda: watcher.of_type(NotificationSent.TYPE))
        sent = await watcher.of_type(NotificationSent.TYPE)
    # ... and there is one message per person and purpose.
    assert len(smtp.received) == 1
    assert await count_rows(notify, notifications) == 1
    assert await count_rows(notify, inbox_items) == 1
    assert len((await inbox(notify, "vol-1")).items) == 1
    assert [(e.data["channel"], e.data["template"]) for e in sent] == [("email", "proposal")]
    assert "fatima" not in sent[0].model_dump_json().lower()  # no personal data in events


async def test_an_smtp_server_that_refuses_twice_then_accepts_gets_the_message_once(
    notify: Notify, registry: RegistryData, smtp: SmtpServer, clock: FrozenClock
) -> None:
    smtp.behaviour.refuse_first = 2
    registry.person("mem-1", "Ans")
    await publish(notify, MemberRegistered(member_id="mem-1", roles=["resident"]))

    async def delivered() -> bool:
        advance(clock, notify, timedelta(minutes=5))  # past each backoff delay
        return len(smtp.received) >= 1

    await soon(delivered, message="the third attempt did not arrive")
    assert smtp.refused == 2
    assert len(smtp.received) == 1
    assert smtp.received[0]["Subject"] == "Welkom bij Samen"
    await soon(lambda: _has_email_attempt(notify, "sent"))
    assert await attempts_of(notify, channel="email") == [
        ("email", "failed"),
        ("email", "failed"),
        ("email", "sent"),
    ]


async def test_an_smtp_server_that_always_refuses_leads_to_the_fallback_and_a_failed_event(
    notify: Notify,
    registry: RegistryData,
    smtp: SmtpServer,
    webhook: Webhook,
    clock: FrozenClock,
    nats_url: str,
) -> None:
    smtp.behaviour.always_refuse = True
    registry.person("mem-1", "Ans")
    await notify.runtime.rpc.call(
        nc.PREFERENCES_SET, PreferencesUpdate(member_id="mem-1", apprise_urls=[webhook.url()])
    )
    async with EventWatcher(nats_url) as watcher:
        await publish(notify, MemberRegistered(member_id="mem-1", roles=["resident"]))

        async def fell_back() -> bool:
            advance(clock, notify, timedelta(minutes=5))
            return len(webhook.posts) >= 1

        await soon(fell_back, message="the fallback channel was not used")
        failed = await soon(lambda: watcher.of_type(NotificationFailed.TYPE))
        sent = await soon(lambda: watcher.of_type(NotificationSent.TYPE))

    assert smtp.refused == 3 and smtp.received == []
    assert len(webhook.posts) == 1
    assert webhook.posts[0]["title"] == "Welkom bij Samen"
    assert "Hallo Ans" in webhook.posts[0]["message"]
    assert [(e.data["channel"], e.data["template"]) for e in failed] == [("email", "welcome")]
    assert "451" in failed[0].data["reason"]
    assert [e.data["channel"] for e in sent] == ["apprise"]
    assert await attempts_of(notify) == [
        ("inbox", "sent"),
        ("email", "failed"),
        ("email", "failed"),
        ("email", "failed"),
        ("apprise", "sent"),
    ]


async def test_an_apprise_channel_delivers_to_a_real_http_endpoint(
    notify: Notify, registry: RegistryData, smtp: SmtpServer, webhook: Webhook
) -> None:
    registry.person("vol-1", "Fatima", language="en")
    await notify.runtime.rpc.call(
        nc.PREFERENCES_SET,
        PreferencesUpdate(
            member_id="vol-1", channels=["apprise"], apprise_urls=[webhook.url("signal")]
        ),
    )
    await publish(notify, proposal("vol-1"))
    await soon(lambda: _async(len(webhook.posts) == 1))
    post = webhook.posts[0]
    assert post["path"] == "/signal"
    assert post["title"] == "Can you help? Groceries"
    assert "https://samen.example/p/" in post["message"]
    assert smtp.received == []


async def test_a_message_due_in_quiet_hours_is_held_until_08h_and_an_urgent_one_is_not(
    notify: Notify, registry: RegistryData, smtp: SmtpServer, clock: FrozenClock
) -> None:
    registry.person("vol-1", "Fatima", email="fatima@example.org")
    registry.person("vol-2", "Kees", email="kees@example.org")
    clock.set(datetime(2026, 1, 5, 22, 0, tzinfo=UTC))  # 23:00 in Amsterdam
    await publish(notify, proposal("vol-1", expires_in=timedelta(hours=24)))
    await publish(notify, proposal("vol-2", urgent=True, expires_in=timedelta(hours=14)))

    await soon(lambda: _async(len(smtp.to("kees@")) == 1), message="urgent not sent")
    assert smtp.received[0]["Subject"].startswith("Dringend")
    await soon(lambda: _has_attempt(notify, "held"))
    # The held one is in the inbox already, and not in the mailbox.
    assert len((await inbox(notify, "vol-1")).items) == 1
    assert smtp.to("fatima@") == []

    advance(clock, notify, timedelta(hours=8, minutes=59))  # 07:59 local
    await notify.worker.run_once()
    assert smtp.to("fatima@") == []

    advance(clock, notify, timedelta(minutes=1))  # 08:00 local
    await soon(lambda: _async(len(smtp.to("fatima@")) == 1), message="not sent at 08:00")
    assert len(smtp.received) == 2
    assert ("email", "held") in await attempts_of(notify)


async def test_while_the_registry_cannot_give_contacts_a_round_waits_and_then_goes_out(
    notify: Notify, registry: RegistryData, smtp: SmtpServer, clock: FrozenClock
) -> None:
    registry.person("vol-1", "Fatima", email="fatima@example.org")
    registry.person("vol-2", "Kees", email="kees@example.org")
    registry.down = True
    for volunteer in ("vol-1", "vol-2"):
        await publish(notify, proposal(volunteer, urgent=True))

    async def postponed() -> bool:
        later = await count_rows(notify, notifications, status="pending")
        due_now = await count_rows(notify, notifications, due_at=clock.now())
        return later == 2 and due_now == 0  # both moved to registry_retry_seconds from now

    await soon(postponed, message="the round was not postponed")
    assert smtp.received == [] and await count_rows(notify, inbox_items) == 0

    registry.down = False
    await notify.worker.run_once()
    assert smtp.received == []  # not before their time
    advance(clock, notify, timedelta(seconds=5))  # FAST.registry_retry_seconds
    await soon(lambda: _async(len(smtp.received) == 2), message="not sent once it was back")
    assert await count_rows(notify, inbox_items) == 2


async def test_a_recipient_the_registry_no_longer_knows_fails_alone(
    notify: Notify, registry: RegistryData, smtp: SmtpServer, nats_url: str
) -> None:
    registry.person("vol-1", "Fatima", email="fatima@example.org")
    registry.person("vol-3", "Kees", email="kees@example.org")
    async with EventWatcher(nats_url) as watcher:
        for volunteer in ("vol-1", "vol-gone", "vol-3"):  # vol-gone: erased meanwhile
            await publish(notify, proposal(volunteer, urgent=True))

        async def settled() -> list[Envelope]:
            return await watcher.of_type(NotificationFailed.TYPE)

        [failed] = await soon(settled, message="the unknown recipient was not settled")
        await soon(lambda: _async(len(smtp.received) == 2), message="the others were held up")
    assert failed.data["recipient_id"] == "vol-gone"
    assert failed.data["reason"] == "recipient_unknown"
    assert sorted(m["To"].addresses[0].addr_spec for m in smtp.received) == [
        "fatima@example.org",
        "kees@example.org",
    ]
    assert await count_rows(notify, notifications, recipient_id="vol-gone", status="failed") == 1


async def test_without_smtp_the_email_is_written_as_an_eml_file(
    notify_factory: NotifyFactory, registry: RegistryData
) -> None:
    service = await notify_factory.start(smtp_url=None)
    registry.person("mem-1", "Ans")
    await publish(service, MemberRegistered(member_id="mem-1", roles=["volunteer"]))
    mail = notify_factory.settings.data_dir / "mail"

    async def written() -> list[Path]:
        return list(mail.glob("*/*.eml"))

    files = await soon(written, message="no .eml")
    assert len(files) == 1
    content = files[0].read_text()
    assert "Subject: Welkom bij Samen" in content and "mem-1@example.org" in content


# ---------------------------------------------------------------- helpers


async def _async(value: object) -> object:
    return value


async def _has_email_attempt(notify: Notify, status: str) -> bool:
    return ("email", status) in await attempts_of(notify)


async def _has_attempt(notify: Notify, status: str) -> bool:
    return any(s == status for _, s in await attempts_of(notify))


async def _consumer_done(notify: Notify, nats_url: str, delivered: int) -> bool:
    import nats

    nc = await nats.connect(nats_url)
    try:
        info = await nc.jetstream().consumer_info("SAMEN_EVENTS", "notify")
        return info.num_ack_pending == 0 and info.delivered.stream_seq >= delivered
    finally:
        await nc.close()
