"""Postcodes, postcode resolution, distances and area files: pure rules."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.registry.domain.areas import (
    AreaFileError,
    Postcode,
    PostcodeEntry,
    PostcodeError,
    haversine_km,
    normalise_postcode,
    parse_area_rows,
    resolve_postcode,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("3561 AB", "3561 AB"),
        ("3561AB", "3561 AB"),
        ("3561ab", "3561 AB"),
        ("  3561   ab ", "3561 AB"),
        ("3561", "3561"),
        ("3561\u00a0AB", "3561 AB"),
    ],
)
def test_postcodes_are_normalised(raw: str, expected: str) -> None:
    assert str(normalise_postcode(raw)) == expected


@pytest.mark.parametrize(
    "raw", ["", "0561 AB", "356", "35612", "3561 A", "3561 ABC", "AB 3561", "3561 SS"]
)
def test_malformed_postcodes_are_refused(raw: str) -> None:
    with pytest.raises(PostcodeError) as caught:
        normalise_postcode(raw)
    assert caught.value.reason == "malformed"


@given(
    st.integers(1000, 9999),
    st.sampled_from(["AB", "ZZ", "xy", "Kq"]),
    st.sampled_from(["", " ", "  "]),
)
def test_every_spelling_of_a_postcode_normalises_the_same(
    digits: int, letters: str, space: str
) -> None:
    assert normalise_postcode(f"{digits}{space}{letters}") == Postcode(str(digits), letters.upper())


ENTRY = PostcodeEntry("3561", "GM0344", candidates=(("BU03440311", 4260), ("BU03440312", 4900)))


def test_the_most_populous_neighbourhood_wins_and_the_share_is_the_confidence() -> None:
    found = resolve_postcode(Postcode("3561", "AB"), ENTRY)
    assert found.district_code == "WK034403"
    assert found.neighbourhood_code == "BU03440312"
    assert found.district_confidence == 1.0
    assert found.neighbourhood_confidence == pytest.approx(4900 / 9160, abs=0.001)
    assert found.confidence == "medium"
    assert [code for code, _ in found.candidates] == ["BU03440312", "BU03440311"]
    assert found.note is not None and "four digits" in found.note


def test_a_postcode_in_two_districts_takes_the_district_where_most_people_live() -> None:
    entry = PostcodeEntry(
        "3543",
        "GM0344",
        candidates=(("BU03440911", 5000), ("BU03440912", 6355), ("BU03441011", 45)),
    )
    found = resolve_postcode(Postcode("3543"), entry)
    assert found.district_code == "WK034409"
    assert found.neighbourhood_code == "BU03440912"
    assert found.district_confidence == pytest.approx(11355 / 11400, abs=0.001)


def test_a_postcode_that_straddles_a_boundary_is_less_sure() -> None:
    entry = PostcodeEntry(
        "3521", "GM0344", candidates=(("BU03440811", 5795),), point_neighbourhood="BU03440613"
    )
    found = resolve_postcode(Postcode("3521"), entry)
    assert found.district_code == "WK034408"
    assert found.neighbourhood_confidence == 0.5
    assert found.note is not None and "straddles" in found.note


def test_unknown_and_po_box_postcodes_say_why() -> None:
    with pytest.raises(PostcodeError, match="not in a known municipality") as unknown:
        resolve_postcode(Postcode("1234"), None)
    assert unknown.value.reason == "unknown_municipality"
    with pytest.raises(PostcodeError, match="PO box") as po_box:
        resolve_postcode(Postcode("3500"), PostcodeEntry("3500", "GM0344", po_box=True))
    assert po_box.value.reason == "po_box"


def test_ties_are_broken_the_same_way_every_time() -> None:
    for candidates in (
        (("BU03440312", 0), ("BU03440311", 0)),
        (("BU03440311", 0), ("BU03440312", 0)),
    ):
        entry = PostcodeEntry("9999", "GM0344", candidates=candidates)
        assert resolve_postcode(Postcode("9999"), entry).neighbourhood_code == "BU03440311"


def test_haversine_distance_utrecht_centre_to_amsterdam_centre() -> None:
    km = haversine_km(52.0907, 5.1214, 52.3728, 4.8936)
    assert 34 < km < 36
    assert haversine_km(52.0, 5.0, 52.0, 5.0) == 0


ROWS = [
    {
        "gemeente_code": "GM0599",
        "gemeente_naam": "Rotterdam",
        "wijk_code": "WK059901",
        "wijk_naam": "Centrum",
        "buurt_code": "BU05990110",
        "buurt_naam": "Stadsdriehoek",
        "inwoners": "1000",
        "centroid_lat": "51.92",
        "centroid_lon": "4.48",
        "pc4_meest_voorkomend": "3011",
    },
    {
        "gemeente_code": "GM0599",
        "wijk_code": "WK059901",
        "wijk_naam": "Centrum",
        "buurt_code": "BU05990111",
        "buurt_naam": "Cool",
        "inwoners": "3000",
        "centroid_lat": "51.92",
        "centroid_lon": "4.47",
        "pc4_meest_voorkomend": "3011",
    },
]


def test_an_area_file_builds_districts_and_postcodes_from_neighbourhoods() -> None:
    area_set = parse_area_rows(ROWS)
    assert area_set.municipality.code == "GM0599"
    assert area_set.municipality.name == "Rotterdam"
    assert [d.code for d in area_set.districts] == ["WK059901"]
    district = area_set.districts[0]
    assert district.population == 4000
    assert district.lon == pytest.approx(4.4725)  # population-weighted
    [postcode] = area_set.postcodes
    assert postcode.pc4 == "3011"
    assert set(postcode.candidates) == {("BU05990110", 1000), ("BU05990111", 3000)}


def test_an_area_file_with_mistakes_reports_each_line() -> None:
    bad = [
        {**ROWS[0], "buurt_code": "BU03440110"},
        {**ROWS[1], "centroid_lat": "north"},
        {**ROWS[1], "wijk_naam": ""},
    ]
    with pytest.raises(AreaFileError) as caught:
        parse_area_rows(bad)
    problems = caught.value.problems
    assert problems[0].startswith("line 2:") and "does not lie in" in problems[0]
    assert problems[1].startswith("line 3:") and "centroid" in problems[1]
    assert problems[2].startswith("line 4:") and "wijk_naam" in problems[2]


def test_an_empty_area_file_is_refused() -> None:
    with pytest.raises(AreaFileError, match="no neighbourhoods"):
        parse_area_rows([])
