"""The pages' catalogues are complete: every text in the code and templates is in them, Dutch
has every one, Turkish and Arabic every text of the resident's own pages; a missing text
falls back to Dutch. Each failure names the texts that are missing and where they are used.

The texts are extracted here, fresh, the way `make translations` does (babel.cfg), so a text
added without updating the catalogues fails too; docs/translating.md says how to fix it.
"""

import re
from collections.abc import Iterable
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from services.gateway import i18n, problem_texts, web
from shared.categories import LABELS

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"t": None, "translate": None, "N_": None}
FIX = "run `make translations`, then translate the missing texts (docs/translating.md)"

# The resident's own pages: ask for help, my requests, inbox, and the layout they show; and
# the way in to them (home, register, log in, a new password).
RESIDENT_TEMPLATES = frozenset(
    {
        "base.html.j2",
        "macros.html.j2",
        "error.html.j2",
        "ask.html.j2",
        "requests.html.j2",
        "request.html.j2",
        "inbox.html.j2",
        "home.html.j2",
        "register.html.j2",
        "login.html.j2",
        "password_reset.html.j2",
        "set_password.html.j2",
    }
)
# What those pages show from code: states, days, categories, notices, problems.
RESIDENT_CODE_TEXTS = frozenset(
    {
        *(v for k, v in i18n.KEYED.items() if k.startswith(("state.", "weekday."))),
        *(label.en for label in LABELS.values()),
        *(web.NOTICES[k] for k in ("asked", "welcome", "signed_out", "registered", "password_set")),
        *(
            problem_texts.BY_FIELD[f]
            for f in ("category", "description", "day", "name", "email", "password")
        ),
        *(problem_texts.BY_FIELD[f] for f in ("postcode", "house_number", "phone")),
        *(problem_texts.BY_REASON[r] for r in ("unknown_municipality", "po_box", "malformed")),
        problem_texts.LOGIN_REFUSED,
        problem_texts.TOO_MANY_FAILURES,
        *(problem_texts.BY_CODE[c] for c in ("link_invalid", "link_used", "link_expired")),
        *(
            problem_texts.BY_CODE[c]
            for c in ("invalid", "error", "unavailable", "rate_limited", "not_found")
        ),
        *(problem_texts.BY_CODE[c] for c in ("forbidden", "unauthorized", "conflict")),
        problem_texts.BY_REASON["csrf"],
        problem_texts.BY_REASON["idempotency_key_reused"],
    }
)


def extracted() -> dict[str, set[str]]:
    """msgid -> the files that use it, as `pybabel extract -F babel.cfg` finds them."""
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    found: dict[str, set[str]] = {}
    for filename, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        if isinstance(message, str) and message:
            found.setdefault(message, set()).add(Path(filename).name)
    return found


def translated(language: str) -> dict[str, str]:
    return i18n.catalogue(language)


def missing(needed: Iterable[str], have: dict[str, str] | set[str]) -> list[str]:
    return sorted(m for m in needed if m not in have)


def report(language: str, texts: list[str], used: dict[str, set[str]]) -> str:
    lines = [f"{len(texts)} text(s) without a {language} translation ({FIX}):"]
    lines += [f"  {text!r}  (in {', '.join(sorted(used.get(text, {'code'})))})" for text in texts]
    return "\n".join(lines)


@pytest.fixture(scope="module")
def used() -> dict[str, set[str]]:
    return extracted()


def test_the_catalogue_template_has_every_text_of_the_code_and_templates(
    used: dict[str, set[str]],
) -> None:
    """English is the source language: a text is 'missing in English' when it is not in the
    catalogue template, so no translator ever sees it."""
    with (i18n.LOCALE_DIR / "messages.pot").open("rb") as f:
        template = {str(m.id) for m in read_po(f) if m.id}
    absent = missing(used, template)
    assert not absent, report("en (messages.pot)", absent, used)


def test_every_keyed_text_is_extracted(used: dict[str, set[str]]) -> None:
    assert not missing(i18n.KEYED.values(), set(used))


@pytest.mark.parametrize("language", ["nl"])
def test_dutch_has_every_text(language: str, used: dict[str, set[str]]) -> None:
    absent = missing(used, translated(language))
    assert not absent, report(language, absent, used)


@pytest.mark.parametrize("language", ["tr", "ar"])
def test_turkish_and_arabic_have_every_text_of_the_residents_pages(
    language: str, used: dict[str, set[str]]
) -> None:
    needed = {m for m, files in used.items() if files & RESIDENT_TEMPLATES} | RESIDENT_CODE_TEXTS
    absent = missing(needed, translated(language))
    assert not absent, report(language, absent, used)


def test_the_report_names_what_is_missing_and_where() -> None:
    used = {"Ask for help": {"base.html.j2"}, "Send": {"ask.html.j2"}}
    absent = missing(used, {"Send": "Versturen"})
    assert absent == ["Ask for help"]
    assert "'Ask for help'  (in base.html.j2)" in report("tr", absent, used)


def test_a_text_a_language_lacks_falls_back_to_dutch_then_to_english() -> None:
    assert "Register a resident" not in translated("tr")  # a coordinator's page: not in Turkish
    assert i18n.translate("Register a resident", "tr") == "Bewoner aanmelden"
    assert i18n.translate("Ask for help", "tr") == "Yardım iste"
    assert i18n.translate("Ask for help", "en") == "Ask for help"
    assert i18n.translate("A text nobody translated", "ar") == "A text nobody translated"
    assert i18n.translate("state.open", "nl") == "Open: we zoeken iemand"
    assert i18n.translate("state.open", "en") == "Open: looking for someone"


def test_the_category_labels_read_the_same_in_the_pages_and_in_the_messages() -> None:
    """Notify words its messages with shared.categories; the pages with the catalogue."""
    for category, label in LABELS.items():
        assert i18n.category_label(category, "nl") == label.nl
        assert i18n.category_label(category, "en") == label.en


def test_arabic_pages_run_right_to_left() -> None:
    assert i18n.direction("ar") == "rtl"
    assert {i18n.direction(lang) for lang in ("nl", "en", "tr")} == {"ltr"}


def test_a_page_in_a_language_notify_does_not_write_gets_dutch_messages() -> None:
    assert [i18n.message_language(lang) for lang in i18n.LANGUAGES] == ["nl", "en", "nl", "nl"]


def test_no_catalogue_entry_is_left_fuzzy() -> None:
    """A fuzzy entry is pybabel's guess: it is not shown until a translator confirms it."""
    fuzzy = {}
    for language in ("nl", "tr", "ar"):
        path = i18n.LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
        with path.open("rb") as f:
            guesses = [str(m.id) for m in read_po(f) if m.id and m.fuzzy]
        if guesses:
            fuzzy[language] = guesses
    assert not fuzzy, f"confirm or correct these guesses ({FIX}): {fuzzy}"


@pytest.mark.parametrize("language", ["nl", "tr", "ar"])
def test_every_translation_keeps_the_placeholders_of_its_text(language: str) -> None:
    """`{seconds}` is filled in after translating: a translation without it cannot say it."""
    changed = {
        msgid: text
        for msgid, text in translated(language).items()
        if set(re.findall(r"{\w*}", msgid)) != set(re.findall(r"{\w*}", text))
    }
    assert not changed, changed
