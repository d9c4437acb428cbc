"""The national area tables (shared/data/nl/) -> one AreaSet per municipality: pure, no I/O.

Four tables, one row per municipality, district (wijk), neighbourhood (buurt) and PC4. The
CBS classifications differ per level (see SOURCES.txt there): municipalities are the same in
2023-2025 and carry 2025; a district carries 2024 when it is in the 2024 classification (its
population, outline and the PC4 estimate are of that year), else 2025; neighbourhoods are the
2025 list.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from services.registry.domain.areas import (
    Area,
    AreaFileError,
    AreaSet,
    Postcode,
    PostcodeEntry,
    Reliability,
    resolve_postcode,
)
from shared.areas import is_district, is_municipality, is_neighbourhood

Row = Mapping[str, str]

MUNICIPALITY_YEAR = 2025
DISTRICT_YEARS = (2024, 2025)  # the 2024 classification, else the 2025 one
NEIGHBOURHOOD_YEAR = 2025

RELIABILITY: dict[str, Reliability] = {"hoog": "high", "middel": "medium", "laag": "low"}
_PC4 = re.compile(r"^[1-9]\d{3}$")


@dataclass
class NationalTables:
    """The rows of the four tables, as csv.DictReader gives them."""

    municipalities: Iterable[Row]
    districts: Iterable[Row]
    neighbourhoods: Iterable[Row]
    postcodes: Iterable[Row]


@dataclass
class _Problems:
    found: list[str] = field(default_factory=list)

    def add(self, table: str, line: int, message: str) -> None:
        self.found.append(f"{table} line {line}: {message}")


def _text(row: Row, column: str) -> str:
    return (row.get(column) or "").strip()


def _number(row: Row, column: str) -> float | None:
    """A decimal, or None for an empty cell (CBS's own 'missing' marks included)."""
    value = _text(row, column)
    if not value or value in {".", "-99995", "-99997"}:
        return None
    return float(value)


def _count(row: Row, column: str) -> int | None:
    value = _number(row, column)
    return None if value is None else int(value)


def _flag(row: Row, column: str) -> bool:
    return _text(row, column) == "True"


def _point(row: Row, lat: str, lon: str) -> tuple[float | None, float | None]:
    la, lo = _number(row, lat), _number(row, lon)
    if la is None or lo is None:
        return None, None
    if not (-90 <= la <= 90 and -180 <= lo <= 180):
        raise ValueError(f"{lat}/{lon} must be decimal degrees")
    return la, lo


def _municipality(row: Row) -> Area:
    code = _text(row, "gemeente_code")
    if not is_municipality(code):
        raise ValueError(f"{code!r} is not a municipality code (GMnnnn)")
    name = _text(row, "gemeente_naam_2025") or _text(row, "gemeente_naam")
    if not name:
        raise ValueError(f"{code} has no name")
    # Where people live is a better centre for matching than the middle of the polygon
    # (Rotterdam's lies in the port).
    lat, lon = _point(row, "pop_weighted_lat", "pop_weighted_lon")
    if lat is None:
        lat, lon = _point(row, "centroid_lat", "centroid_lon")
    population = _count(row, "inwoners_2024")
    return Area(code, "municipality", name, code, None, population, lat, lon, MUNICIPALITY_YEAR)


def _district(row: Row) -> Area:
    code, municipality = _text(row, "wijk_code"), _text(row, "gemeente_code")
    if not is_district(code) or code[2:6] != municipality[2:]:
        raise ValueError(f"{code!r} is not a district code (WKnnnnnn) of {municipality}")
    in_2024 = _flag(row, "in_indeling_2024")
    # The newer spelling where the code still exists (CBS corrected typos in 2025).
    name = _text(row, "wijk_naam_2025") or _text(row, "wijk_naam")
    if not name:
        raise ValueError(f"{code} has no name")
    lat, lon = _point(row, "centroid_lat", "centroid_lon")
    year = DISTRICT_YEARS[0] if in_2024 else DISTRICT_YEARS[1]
    population = _count(row, "inwoners_2024")
    return Area(code, "district", name, municipality, municipality, population, lat, lon, year)


def _neighbourhood(row: Row) -> Area:
    code, district = _text(row, "buurt_code"), _text(row, "wijk_code")
    municipality = _text(row, "gemeente_code")
    if not is_neighbourhood(code) or code[2:8] != district[2:] or district[2:6] != municipality[2:]:
        raise ValueError(f"{code!r} is not a neighbourhood code (BUnnnnnnnn) of {district}")
    name = _text(row, "buurt_naam")
    if not name:
        raise ValueError(f"{code} has no name")
    lat, lon = _point(row, "centroid_lat", "centroid_lon")
    if lat is None:  # the district's centre: coarse, but enough to sort by distance
        lat, lon = _point(row, "benadering_lat", "benadering_lon")
    population = _count(row, "inwoners_2024")
    return Area(
        code,
        "neighbourhood",
        name,
        municipality,
        district,
        population,
        lat,
        lon,
        NEIGHBOURHOOD_YEAR,
    )


def _postcode(row: Row) -> PostcodeEntry | None:
    """One PC4, or None when the table cannot place it in any municipality."""
    pc4 = _text(row, "pc4")
    if not _PC4.match(pc4):
        raise ValueError(f"{pc4!r} is not a PC4")
    municipality = _text(row, "gemeente_code")
    # A PO box has no addresses, so the only municipality it has is that of its placeholder point.
    no_homes = _flag(row, "postbus_of_geen_locatie") or not _text(row, "wijk_code")
    if not municipality and no_homes:
        municipality = _text(row, "gemeente_code_4pp_punt")
    if not municipality:
        return None
    if not is_municipality(municipality):
        raise ValueError(f"{municipality!r} is not a municipality code")
    if no_homes:
        return PostcodeEntry(pc4, municipality, po_box=True)
    district = _text(row, "wijk_code")
    if district[2:6] != municipality[2:]:
        raise ValueError(f"district {district} does not lie in {municipality}")
    grade = _text(row, "wijk_betrouwbaarheid")
    if grade not in RELIABILITY:
        raise ValueError(f"wijk_betrouwbaarheid {grade!r} is not hoog, middel or laag")
    neighbourhood = _text(row, "buurt_code") or None
    if neighbourhood is not None and neighbourhood[2:8] != district[2:]:
        raise ValueError(f"neighbourhood {neighbourhood} does not lie in {district}")
    return PostcodeEntry(
        pc4,
        municipality,
        district_code=district,
        district_share=_number(row, "wijk_aandeel_geschat"),
        district_reliability=RELIABILITY[grade],
        neighbourhood_code=neighbourhood,
        neighbourhood_share=_number(row, "buurt_aandeel_geschat") if neighbourhood else None,
        municipality_share=_number(row, "gemeente_adres_aandeel"),
    )


def parse_national_tables(
    tables: NationalTables, *, only: Iterable[str] | None = None
) -> dict[str, AreaSet]:
    """Every municipality of the tables (or those in `only`) as an AreaSet, by code.

    Raises AreaFileError listing every row of those municipalities that cannot be read, and
    every code in `only` that the tables do not hold.
    """
    wanted = None if only is None else set(only)

    def keep(code: str) -> bool:
        return wanted is None or code in wanted

    problems = _Problems()
    sets: dict[str, AreaSet] = {}
    for line, row in enumerate(tables.municipalities, start=2):
        try:
            town = _municipality(row)
        except ValueError as exc:
            problems.add("municipalities", line, str(exc))
            continue
        if keep(town.code):
            sets[town.code] = AreaSet(town)
    levels = (
        ("districts", tables.districts, _district),
        ("neighbourhoods", tables.neighbourhoods, _neighbourhood),
    )
    for table, rows, parse in levels:
        for line, row in enumerate(rows, start=2):
            if not keep(_text(row, "gemeente_code")):
                continue
            try:
                area = parse(row)
            except ValueError as exc:
                problems.add(table, line, str(exc))
                continue
            if area.municipality_code not in sets:
                problems.add(table, line, f"{area.code}: no municipality {area.municipality_code}")
                continue
            target = sets[area.municipality_code]
            (target.districts if area.level == "district" else target.neighbourhoods).append(area)
    for line, row in enumerate(tables.postcodes, start=2):
        if not keep(_text(row, "gemeente_code") or _text(row, "gemeente_code_4pp_punt")):
            continue
        try:
            entry = _postcode(row)
        except ValueError as exc:
            problems.add("postcodes", line, str(exc))
            continue
        if entry is None:
            continue
        if entry.municipality_code not in sets:
            problems.add(
                "postcodes", line, f"{entry.pc4}: no municipality {entry.municipality_code}"
            )
            continue
        sets[entry.municipality_code].postcodes.append(entry)
    for code in sorted((wanted or set()) - set(sets)):
        problems.found.append(f"{code} is not a municipality of the tables")
    for area_set in sets.values():
        _check_references(area_set, problems)
    if problems.found:
        raise AreaFileError(problems.found)
    return dict(sorted(sets.items()))


def _check_references(area_set: AreaSet, problems: _Problems) -> None:
    """Every neighbourhood's district, and every district a postcode names, is in the set."""
    districts = {d.code for d in area_set.districts}
    neighbourhoods = {n.code for n in area_set.neighbourhoods}
    for n in area_set.neighbourhoods:
        if n.parent_code not in districts:
            problems.found.append(f"{n.code}: no district {n.parent_code}")
    for p in area_set.postcodes:
        if p.district_code is not None and p.district_code not in districts:
            problems.found.append(f"PC4 {p.pc4}: no district {p.district_code}")
        if p.neighbourhood_code is not None and p.neighbourhood_code not in neighbourhoods:
            problems.found.append(f"PC4 {p.pc4}: no neighbourhood {p.neighbourhood_code}")


def with_reliability(detailed: AreaSet, national: AreaSet) -> AreaSet:
    """A municipality's own, more detailed set (Utrecht's) with the national table's verdict
    on each PC4's district: its reliability where both place the PC4 in the same district,
    'low' where they disagree (the PC4 spans both). PC4s only the national table has (PO
    boxes) are added."""
    national_postcodes = {p.pc4: p for p in national.postcodes}
    postcodes = []
    for entry in detailed.postcodes:
        verdict = national_postcodes.pop(entry.pc4, None)
        if verdict is not None and verdict.district_code and entry.candidates:
            district = resolve_postcode(Postcode(entry.pc4), entry).district_code
            agrees = verdict.district_code == district
            entry = replace(
                entry,
                district_reliability=verdict.district_reliability if agrees else "low",
                municipality_share=verdict.municipality_share,
            )
        postcodes.append(entry)
    postcodes += national_postcodes.values()
    return replace(detailed, postcodes=sorted(postcodes, key=lambda p: p.pc4))
