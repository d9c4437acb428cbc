"""Notify's journeys: links, matches, escalations, reminders, erasure and a crash mid-send.
Real nats-server, real database (SQLite, and PostgreSQL when given), real SMTP server."""

from __future__ import annotations

import asyncio
import re
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, select

from services.notify.adapters.orm import notifications, proposal_links
from services.notify.adapters.uow import SqlNotifyUnitOfWork
from services.notify.bootstrap import Notify
from services.notify.domain.model import Status
from services.notify.service_layer.recording import Recorder
from shared.categories import label
from shared.clock import FrozenClock
from shared.contracts import notify as nc
from shared.contracts.notify import (
    CooperativeChannels,
    DeliveryLog,
    DeliveryLogQuery,
    ErasureConfirmation,
    InboxPage,
    InboxQuery,
    MarkRead,
    MemberQuery,
    PassOnTask,
    Preferences,
    PreferencesUpdate,
    ProposalLink,
    TaskQuery,
    TaskRef,
    TokenRequest,
)
from shared.errors import Conflict, Invalid, NotFound
from shared.events import (
    MatchAccepted,
    MatchProposed,
    MatchWithdrawn,
    MemberErased,
    MemberRegistered,
    RequestCompleted,
    RequestCreated,
    RequestEscalated,
    RequestMatched,
    envelope,
)
from shared.ids import new_id
from tests.integration.notify.harness import (
    AREA,
    FAST,
    MORNING,
    NotifyFactory,
    RegistryData,
    SmtpServer,
    Webhook,
    advance,
    attempts_of,
    count_rows,
    publish,
    soon,
    statuses,
    text_of,
)

pytestmark = pytest.mark.integration

TUESDAY_9H = datetime(2026, 1, 8, 8, 0, tzinfo=UTC)  # Thursday 09:00 in Amsterdam


async def _ok(value: object) -> object:
    return value


async def mails_to(smtp: SmtpServer, address: str, count: int = 1) -> list[object]:
    await soon(lambda: _ok(len(smtp.to(address)) >= count), message=f"no mail to {address}")
    return list(smtp.to(address))


def proposed(volunteer_id: str, request_id: str = "req-1", **changes: object) -> MatchProposed:
    values: dict[str, object] = {
        "proposal_id": new_id(),
        "request_id": request_id,
        "volunteer_id": volunteer_id,
        "category": "groceries",
        "round": 1,
        "expires_at": MORNING + timedelta(hours=4),
        "needed_from": TUESDAY_9H,
        "needed_until": TUESDAY_9H + timedelta(hours=2),
    }
    values.update(changes)
    return MatchProposed.model_validate(values)


def links_in(text: str) -> dict[str, str]:
    accept, decline = re.findall(r"https://samen\.example/p/(\S+)", text)
    return {"accept": accept, "decline": decline}


async def redeem(notify: Notify, token: str) -> ProposalLink:
    return await notify.runtime.rpc.call(nc.TOKEN_REDEEM, TokenRequest(token=token))


# ---------------------------------------------------------------- accept/decline links


async def test_an_accept_link_answers_once_repeats_that_answer_and_the_decline_link_is_refused(
    notify: Notify, registry: RegistryData, smtp: SmtpServer
) -> None:
    registry.person("vol-1", "Fatima")
    event = proposed("vol-1")
    await publish(notify, event)
    tokens = links_in(text_of((await mails_to(smtp, "vol-1@"))[0]))  # type: ignore[arg-type]

    looked = await notify.runtime.rpc.call(nc.TOKEN_VERIFY, TokenRequest(token=tokens["accept"]))
    assert (looked.action, looked.used) == ("accept", False)

    used = await redeem(notify, tokens["accept"])
    assert (used.proposal_id, used.volunteer_id, used.action) == (
        event.proposal_id,
        "vol-1",
        "accept",
    )
    assert (used.used, used.state, used.answer) == (True, "used", "accept")
    # The same link again (its first reply lost): the same success, nothing more.
    assert await redeem(notify, tokens["accept"]) == used
    with pytest.raises(Conflict) as other:
        await redeem(notify, tokens["decline"])
    assert other.value.details == {"reason": "answered", "answer": "accept"}
    looked = await notify.runtime.rpc.call(nc.TOKEN_VERIFY, TokenRequest(token=tokens["decline"]))
    assert (looked.action, looked.state, looked.answer) == ("decline", "used", "accept")


