"""Areas, postcodes and distances: pure rules, no I/O.

A Dutch postcode is four digits (PC4, never starting with 0) and, optionally, two letters
(PC6). For Utrecht Samen knows, per PC4, the neighbourhoods whose most common postcode it is and
how many people live there; a lookup names the district and the most likely neighbourhood and
says how sure it is (the share of those inhabitants living in it). Elsewhere the national table
names the PC4's district (and, where known, neighbourhood) with the estimated share of its
residents living there and how reliable that is; where the neighbourhood is not known the
postcode is placed in its district.
"""

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from shared.areas import AreaRef, area_level, is_district, is_municipality, is_neighbourhood

Level = Literal["municipality", "district", "neighbourhood"]
Reliability = Literal["high", "medium", "low"]

_POSTCODE = re.compile(r"^([1-9][0-9]{3})\s*([A-Za-z]{2})?$")
# PostNL never issues these letter pairs (they had unwanted connotations).
_UNUSED_LETTERS = frozenset({"SA", "SD", "SS"})


class PostcodeError(ValueError):
    """A postcode that is malformed, unknown or not a home address."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Postcode:
    pc4: str
    letters: str | None = None

    def __str__(self) -> str:
        return f"{self.pc4} {self.letters}" if self.letters else self.pc4


def normalise_postcode(raw: str) -> Postcode:
    """`3561ab`, `3561 AB`, ` 3561  AB ` -> `3561 AB`; `3561` -> `3561`."""
    text = (raw or "").strip().replace("\u00a0", " ")
    match = _POSTCODE.match(text)
    if not match:
        raise PostcodeError(
            f"{raw!r} is not a Dutch postcode: four digits, optionally two letters (3561 AB)",
            "malformed",
        )
    pc4, letters = match.group(1), match.group(2)
    if letters is not None:
        letters = letters.upper()
        if letters in _UNUSED_LETTERS:
            raise PostcodeError(f"{pc4} {letters} is not an existing postcode", "malformed")
    return Postcode(pc4, letters)


@dataclass(frozen=True)
class Area:
    code: str
    level: Level
    name: str
    municipality_code: str
    parent_code: str | None = None
    population: int | None = None
    lat: float | None = None
    lon: float | None = None
    # The CBS classification (year) the code and name are of.
    cbs_year: int | None = None


@dataclass(frozen=True)
class PostcodeEntry:
    """What is known about one PC4."""

    pc4: str
    municipality_code: str
    po_box: bool = False
    # (neighbourhood code, inhabitants) of the neighbourhoods whose most common PC4 this is
    candidates: tuple[tuple[str, int], ...] = ()
    # The neighbourhood a geocoded point of the PC4 falls in (an independent cross-check).
    point_neighbourhood: str | None = None
    # From the national table: the district with most of the PC4's residents, their estimated
    # share and how reliable that is; the neighbourhood likewise where it is known.
    district_code: str | None = None
    district_share: float | None = None
    district_reliability: Reliability | None = None
    neighbourhood_code: str | None = None
    neighbourhood_share: float | None = None
    # The share of the PC4's addresses in this municipality, when some lie in others.
    municipality_share: float | None = None


@dataclass(frozen=True)
class Resolution:
    postcode: Postcode
    municipality_code: str
    district_code: str
    neighbourhood_code: str
    district_confidence: float
    neighbourhood_confidence: float
    candidates: tuple[tuple[str, float], ...]
    note: str | None = None
    district_reliability: Reliability | None = None
    # False: the neighbourhood is not known, and neighbourhood_code is the district's code (the
    # most specific area the postcode can be placed in).
    neighbourhood_known: bool = True
    municipality_share: float | None = None

    @property
    def confidence(self) -> Reliability:
        return confidence_label(self.neighbourhood_confidence)

    @property
    def reliability(self) -> Reliability:
        """How reliable the district is: the table's own verdict, else from the share."""
        return self.district_reliability or confidence_label(self.district_confidence)


def confidence_label(share: float) -> Reliability:
    if share >= 0.8:
        return "high"
    if share >= 0.5:
        return "medium"
    return "low"


