"""What a use of an accept/decline link may do, given what its proposal went through (pure)."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from services.notify.domain.links import (
    LinkClaim,
    LinkClosed,
    LinkError,
    LinkSigner,
    answer_given,
    redeemable,
)

EXPIRES = datetime(2026, 1, 5, 13, 0, tzinfo=UTC)
BEFORE = EXPIRES - timedelta(hours=1)
AFTER = EXPIRES + timedelta(hours=1)
ACCEPT = LinkClaim(
    link_id="l1",
    proposal_id="p1",
    request_id="r1",
    volunteer_id="v1",
    action="accept",
    expires_at=EXPIRES,
)
DECLINE = replace(ACCEPT, action="decline")


def test_an_open_link_answers() -> None:
    assert redeemable(ACCEPT, "open", None, now=BEFORE) is True


@pytest.mark.parametrize("state", ["used", "answered"])
@pytest.mark.parametrize("now", [BEFORE, AFTER])
def test_the_same_answer_again_succeeds_without_answering_again(state: str, now: datetime) -> None:
    """A retry after a lost reply, or the link after the same answer in the app: no second
    effect, and no error either, even once the offer time is over."""
    assert redeemable(ACCEPT, state, "accept", now=now) is False
    assert redeemable(DECLINE, state, "decline", now=now) is False


@pytest.mark.parametrize("state", ["used", "answered"])
def test_the_other_link_of_an_answered_proposal_is_refused_as_answered(state: str) -> None:
    with pytest.raises(LinkClosed) as caught:
        redeemable(DECLINE, state, "accept", now=BEFORE)
    assert caught.value.reason == "answered"


def test_an_answer_we_do_not_know_is_no_licence_to_answer() -> None:
    with pytest.raises(LinkClosed) as caught:
        redeemable(ACCEPT, "answered", None, now=BEFORE)
    assert caught.value.reason == "answered"


@pytest.mark.parametrize("state", ["withdrawn", "expired"])
def test_a_withdrawn_or_ended_proposal_refuses_both_links(state: str) -> None:
    for claim in (ACCEPT, DECLINE):
        with pytest.raises(LinkClosed) as caught:
            redeemable(claim, state, None, now=BEFORE)
        assert caught.value.reason == state


@pytest.mark.parametrize(("state", "used_action"), [("open", None), ("used", "decline")])
def test_a_late_link_without_its_answer_is_expired(state: str, used_action: str | None) -> None:
    with pytest.raises(LinkError) as caught:
        redeemable(ACCEPT, state, used_action, now=AFTER)
    assert caught.value.reason == "expired"
    assert not isinstance(caught.value, LinkClosed)


def test_the_answer_given_is_known_only_for_answered_links() -> None:
    assert answer_given("used", "accept") == "accept"
    assert answer_given("answered", "decline") == "decline"
    assert answer_given("open", None) is None
    assert answer_given("withdrawn", None) is None
    assert answer_given("answered", "something else") is None


def test_a_late_link_still_reads_when_asked_to_and_only_then() -> None:
    signer = LinkSigner("secret", "https://samen.example/")
    token = signer.token(ACCEPT)
    assert signer.read(token, now=AFTER, past_expiry=True) == ACCEPT
    with pytest.raises(LinkError):
        signer.read(token, now=AFTER)
