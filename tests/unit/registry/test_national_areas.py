"""The national area tables: parsing them into area sets, placing their postcodes, and the
import use case over a fake unit of work (no database)."""

from collections.abc import Sequence
from typing import Self, cast

import pytest

from services.registry.domain.areas import (
    Area,
    AreaFileError,
    Postcode,
    PostcodeEntry,
    PostcodeError,
    resolve_postcode,
)
from services.registry.domain.national_areas import (
    NationalTables,
    parse_national_tables,
    with_reliability,
)
from services.registry.service_layer.areas import LISTED_AT_MOST, import_areas, list_areas
from services.registry.service_layer.reference import (
    check_municipality_codes,
    national_area_sets,
    national_tables,
    utrecht_area_set,
)
from services.registry.service_layer.uow import RegistryUnitOfWork
from shared.errors import Invalid, NotFound

MUNICIPALITY = {
    "gemeente_code": "GM0200",
    "gemeente_naam": "Apeldoorn",
    "gemeente_naam_2025": "Apeldoorn",
    "inwoners_2024": "166000",
    "centroid_lat": "52.2",
    "centroid_lon": "5.9",
    "pop_weighted_lat": "52.21",
    "pop_weighted_lon": "5.95",
}
DISTRICTS = [
    {
        "wijk_code": "WK020001",
        "wijk_naam": "Wijk 01 Centrum",
        "wijk_naam_2025": "Centrum",
        "gemeente_code": "GM0200",
        "in_indeling_2024": "True",
        "in_indeling_2025": "True",
        "inwoners_2024": "12000",
        "centroid_lat": "52.21",
        "centroid_lon": "5.96",
    },
    {
        "wijk_code": "WK020099",
        "wijk_naam": "Groot water",
        "wijk_naam_2025": "Groot water",
        "gemeente_code": "GM0200",
        "in_indeling_2024": "False",
        "in_indeling_2025": "True",
        "inwoners_2024": "",
        "centroid_lat": "",
        "centroid_lon": "",
    },
]
NEIGHBOURHOODS = [
    {
        "buurt_code": "BU02000101",
        "buurt_naam": "Binnenstad",
        "wijk_code": "WK020001",
        "gemeente_code": "GM0200",
        "inwoners_2024": "",
        "centroid_lat": "",
        "centroid_lon": "",
        "benadering_lat": "52.21",
        "benadering_lon": "5.96",
    }
]


def postcode(pc4: str, **values: str) -> dict[str, str]:
    row = {
        "pc4": pc4,
        "postbus_of_geen_locatie": "False",
        "gemeente_code": "GM0200",
        "gemeente_adres_aandeel": "1.0",
        "gemeente_code_4pp_punt": "GM0200",
        "wijk_code": "WK020001",
        "wijk_aandeel_geschat": "0.839",
        "wijk_betrouwbaarheid": "hoog",
        "buurt_code": "",
        "buurt_aandeel_geschat": "",
    }
    return {**row, **values}


POSTCODES = [
    postcode("7311"),
    postcode("7312", wijk_betrouwbaarheid="laag", wijk_aandeel_geschat="0.41"),
    postcode("7351", gemeente_adres_aandeel="0.993"),
    postcode(
        "7300",
        postbus_of_geen_locatie="True",
        gemeente_code="",
        wijk_code="",
        wijk_betrouwbaarheid="",
    ),
    postcode("3011", gemeente_code="GM0599", gemeente_code_4pp_punt="GM0599", wijk_code="WK059901"),
]


def tables(**changes: list[dict[str, str]]) -> NationalTables:
    parts: dict[str, list[dict[str, str]]] = {
        "municipalities": [MUNICIPALITY],
        "districts": DISTRICTS,
        "neighbourhoods": NEIGHBOURHOODS,
        "postcodes": POSTCODES,
    }
    return NationalTables(**{**parts, **changes})


def test_a_municipality_is_read_with_its_areas_years_and_postcodes() -> None:
    sets = parse_national_tables(tables(), only=["GM0200"])
    apeldoorn = sets["GM0200"]
    assert apeldoorn.municipality == Area(
        "GM0200", "municipality", "Apeldoorn", "GM0200", None, 166000, 52.21, 5.95, 2025
    )
    centrum, water = apeldoorn.districts
    assert (centrum.name, centrum.cbs_year, centrum.population) == ("Centrum", 2024, 12000)
    assert (water.cbs_year, water.lat) == (2025, None)
    (binnenstad,) = apeldoorn.neighbourhoods
    assert (binnenstad.parent_code, binnenstad.cbs_year, binnenstad.lat) == (
        "WK020001",
        2025,
        52.21,
    )
    by_pc4 = {p.pc4: p for p in apeldoorn.postcodes}
    assert by_pc4["7311"].district_code == "WK020001"
    assert by_pc4["7311"].district_reliability == "high"
    assert by_pc4["7312"].district_reliability == "low"
    assert by_pc4["7351"].municipality_share == 0.993
    # A PO box has no addresses: it belongs where its point lies, and places no one.
    assert by_pc4["7300"].po_box
    assert "3011" not in by_pc4  # Rotterdam's, and Rotterdam was not asked for