def resolve_postcode(postcode: Postcode, entry: PostcodeEntry | None) -> Resolution:
    """Where a postcode lies, or a PostcodeError that says why it cannot be placed."""
    if entry is None:
        raise PostcodeError(
            f"postcode {postcode} is not in a known municipality", "unknown_municipality"
        )
    if entry.po_box or not (entry.candidates or entry.district_code):
        raise PostcodeError(
            f"postcode {postcode} is a PO box or has no homes: give the postcode of a home address",
            "po_box",
        )
    if not entry.candidates:
        return _resolve_by_district(postcode, entry)
    weights = {code: max(0, people) for code, people in entry.candidates}
    total = sum(weights.values())
    if total == 0:  # nobody registered yet: every candidate equally likely
        weights = dict.fromkeys(weights, 1)
        total = len(weights)
    by_district: dict[str, int] = {}
    for code, people in weights.items():
        district = AreaRef.from_code(code).district
        assert district is not None
        by_district[district] = by_district.get(district, 0) + people
    # Most inhabitants wins; the code breaks a tie so the answer is always the same.
    district = max(by_district, key=lambda d: (by_district[d], d))
    ranked = sorted(weights, key=lambda c: (-weights[c], c))
    neighbourhood = next(c for c in ranked if c.startswith(f"BU{district[2:]}"))
    district_share = by_district[district] / total
    neighbourhood_share = weights[neighbourhood] / total
    note = None
    if postcode.letters:
        note = "placed by its first four digits; the letters do not narrow it down further"
    if entry.point_neighbourhood and entry.point_neighbourhood not in weights:
        # The PC4 straddles a boundary: part of it lies in another neighbourhood (or district).
        district_share /= 2
        neighbourhood_share /= 2
        note = "this postcode straddles a neighbourhood boundary; please check the neighbourhood"
    return Resolution(
        postcode=postcode,
        municipality_code=entry.municipality_code,
        district_code=district,
        neighbourhood_code=neighbourhood,
        district_confidence=round(district_share, 3),
        neighbourhood_confidence=round(neighbourhood_share, 3),
        candidates=tuple((c, round(weights[c] / total, 3)) for c in ranked),
        note=note,
        district_reliability=entry.district_reliability,
        municipality_share=entry.municipality_share,
    )


def _resolve_by_district(postcode: Postcode, entry: PostcodeEntry) -> Resolution:
    """A PC4 of the national table: its district, and its neighbourhood where known."""
    assert entry.district_code is not None
    district_share = entry.district_share if entry.district_share is not None else 1.0
    notes = []
    if postcode.letters:
        notes.append("placed by its first four digits; the letters do not narrow it down further")
    if entry.district_reliability == "low":
        notes.append("this postcode spans several districts; please check the district")
    if entry.municipality_share is not None and entry.municipality_share < 1:
        notes.append("part of this postcode lies in another municipality")
    known = entry.neighbourhood_code is not None
    if known:
        assert entry.neighbourhood_code is not None
        share = entry.neighbourhood_share if entry.neighbourhood_share is not None else 1.0
        candidates: tuple[tuple[str, float], ...] = ((entry.neighbourhood_code, share),)
    else:
        notes.append("the neighbourhood of this postcode is not known, only its district")
        share, candidates = district_share, ()
    return Resolution(
        postcode=postcode,
        municipality_code=entry.municipality_code,
        district_code=entry.district_code,
        neighbourhood_code=entry.neighbourhood_code or entry.district_code,
        district_confidence=round(district_share, 3),
        neighbourhood_confidence=round(share, 3),
        candidates=candidates,
        note="; ".join(notes) or None,
        district_reliability=entry.district_reliability,
        neighbourhood_known=known,
        municipality_share=entry.municipality_share,
    )


EARTH_RADIUS_KM = 6371.0088


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, h)))


def distance_km(a: Area, b: Area) -> float:
    if a.lat is None or a.lon is None or b.lat is None or b.lon is None:
        raise ValueError(f"no centroid known for {a.code if a.lat is None else b.code}")
    return round(haversine_km(a.lat, a.lon, b.lat, b.lon), 3)


# ------------------------------------------------------------------ importing area sets


@dataclass
class AreaSet:
    """One municipality's areas and postcodes, ready to store."""

    municipality: Area
    districts: list[Area] = field(default_factory=list)
    neighbourhoods: list[Area] = field(default_factory=list)
    postcodes: list[PostcodeEntry] = field(default_factory=list)

    def areas(self) -> list[Area]:
        return [self.municipality, *self.districts, *self.neighbourhoods]


REQUIRED_COLUMNS = (
    "gemeente_code",
    "wijk_code",
    "wijk_naam",
    "buurt_code",
    "buurt_naam",
    "centroid_lat",
    "centroid_lon",
)
POPULATION_COLUMNS = ("inwoners", "inwoners_2024")


class AreaFileError(ValueError):
    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