async def test_two_clicks_at_once_spend_a_link_once_and_both_hear_its_answer(
    notify: Notify, registry: RegistryData, smtp: SmtpServer
) -> None:
    registry.person("vol-1", "Fatima")
    await publish(notify, proposed("vol-1"))
    tokens = links_in(text_of((await mails_to(smtp, "vol-1@"))[0]))  # type: ignore[arg-type]
    results = await asyncio.gather(
        *(redeem(notify, tokens[a]) for a in ("accept", "decline") * 3), return_exceptions=True
    )
    answers = {r.answer for r in results if isinstance(r, ProposalLink)}
    assert len(answers) == 1  # one answer won, and only its link succeeded (three times)
    assert sum(isinstance(r, ProposalLink) for r in results) == 3
    assert sum(isinstance(r, Conflict) for r in results) == 3
    async with notify.runtime.sessions() as session:
        (row,) = (await session.execute(select(proposal_links))).mappings()
    assert (row["state"], row["used_action"]) == ("used", answers.pop())


async def test_an_expired_or_forged_link_is_refused_with_the_reason(
    notify: Notify, registry: RegistryData, smtp: SmtpServer, clock: FrozenClock
) -> None:
    registry.person("vol-1", "Fatima")
    await publish(notify, proposed("vol-1"))
    tokens = links_in(text_of((await mails_to(smtp, "vol-1@"))[0]))  # type: ignore[arg-type]
    forged = tokens["decline"][:-3] + ("xyz" if not tokens["decline"].endswith("xyz") else "abc")
    with pytest.raises(Invalid) as bad:
        await redeem(notify, forged)
    assert bad.value.details["reason"] == "bad_signature"
    clock.advance(timedelta(hours=4))
    with pytest.raises(Invalid) as late:
        await redeem(notify, tokens["accept"])
    assert late.value.details["reason"] == "expired"


async def test_past_its_expiry_a_used_link_still_tells_its_answer_and_repeats_it(
    notify: Notify, registry: RegistryData, smtp: SmtpServer, clock: FrozenClock
) -> None:
    registry.person("vol-1", "Fatima")
    await publish(notify, proposed("vol-1"))
    tokens = links_in(text_of((await mails_to(smtp, "vol-1@"))[0]))  # type: ignore[arg-type]
    used = await redeem(notify, tokens["accept"])
    clock.advance(timedelta(hours=5))
    assert await redeem(notify, tokens["accept"]) == used
    looked = await notify.runtime.rpc.call(nc.TOKEN_VERIFY, TokenRequest(token=tokens["decline"]))
    assert (looked.state, looked.answer) == ("used", "accept")
    with pytest.raises(Invalid) as late:
        await redeem(notify, tokens["decline"])
    assert late.value.details["reason"] == "expired"


async def test_answering_in_the_app_spends_the_links_of_the_email(
    notify: Notify, registry: RegistryData, smtp: SmtpServer
) -> None:
    registry.person("vol-1", "Fatima")
    event = proposed("vol-1")
    await publish(notify, event)
    tokens = links_in(text_of((await mails_to(smtp, "vol-1@"))[0]))  # type: ignore[arg-type]
    await publish(
        notify,
        MatchAccepted(
            proposal_id=event.proposal_id, request_id=event.request_id, volunteer_id="vol-1"
        ),
    )

    async def spent() -> bool:
        looked = await notify.runtime.rpc.call(
            nc.TOKEN_VERIFY, TokenRequest(token=tokens["accept"])
        )
        return looked.used

    await soon(spent)
    # The same answer through the link is the same success; the other one is refused.
    same = await redeem(notify, tokens["accept"])
    assert (same.state, same.answer) == ("answered", "accept")
    with pytest.raises(Conflict) as caught:
        await redeem(notify, tokens["decline"])
    assert caught.value.details == {"reason": "answered", "answer": "accept"}