def test_a_postcode_without_a_known_neighbourhood_is_placed_in_its_district() -> None:
    entry = {p.pc4: p for p in parse_national_tables(tables(), only=["GM0200"])["GM0200"].postcodes}
    found = resolve_postcode(Postcode("7311", "AB"), entry["7311"])
    assert (found.municipality_code, found.district_code) == ("GM0200", "WK020001")
    assert not found.neighbourhood_known
    assert found.neighbourhood_code == "WK020001"
    assert found.district_confidence == found.neighbourhood_confidence == 0.839
    assert found.reliability == "high"
    assert found.note is not None and "letters" in found.note
    spans = resolve_postcode(Postcode("7312"), entry["7312"])
    assert spans.reliability == "low"
    assert spans.note is not None and "several districts" in spans.note
    shared = resolve_postcode(Postcode("7351"), entry["7351"])
    assert shared.municipality_share == 0.993
    assert shared.note is not None and "another municipality" in shared.note
    with pytest.raises(PostcodeError) as caught:
        resolve_postcode(Postcode("7300"), entry["7300"])
    assert caught.value.reason == "po_box"


def test_a_known_neighbourhood_is_named_with_its_share() -> None:
    rows = [postcode("7311", buurt_code="BU02000101", buurt_aandeel_geschat="0.7")]
    (entry,) = parse_national_tables(tables(postcodes=rows), only=["GM0200"])["GM0200"].postcodes
    found = resolve_postcode(Postcode("7311"), entry)
    assert found.neighbourhood_known
    assert (found.neighbourhood_code, found.neighbourhood_confidence) == ("BU02000101", 0.7)
    assert found.candidates == (("BU02000101", 0.7),)


def test_rows_that_do_not_fit_are_all_named() -> None:
    broken = [
        {**NEIGHBOURHOODS[0], "buurt_code": "BU02010101"},
        {**NEIGHBOURHOODS[0], "buurt_code": "BU02000201", "wijk_code": "WK020002"},
    ]
    rows = [postcode("7311", wijk_betrouwbaarheid="zeker"), postcode("7312", wijk_code="WK020077")]
    with pytest.raises(AreaFileError) as caught:
        parse_national_tables(tables(neighbourhoods=broken, postcodes=rows), only=["GM0200"])
    assert caught.value.problems == [
        "neighbourhoods line 2: 'BU02010101' is not a neighbourhood code (BUnnnnnnnn) of WK020001",
        "postcodes line 2: wijk_betrouwbaarheid 'zeker' is not hoog, middel or laag",
        "BU02000201: no district WK020002",
        "PC4 7312: no district WK020077",
    ]


def test_a_municipality_the_tables_do_not_hold_is_refused() -> None:
    with pytest.raises(AreaFileError, match="GM0118 is not a municipality of the tables"):
        parse_national_tables(tables(), only=["GM0200", "GM0118"])
    with pytest.raises(AreaFileError, match="3011: no municipality GM0599"):
        parse_national_tables(tables())


def test_chosen_codes_are_checked_before_anything_is_read() -> None:
    shipped = tables()
    assert check_municipality_codes(["gm0200", "GM0200"], shipped) == ["GM0200"]
    with pytest.raises(Invalid, match="GM02"):
        check_municipality_codes(["GM02"], shipped)
    with pytest.raises(NotFound, match="GM9999"):
        check_municipality_codes(["GM9999"], shipped)


def test_utrecht_keeps_its_own_tables_and_gets_the_national_verdict() -> None:
    own = utrecht_area_set()
    merged = national_area_sets(["GM0344"])["GM0344"]
    assert merged.areas() == own.areas()
    by_pc4 = {p.pc4: p for p in merged.postcodes}
    for entry in own.postcodes:  # the same candidates and cross-checks as before
        assert by_pc4[entry.pc4].candidates == entry.candidates
        assert by_pc4[entry.pc4].point_neighbourhood == entry.point_neighbourhood
    assert by_pc4["3561"].district_reliability == "high"
    # The national table puts 3542 in Leidsche Rijn, Utrecht's own in West: they disagree.
    assert resolve_postcode(Postcode("3542"), by_pc4["3542"]).district_code == "WK034401"
    assert by_pc4["3542"].district_reliability == "low"
    assert by_pc4["3400"].po_box  # a PO box only the national table has


