"""Candidate filters and order."""

from datetime import UTC, datetime

from services.matching.domain.rules import (
    RequestNeeds,
    Tier,
    VolunteerSnapshot,
    area_distance_km,
    available,
    best,
    escalation_target,
    haversine_km,
    rank,
    why_not,
)
from shared.areas import AreaRef
from shared.categories import Category
from shared.events import AvailabilitySlot, MatchingPolicy

POLICY = MatchingPolicy()
HOME = AreaRef.from_code("BU03440305")
CENTROIDS = {
    "BU03440305": (52.1170, 5.1200),
    "BU03440306": (52.1200, 5.1250),  # same district, ~0.5 km
    "BU03440111": (52.0826, 5.0890),  # other district, ~4.4 km
    "BU03440112": (52.0874, 5.0881),
}


def volunteer(member_id: str, code: str = "BU03440305", **kw: object) -> VolunteerSnapshot:
    args: dict[str, object] = {
        "member_id": member_id,
        "home": AreaRef.from_code(code),
        "categories": frozenset({"groceries"}),
        "radius_km": 10.0,
        "flexible": True,
    }
    args.update(kw)
    return VolunteerSnapshot(**args)  # type: ignore[arg-type]


def needs(**kw: object) -> RequestNeeds:
    args: dict[str, object] = {
        "requester_id": "req",
        "category": Category.groceries,
        "area": HOME,
        "languages": frozenset({"nl"}),
        "flexible": True,
    }
    args.update(kw)
    return RequestNeeds(**args)  # type: ignore[arg-type]


def test_neighbourhood_before_district_before_municipality() -> None:
    pool = [
        volunteer("far", "BU03440111"),
        volunteer("district", "BU03440306"),
        volunteer("home"),
    ]
    assert best(pool, needs(), POLICY, CENTROIDS) == ["home", "district", "far"]


def test_best_k_only() -> None:
    pool = [volunteer(f"v{n}") for n in range(5)]
    assert best(pool, needs(), POLICY, CENTROIDS) == ["v0", "v1", "v2"]


def test_fairness_then_acceptance_then_id_break_ties() -> None:
    pool = [
        volunteer("busy", recent_assignments=4),
        volunteer("b", proposals_answered=10, proposals_accepted=2),
        volunteer("a", proposals_answered=10, proposals_accepted=9),
        volunteer("c", proposals_answered=10, proposals_accepted=9),
    ]
    ranked = [r.volunteer.member_id for r in rank(pool, needs(), POLICY, CENTROIDS)]
    assert ranked == ["a", "c", "b", "busy"]


def test_filters() -> None:
    n = needs()
    d = 0.0
    tier: Tier = "neighbourhood"
    assert why_not(volunteer("req"), n, POLICY, d, tier) == "requester"
    assert why_not(volunteer("x", active=False), n, POLICY, d, tier) == "inactive"
    assert why_not(volunteer("x", consent=False), n, POLICY, d, tier) == "no_consent"
    assert why_not(volunteer("x", categories=frozenset({"garden"})), n, POLICY, d, tier) == (
        "category"
    )
    assert why_not(volunteer("x", languages=frozenset({"en"})), n, POLICY, d, tier) == "language"
    assert why_not(volunteer("x", open_assignments=3), n, POLICY, d, tier) == "open_load"
    assert why_not(volunteer("x", radius_km=1), n, POLICY, 4.4, "municipality") == "radius"
    assert why_not(volunteer("x"), needs(exclude=frozenset({"x"})), POLICY, d, tier) == (
        "already_proposed"
    )
    care = needs(category=Category.light_care)
    nurse = volunteer("x", categories=frozenset({"light_care"}))
    assert why_not(nurse, care, POLICY, d, tier) == "certificate_of_conduct"
    assert why_not(volunteer("x"), n, POLICY, d, tier) is None


# Apeldoorn, where a postcode gives the district (wijk) only: members live in a district.
APELDOORN = {
    "WK020004": (52.2030, 5.9650),  # Zuid
    "WK020001": (52.2300, 5.9600),  # Centrum, ~3 km north
}