async def test_a_withdrawn_proposal_tells_the_volunteer_and_closes_its_links(
    notify: Notify, registry: RegistryData, smtp: SmtpServer
) -> None:
    registry.person("vol-2", "Kees")
    event = proposed("vol-2")
    await publish(notify, event)
    tokens = links_in(text_of((await mails_to(smtp, "vol-2@"))[0]))  # type: ignore[arg-type]
    await publish(
        notify,
        MatchWithdrawn(
            proposal_id=event.proposal_id, request_id=event.request_id, volunteer_id="vol-2"
        ),
    )
    mails = await mails_to(smtp, "vol-2@", 2)
    assert mails[1]["Subject"] == "Al geregeld: Boodschappen"  # type: ignore[index]
    with pytest.raises(Conflict) as caught:
        await redeem(notify, tokens["accept"])
    assert caught.value.details["reason"] == "withdrawn"


async def _held_for_digest(notify: Notify, count: int) -> bool:
    async with notify.runtime.sessions() as session:
        found = await session.scalar(
            select(func.count())
            .select_from(notifications)
            .where(notifications.c.digest.is_(True), notifications.c.status == "held")
        )
    return found == count


async def held(notify: Notify) -> bool:
    return ("email", "held") in await attempts_of(notify)


async def test_a_proposal_withdrawn_while_held_in_quiet_hours_is_never_mailed(
    notify: Notify, registry: RegistryData, smtp: SmtpServer, clock: FrozenClock
) -> None:
    registry.person("vol-1", "Fatima")
    clock.set(datetime(2026, 1, 5, 22, 30, tzinfo=UTC))  # 23:30 local
    event = proposed("vol-1", expires_at=datetime(2026, 1, 6, 12, 0, tzinfo=UTC))
    await publish(notify, event)
    await soon(lambda: held(notify))
    await publish(
        notify,
        MatchWithdrawn(
            proposal_id=event.proposal_id, request_id=event.request_id, volunteer_id="vol-1"
        ),
    )

    async def cancelled() -> bool:
        return (await statuses(notify)).get("proposal:vol-1") == Status.cancelled.value

    await soon(cancelled)
    advance(clock, notify, timedelta(hours=9))  # well past 08:00
    await notify.worker.run_once()
    assert smtp.received == []
    assert "proposal_withdrawn:vol-1" not in await statuses(notify)


async def test_a_held_proposal_that_expires_before_08h_is_never_mailed(
    notify: Notify, registry: RegistryData, smtp: SmtpServer, clock: FrozenClock
) -> None:
    registry.person("vol-1", "Fatima")
    clock.set(datetime(2026, 1, 5, 22, 0, tzinfo=UTC))  # 23:00 local
    event = proposed("vol-1", expires_at=datetime(2026, 1, 6, 2, 0, tzinfo=UTC))  # 03:00
    await publish(notify, event)
    await soon(lambda: held(notify))
    advance(clock, notify, timedelta(hours=9))  # 08:00 local, long after the offer ended

    async def cancelled() -> bool:
        notify.worker.wake()
        return (await statuses(notify)).get("proposal:vol-1") == Status.cancelled.value

    await soon(cancelled)
    assert smtp.received == []


# ---------------------------------------------------------------- matched, reminders, thanks