def test_with_reliability_leaves_a_postcode_the_national_table_lacks() -> None:
    own = utrecht_area_set()
    merged = with_reliability(own, parse_national_tables(tables(), only=["GM0200"])["GM0200"])
    assert [p.district_reliability for p in merged.postcodes[:3]] == [None, None, None]


def test_the_shipped_tables_hold_the_country() -> None:
    sets = parse_national_tables(national_tables())
    assert len(sets) == 342
    assert sum(len(s.neighbourhoods) for s in sets.values()) == 14822
    amsterdam = sets["GM0363"]
    assert any(d.code == "WK0363AF" for d in amsterdam.districts)


@pytest.mark.parametrize(
    ("pc4", "municipality", "district", "reliability", "neighbourhood"),
    [
        ("3561", "GM0344", "WK034403", "high", "BU03440311"),  # Utrecht, Overvecht
        ("7311", "GM0200", "WK020001", "high", None),  # Apeldoorn, Centrum
        ("7901", "GM0118", "WK011850", "medium", None),  # Hoogeveen
        ("3011", "GM0599", "WK059901", "high", "BU05990110"),  # Rotterdam, Centrum
    ],
)
def test_sample_postcodes_of_four_municipalities_are_placed_as_the_data_say(
    pc4: str, municipality: str, district: str, reliability: str, neighbourhood: str | None
) -> None:
    sets = national_area_sets([municipality])
    entry = next(p for p in sets[municipality].postcodes if p.pc4 == pc4)
    found = resolve_postcode(Postcode(pc4), entry)
    assert (found.municipality_code, found.district_code) == (municipality, district)
    assert found.reliability == reliability
    assert found.neighbourhood_known is (neighbourhood is not None)
    if neighbourhood is not None:
        assert found.neighbourhood_code.startswith(neighbourhood[:8])


# ------------------------------------------------------------------ the import use case


class FakeRepository:
    def __init__(self) -> None:
        self.areas: dict[str, list[Area]] = {}
        self.postcodes: dict[str, list[PostcodeEntry]] = {}
        self.replaced: list[str] = []

    async def list_areas(
        self, *, municipality_code: str | None = None, **other_filters: str | None
    ) -> list[Area]:
        return list(self.areas.get(municipality_code or "", []))

    async def all_postcodes(self, municipality_code: str | None = None) -> dict[str, PostcodeEntry]:
        return {p.pc4: p for p in self.postcodes.get(municipality_code or "", [])}

    async def replace_municipality(
        self, areas: Sequence[Area], postcodes: Sequence[PostcodeEntry]
    ) -> None:
        code = areas[0].municipality_code
        self.areas[code], self.postcodes[code] = list(areas), list(postcodes)
        self.replaced.append(code)


class FakeUnitOfWork:
    def __init__(self, repo: FakeRepository) -> None:
        self.repo = repo
        self.committed = False

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None

    async def commit(self) -> None:
        self.committed = True


async def test_importing_again_changes_nothing_and_says_so() -> None:
    repo = FakeRepository()

    def make() -> RegistryUnitOfWork:
        return cast(RegistryUnitOfWork, FakeUnitOfWork(repo))

    seen: list[tuple[int, int, str]] = []
    sets = parse_national_tables(tables(), only=["GM0200"])
    first = await import_areas(sets, uow_factory=make, progress=lambda *p: seen.append(p))
    assert (first.imported, first.unchanged, first.changed) == (["GM0200"], [], True)
    assert (first.areas, first.postcodes) == (4, 4)
    assert seen == [(1, 1, "GM0200")]
    again = await import_areas(parse_national_tables(tables(), only=["GM0200"]), uow_factory=make)
    assert (again.imported, again.unchanged, again.changed) == ([], ["GM0200"], False)
    assert repo.replaced == ["GM0200"]
    renamed = tables(municipalities=[{**MUNICIPALITY, "gemeente_naam_2025": "Apeldoorn (Gld)"}])
    third = await import_areas(parse_national_tables(renamed, only=["GM0200"]), uow_factory=make)
    assert third.imported == ["GM0200"]


async def test_listing_more_areas_than_one_answer_holds_is_refused() -> None:
    repo = FakeRepository()
    many = [
        Area(f"BU0200{n:04d}", "neighbourhood", f"Buurt {n}", "GM0200", f"WK0200{n // 100:02d}")
        for n in range(LISTED_AT_MOST + 1)
    ]
    repo.areas["GM0200"] = many
    uow = cast(RegistryUnitOfWork, FakeUnitOfWork(repo))
    with pytest.raises(Invalid, match="ask per municipality"):
        await list_areas(uow=uow, municipality_code="GM0200")
    repo.areas["GM0200"] = many[:LISTED_AT_MOST]
    assert len(await list_areas(uow=uow, municipality_code="GM0200")) == LISTED_AT_MOST
