"""The Dutch of every page, every problem a page can show and every e-mail stays at B1 level.

The measure is Flesch-Douma, the Dutch Flesch formula (206.84 - 0.93 x words per sentence -
77 x syllables per word; textstat with lang "nl"). A score of 60 or more is the usual stand-in
for B1 ("plain language"): short sentences of everyday words. A formula cannot judge a single
label ("Hoofdmenu"), so a page is judged on its running text: every text of three words or
more; a page or message with fewer than MIN_WORDS words of it has nothing to judge and passes.
Links are left out of the e-mails (an address is not a word). A text a formula scores low is
not always hard, and one it scores high is not always easy: read them too.
"""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import textstat
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg

from services.gateway import i18n, problem_texts
from services.notify.adapters.rendering import Renderer
from services.notify.domain.messages import message_context
from services.notify.domain.model import Template
from services.notify.domain.samples import sample_facts

ROOT = Path(__file__).resolve().parents[2]
B1 = 60.0  # Flesch-Douma; 60-70 reads as plain language, above 70 as easy
MIN_WORDS = 10
WORDS_OF_A_TEXT = 3


def flesch_douma(text: str) -> float:
    textstat.set_lang("nl")
    return float(textstat.flesch_reading_ease(text))


def running_text(texts: list[str]) -> str:
    """The texts a page shows, as sentences: labels of one or two words left out."""
    sentences = []
    for text in dict.fromkeys(t.strip() for t in texts):
        if len(text.split()) >= WORDS_OF_A_TEXT:
            sentences.append(text if text[-1] in ".?!:" else text + ".")
    return " ".join(sentences)


def judged(text: str) -> bool:
    return len(text.split()) >= MIN_WORDS


def page_texts() -> dict[str, str]:
    """Page template -> its Dutch running text, found as `make translations` finds it."""
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    found: dict[str, list[str]] = {}
    for filename, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords={"t": None, "translate": None, "N_": None}
    ):
        if filename.endswith(".j2") and isinstance(message, str):
            found.setdefault(Path(filename).name, []).append(message)
    dutch = i18n.catalogue("nl")
    return {name: running_text([dutch.get(m, m) for m in ms]) for name, ms in found.items()}


def email_texts() -> Iterator[tuple[str, str]]:
    renderer = Renderer()
    for template in Template:
        for number, facts in enumerate(sample_facts(template, "nl")):
            rendered = renderer.render(template.value, "nl", message_context(facts))
            text = re.sub(r"https?://\S+", "", f"{rendered.subject}.\n{rendered.text}")
            yield f"{template.value}#{number}", text


PAGES = page_texts()


@pytest.mark.parametrize("template", sorted(PAGES))
def test_every_page_reads_at_b1_level_in_dutch(template: str) -> None:
    text = PAGES[template]
    if judged(text):
        score = flesch_douma(text)
        assert score >= B1, f"{template}: Flesch-Douma {score:.0f} < {B1:.0f}: {text}"


def test_every_problem_a_page_shows_reads_at_b1_level_in_dutch() -> None:
    dutch = i18n.catalogue("nl")
    texts = [
        *problem_texts.BY_REASON.values(),
        *problem_texts.BY_CODE.values(),
        *problem_texts.BY_FIELD.values(),
        problem_texts.LOGIN_REFUSED,
    ]
    text = running_text([dutch[t] for t in texts])
    score = flesch_douma(text)
    assert score >= B1, f"the problems' Dutch: Flesch-Douma {score:.0f} < {B1:.0f}"


@pytest.mark.parametrize(("message", "text"), list(email_texts()), ids=lambda v: v[:40])
def test_every_e_mail_reads_at_b1_level_in_dutch(message: str, text: str) -> None:
    score = flesch_douma(text)
    assert score >= B1, f"{message}: Flesch-Douma {score:.0f} < {B1:.0f}:\n{text}"


def test_the_measure_refuses_convoluted_dutch() -> None:
    convoluted = (
        "Ingevolge de onderhavige bepalingen dient de aanvrager zorg te dragen voor de tijdige "
        "overlegging van alle relevante bescheiden, teneinde de beoordelingsprocedure niet "
        "onnodig te vertragen en de verwerkingstermijn dienovereenkomstig te respecteren."
    )
    plain = "Stuur ons de papieren op tijd. Dan kunnen we snel kijken. Zo wacht u niet lang."
    assert flesch_douma(convoluted) < B1 <= flesch_douma(plain)
    assert judged(running_text([convoluted]))
