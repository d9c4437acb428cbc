"""The pages' languages: Dutch first, then English, Turkish and Arabic.

Texts are written in English in the code and templates (`t("...")`, `translate(...)`,
`N_("...")`); the gettext catalogues under `locale/<language>/LC_MESSAGES/messages.po` give
each language's words. English is the source language (the msgids). A text a catalogue lacks
(or has marked fuzzy) falls back to Dutch, then to the English msgid. The catalogues are read
once, at first use: no compile step, nothing to install. How to add a text or a language:
docs/translating.md.
"""

from datetime import datetime
from functools import cache
from pathlib import Path
from typing import get_args

from babel.messages.pofile import read_po
from markupsafe import Markup

from services.gateway.icons import pictogram
from shared.categories import LABELS, Category
from shared.clock import to_local
from shared.contracts.notify import Language as MessageLanguage
from shared.texts import N_

LOCALE_DIR = Path(__file__).parent / "locale"
SOURCE_LANGUAGE = "en"
DEFAULT_LANGUAGE = "nl"
# Every language a page can be shown in, in the order of the language menu.
LANGUAGES = ("nl", "en", "tr", "ar")
# Each language named in itself, for the language menu.
LANGUAGE_NAMES = {"nl": "Nederlands", "en": "English", "tr": "Türkçe", "ar": "العربية"}
RIGHT_TO_LEFT = frozenset({"ar"})
# The languages a member can choose for messages (notify has e-mail templates for these);
# a page in another language registers its reader with Dutch messages.
MESSAGE_LANGUAGES: tuple[MessageLanguage, ...] = get_args(MessageLanguage)

# The languages a volunteer can choose from, each named in itself (so a speaker finds their
# own); the codes behind are what matching compares with a request's languages.
SPOKEN_LANGUAGES: dict[str, str] = {
    "nl": "Nederlands",
    "en": "English",
    "tr": "Türkçe",
    "ar": "العربية",
    "ber": "Tamazight/Berber",
    "pl": "Polski",
    "pap": "Papiamentu",
    "srn": "Sranantongo",
    "de": "Deutsch",
    "fr": "Français",
    "es": "Español",
    "pt": "Português",
    "so": "Soomaali",
    "ti": "ትግርኛ (Tigrinya)",
    "fa": "فارسی",
    "uk": "Українська",
    "ru": "Русский",
    "bg": "Български",
    "ro": "Română",
    "zh": "中文",
    "dse": "Nederlandse Gebarentaal",
}

# Texts chosen by a key in code and templates (`t("state." ~ r.state)`): the key names the
# English msgid, so the catalogues hold sentences only.
KEYED: dict[str, str] = {
    "state.open": N_("Open: looking for someone"),
    "state.proposed": N_("Asked volunteers"),
    "state.matched": N_("Matched: someone will help"),
    "state.done": N_("Done"),
    "state.escalated": N_("With the coordinator"),
    "state.cancelled": N_("Cancelled"),
    "state.expired": N_("Expired"),
    "proposal.pending": N_("Waiting for your answer"),
    "proposal.accepted": N_("You help"),
    "proposal.declined": N_("Declined"),
    "proposal.expired": N_("Expired"),
    "proposal.withdrawn": N_("Already taken by someone else"),
    "feedback.requester": N_("From the requester"),
    "feedback.volunteer": N_("From the volunteer"),
    "score.5": N_("Very good"),
    "score.4": N_("Good"),
    "score.3": N_("Okay"),
    "score.2": N_("Not so good"),
    "score.1": N_("Bad"),
    "certificate.none": N_("No VOG on file"),
    "certificate.valid": N_("VOG in order"),
    "certificate.expiring": N_("VOG runs out soon"),
    "certificate.expired": N_("VOG has run out"),
    "audit.request.view": N_("Looked at a request"),
    "audit.member.view": N_("Looked at someone's details"),
    "audit.task.letter": N_("Printed a letter"),
    "audit.task.done": N_("Passed on a message"),
    "audit.members.import": N_("Imported a list"),
    "audit.cooperative.change": N_("Changed a cooperative"),
    "level.municipality": N_("City cooperative"),
    "level.district": N_("District cooperative"),
    "level.neighbourhood": N_("Neighbourhood cooperative"),
    "weekday.0": N_("Monday"),
    "weekday.1": N_("Tuesday"),
    "weekday.2": N_("Wednesday"),
    "weekday.3": N_("Thursday"),
    "weekday.4": N_("Friday"),
    "weekday.5": N_("Saturday"),
    "weekday.6": N_("Sunday"),
    "reason.no_candidates": N_("nobody found"),
    "reason.rounds_exhausted": N_("nobody answered"),
    "reason.no_matching_consent": N_("no consent to match: by hand"),
    "reason.declined_by_all": N_("everyone declined"),
    "reason.manual": N_("passed on"),
}


@cache
def catalogue(language: str) -> dict[str, str]:
    """The translated texts of one language: msgid -> text (fuzzy and empty ones left out)."""
    path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return {}
    with path.open("rb") as f:
        catalog = read_po(f, locale=language)
    return {
        str(m.id): str(m.string)
        for m in catalog
        if m.id and isinstance(m.id, str) and m.string and not m.fuzzy
    }


def translate(text: str, language: str) -> str:
    """`text` (an English msgid, or a KEYED key) in `language`; Dutch where that language
    lacks it, the English text where Dutch lacks it too."""
    msgid = KEYED.get(text, text)
    if language == SOURCE_LANGUAGE:
        return msgid
    return catalogue(language).get(msgid) or catalogue(DEFAULT_LANGUAGE).get(msgid) or msgid


def direction(language: str) -> str:
    return "rtl" if language in RIGHT_TO_LEFT else "ltr"


def message_language(language: str) -> MessageLanguage:
    """The language a member reading pages in `language` gets messages in."""
    for known in MESSAGE_LANGUAGES:
        if known == language:
            return known
    return "nl"


def category_label(category: str, language: str) -> str:
    return translate(LABELS[Category(category)].en, language)


def category_icon(category: str) -> Markup:
    return pictogram(category)


def local_time(
    moment: datetime | None, language: str, with_time: bool = True, zone: str | None = None
) -> str:
    """A moment as the cooperative's clocks show it (`SAMEN_TIME_ZONE`)."""
    if moment is None:
        return ""
    local = to_local(moment, zone)
    key = f"weekday.{local.weekday()}"  # services/gateway/i18n.py KEYED
    weekday = translate(key, language)
    text = f"{weekday} {local.day}-{local.month}-{local.year}"
    return f"{text} {local:%H:%M}" if with_time else text
