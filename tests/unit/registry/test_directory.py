"""The social map's rules: opening hours, who may keep an organisation up to date, and a row
of a coordinator's CSV."""

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.registry.domain import authz
from services.registry.domain.authz import Actor
from services.registry.domain.directory import Opening, opening_hours
from services.registry.domain.directory_rows import parse_offer_row
from shared.categories import Category
from shared.errors import Forbidden, Invalid
from tests.support import error_fields


def test_opening_hours_come_in_weekly_order_and_several_a_day() -> None:
    assert opening_hours([(4, "14:00", "16:00"), (1, "9:30", "12:00"), (1, "13:00", "15:00")]) == [
        Opening(1, "09:30", "12:00"),
        Opening(1, "13:00", "15:00"),
        Opening(4, "14:00", "16:00"),
    ]


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([(0, "12:00", "10:00")], "closing time must be after opening time"),
        ([(0, "10:00", "10:00")], "closing time must be after opening time"),
        ([(7, "10:00", "12:00")], "weekday is 0"),
        ([(0, "25:00", "26:00")], "opening times are like 09:30"),
        ([(2, "10:00", "12:00"), (2, "11:00", "13:00")], "overlap"),
        ([(d % 7, f"{h:02}:00", f"{h:02}:30") for d in range(7) for h in range(4)], "at most 21"),
    ],
)
def test_opening_hours_that_cannot_be_are_refused(
    entries: list[tuple[int, str, str]], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        opening_hours(entries)


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02}:{minutes % 60:02}"


@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 1439), st.integers(0, 1439))))
def test_accepted_opening_hours_close_after_they_open_and_never_overlap(
    raw: list[tuple[int, int, int]],
) -> None:
    try:
        checked = opening_hours((day, _clock(a), _clock(b)) for day, a, b in raw)
    except ValueError:
        return
    assert all(o.opens < o.closes for o in checked) and len(checked) <= 21
    pairs = itertools.pairwise(checked)
    assert all(x.weekday != y.weekday or x.closes <= y.opens for x, y in pairs)


COORDINATOR = Actor("c1", frozenset({"coordinator"}), ("WK034403",))
MANAGER = Actor("m1", frozenset({"resident"}))
RESIDENT = Actor("r1", frozenset({"resident"}))
ADMIN = Actor("a1", frozenset({"admin"}))


def test_coordinators_list_organisations_only_in_their_areas() -> None:
    authz.require_list_organisation(COORDINATOR, "BU03440312")  # inside Overvecht
    authz.require_list_organisation(ADMIN, "WK034405")
    for actor, area in ((COORDINATOR, "WK034405"), (MANAGER, "WK034403")):
        with pytest.raises(Forbidden):
            authz.require_list_organisation(actor, area)


def test_managers_and_area_coordinators_edit_an_organisation_and_its_offers() -> None:
    managers = ["m1"]
    assert authz.may_edit_organisation(MANAGER, managers=managers, area_code="WK034405")
    assert authz.may_edit_organisation(COORDINATOR, managers=[], area_code="BU03440312")
    assert not authz.may_edit_organisation(RESIDENT, managers=managers, area_code="WK034403")
    assert not authz.may_edit_organisation(COORDINATOR, managers=[], area_code="WK034405")
    assert authz.may_edit_offer(MANAGER, managers=managers, served=["GM0344"])
    assert authz.may_edit_offer(COORDINATOR, managers=[], served=["WK034403", "BU03440312"])
    # An offer serving beyond the coordinator's areas is its organisation's to change.
    assert not authz.may_edit_offer(COORDINATOR, managers=[], served=["WK034403", "WK034405"])
    assert not authz.may_edit_offer(RESIDENT, managers=managers, served=["WK034403"])


def test_only_coordinators_name_who_manages_an_organisation() -> None:
    authz.require_name_managers(COORDINATOR, "WK034403")
    with pytest.raises(Forbidden):
        authz.require_name_managers(MANAGER, "WK034403")


AREAS = {"overvecht": "WK034403", "oost": "WK034405"}


def test_a_csv_row_names_areas_and_has_opening_hours_in_dutch() -> None:
    row = parse_offer_row(
        {
            "organisation": " Repair  Café ",
            "offer": "Repareren",
            "categories": "odd_jobs; company",
            "areas": "Overvecht;Oost",
            "opening_hours": "za 10:00-13:00; wo 19:00-21:00",
            "organisation_phone": "030 123 4567",
        },
        line=2,
        area_named=lambda name: AREAS.get(name.lower()),
    )
    assert row.organisation == "Repair Café"
    assert row.categories == [Category.odd_jobs, Category.company]
    assert row.area_codes == ["WK034403", "WK034405"]
    assert row.hours == [Opening(2, "19:00", "21:00"), Opening(5, "10:00", "13:00")]
    assert row.organisation_fields["phone"] == "030 123 4567"


def test_a_bad_csv_row_names_every_field_with_a_fixed_text() -> None:
    with pytest.raises(Invalid) as refused:
        parse_offer_row(
            {
                "organisation": "X",
                "categories": "cooking",
                "areas": "Atlantis",
                "opening_hours": "ma 12:00-10:00",
            },
            line=3,
            area_named=lambda name: AREAS.get(name.lower()),
        )
    assert [(e["field"], e["message"]) for e in error_fields(refused.value)] == [
        ("offer", "is empty"),
        ("categories", "is not a known category"),
        ("areas", "no district or neighbourhood has this name"),
        ("opening_hours", "are not like 'di 10:00-12:00', closing after opening"),
    ]