async def test_the_requester_hears_who_helps_and_the_phone_only_where_it_was_shared(
    notify: Notify, registry: RegistryData, smtp: SmtpServer, clock: FrozenClock
) -> None:
    registry.person("res-1", "Ans", phone="06 1111 2222", share_phone=False)
    registry.person("vol-1", "Fatima", phone="06 8765 4321", share_phone=True)
    await publish(
        notify,
        RequestCreated(
            request_id="req-1",
            requester_id="res-1",
            category="groceries",
            needed_from=TUESDAY_9H,
            needed_until=TUESDAY_9H + timedelta(hours=2),
        ),
    )
    await publish(notify, proposed("vol-1"))
    await mails_to(smtp, "vol-1@")
    await publish(
        notify, RequestMatched(request_id="req-1", requester_id="res-1", volunteer_id="vol-1")
    )

    to_requester = (await mails_to(smtp, "res-1@"))[0]
    assert to_requester["Subject"] == "Fatima helpt u donderdag 8 januari, 09:00 tot 11:00"  # type: ignore[index]
    assert "06 8765 4321" in text_of(to_requester)  # type: ignore[arg-type]
    to_volunteer = (await mails_to(smtp, "vol-1@", 2))[1]
    volunteer_text = text_of(to_volunteer)  # type: ignore[arg-type]
    assert "U helpt Ans" in volunteer_text
    assert "06 1111 2222" not in volunteer_text  # Ans did not agree to share her number

    # A reminder to both, a day before.
    advance(clock, notify, TUESDAY_9H - timedelta(hours=24) - clock.now())
    reminder_r = (await mails_to(smtp, "res-1@", 2))[1]
    reminder_v = (await mails_to(smtp, "vol-1@", 3))[2]
    assert reminder_r["Subject"].startswith("Herinnering")  # type: ignore[index]
    assert "06 8765 4321" in text_of(reminder_r)  # type: ignore[arg-type]
    assert "U helpt Ans" in text_of(reminder_v)  # type: ignore[arg-type]


async def test_a_completed_request_thanks_both_and_cancels_the_reminders(
    notify: Notify, registry: RegistryData, smtp: SmtpServer, clock: FrozenClock
) -> None:
    registry.person("res-1", "Ans", language="en")
    registry.person("vol-1", "Fatima")
    await publish(
        notify,
        RequestCreated(
            request_id="req-1",
            requester_id="res-1",
            category="garden",
            needed_from=TUESDAY_9H,
        ),
    )
    await publish(
        notify, RequestMatched(request_id="req-1", requester_id="res-1", volunteer_id="vol-1")
    )
    await mails_to(smtp, "res-1@")
    await publish(
        notify,
        RequestCompleted(request_id="req-1", requester_id="res-1", volunteer_id="vol-1", hours=1),
    )
    thanks = (await mails_to(smtp, "res-1@", 2))[1]
    assert thanks["Subject"] == "Did it go well?"  # type: ignore[index]
    assert "https://samen.example/requests/req-1/feedback" in text_of(thanks)  # type: ignore[arg-type]
    volunteer = (await mails_to(smtp, "vol-1@", 2))[1]
    assert "(1 uur)" in text_of(volunteer)  # type: ignore[arg-type]

    advance(clock, notify, timedelta(days=3))
    await notify.worker.run_once()
    assert len(smtp.received) == 4
    found = await statuses(notify)
    assert found["reminder:vol-1"] == found["reminder:res-1"] == Status.cancelled.value


