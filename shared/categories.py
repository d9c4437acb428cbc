"""The category taxonomy of help: ids are stable, labels are for people."""

from enum import StrEnum
from typing import NamedTuple

from shared.texts import N_


class Category(StrEnum):
    """The kind of help asked or offered."""

    information = "information"
    groceries = "groceries"
    transport = "transport"
    company = "company"
    digital = "digital"
    paperwork = "paperwork"
    odd_jobs = "odd_jobs"
    garden = "garden"
    meals = "meals"
    light_care = "light_care"
    language = "language"
    work = "work"


class Label(NamedTuple):
    nl: str
    en: str
    icon: str


LABELS: dict[Category, Label] = {
    Category.information: Label("Informatie en advies", N_("Information and advice"), "ℹ️"),
    Category.groceries: Label("Boodschappen", N_("Groceries"), "🛒"),
    Category.transport: Label("Vervoer", N_("Transport"), "🚗"),
    Category.company: Label(
        "Gezelschap (bezoek, wandeling, praatje)", N_("Company (visits, a walk, a chat)"), "☕"
    ),
    Category.digital: Label("Hulp met computer of telefoon", N_("Digital help"), "💻"),
    Category.paperwork: Label("Post en formulieren", N_("Paperwork"), "📄"),
    Category.odd_jobs: Label("Klusjes", N_("Odd jobs"), "🔧"),
    Category.garden: Label("Tuin", N_("Garden"), "🌿"),
    Category.meals: Label("Maaltijden", N_("Meals"), "🍲"),
    Category.light_care: Label("Lichte zorg", N_("Light care"), "🤝"),
    Category.language: Label("Taalmaatje", N_("Language buddy"), "💬"),
    Category.work: Label("Werk en ondernemen", N_("Work and enterprise"), "💼"),
}

# Light care is close to the person: volunteers need a certificate of conduct (VOG).
NEEDS_CERTIFICATE_OF_CONDUCT: frozenset[Category] = frozenset({Category.light_care})


def label(category: Category | str, language: str = "nl") -> str:
    entry = LABELS[Category(category)]
    return entry.en if language == "en" else entry.nl
