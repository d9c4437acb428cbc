"""The notify domain: quiet hours, backoff, channel choice, links, and every template."""

from datetime import UTC, datetime, timedelta

import pytest
from jinja2 import UndefinedError

from services.notify.adapters.rendering import LANGUAGES, Renderer
from services.notify.domain.links import LinkClaim, LinkError, LinkSigner
from services.notify.domain.messages import Facts, format_window, message_context
from services.notify.domain.model import (
    QuietHours,
    Template,
    apprise_allowed,
    channel_plan,
    digest_time_for,
    idempotency_key,
    message_id,
    redact,
    release_time,
    retry_delay,
    stale_templates,
)
from services.notify.domain.samples import SAMPLE_CONTEXTS, sample_facts
from shared.contracts.notify import apprise_id, masked_apprise

AMS_WINTER = timedelta(hours=1)  # Europe/Amsterdam is UTC+1 in January


def local(hour: int, minute: int = 0, day: int = 5) -> datetime:
    """A January 2026 moment given in Amsterdam local time, as UTC."""
    return datetime(2026, 1, day, hour, minute, tzinfo=UTC) - AMS_WINTER


def test_a_message_due_at_23h_is_held_until_08h_local_time() -> None:
    quiet = QuietHours()
    assert release_time(local(23), quiet, urgent=False) == local(8, day=6)


def test_a_message_due_just_after_midnight_waits_until_08h_the_same_morning() -> None:
    assert release_time(local(0, 30, day=6), QuietHours(), urgent=False) == local(8, day=6)


def test_quiet_hours_end_at_08h_exactly_and_do_not_hold_the_day() -> None:
    assert release_time(local(8), QuietHours(), urgent=False) is None
    assert release_time(local(14), QuietHours(), urgent=False) is None
    assert release_time(local(21, 59), QuietHours(), urgent=False) is None


def test_an_urgent_message_breaks_quiet_hours() -> None:
    assert release_time(local(23), QuietHours(), urgent=True) is None


def test_quiet_hours_within_one_day_and_none_at_all() -> None:
    afternoon = QuietHours.of("13:00", "15:00", "Europe/Amsterdam")
    assert release_time(local(14), afternoon, urgent=False) == local(15)
    assert release_time(local(16), afternoon, urgent=False) is None
    never = QuietHours.of("08:00", "08:00", "Europe/Amsterdam")
    assert release_time(local(3), never, urgent=False) is None


def test_quiet_hours_follow_summer_time() -> None:
    summer_23h = datetime(2026, 7, 1, 21, 0, tzinfo=UTC)  # 23:00 in Amsterdam (UTC+2)
    assert release_time(summer_23h, QuietHours(), urgent=False) == datetime(
        2026, 7, 2, 6, 0, tzinfo=UTC
    )


def test_a_coordinators_digest_time_is_their_own_else_their_cooperatives_else_the_default() -> None:
    assert digest_time_for("07:15", "17:30", "08:00") == "07:15"
    assert digest_time_for(None, "17:30", "08:00") == "17:30"
    assert digest_time_for(None, None, "08:00") == "08:00"


def test_retries_back_off_exponentially_up_to_a_cap() -> None:
    delays = [retry_delay(n, base_seconds=30).total_seconds() for n in (1, 2, 3, 4)]
    assert delays == [30, 60, 120, 240]
    assert retry_delay(30, base_seconds=30, cap_seconds=3600).total_seconds() == 3600


def test_channels_follow_preference_and_skip_those_without_an_address() -> None:
    assert channel_plan(["email", "apprise"], has_email=True, apprise_urls=["x://"]) == [
        "email",
        "apprise",
    ]
    assert channel_plan(["apprise", "email"], has_email=True, apprise_urls=[]) == ["email"]
    assert channel_plan(["email"], has_email=False, apprise_urls=["x://"]) == []


def test_the_message_id_is_stable_for_one_idempotency_key() -> None:
    key = idempotency_key("evt-1", "mem-1", "proposal")
    assert key == "evt-1:mem-1:proposal"
    assert message_id(key, "samen.local") == message_id(key, "samen.local")
    assert message_id(key, "samen.local") != message_id(key + "x", "samen.local")


def test_errors_in_the_log_carry_no_addresses_or_credentials() -> None:
    text = redact("550 <ans@example.org> unknown; tried json://user:pw@host/x")
    assert "ans@example.org" not in text
    assert "pw" not in text


def test_times_are_worded_in_the_members_language() -> None:
    start = datetime(2026, 1, 6, 8, 0, tzinfo=UTC)
    end = start + timedelta(hours=3)
    assert format_window(start, end, "nl") == "dinsdag 6 januari, 09:00 tot 12:00"
    assert format_window(start, end, "en") == "Tuesday 6 January, 09:00 to 12:00"
    assert format_window(None, None, "nl") is None


# ---------------------------------------------------------------- links

SIGNER = LinkSigner("secret", "https://samen.example/")
CLAIM = LinkClaim(
    link_id="l1",
    proposal_id="p1",
    request_id="r1",
    volunteer_id="v1",
    action="accept",
    expires_at=datetime(2026, 1, 5, 13, 0, tzinfo=UTC),
)


def test_a_link_reads_back_as_what_it_was_signed_for() -> None:
    url = SIGNER.url(CLAIM)
    assert url.startswith("https://samen.example/p/")
    token = url.rsplit("/", 1)[1]
    assert SIGNER.read(token, now=datetime(2026, 1, 5, 12, 0, tzinfo=UTC)) == CLAIM