def _weighted_centroid(areas: Sequence[Area]) -> tuple[float | None, float | None]:
    points = [(a.lat, a.lon, a.population or 0) for a in areas if a.lat is not None]
    if not points:
        return None, None
    weight = sum(p for _, _, p in points)
    if weight == 0:
        points = [(lat, lon, 1) for lat, lon, _ in points]
        weight = len(points)
    lat = sum(la * p for la, _, p in points if la is not None) / weight
    lon = sum(lo * p for _, lo, p in points if lo is not None) / weight
    return round(lat, 5), round(lon, 5)


def parse_area_rows(
    rows: Iterable[Mapping[str, str]],
    *,
    municipality_name: str | None = None,
    first_line: int = 2,
) -> AreaSet:
    """Build one municipality from neighbourhood rows (the shape of utrecht_buurten.csv).

    Required columns: gemeente_code, wijk_code, wijk_naam, buurt_code, buurt_naam,
    centroid_lat, centroid_lon; optional: gemeente_naam, inwoners (or inwoners_2024),
    pc4_meest_voorkomend (the neighbourhood's most common PC4, for postcode lookup).
    Districts and the municipality get population sums and population-weighted centroids.
    """
    problems: list[str] = []
    neighbourhoods: list[Area] = []
    district_names: dict[str, str] = {}
    municipality: str | None = None
    name = municipality_name
    pc4s: dict[str, list[tuple[str, int]]] = {}
    seen: set[str] = set()
    for line, row in enumerate(rows, start=first_line):
        missing = [c for c in REQUIRED_COLUMNS if not (row.get(c) or "").strip()]
        if missing:
            problems.append(f"line {line}: missing {', '.join(missing)}")
            continue
        gm, wk, bu = (row[c].strip() for c in ("gemeente_code", "wijk_code", "buurt_code"))
        if not is_municipality(gm) or not is_district(wk) or not is_neighbourhood(bu):
            problems.append(f"line {line}: codes must be GMnnnn, WKnnnnnn and BUnnnnnnnn")
            continue
        if wk[2:6] != gm[2:] or bu[2:8] != wk[2:]:
            problems.append(f"line {line}: {bu} does not lie in {wk} of {gm}")
            continue
        if municipality is None:
            municipality = gm
        elif gm != municipality:
            problems.append(f"line {line}: one file holds one municipality ({municipality})")
            continue
        if bu in seen:
            problems.append(f"line {line}: {bu} appears twice")
            continue
        seen.add(bu)
        try:
            lat, lon = float(row["centroid_lat"]), float(row["centroid_lon"])
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ValueError
        except ValueError:
            problems.append(f"line {line}: centroid_lat/centroid_lon must be decimal degrees")
            continue
        population = None
        for column in POPULATION_COLUMNS:
            value = (row.get(column) or "").strip()
            if value and value != ".":
                try:
                    population = int(float(value))
                except ValueError:
                    problems.append(f"line {line}: {column} must be a number")
                break
        if name is None and (row.get("gemeente_naam") or "").strip():
            name = row["gemeente_naam"].strip()
        district_names.setdefault(wk, row["wijk_naam"].strip())
        neighbourhoods.append(
            Area(bu, "neighbourhood", row["buurt_naam"].strip(), gm, wk, population, lat, lon)
        )
        pc4 = (row.get("pc4_meest_voorkomend") or "").strip()
        if pc4:
            if re.fullmatch(r"[1-9]\d{3}", pc4):
                pc4s.setdefault(pc4, []).append((bu, population or 0))
            else:
                problems.append(f"line {line}: pc4_meest_voorkomend {pc4!r} is not a PC4")
    if municipality is None and not problems:
        problems.append("the file holds no neighbourhoods")
    if problems:
        raise AreaFileError(problems)
    assert municipality is not None
    districts = []
    for wk, wk_name in sorted(district_names.items()):
        children = [n for n in neighbourhoods if n.parent_code == wk]
        wk_lat, wk_lon = _weighted_centroid(children)
        people = [n.population for n in children if n.population is not None]
        districts.append(
            Area(wk, "district", wk_name, municipality, municipality, sum(people), wk_lat, wk_lon)
        )
    gm_lat, gm_lon = _weighted_centroid(districts)
    total = sum(d.population or 0 for d in districts)
    town = Area(
        municipality,
        "municipality",
        name or municipality,
        municipality,
        None,
        total,
        gm_lat,
        gm_lon,
    )
    postcodes = [
        PostcodeEntry(pc4, municipality, False, tuple(candidates))
        for pc4, candidates in sorted(pc4s.items())
    ]
    return AreaSet(town, districts, neighbourhoods, postcodes)


def level_of(code: str) -> Level:
    level = area_level(code)
    assert level in ("municipality", "district", "neighbourhood")
    return level  # type: ignore[return-value]
