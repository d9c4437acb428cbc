"""Utrecht's districts and neighbourhoods by name, and the short number a request is read
out by: what pages, files and use cases show instead of a CBS code or an id."""

import csv
from functools import lru_cache

from shared.data import UTRECHT_DISTRICTS_CSV, UTRECHT_NEIGHBOURHOODS_CSV


@lru_cache
def area_names() -> dict[str, str]:
    names: dict[str, str] = {"GM0344": "Utrecht"}
    with UTRECHT_DISTRICTS_CSV.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            names[row["wijk_code"]] = row["wijk_naam"]
    with UTRECHT_NEIGHBOURHOODS_CSV.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            names[row["buurt_code"]] = row["buurt_naam"]
    return names


def alphanumeric(text: str) -> str:
    """Letters and digits only, upper case: how a typed request number is compared."""
    return "".join(c for c in text if c.isalnum()).upper()


def request_number(request_id: str) -> str:
    """The short number a coordinator reads out on the phone: the id's last six characters."""
    return alphanumeric(request_id)[-6:]


def districts() -> list[tuple[str, str]]:
    """The districts (wijken) to choose from, by name: (code, name)."""
    return sorted(
        ((c, n) for c, n in area_names().items() if c.startswith("WK")), key=lambda item: item[1]
    )


@lru_cache
def area_groups() -> list[tuple[str, str, list[tuple[str, str]]]]:
    """Utrecht's districts by name, each with its neighbourhoods by name: what a form offers
    to pick an area from (nobody types a CBS code)."""
    neighbourhoods: dict[str, list[tuple[str, str]]] = {}
    with UTRECHT_NEIGHBOURHOODS_CSV.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            neighbourhoods.setdefault(row["wijk_code"], []).append(
                (row["buurt_code"], row["buurt_naam"])
            )
    return [
        (code, name, sorted(neighbourhoods.get(code, []), key=lambda item: item[1]))
        for code, name in districts()
    ]


def area_name(code: str | None) -> str:
    if not code:
        return ""
    return area_names().get(code, code)
