"""Who gets a task instead of a message, and what a task and the volunteer's message say
(notify's pure decisions and the reading of a task)."""

from datetime import UTC, datetime

from services.notify.adapters.rendering import Renderer
from services.notify.domain.messages import Facts, Person, message_context
from services.notify.domain.model import Template
from services.notify.domain.passing_on import (
    PASSED_ON_TEMPLATES,
    other_party,
    passed_on,
    side_of,
    task_holders,
)
from services.notify.domain.records import Task
from services.notify.service_layer.passing_on import task_view
from shared.contracts.registry import MemberContact

MATCHED = {"request_id": "req-1", "requester_id": "gerrit", "volunteer_id": "lotte"}


def test_without_email_or_channel_what_he_needs_to_hear_becomes_a_task() -> None:
    assert passed_on(Template.request_matched, own_email=False, own_channels=False)
    assert passed_on(Template.reminder, own_email=False, own_channels=False)
    assert passed_on(Template.thanks_requester, own_email=False, own_channels=False)


def test_a_member_with_an_address_or_a_channel_of_their_own_gets_the_message() -> None:
    assert not passed_on(Template.request_matched, own_email=True, own_channels=False)
    assert not passed_on(Template.request_matched, own_email=False, own_channels=True)


def test_welcome_account_links_and_coordinators_messages_are_no_task() -> None:
    for template in (
        Template.welcome,  # the coordinator registered him and told him so
        Template.invitation,
        Template.password_reset,
        Template.escalation,
        Template.digest,
        Template.proposal,
    ):
        assert template not in PASSED_ON_TEMPLATES
        assert not passed_on(template, own_email=False, own_channels=False)


def test_the_task_is_for_who_registered_him_first_then_his_cooperatives_coordinators() -> None:
    assert task_holders("joke", ["henk", "joke", "mirjam"]) == ["joke", "henk", "mirjam"]
    assert task_holders(None, ["henk"]) == ["henk"]
    assert task_holders(None, []) == []


def test_each_side_hears_of_the_other() -> None:
    assert side_of(Template.request_matched, MATCHED) == "requester"
    assert other_party(Template.request_matched, MATCHED) == "lotte"
    assert side_of(Template.match_confirmed, MATCHED) == "volunteer"
    assert other_party(Template.match_confirmed, MATCHED) == "gerrit"
    reminder = {**MATCHED, "role": "volunteer"}
    assert (side_of(Template.reminder, reminder), other_party(Template.reminder, reminder)) == (
        "volunteer",
        "gerrit",
    )
    assert other_party(Template.proposal_withdrawn, MATCHED) is None


def contact(member_id: str, name: str, **extra: object) -> MemberContact:
    return MemberContact(
        member_id=member_id,
        name=name,
        first_name=name.split()[0],
        **extra,
    )


def test_a_task_names_him_and_his_phone_and_the_volunteer_only_as_she_agreed() -> None:
    row = Task(
        task_id="t-1",
        notification_id="n-1",
        member_id="gerrit",
        template="request_matched",
        request_id="req-1",
        context={**MATCHED, "category": "transport", "needed_from": "2026-12-08T09:00:00+00:00"},
        neighbourhood="BU03440312",
        created_at=datetime(2026, 12, 2, tzinfo=UTC),
    )
    contacts = {
        "gerrit": contact("gerrit", "Gerrit Hoekstra", phone="030 765 4321"),
        "lotte": contact("lotte", "Lotte Vos", phone="06 1234 5678", email="lotte@example.nl"),
    }
    task = task_view(row, contacts, "Buurtcoöperatie Overvecht")
    assert (task.resident_name, task.resident_phone) == ("Gerrit Hoekstra", "030 765 4321")
    assert task.other is not None and task.other.first_name == "Lotte"
    assert task.other.phone is None and task.other.email is None  # she did not agree to share
    assert task.needed_from == datetime(2026, 12, 8, 9, tzinfo=UTC)
    shared = {
        **contacts,
        "lotte": contacts["lotte"].model_copy(update={"share_phone_with_match": True}),
    }
    assert task_view(row, shared, None).other.phone == "06 1234 5678"  # type: ignore[union-attr]
    gone = task_view(row, {}, None)
    assert gone.resident_name == "" and gone.other is None  # erased: nothing kept to show


def confirmation(other: Person, lang: str = "nl") -> str:
    facts = Facts(
        template=Template.match_confirmed,
        lang=lang,
        recipient_first_name="Lotte",
        context={**MATCHED, "category": "transport"},
        public_url="https://samen.example",
        others={"gerrit": other},
    )
    rendered = Renderer().render("match_confirmed", lang, message_context(facts))
    return rendered.text + rendered.html


def test_the_volunteer_reaches_him_through_the_coordinator_never_a_message_page() -> None:
    via = Person("Gerrit", via_name="Joke de Vries", via_contact="030 123 4567")
    text = confirmation(via)
    assert "U bereikt Gerrit via de coördinator Joke de Vries: 030 123 4567" in text
    assert "een bericht" not in text
    assert "through the coordinator Joke de Vries" in confirmation(via, "en")
    assert "a message" not in confirmation(via, "en")


def test_with_his_phone_shared_she_calls_him_and_otherwise_the_page_says_how() -> None:
    assert "Bel of stuur een bericht naar Gerrit: 030 765 4321" in confirmation(
        Person("Gerrit", "030 765 4321")
    )
    plain = confirmation(Person("Gerrit"))
    assert "Hoe u Gerrit bereikt, ziet u op https://samen.example/requests/req-1" in plain
    assert "Stuur Gerrit een bericht" not in plain