async def test_a_member_without_email_is_reached_through_their_coordinators_task(
    notify: Notify, registry: RegistryData, smtp: SmtpServer
) -> None:
    registry.person("coord-1", "Mirjam")
    registry.person("coord-2", "Henk")
    registry.cooperative("coop-ov", ["coord-2"], area_codes=["BU03440510"])
    registry.person(
        "res-9",
        "Jan",
        email="",
        phone="030 765 4321",
        via_coordinator_id="coord-1",
        neighbourhood="BU03440510",
    )
    registry.person("vol-1", "Fatima", phone="06 8765 4321", share_phone=True)
    await publish(
        notify, RequestMatched(request_id="req-9", requester_id="res-9", volunteer_id="vol-1")
    )
    # Fatima hears how to reach him: through the coordinator who registered him.
    confirmed = (await mails_to(smtp, "vol-1@"))[0]
    assert "via de coördinator Mirjam Jansen" in text_of(confirmed)  # type: ignore[arg-type]
    assert "een bericht via" not in text_of(confirmed)  # type: ignore[arg-type]
    for coordinator_id in ("coord-1", "coord-2"):  # who registered him, and his cooperative's

        async def tasks_of(coordinator_id: str = coordinator_id) -> list[PassOnTask]:
            found = await notify.runtime.rpc.call(
                nc.TASKS_LIST, TaskQuery(coordinator_id=coordinator_id)
            )
            return found.tasks

        (task,) = await soon(tasks_of, message=f"a task for {coordinator_id}")
        assert (task.resident_name, task.resident_phone) == ("Jan Jansen", "030 765 4321")
        assert task.other is not None and task.other.first_name == "Fatima"
        assert task.other.phone == "06 8765 4321"
    assert not [m for m in smtp.received if "coord-" in str(m["To"])]  # a task, no e-mail
    done = await notify.runtime.rpc.call(
        nc.TASK_DONE, TaskRef(task_id=task.task_id, coordinator_id="coord-2")
    )
    assert done.done_by == "coord-2" and done.done_at is not None
    still = await notify.runtime.rpc.call(nc.TASKS_LIST, TaskQuery(coordinator_id="coord-1"))
    assert still.tasks == []  # done for everyone it was for
    with pytest.raises(NotFound):  # nobody else's
        await notify.runtime.rpc.call(
            nc.TASK_GET, TaskRef(task_id=task.task_id, coordinator_id="vol-1")
        )
    page = await notify.runtime.rpc.call(nc.INBOX_LIST, InboxQuery(member_id="res-9"))
    assert len(page.items) == 1  # and in his own inbox, should he ever log in
    export = await notify.runtime.rpc.call(nc.MEMBER_EXPORT, MemberQuery(member_id="res-9"))
    assert [(t.template, t.done_at is not None) for t in export.passed_on] == [
        ("request_matched", True)
    ]
    await notify.runtime.rpc.call(nc.MEMBER_ERASE, MemberQuery(member_id="res-9"))
    everything = await notify.runtime.rpc.call(
        nc.TASKS_LIST, TaskQuery(coordinator_id="coord-2", open_only=False)
    )
    assert everything.tasks == []  # erased with him


# ---------------------------------------------------------------- coordinators


async def test_an_escalation_reaches_every_coordinator_the_cooperative_chat_and_the_digest(
    notify: Notify,
    registry: RegistryData,
    smtp: SmtpServer,
    webhook: Webhook,
    clock: FrozenClock,
) -> None:
    registry.person("coord-1", "Mirjam")
    registry.person("coord-2", "Henk")
    registry.cooperative("coop-ov", ["coord-1", "coord-2"])
    await notify.runtime.rpc.call(
        nc.COOPERATIVE_CHANNELS_SET,
        CooperativeChannels(cooperative_id="coop-ov", apprise_urls=[webhook.url("coop")]),
    )
    await notify.runtime.rpc.call(
        nc.PREFERENCES_SET, PreferencesUpdate(member_id="coord-2", daily_digest=True)
    )
    for request_id in ("req-1", "req-2"):
        await publish(
            notify,
            RequestCreated(
                request_id=request_id,
                requester_id="res-1",
                category="garden",
            ),
        )
        await publish(
            notify,
            RequestEscalated(
                request_id=request_id, cooperative_id="coop-ov", reason="no_candidates"
            ),
        )

    first = await mails_to(smtp, "coord-1@", 2)
    subject = f"Hulpvraag zonder helper: {label('garden', 'nl')}"
    assert first[0]["Subject"] == subject  # type: ignore[index]
    await soon(lambda: _ok(len(webhook.posts) == 2), message="cooperative chat not told")
    assert webhook.posts[0]["path"] == "/coop"

    # Henk chose a daily digest: both escalations in his inbox now, one e-mail at 08:00.
    async def both_in_inbox() -> bool:
        inbox = await notify.runtime.rpc.call(nc.INBOX_LIST, InboxQuery(member_id="coord-2"))
        return len(inbox.items) == 2

    await soon(both_in_inbox)
    await soon(lambda: _held_for_digest(notify, 2))
    assert smtp.to("coord-2@") == []

    advance(clock, notify, datetime(2026, 1, 6, 7, 0, tzinfo=UTC) - clock.now())  # 08:00 local
    digest = (await mails_to(smtp, "coord-2@"))[0]
    assert digest["Subject"] == "Vandaag: 2 hulpvragen zonder helper"  # type: ignore[index]
    await notify.worker.run_once()
    assert len(smtp.to("coord-2@")) == 1