def test_an_expired_link_is_refused() -> None:
    with pytest.raises(LinkError) as caught:
        SIGNER.read(SIGNER.token(CLAIM), now=datetime(2026, 1, 5, 13, 0, tzinfo=UTC))
    assert caught.value.reason == "expired"


@pytest.mark.parametrize("tamper", ["flip", "other_key"])
def test_a_changed_or_foreign_link_is_refused(tamper: str) -> None:
    token = SIGNER.token(CLAIM)
    if tamper == "flip":
        token = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    else:
        token = LinkSigner("another secret", "https://x").token(CLAIM)
    with pytest.raises(LinkError) as caught:
        SIGNER.read(token, now=datetime(2026, 1, 5, 12, 0, tzinfo=UTC))
    assert caught.value.reason == "bad_signature"


# ---------------------------------------------------------------- templates


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("template", list(Template))
def test_every_template_renders_in_both_languages_with_no_missing_variable(
    template: Template, lang: str
) -> None:
    renderer = Renderer()
    assert SAMPLE_CONTEXTS[template], f"no sample for {template}"
    for facts in sample_facts(template, lang):
        rendered = renderer.render(template.value, lang, message_context(facts))
        assert rendered.subject and "\n" not in rendered.subject
        assert "Joop" in rendered.text and "Joop" in rendered.html
        assert rendered.html.lstrip().startswith("<!doctype html>")
        assert f'lang="{lang}"' in rendered.html
        for text in (rendered.subject, rendered.text, rendered.html):
            assert "{{" not in text and "None" not in text


def test_the_two_languages_really_differ() -> None:
    renderer = Renderer()
    for template in Template:
        nl = renderer.render(template.value, "nl", message_context(sample_facts(template, "nl")[0]))
        en = renderer.render(template.value, "en", message_context(sample_facts(template, "en")[0]))
        assert nl.subject != en.subject and nl.text != en.text


def test_a_missing_variable_is_an_error_not_a_hole() -> None:
    variables = message_context(sample_facts(Template.proposal, "nl")[0])
    del variables["accept_url"]
    with pytest.raises(UndefinedError):
        Renderer().render("proposal", "nl", variables)


def test_a_proposal_shows_both_links_and_a_shared_phone_only_with_consent() -> None:
    renderer = Renderer()
    proposal = renderer.render(
        "proposal", "nl", message_context(sample_facts(Template.proposal, "nl")[0])
    )
    assert "/p/sample-accept-token" in proposal.text and "/p/sample-decline-token" in proposal.html
    shared, not_shared = (
        renderer.render("request_matched", "nl", message_context(facts))
        for facts in sample_facts(Template.request_matched, "nl")
    )
    assert "06 8765 4321" in shared.text
    assert "06 8765 4321" not in not_shared.text and "Fatima" in not_shared.text


def test_html_escapes_what_it_is_given() -> None:
    base = sample_facts(Template.welcome, "en")[0]
    facts = Facts(**{**base.__dict__, "recipient_first_name": "<b>Jo</b>"})
    rendered = Renderer().render("welcome", "en", message_context(facts))
    assert "&lt;b&gt;Jo&lt;/b&gt;" in rendered.html
    assert "<b>Jo</b>" in rendered.text


@pytest.mark.parametrize("outcome", ["matched", "completed", "cancelled", "expired"])
def test_every_end_of_a_request_makes_its_escalations_and_proposals_stale(outcome: str) -> None:
    assert {Template.escalation, Template.proposal} <= set(stale_templates(outcome))


def test_an_outcome_never_cancels_the_messages_its_own_event_writes() -> None:
    # request.matched writes the match messages and reminders; request.completed the thanks.
    assert not {Template.request_matched, Template.match_confirmed, Template.reminder} & set(
        stale_templates("matched")
    )
    assert not {Template.thanks_requester, Template.thanks_volunteer} & set(
        stale_templates("completed")
    )
    assert Template.reminder in stale_templates("completed")
    for outcome in ("cancelled", "expired"):
        assert {Template.reminder, Template.request_matched, Template.match_confirmed} <= set(
            stale_templates(outcome)
        )


def test_inbox_in_the_order_ends_the_plan() -> None:
    assert channel_plan(["inbox", "email"], has_email=True, apprise_urls=[]) == []
    assert channel_plan(
        ["apprise", "inbox", "email"], has_email=True, apprise_urls=["tgram://x"]
    ) == ["apprise"]


@pytest.mark.parametrize(
    ("url", "extra", "allowed"),
    [
        ("tgram://123:abc/456", frozenset(), True),
        ("TWILIO://sid:token@+31600000000", frozenset(), True),
        ("json://10.0.0.5/hook", frozenset(), False),
        ("xmls://metadata.internal/", frozenset(), False),
        ("https://10.0.0.1/", frozenset(), False),
        ("signal://gateway.internal:8080/+316", frozenset(), False),
        ("signal://gateway.internal:8080/+316", frozenset({"signal"}), True),
        ("no scheme at all", frozenset({"json"}), False),
    ],
)
def test_only_hosted_schemes_and_the_operators_own_are_allowed(
    url: str, extra: frozenset[str], allowed: bool
) -> None:
    assert apprise_allowed(url, extra) is allowed


def test_an_apprise_url_is_shown_masked_and_named_by_a_hash() -> None:
    url = "tgram://123456789:abcdefghijklmnop/987654321"
    assert masked_apprise(url) == "tgram://…21"
    assert apprise_id(url) == apprise_id(url) and url not in apprise_id(url)
    assert len(apprise_id(url)) == 16
    assert masked_apprise("pbul://ab") == "pbul://…"
