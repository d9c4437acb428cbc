"""Member CSV files for the import tests (made-up people at real Utrecht postcodes)."""

import csv
from pathlib import Path

PC4S = ("3561", "3562", "3563", "3564", "3581", "3582", "3583", "3511", "3521", "3541", "3451")
FIRST = ("Ans", "Bram", "Chantal", "Dirk", "Esra", "Fleur", "Gert", "Hatice", "Ivo", "Joke")
LETTERS = "ABCEGHJKLMNPRTVWXYZ"  # no S: SA, SD and SS are never issued
COLUMNS = (
    "name",
    "email",
    "phone",
    "postcode",
    "house_number",
    "language",
    "roles",
    "consent_matching",
    "categories",
    "availability",
    "radius_km",
)


def member_rows(count: int, *, start: int = 0) -> list[dict[str, str]]:
    rows = []
    for n in range(start, start + count):
        volunteer = n % 5 == 0
        rows.append(
            {
                "name": f"{FIRST[n % len(FIRST)]} Testpersoon{n}",
                "email": f"persoon{n}@example.org" if n % 7 else "",
                "phone": "" if n % 7 else f"06{n:08d}",
                "postcode": f"{PC4S[n % len(PC4S)]} {LETTERS[n % 19]}{LETTERS[n // 19 % 19]}",
                "house_number": str(n % 300 + 1),
                "language": "en" if n % 11 == 0 else "nl",
                "roles": "resident;volunteer" if volunteer else "resident",
                "consent_matching": "ja" if volunteer else "",
                "categories": "groceries;company" if volunteer else "",
                "availability": "di 09:00-12:00; do 14:00-17:00" if volunteer else "",
                "radius_km": "3" if volunteer else "",
            }
        )
    return rows


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path