async def test_the_delivery_log_shows_a_coordinator_the_attempts_in_their_area(
    notify: Notify, registry: RegistryData, smtp: SmtpServer
) -> None:
    registry.person("mem-1", "Ans")
    await publish(notify, MemberRegistered(member_id="mem-1", roles=["resident"]))
    await mails_to(smtp, "mem-1@")

    async def log_of(codes: list[str]) -> DeliveryLog:
        return await notify.runtime.rpc.call(nc.DELIVERY_LOG, DeliveryLogQuery(area_codes=codes))

    async def both_recorded() -> DeliveryLog | None:
        found = await log_of([AREA.district or ""])
        return found if len(found.attempts) == 2 else None

    mine = await soon(both_recorded)
    assert mine is not None
    assert sorted((a.channel, a.status) for a in mine.attempts) == [
        ("email", "sent"),
        ("inbox", "sent"),
    ]
    assert mine.attempts[0].area_code == AREA.neighbourhood
    assert (await log_of(["WK034401"])).attempts == []


async def test_reading_the_inbox_marks_items_read(
    notify: Notify, registry: RegistryData, smtp: SmtpServer
) -> None:
    registry.person("vol-1", "Fatima")
    await publish(notify, MemberRegistered(member_id="vol-1", roles=["volunteer"]))
    await publish(notify, proposed("vol-1"))
    await mails_to(smtp, "vol-1@", 2)
    page = await notify.runtime.rpc.call(nc.INBOX_LIST, InboxQuery(member_id="vol-1"))
    assert page.unread == 2
    newest = page.items[0]
    assert newest.template == "proposal"
    marked = await notify.runtime.rpc.call(
        nc.INBOX_MARK_READ, MarkRead(member_id="vol-1", item_ids=[newest.item_id])
    )
    assert (marked.updated, marked.unread) == (1, 1)
    # Someone else's member id marks nothing of hers.
    other = await notify.runtime.rpc.call(nc.INBOX_MARK_READ, MarkRead(member_id="vol-2"))
    assert other.updated == 0
    unread = await notify.runtime.rpc.call(
        nc.INBOX_LIST, InboxQuery(member_id="vol-1", unread_only=True)
    )
    assert [item.template for item in unread.items] == ["welcome"]


async def test_bad_preferences_are_refused_and_change_nothing(notify: Notify) -> None:
    for update in (
        PreferencesUpdate(member_id="mem-1", apprise_urls=["not a url"]),
        PreferencesUpdate(member_id="mem-1", timezone="Mars/Olympus"),
        {"member_id": "mem-1", "quiet_start": "25:00"},
        {"member_id": "mem-1", "channels": ["pigeon"]},
    ):
        with pytest.raises(Invalid):
            if isinstance(update, PreferencesUpdate):
                await notify.runtime.rpc.call(nc.PREFERENCES_SET, update)
            else:  # what no Python caller can build: sent as a browser might
                await notify.runtime.rpc.call_unchecked(nc.PREFERENCES_SET, update)
    prefs = await notify.runtime.rpc.call(nc.PREFERENCES_GET, MemberQuery(member_id="mem-1"))
    assert prefs == Preferences(member_id="mem-1")


# ---------------------------------------------------------------- privacy


