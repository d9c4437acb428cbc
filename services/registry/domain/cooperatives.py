"""Cooperatives form a tree (city > district > neighbourhood), each covering area codes."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from shared.areas import AreaRef, area_level
from shared.events import MatchingPolicy
from shared.ids import check_cooperative_id

from .errors import FieldErrors

LEVEL_DEPTH = {"municipality": 0, "district": 1, "neighbourhood": 2}


@dataclass
class Cooperative:
    cooperative_id: str
    name: str
    area_codes: list[str]
    parent_id: str | None = None
    coordinator_ids: list[str] = field(default_factory=list)
    policy: MatchingPolicy = field(default_factory=MatchingPolicy)

    @property
    def level(self) -> str:
        """The level of its widest area: a cooperative of three buurten is a neighbourhood one."""
        return min((area_level(c) for c in self.area_codes), key=LEVEL_DEPTH.__getitem__)

    @property
    def area(self) -> AreaRef:
        return common_area(self.area_codes)

    def covers(self, code: str) -> bool:
        return covers(self.area_codes, code)


def covers(area_codes: Iterable[str], code: str) -> bool:
    """Whether `code` lies inside one of `area_codes`."""
    return any(AreaRef.from_code(own).contains(code) for own in area_codes)


def common_area(codes: Sequence[str]) -> AreaRef:
    """The most specific area that contains every code (what a cooperative's events carry)."""
    refs = [AreaRef.from_code(c) for c in codes]
    if not refs:
        return AreaRef()
    result: dict[str, str] = {}
    for level in ("municipality", "district", "neighbourhood"):
        values = {getattr(r, level) for r in refs}
        if len(values) != 1 or None in values:
            break
        result[level] = values.pop()
    return AreaRef(**result)


def check_cooperative(coop: Cooperative, parent: Cooperative | None) -> None:
    """A cooperative has an id that is a plain slug and no name of the system's (its id names
    its plug-in's NATS user and subjects), covers at least one area, no area twice, and only
    its parent's areas."""
    errors = FieldErrors()
    with errors.checking("cooperative_id"):
        check_cooperative_id(coop.cooperative_id)
    if not coop.area_codes:
        errors.add("area_codes", "a cooperative covers at least one area")
    if len(set(coop.area_codes)) != len(coop.area_codes):
        errors.add("area_codes", "an area is listed twice")
    for code in coop.area_codes:
        for other in coop.area_codes:
            if other != code and AreaRef.from_code(other).contains(code):
                errors.add("area_codes", f"{code} lies inside {other}: list the wider area once")
    if parent is not None:
        outside = [c for c in coop.area_codes if not parent.covers(c)]
        if outside:
            errors.add(
                "area_codes",
                f"{', '.join(outside)} outside the parent cooperative {parent.cooperative_id}",
            )
        if LEVEL_DEPTH[coop.level] < LEVEL_DEPTH[parent.level]:
            errors.add("parent_id", "a cooperative is never wider than its parent")
    if len(set(coop.coordinator_ids)) != len(coop.coordinator_ids):
        errors.add("coordinator_ids", "a coordinator is listed twice")
    errors.raise_if_any()


def most_local_first(coops: Iterable[Cooperative]) -> list[Cooperative]:
    """Neighbourhood cooperatives before district ones before the city's."""
    return sorted(coops, key=lambda c: (-LEVEL_DEPTH[c.level], len(c.area_codes), c.cooperative_id))
