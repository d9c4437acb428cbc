"""The use cases behind notify's verbs against the unit of work held in memory: the inbox,
preferences, the delivery log, the accept/decline links, account notices and a member's data."""

from dataclasses import replace
from datetime import timedelta
from typing import Literal

import pytest

from services.notify.domain.links import LinkClaim
from services.notify.domain.model import Status, Template
from shared.contracts.notify import (
    ACCOUNT_LINK_PATH,
    DeliveryLogQuery,
    InboxQuery,
    MarkRead,
    Preferences,
    PreferencesUpdate,
)
from shared.errors import Conflict, Invalid, NotFound
from tests.unit.notify.world import PUBLIC_URL, TAAG, World


@pytest.fixture
def world() -> World:
    world = World()
    world.member("lotte", "Lotte")
    return world


async def delivered_proposal(world: World) -> None:
    await world.asked_for_help()
    await world.proposed("lotte")
    await world.deliver()


async def test_the_inbox_lists_the_message_and_marking_it_read_counts_down(world: World) -> None:
    await delivered_proposal(world)

    page = await world.api.inbox_list(InboxQuery(member_id="lotte"))
    assert page.unread == 1
    [item] = page.items
    assert item.template == Template.proposal and item.read_at is None
    in_english = await world.api.inbox_list(InboxQuery(member_id="lotte", language="en"))
    assert in_english.items[0].subject != item.subject  # written in every language

    marked = await world.api.inbox_mark_read(MarkRead(member_id="lotte"))

    assert (marked.updated, marked.unread) == (1, 0)
    assert (await world.api.inbox_list(InboxQuery(member_id="lotte", unread_only=True))).items == []


async def test_preferences_change_field_by_field_and_an_unknown_zone_is_refused(
    world: World,
) -> None:
    before = await world.api.preferences_get(PreferencesUpdate(member_id="lotte"))

    after = await world.api.preferences_set(
        PreferencesUpdate(member_id="lotte", quiet_start="21:00", timezone="Europe/Istanbul")
    )

    assert (after.quiet_start, after.quiet_end, after.timezone) == (
        "21:00",
        before.quiet_end,
        "Europe/Istanbul",
    )
    assert await world.api.preferences_get(PreferencesUpdate(member_id="lotte")) == after
    with pytest.raises(Invalid):
        await world.api.preferences_set(PreferencesUpdate(member_id="lotte", timezone="Mars/Base"))
    stored = await world.api.preferences_get(PreferencesUpdate(member_id="lotte"))
    assert isinstance(stored, Preferences) and stored.timezone == "Europe/Istanbul"


async def test_the_delivery_log_answers_per_area_and_recipient(world: World) -> None:
    await delivered_proposal(world)

    log = await world.api.delivery_log(DeliveryLogQuery(area_codes=[TAAG]))

    assert {(a.channel, a.status) for a in log.attempts} == {("inbox", "sent"), ("email", "sent")}
    assert {a.area_code for a in log.attempts} == {TAAG}
    assert (await world.api.delivery_log(DeliveryLogQuery(recipient_id="gerrit"))).attempts == []


def link_token(world: World, action: Literal["accept", "decline"] = "accept") -> str:
    [link] = world.db.tables.links.values()
    return world.signer.token(LinkClaim.of(link, action))


async def test_a_link_is_spent_once_and_the_same_answer_again_is_the_same_success(
    world: World,
) -> None:
    await delivered_proposal(world)
    accept, decline = link_token(world), link_token(world, "decline")

    assert (await world.api.token_verify(accept)).state == "open"
    first = await world.api.token_redeem(accept)
    again = await world.api.token_redeem(accept)

    assert (first.state, first.answer) == ("used", "accept")
    assert again == first
    with pytest.raises(Conflict):
        await world.api.token_redeem(decline)
    with pytest.raises(Invalid):
        await world.api.token_redeem(accept[:-4] + "AAAA")


async def test_a_link_whose_record_is_gone_is_not_found(world: World) -> None:
    await delivered_proposal(world)
    token = link_token(world)
    world.db.tables.links = {}

    with pytest.raises(NotFound):
        await world.api.token_verify(token)


async def test_an_expired_link_shows_only_the_answer_its_proposal_got(world: World) -> None:
    await delivered_proposal(world)
    token = link_token(world)
    [link] = world.db.tables.links.values()

    world.clock.advance(timedelta(hours=25))
    with pytest.raises(Invalid):
        await world.api.token_verify(token)
    world.db.tables.links[link.link_id] = replace(link, state="answered", used_action="accept")
    assert (await world.api.token_verify(token)).answer == "accept"


async def test_a_registration_attempt_is_told_once_an_hour(world: World) -> None:
    first = await world.api.account_notice("lotte", "registration_attempt")
    again = await world.api.account_notice("lotte", "registration_attempt")
    world.clock.advance(timedelta(hours=1))
    later = await world.api.account_notice("lotte", "registration_attempt")

    assert first.notification_id and later.notification_id
    assert again.notification_id is None
    assert len(world.db.of("lotte", Template.registration_attempt)) == 2
    assert world.woken == 2


async def test_an_account_link_must_be_the_gateways_own_and_goes_by_email_only(
    world: World,
) -> None:
    expires = world.clock.now() + timedelta(hours=1)
    with pytest.raises(Invalid):
        await world.api.account_notice(
            "lotte", "password_reset", link="https://evil.example/reset/abc", expires_at=expires
        )
    link = PUBLIC_URL + ACCOUNT_LINK_PATH.format(token="abc.def")

    queued = await world.api.account_notice(
        "lotte", "password_reset", link=link, expires_at=expires
    )

    [reset] = world.db.of("lotte", Template.password_reset)
    assert reset.id == queued.notification_id
    assert reset.context["url"] == link and reset.inbox_done  # never in the inbox
    await world.deliver()
    assert link in world.mailbox.to("lotte@example.nl")[0].text
    assert world.db.of("lotte")[0].context == {"member_id": "lotte"}  # the link is forgotten


async def test_the_erasure_confirmation_is_queued_once_with_the_address_kept_for_it(
    world: World,
) -> None:
    first = await world.api.erasure_confirm("lotte")
    again = await world.api.erasure_confirm("lotte")

    assert first.notification_id is not None
    assert again.notification_id == first.notification_id
    [confirmation] = world.db.of("lotte", Template.erasure_confirmed)
    assert confirmation.snapshot is not None
    assert confirmation.snapshot["email"] == "lotte@example.nl"
    assert (await world.api.erasure_confirm("nobody")).notification_id is None


async def test_a_members_data_is_exported_and_then_erased_but_the_confirmation_stays(
    world: World,
) -> None:
    await delivered_proposal(world)
    await world.api.erasure_confirm("lotte")

    export = await world.api.member_export("lotte")

    assert [n.template for n in export.notifications] == ["proposal", "erasure_confirmed"]
    assert len(export.inbox) == 1 and len(export.deliveries) == 2
    assert export.preferences is not None and export.preferences.member_id == "lotte"

    erased = await world.api.member_erase("lotte")

    assert erased.deleted > 0
    [kept] = world.db.of("lotte")
    assert kept.template == Template.erasure_confirmed and kept.status is Status.pending
    assert (await world.api.member_export("lotte")).inbox == []


async def test_a_channel_check_reaches_the_member_through_their_channels(world: World) -> None:
    queued = await world.api.channel_check("lotte")

    assert queued.channels == ["email", "inbox"]
    await world.deliver()
    assert len(world.mailbox.to("lotte@example.nl")) == 1
    with pytest.raises(NotFound):
        await world.api.channel_check("nobody")
