"""The social map's rules: accent- and case-insensitive search words, and opening hours."""

import itertools
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from shared.categories import Category


def fold(text: str) -> str:
    """`Buurtcoöperatie` -> `buurtcooperatie`."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def search_text(*parts: str | None) -> str:
    return " ".join(fold(p) for p in parts if p)


def search_words(q: str | None) -> list[str]:
    """The words to look for (each must occur); `%` and `_` are not wildcards for the user."""
    return [w for w in re.split(r"[\W_]+", fold(q or "")) if w][:8]


@dataclass
class Organisation:
    """An organisation on the social map; retired: off the map, kept for what it offered."""

    organisation_id: str
    name: str
    area_code: str
    created_at: datetime
    description: str = ""
    email: str | None = None
    phone: str | None = None
    website: str | None = None
    address: str | None = None
    updated_at: datetime | None = None
    retired_at: datetime | None = None


@dataclass
class Offer:
    """A standing offer of an organisation, for the areas it serves. `organisation_name` is
    its organisation's, read with it; `search_text` the folded words a search looks in."""

    offer_id: str
    organisation_id: str
    name: str
    categories: list[Category]
    area_codes: list[str]
    created_at: datetime
    organisation_name: str = ""
    description: str = ""
    languages: list[str] = field(default_factory=list)
    opening_hours: list["Opening"] = field(default_factory=list)
    schedule: str = ""
    address: str | None = None
    location_area_code: str | None = None
    email: str | None = None
    phone: str | None = None
    url: str | None = None
    active: bool = True
    search_text: str = ""
    updated_at: datetime | None = None
    retired_at: datetime | None = None


@dataclass(frozen=True)
class OfferSearch:
    """Which offers to find: each given filter narrows it (words: all of them occur); retired
    offers, and those of retired organisations, only when asked; a page of them, by name."""

    organisation_id: str | None = None
    area_code: str | None = None
    category: str | None = None
    words: Sequence[str] = ()
    language: str | None = None
    limit: int | None = None
    offset: int = 0
    include_retired: bool = False


# ----------------------------------------------------------------- opening hours

WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")  # iCalendar's, as HSDS uses them
MAX_OPENINGS = 21  # three times a day, every day
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@dataclass(frozen=True, order=True)
class Opening:
    """Open on `weekday` (0 = Monday) from `opens` until `closes`, local time ("HH:MM")."""

    weekday: int
    opens: str
    closes: str

    def as_dict(self) -> dict[str, int | str]:
        return {"weekday": self.weekday, "opens": self.opens, "closes": self.closes}


def opening_hours(entries: Iterable[tuple[int, str, str]]) -> list[Opening]:
    """Checked opening hours, in weekly order; ValueError says what is wrong. Several times
    a day are fine as long as they do not overlap."""
    openings: list[Opening] = []
    for weekday, opens, closes in entries:
        opens, closes = _hhmm(opens), _hhmm(closes)
        if not 0 <= weekday <= 6:
            raise ValueError("weekday is 0 (Monday) to 6 (Sunday)")
        if not _TIME.match(opens) or not _TIME.match(closes):
            raise ValueError("opening times are like 09:30")
        if closes <= opens:
            raise ValueError("closing time must be after opening time")
        openings.append(Opening(weekday, opens, closes))
    if len(openings) > MAX_OPENINGS:
        raise ValueError(f"at most {MAX_OPENINGS} opening times")
    openings.sort()
    for before, after in itertools.pairwise(openings):
        if before.weekday == after.weekday and after.opens < before.closes:
            raise ValueError("opening times on the same day overlap")
    return openings


def _hhmm(value: str) -> str:
    value = value.strip().replace(".", ":")
    return "0" + value if len(value) == 4 and value[1] == ":" else value


def openings_from_rows(rows: Iterable[Mapping[str, object]]) -> list[Opening]:
    """Stored opening hours (already checked) back as openings."""
    return [Opening(int(str(r["weekday"])), str(r["opens"]), str(r["closes"])) for r in rows]