def test_where_the_neighbourhood_is_not_known_matching_works_district_first() -> None:
    asked = needs(area=AreaRef.from_code("WK020004"))
    pool = [
        volunteer("north", "WK020001"),
        volunteer("same-district", "WK020004"),
        volunteer("utrecht", "BU03440305"),
    ]
    ranked = rank(pool, asked, POLICY, APELDOORN)
    assert [(r.volunteer.member_id, r.tier, r.distance_km) for r in ranked][:1] == [
        ("same-district", "district", 0.0)
    ]
    assert [r.volunteer.member_id for r in ranked] == ["same-district", "north"]
    north = area_distance_km(AreaRef.from_code("WK020001"), asked.area, APELDOORN)
    assert north is not None and 2.5 < north < 3.5


def test_a_district_stands_in_for_a_neighbourhood_without_a_centroid() -> None:
    centroids = {**CENTROIDS, "WK034401": (52.0850, 5.0885)}
    # BU03440199 has no centroid of its own: its district's is used.
    far = area_distance_km(AreaRef.from_code("BU03440199"), HOME, centroids)
    assert far is not None and 4.0 < far < 5.0
    assert area_distance_km(AreaRef.from_code("BU03440299"), HOME, centroids) is None


def test_a_volunteer_with_a_small_radius_is_not_proposed_far_away() -> None:
    pool = [
        volunteer("near", "BU03440306", radius_km=1),
        volunteer("short", "BU03440111", radius_km=2),
    ]
    assert best(pool, needs(), POLICY, CENTROIDS) == ["near"]


def test_availability_in_local_time() -> None:
    # Tuesday 3 March 2026, 09:00-11:00 Amsterdam = 08:00-10:00 UTC
    window = needs(
        flexible=False,
        needed_from=datetime(2026, 3, 3, 8, 0, tzinfo=UTC),
        needed_until=datetime(2026, 3, 3, 10, 0, tzinfo=UTC),
    )
    tuesday_morning = AvailabilitySlot(weekday=1, start="10:30", end="12:00")
    tuesday_late = AvailabilitySlot(weekday=1, start="11:00", end="13:00")
    monday = AvailabilitySlot(weekday=0, start="00:00", end="24:00")
    assert available(volunteer("a", flexible=False, availability=(tuesday_morning,)), window)
    assert not available(volunteer("b", flexible=False, availability=(tuesday_late,)), window)
    assert not available(volunteer("c", flexible=False, availability=(monday,)), window)
    assert available(volunteer("d", flexible=True), window)


def test_haversine_is_about_right() -> None:
    assert 4.0 < haversine_km(CENTROIDS["BU03440305"], CENTROIDS["BU03440111"]) < 5.0


def test_escalation_goes_to_the_most_local_cooperative_with_coordinators() -> None:
    by_area = {
        "BU03440305": [("buurt", False)],
        "WK034403": [("wijk", True)],
        "GM0344": [("stad", True)],
    }
    assert escalation_target(HOME, by_area) == "wijk"
    assert escalation_target(AreaRef.from_code("BU03440111"), by_area) == "stad"
    assert escalation_target(AreaRef.from_code("BU05990101"), by_area) is None


def test_a_cooperative_asks_only_as_many_rings_out_as_its_policy_says() -> None:
    pool = [volunteer("far", "BU03440111"), volunteer("district", "BU03440306"), volunteer("home")]
    one_ring = MatchingPolicy(rings=1, proposals_per_round=5)
    assert best(pool, needs(), one_ring, CENTROIDS) == ["home"]
    two_rings = MatchingPolicy(rings=2, proposals_per_round=5)
    assert best(pool, needs(), two_rings, CENTROIDS) == ["home", "district"]
    far = volunteer("far", "BU03440111")
    assert why_not(far, needs(), one_ring, 4.4, "municipality") == "ring"
    # A coordinator choosing by hand sees beyond the rings (the radius check is theirs).
    assert why_not(far, needs(), one_ring, 4.4, "municipality", check_radius=False) is None


def test_the_radius_cap_bounds_every_volunteers_own_radius() -> None:
    pool = [volunteer("far", "BU03440111", radius_km=25.0), volunteer("district", "BU03440306")]
    capped = MatchingPolicy(radius_cap_km=2.0, proposals_per_round=5)
    assert best(pool, needs(), capped, CENTROIDS) == ["district"]
    assert best(pool, needs(), MatchingPolicy(proposals_per_round=5), CENTROIDS) == [
        "district",
        "far",
    ]
