"""One form of address in Dutch: the pages and the messages both say "u", never "je" or
"jij"; a category's label is never glued into a sentence ("Kun jij helpen met hulp met
computer of telefoon?") but stands on its own."""

import dataclasses
import re

import pytest

from services.gateway import i18n
from services.notify.adapters.rendering import Renderer
from services.notify.domain.messages import message_context
from services.notify.domain.model import Template
from services.notify.domain.samples import sample_facts
from shared.categories import Category, label

INFORMAL = re.compile(r"\b(je|jij|jou|jouw|jullie)\b", re.IGNORECASE)


def test_the_dutch_pages_say_u() -> None:
    informal = {m: t for m, t in i18n.catalogue("nl").items() if INFORMAL.search(t)}
    assert not informal, informal


@pytest.mark.parametrize("template", list(Template))
def test_every_dutch_message_says_u(template: Template) -> None:
    renderer = Renderer()
    for facts in sample_facts(template, "nl"):
        rendered = renderer.render(template.value, "nl", message_context(facts))
        for part in (rendered.subject, rendered.text, rendered.html):
            found = INFORMAL.findall(part)
            assert not found, (template, found, part)


@pytest.mark.parametrize("category", list(Category))
def test_a_proposal_names_its_category_without_gluing_it_into_a_sentence(
    category: Category,
) -> None:
    renderer = Renderer()
    [facts, *_] = sample_facts(Template.proposal, "nl")
    facts = dataclasses.replace(facts, context={**facts.context, "category": category.value})
    rendered = renderer.render(Template.proposal.value, "nl", message_context(facts))
    assert rendered.subject == f"Kunt u helpen? {label(category, 'nl')}"
    assert f"Wat: {label(category, 'nl')}\n" in rendered.text
