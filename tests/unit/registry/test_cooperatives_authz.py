"""Cooperative trees, common areas, and who may act on whom. Pure rules."""

import pytest

from services.registry.domain.authz import Actor, may_manage, require_admin, require_area
from services.registry.domain.cooperatives import (
    Cooperative,
    check_cooperative,
    common_area,
    most_local_first,
)
from services.registry.domain.directory import search_text, search_words
from shared.areas import AreaRef
from shared.errors import Forbidden, Invalid

CITY = Cooperative("samen030", "SAMEN030", ["GM0344"])
OVERVECHT = Cooperative("utrecht-overvecht", "Overvecht", ["WK034403"], parent_id="samen030")
ZUID = Cooperative(
    "overvecht-zuid", "Zuid", ["BU03440311", "BU03440312"], parent_id="utrecht-overvecht"
)


def test_levels_come_from_the_widest_area() -> None:
    assert (CITY.level, OVERVECHT.level, ZUID.level) == (
        "municipality",
        "district",
        "neighbourhood",
    )


def test_the_common_area_is_the_most_specific_one_containing_all() -> None:
    assert common_area(["BU03440311", "BU03440312"]) == AreaRef.from_code("WK034403")
    assert common_area(["BU03440311"]) == AreaRef.from_code("BU03440311")
    assert common_area(["WK034403", "BU03440531"]) == AreaRef.from_code("GM0344")
    assert common_area(["GM0344", "GM0599"]) == AreaRef()


def test_a_child_lies_inside_its_parent() -> None:
    check_cooperative(ZUID, OVERVECHT)
    with pytest.raises(Invalid, match="outside the parent"):
        check_cooperative(Cooperative("x", "X", ["BU03440531"]), OVERVECHT)
    with pytest.raises(Invalid, match="wider than its parent"):
        check_cooperative(Cooperative("x", "X", ["GM0344"]), OVERVECHT)


def test_areas_are_listed_once_and_not_nested() -> None:
    with pytest.raises(Invalid, match="twice"):
        check_cooperative(Cooperative("x", "X", ["WK034403", "WK034403"]), None)
    with pytest.raises(Invalid, match="lies inside"):
        check_cooperative(Cooperative("x", "X", ["WK034403", "BU03440311"]), None)


def test_most_local_cooperative_first() -> None:
    assert [c.cooperative_id for c in most_local_first([CITY, ZUID, OVERVECHT])] == [
        "overvecht-zuid",
        "utrecht-overvecht",
        "samen030",
    ]


COORDINATOR = Actor("c1", frozenset({"resident", "coordinator"}), ("WK034403",))
RESIDENT = Actor("r1", frozenset({"resident"}))
ADMIN = Actor("a1", frozenset({"admin"}))


def test_members_act_on_themselves_admins_on_all_coordinators_in_their_area() -> None:
    assert may_manage(RESIDENT, member_id="r1", area_code="BU03440531")
    assert not may_manage(RESIDENT, member_id="r2", area_code="BU03440531")
    assert may_manage(ADMIN, member_id="r2", area_code="BU03440531")
    assert may_manage(COORDINATOR, member_id="r2", area_code="BU03440312")
    assert not may_manage(COORDINATOR, member_id="r2", area_code="BU03440531")
    assert may_manage(None, member_id="r2", area_code=None)  # trusted internal caller


def test_a_coordinator_without_a_cooperative_has_no_area() -> None:
    lonely = Actor("c2", frozenset({"coordinator"}))
    with pytest.raises(Forbidden):
        require_area(lonely, "BU03440312", "register members here")


def test_admin_only_actions() -> None:
    require_admin(ADMIN, "x")
    require_admin(None, "x")
    with pytest.raises(Forbidden):
        require_admin(COORDINATOR, "x")


def test_search_ignores_case_and_accents_and_wildcards() -> None:
    assert search_text("Repair Café", None, "Élan") == "repair cafe elan"
    assert search_words("  Café  100% _x_ ") == ["cafe", "100", "x"]
