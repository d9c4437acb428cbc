"""Pictograms for the help categories: simple line drawings as inline SVG.

Drawn here rather than taken from emoji, so they look the same on every device (an
information point's old PC has no emoji font) and need nothing from outside.
"""

from markupsafe import Markup

from shared.categories import Category

_PATHS: dict[Category, str] = {
    Category.information: (
        "<circle cx='12' cy='12' r='9.5'/><path d='M12 11v6'/><circle cx='12' cy='7.5' r='0.6'/>"
    ),
    Category.groceries: (
        "<path d='M2.5 4h2.5l2.5 11h10.5l2-7.5H6.2'/>"
        "<circle cx='9.5' cy='19' r='1.6'/><circle cx='17' cy='19' r='1.6'/>"
    ),
    Category.transport: (
        "<path d='M3 16v-3.5l2.2-5h13.6l2.2 5V16z'/><path d='M3 12.5h18'/>"
        "<circle cx='7.5' cy='17' r='1.8'/><circle cx='16.5' cy='17' r='1.8'/>"
    ),
    Category.company: (
        "<path d='M4 9h12v5a4.5 4.5 0 0 1-4.5 4.5h-3A4.5 4.5 0 0 1 4 14z'/>"
        "<path d='M16 10.5h1.5a2.3 2.3 0 0 1 0 4.6H16'/><path d='M8 3.5v3M12 3.5v3'/>"
    ),
    Category.digital: (
        "<rect x='4.5' y='5' width='15' height='10' rx='1'/><path d='M2 19h20M9 15l-1 4h8l-1-4'/>"
    ),
    Category.paperwork: (
        "<path d='M6 2.5h8l4 4v15H6z'/><path d='M14 2.5v4h4M9 11h6M9 14.5h6M9 18h4'/>"
    ),
    Category.odd_jobs: ("<path d='M4.5 19.5l8.5-8.5'/><path d='M10.5 8.5l4-4 5 5-4 4z'/>"),
    Category.garden: (
        "<path d='M5 19C5 9.5 10.5 5 19.5 4.5 19 13.5 14.5 19 5 19z'/><path d='M5 19l8.5-8.5'/>"
    ),
    Category.meals: (
        "<path d='M3 11.5h18c0 4.5-4 8-9 8s-9-3.5-9-8z'/><path d='M9 3.5v4.5M12.5 3.5v4.5'/>"
    ),
    Category.light_care: (
        "<path d='M12 20s-7.5-4.6-7.5-10.2A4 4 0 0 1 12 7.6a4 4 0 0 1 7.5 2.2C19.5 15.4 12 20 "
        "12 20z'/>"
    ),
    Category.language: (
        "<path d='M3.5 4.5h11v7.5H8l-4.5 3.5z'/><path d='M14.5 8.5h6v7.5l-3.5-2.5h-6.5V12'/>"
    ),
    Category.work: (
        "<rect x='3' y='7' width='18' height='12.5' rx='2'/><path d='M9 7V4.5h6V7M3 12.5h18'/>"
    ),
}


def pictogram(category: Category | str) -> Markup:
    inner = _PATHS[Category(category)]
    return Markup(
        f"<svg class='pict' viewBox='0 0 24 24' aria-hidden='true' focusable='false'>{inner}</svg>"
    )