async def test_erasure_deletes_the_members_data_and_still_confirms_by_email(
    notify: Notify, registry: RegistryData, smtp: SmtpServer
) -> None:
    registry.person("mem-1", "Ans")
    await notify.runtime.rpc.call(
        nc.PREFERENCES_SET, PreferencesUpdate(member_id="mem-1", language="en")
    )
    await publish(notify, MemberRegistered(member_id="mem-1", roles=["resident"]))
    await mails_to(smtp, "mem-1@")
    export = await notify.runtime.rpc.call(nc.MEMBER_EXPORT, MemberQuery(member_id="mem-1"))
    assert len(export.inbox) == 1 and export.preferences and export.preferences.language == "en"

    # The gateway asks for the confirmation first, then the registry erases the member.
    queued = await notify.runtime.rpc.call(
        nc.ERASURE_CONFIRM, ErasureConfirmation(member_id="mem-1")
    )
    assert queued.notification_id
    del registry.contacts["mem-1"]
    await publish(notify, MemberErased(member_id="mem-1"))

    confirmation = (await mails_to(smtp, "mem-1@", 2))[1]
    assert confirmation["Subject"] == "Your data has been erased"  # type: ignore[index]

    async def nothing_left() -> bool:
        left = await notify.runtime.rpc.call(nc.MEMBER_EXPORT, MemberQuery(member_id="mem-1"))
        return not left.inbox and not left.notifications and left.preferences is not None

    await soon(nothing_left, message="member data left after erasure")
    async with notify.runtime.sessions() as session:
        kept = (await session.execute(select(notifications.c.snapshot))).scalars().all()
    assert all(snapshot is None for snapshot in kept)  # the address went with the message


async def test_an_erased_volunteer_disappears_from_the_requesters_messages(
    notify: Notify, registry: RegistryData, smtp: SmtpServer
) -> None:
    registry.person("res-1", "Ans")
    registry.person("vol-1", "Fatima", phone="06 8765 4321", share_phone=True)
    await publish(
        notify, RequestMatched(request_id="req-1", requester_id="res-1", volunteer_id="vol-1")
    )
    await mails_to(smtp, "res-1@")

    async def requester_inbox() -> InboxPage:
        return await notify.runtime.rpc.call(nc.INBOX_LIST, InboxQuery(member_id="res-1"))

    async def in_inbox() -> bool:
        return bool((await requester_inbox()).items)

    await soon(in_inbox)
    assert "06 8765 4321" in (await requester_inbox()).items[0].body
    await publish(notify, MemberErased(member_id="vol-1"))

    async def scrubbed() -> bool:
        item = (await requester_inbox()).items[0]
        return "Fatima" not in item.subject + item.body and "8765" not in item.body

    await soon(scrubbed, message="the erased volunteer is still named in the requester's inbox")
    assert len((await requester_inbox()).items) == 1  # she keeps that she had a message


async def test_a_batch_of_proposals_writes_its_links_and_messages_one_statement_each(
    notify: Notify,
) -> None:
    statements: list[str] = []
    event.listen(
        notify.runtime.engine.sync_engine,
        "before_cursor_execute",
        lambda _c, _cur, sql, *_: statements.append(" ".join(sql.split()[:3])),
    )
    recorder = Recorder()
    # As the consumer handles one fetched batch:
    async with notify.runtime.uow_factory(SqlNotifyUnitOfWork)() as uow:
        for volunteer in ("vol-1", "vol-2", "vol-3"):
            proposal = envelope(proposed(volunteer), source="matching", area=AREA)
            await recorder.match_proposed(proposal, uow)
        await uow.commit()
    assert statements.count("INSERT INTO notifications") == 1
    assert statements.count("INSERT INTO proposal_links") == 1
    assert await count_rows(notify, notifications) == 3
    assert await count_rows(notify, proposal_links) == 3


# ------------------------------------------------------ sends under way: overlap, stop, crash


