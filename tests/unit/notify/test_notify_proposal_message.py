"""The proposal e-mail tells the volunteer what, when, where, how far and by when to answer."""

import pytest

from services.notify.adapters.rendering import Renderer
from services.notify.domain.messages import message_context
from services.notify.domain.model import Template
from services.notify.domain.samples import sample_facts


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("nl", ["Wat: Boodschappen", "Afstand: ongeveer 1,2 km", "Overvecht-Noord", "Antwoord"]),
        ("en", ["What: Groceries", "Distance: about 1.2 km", "Overvecht-Noord", "answer before"]),
    ],
)
def test_the_proposal_says_how_far_it_is(lang: str, words: list[str]) -> None:
    with_distance, without = sample_facts(Template.proposal, lang)
    rendered = Renderer().render("proposal", lang, message_context(with_distance))
    for word in words:
        assert word in rendered.text, (word, rendered.text)
    assert "1" in rendered.html and " km" in rendered.html
    unknown = Renderer().render("proposal", lang, message_context(without))
    assert " km" not in unknown.text and " km" not in unknown.html


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_volunteers_thank_you_asks_how_it_went_too(lang: str) -> None:
    for facts in sample_facts(Template.thanks_volunteer, lang):
        context = message_context(facts)
        assert context["link"].endswith(f"/requests/{facts.context['request_id']}/feedback")
        rendered = Renderer().render("thanks_volunteer", lang, context)
        assert context["link"] in rendered.text and context["link"] in rendered.html
