"""Who may be proposed, and in which order. Pure functions over snapshots.

Candidates: active volunteers who offer the category, gave consent, are not the requester,
are available in the requested window (or flexible), speak a requested language, whose travel
radius reaches the request's neighbourhood centroid, and who are below their open load.

Order: same neighbourhood, same district, rest of the municipality; then distance; then
fairness (fewest assignments in the last N days); then acceptance rate; then the volunteer id,
so the same data always gives the same order.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Literal, NamedTuple

from shared.areas import AreaRef
from shared.categories import NEEDS_CERTIFICATE_OF_CONDUCT, Category
from shared.clock import local_zone, to_local
from shared.events import AvailabilitySlot, MatchingPolicy

Tier = Literal["neighbourhood", "district", "municipality", "elsewhere"]
TIERS: tuple[Tier, ...] = ("neighbourhood", "district", "municipality", "elsewhere")
# The rings around a request that candidates are looked up in, nearest first (the first three
# tiers, each without the ones inside it).
Scope = Literal["neighbourhood", "rest_of_district", "rest_of_municipality"]
SCOPES: tuple[Scope, ...] = ("neighbourhood", "rest_of_district", "rest_of_municipality")

LatLon = tuple[float, float]


class Slot(NamedTuple):
    """A weekly slot (like `shared.events.AvailabilitySlot`, without validation cost)."""

    weekday: int  # 0 = Monday
    start: str  # "HH:MM", local time
    end: str  # "HH:MM", "24:00" for midnight


WeeklySlot = Slot | AvailabilitySlot


def haversine_km(a: LatLon, b: LatLon) -> float:
    lat1, lon1 = map(math.radians, a)
    lat2, lon2 = map(math.radians, b)
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def tier_of(home: AreaRef, target: AreaRef) -> Tier:
    if home.neighbourhood is not None and home.neighbourhood == target.neighbourhood:
        return "neighbourhood"
    if home.district is not None and home.district == target.district:
        return "district"
    if home.municipality is not None and home.municipality == target.municipality:
        return "municipality"
    return "elsewhere"


def area_distance_km(
    home: AreaRef, target: AreaRef, centroids: Mapping[str, LatLon]
) -> float | None:
    """Distance between the centroids of the most specific areas known (a neighbourhood, else
    its district); 0 within one of them; None if a centroid is unknown."""
    if home.neighbourhood is not None and home.neighbourhood == target.neighbourhood:
        return 0.0
    both_districts = home.neighbourhood is None and target.neighbourhood is None
    if both_districts and home.district is not None and home.district == target.district:
        return 0.0
    a = point_of(home, centroids)
    b = point_of(target, centroids)
    if a is None or b is None:
        return None
    return haversine_km(a, b)


def point_of(area: AreaRef, centroids: Mapping[str, LatLon]) -> LatLon | None:
    for code in (area.neighbourhood, area.district):
        if code is not None and code in centroids:
            return centroids[code]
    return None


@dataclass(frozen=True)
class VolunteerSnapshot:
    """What matching knows of a volunteer at the moment of matching."""

    member_id: str
    home: AreaRef
    categories: frozenset[str]
    radius_km: float
    languages: frozenset[str] = frozenset({"nl"})
    availability: tuple[WeeklySlot, ...] = ()
    flexible: bool = False
    max_open: int = 3
    active: bool = True
    consent: bool = True
    is_volunteer: bool = True
    certificate_of_conduct: bool = False
    open_assignments: int = 0
    recent_assignments: int = 0
    proposals_answered: int = 0
    proposals_accepted: int = 0

    @property
    def acceptance_rate(self) -> float | None:
        if self.proposals_answered == 0:
            return None
        return self.proposals_accepted / self.proposals_answered


@dataclass(frozen=True)
class RequestNeeds:
    """The parts of a request that matching looks at."""

    requester_id: str
    category: Category
    area: AreaRef
    languages: frozenset[str]
    needed_from: datetime | None = None
    needed_until: datetime | None = None
    flexible: bool = False
    exclude: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Ranked:
    volunteer: VolunteerSnapshot
    tier: Tier
    distance_km: float | None

    def key(self) -> tuple[int, float, int, float, str]:
        rate = self.volunteer.acceptance_rate
        return (
            TIERS.index(self.tier),
            self.distance_km if self.distance_km is not None else math.inf,
            self.volunteer.recent_assignments,
            -(rate if rate is not None else 0.5),  # unknown: in the middle
            self.volunteer.member_id,
        )


def _slot_bounds(day: datetime, slot: WeeklySlot) -> tuple[datetime, datetime]:
    sh, sm = map(int, slot.start.split(":"))
    eh, em = map(int, slot.end.split(":"))
    local = local_zone()  # weekly availability is in the cooperative's local time
    start = datetime.combine(day.date(), time(sh, sm), tzinfo=local)
    end = (
        datetime.combine(day.date() + timedelta(days=1), time(0, 0), tzinfo=local)
        if (eh, em) == (24, 0)
        else datetime.combine(day.date(), time(eh, em), tzinfo=local)
    )
    return start, end


def available(volunteer: VolunteerSnapshot, needs: RequestNeeds) -> bool:
    """Whether a weekly slot of the volunteer overlaps the requested window."""
    if needs.flexible or volunteer.flexible:
        return True
    if needs.needed_from is None or needs.needed_until is None:
        return True
    if not volunteer.availability:
        return False
    start = to_local(needs.needed_from)
    end = to_local(needs.needed_until)
    if end - start >= timedelta(days=7):
        return True
    day = start.replace(hour=0, minute=0, second=0, microsecond=0)
    while day < end:
        for slot in volunteer.availability:
            if slot.weekday != day.weekday():
                continue
            slot_start, slot_end = _slot_bounds(day, slot)
            if slot_start < end and start < slot_end:
                return True
        day += timedelta(days=1)
    return False


def why_not(
    volunteer: VolunteerSnapshot,
    needs: RequestNeeds,
    policy: MatchingPolicy,
    distance_km: float | None,
    tier: Tier,
    *,
    check_radius: bool = True,
) -> str | None:
    """The first rule a volunteer fails, or None for a candidate."""
    if volunteer.member_id == needs.requester_id:
        return "requester"
    if volunteer.member_id in needs.exclude:
        return "already_proposed"
    if not (volunteer.is_volunteer and volunteer.active):
        return "inactive"
    if not volunteer.consent:
        return "no_consent"
    if needs.category not in volunteer.categories:
        return "category"
    if needs.category in NEEDS_CERTIFICATE_OF_CONDUCT and not volunteer.certificate_of_conduct:
        return "certificate_of_conduct"
    if not (needs.languages & volunteer.languages):
        return "language"
    if volunteer.open_assignments >= min(volunteer.max_open, policy.max_open_per_volunteer):
        return "open_load"
    if check_radius and not within_rings(tier, policy):
        return "ring"
    if check_radius and not within_radius(volunteer, distance_km, tier, policy.radius_cap_km):
        return "radius"
    if not available(volunteer, needs):
        return "availability"
    return None


def within_rings(tier: Tier, policy: MatchingPolicy) -> bool:
    """Whether the cooperative asks volunteers this far out (its `rings`)."""
    return TIERS.index(tier) < policy.rings


def within_radius(
    volunteer: VolunteerSnapshot,
    distance_km: float | None,
    tier: Tier,
    cap_km: float | None = None,
) -> bool:
    """Within the volunteer's own radius, and the cooperative's cap when it has one."""
    if distance_km is None:
        # No centroid known: the neighbourhood and its district count as within reach.
        return tier in ("neighbourhood", "district")
    reach = volunteer.radius_km if cap_km is None else min(volunteer.radius_km, cap_km)
    return distance_km <= reach


def rank(
    volunteers: Iterable[VolunteerSnapshot],
    needs: RequestNeeds,
    policy: MatchingPolicy,
    centroids: Mapping[str, LatLon],
) -> list[Ranked]:
    """The candidates among `volunteers`, best first."""
    ranked = []
    for v in volunteers:
        tier = tier_of(v.home, needs.area)
        distance = area_distance_km(v.home, needs.area, centroids)
        if why_not(v, needs, policy, distance, tier) is None:
            ranked.append(Ranked(v, tier, distance))
    ranked.sort(key=Ranked.key)
    return ranked


def best(
    volunteers: Iterable[VolunteerSnapshot],
    needs: RequestNeeds,
    policy: MatchingPolicy,
    centroids: Mapping[str, LatLon],
) -> list[str]:
    """The ids of the next round: the best K (`policy.proposals_per_round`) candidates."""
    return [r.volunteer.member_id for r in rank(volunteers, needs, policy, centroids)][
        : policy.proposals_per_round
    ]


def escalation_target(
    area: AreaRef, cooperatives_by_area: Mapping[str, list[tuple[str, bool]]]
) -> str | None:
    """The most local cooperative with coordinators whose areas hold `area`.

    `cooperatives_by_area[code]` lists (cooperative_id, has_coordinators) per area code.
    """
    for code in (area.neighbourhood, area.district, area.municipality):
        if code is None:
            continue
        for cooperative_id, has_coordinators in sorted(cooperatives_by_area.get(code, [])):
            if has_coordinators:
                return cooperative_id
    return None