async def test_new_messages_are_claimed_while_an_earlier_round_is_still_sending(
    notify_factory: NotifyFactory,
    registry: RegistryData,
    smtp: SmtpServer,
) -> None:
    registry.person("vol-1", "Fatima")
    registry.person("vol-2", "Karim")
    smtp.behaviour.hang = threading.Event()  # the first e-mail waits for the server's answer
    notify = await notify_factory.start()
    await publish(notify, proposed("vol-1"))
    await soon(lambda: _ok(len(smtp.received) == 1), message="not handed to SMTP")
    await publish(notify, proposed("vol-2", request_id="req-2"))

    async def claimed() -> bool:
        return (await statuses(notify)).get("proposal:vol-2") == Status.sending.value

    await soon(claimed, message="the second message waited for the first round's send")
    assert (await statuses(notify))["proposal:vol-1"] == Status.sending.value
    smtp.behaviour.hang.set()

    async def both_sent() -> bool:
        found = await statuses(notify)
        return found["proposal:vol-1"] == found["proposal:vol-2"] == Status.sent.value

    await soon(both_sent, message="the rounds did not finish")


async def test_a_send_under_way_is_not_taken_for_an_interrupted_one(
    notify: Notify, registry: RegistryData, smtp: SmtpServer, clock: FrozenClock
) -> None:
    registry.person("vol-1", "Fatima")
    smtp.behaviour.hang = threading.Event()  # a slow SMTP conversation
    await publish(notify, proposed("vol-1"))
    await soon(lambda: _ok(len(smtp.received) == 1), message="not handed to SMTP")
    clock.advance(timedelta(minutes=10))  # past the sending lease while it is still sending
    assert await notify.worker.recover_interrupted() == 0
    assert (await statuses(notify))["proposal:vol-1"] == Status.sending.value
    smtp.behaviour.hang.set()

    async def sent() -> bool:
        return (await statuses(notify))["proposal:vol-1"] == Status.sent.value

    await soon(sent, message="the send was not recorded")
    assert await attempts_of(notify, channel="email") == [("email", "sent")]


async def test_a_stop_lets_the_send_under_way_finish_and_records_it(
    notify_factory: NotifyFactory,
    registry: RegistryData,
    smtp: SmtpServer,
) -> None:
    registry.person("vol-1", "Fatima")
    smtp.behaviour.hang = threading.Event()  # the server takes the message, answers later
    first = await notify_factory.start()
    await publish(first, proposed("vol-1"))
    await soon(lambda: _ok(len(smtp.received) == 1), message="not handed to SMTP")
    stopping = asyncio.create_task(notify_factory.stop(first))
    await asyncio.sleep(0.5)
    assert not stopping.done()  # waiting for the SMTP server's answer
    smtp.behaviour.hang.set()
    await stopping

    second = await notify_factory.start()
    assert await attempts_of(second, channel="email") == [("email", "sent")]
    assert (await statuses(second))["proposal:vol-1"] == Status.sent.value
    await second.worker.run_once()
    assert len(smtp.received) == 1


async def test_a_crash_between_sending_and_recording_sends_nothing_twice(
    notify_factory: NotifyFactory,
    registry: RegistryData,
    smtp: SmtpServer,
    clock: FrozenClock,
) -> None:
    registry.person("vol-1", "Fatima")
    smtp.behaviour.hang = threading.Event()  # the server takes the message, then no reply
    # A crash: nothing waits for the send under way (a graceful stop would, see below).
    first = await notify_factory.start(replace(FAST, stop_wait_seconds=0))
    await publish(first, proposed("vol-1"))
    await soon(lambda: _ok(len(smtp.received) == 1), message="not handed to SMTP")
    await notify_factory.stop(first)  # the process dies before it records the outcome
    smtp.behaviour.hang.set()
    smtp.behaviour.hang = None

    clock.advance(timedelta(minutes=10))  # past the sending lease
    second = await notify_factory.start()

    async def recovered() -> bool:
        second.worker.wake()
        return ("email", "unknown") in await attempts_of(second)

    await soon(recovered, message="the interrupted send was not recovered")
    await second.worker.run_once()
    assert len(smtp.received) == 1
    assert (await statuses(second))["proposal:vol-1"] == Status.uncertain.value
    assert await count_rows(second, notifications) == 1
