"""A coordinator's CSV of the social map: one standing offer a row, with its organisation.

Columns (a header line first; organisation, offer, categories and areas are required):

    organisation, organisation_description, organisation_email, organisation_phone, website,
    organisation_address, managers (e-mail addresses; members who keep it up to date),
    offer, description, categories (groceries;odd_jobs), areas (names of the districts or
    neighbourhoods it serves: Overvecht;Tuinwijk), opening_hours (di 10:00-12:00; vr
    14:00-16:00), schedule (a note on the hours), address, phone, email, url, languages (nl;en)

Areas are named, never coded; a name is looked up among the districts first, then the
neighbourhoods. The organisation is based in the first area named.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from shared.categories import Category

from .directory import Opening, opening_hours
from .errors import FieldErrors
from .imports import parse_availability, split_values

REQUIRED = frozenset({"organisation", "offer", "categories", "areas"})


@dataclass(frozen=True)
class OfferRow:
    line: int
    organisation: str
    organisation_fields: dict[str, str | None]
    managers: list[str]
    offer: str
    offer_fields: dict[str, str | None]
    categories: list[Category]
    area_codes: list[str]
    hours: list[Opening] = field(default_factory=list)
    languages: list[str] = field(default_factory=lambda: ["nl"])


def parse_offer_row(
    row: Mapping[str, str | None], *, line: int, area_named: Callable[[str], str | None]
) -> OfferRow:
    """One row, checked; raises Invalid naming every field that is not right (fixed texts,
    so a page can say them in its reader's language)."""
    errors = FieldErrors()

    def text(column: str) -> str:
        return (row.get(column) or "").strip()

    for column in sorted(REQUIRED):
        if not text(column):
            errors.add(column, "is empty")
    categories: list[Category] = []
    for value in split_values(text("categories")):
        try:
            categories.append(Category(value))
        except ValueError:
            errors.add("categories", "is not a known category")
            break
    codes: list[str] = []
    for name in split_values(text("areas")):
        code = area_named(name)
        if code is None:
            errors.add("areas", "no district or neighbourhood has this name")
            break
        codes.append(code)
    hours: list[Opening] = []
    try:
        slots = parse_availability(text("opening_hours"))
        hours = opening_hours((s.weekday, s.start, s.end) for s in slots)
    except ValueError:
        errors.add("opening_hours", "are not like 'di 10:00-12:00', closing after opening")
    errors.raise_if_any()
    return OfferRow(
        line=line,
        organisation=" ".join(text("organisation").split()),
        organisation_fields={
            "description": text("organisation_description"),
            "email": text("organisation_email") or None,
            "phone": text("organisation_phone") or None,
            "website": text("website") or None,
            "address": text("organisation_address") or None,
        },
        managers=split_values(text("managers")),
        offer=" ".join(text("offer").split()),
        offer_fields={
            "description": text("description"),
            "schedule": text("schedule"),
            "address": text("address") or None,
            "email": text("email") or None,
            "phone": text("phone") or None,
            "url": text("url") or None,
        },
        categories=list(dict.fromkeys(categories)),
        area_codes=list(dict.fromkeys(codes)),
        hours=hours,
        languages=split_values(text("languages").lower()) or ["nl"],
    )
