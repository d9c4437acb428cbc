"""Areas: postcode lookup, lists, distances, importing municipalities."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from services.registry.domain.areas import (
    Area,
    AreaSet,
    PostcodeEntry,
    PostcodeError,
    Resolution,
    distance_km,
    level_of,
    normalise_postcode,
    resolve_postcode,
)
from services.registry.service_layer.uow import RegistryUnitOfWork
from shared.contracts.registry import AreaInfo, NeighbourhoodCandidate, PostcodeArea
from shared.errors import Invalid, NotFound


def area_info(area: Area) -> AreaInfo:
    return AreaInfo(
        code=area.code,
        level=area.level,
        name=area.name,
        parent_code=area.parent_code,
        municipality_code=area.municipality_code,
        population=area.population,
        lat=area.lat,
        lon=area.lon,
        cbs_year=area.cbs_year,
    )


def postcode_problem(exc: PostcodeError, field: str = "postcode") -> Invalid | NotFound:
    details: dict[str, object] = {
        "reason": exc.reason,
        "errors": [{"field": field, "message": str(exc), "reason": exc.reason}],
    }
    if exc.reason == "unknown_municipality":
        return NotFound(str(exc), details=details)
    return Invalid(str(exc), details=details)


def check_code(code: str | None, field: str = "area_code") -> None:
    """A filter on an area must be a CBS code (GMnnnn, WKnnnnnn or BUnnnnnnnn)."""
    if code is None:
        return
    try:
        level_of(code)
    except ValueError:
        message = f"{code!r} is not a CBS area code (GM0344, WK034403, BU03440312)"
        raise Invalid(message, details={"errors": [{"field": field, "message": message}]}) from None


async def resolve(uow: RegistryUnitOfWork, raw: str) -> Resolution:
    """Raises PostcodeError."""
    postcode = normalise_postcode(raw)
    return resolve_postcode(postcode, await uow.repo.postcode(postcode.pc4))


async def lookup_postcode(*, postcode: str, uow: RegistryUnitOfWork) -> PostcodeArea:
    async with uow:
        try:
            found = await resolve(uow, postcode)
        except PostcodeError as exc:
            raise postcode_problem(exc) from None
        names = await uow.repo.areas_by_code(
            [found.municipality_code, found.district_code, *(c for c, _ in found.candidates)]
        )
    return PostcodeArea(
        postcode=str(found.postcode),
        pc4=found.postcode.pc4,
        municipality=area_info(names[found.municipality_code]),
        district=area_info(names[found.district_code]),
        neighbourhood=area_info(names[found.neighbourhood_code]),
        district_confidence=found.district_confidence,
        neighbourhood_confidence=found.neighbourhood_confidence,
        confidence=found.confidence,
        candidates=[
            NeighbourhoodCandidate(code=code, name=names[code].name, share=share)
            for code, share in found.candidates
            if code in names
        ],
        note=found.note,
        district_reliability=found.reliability,
        neighbourhood_known=found.neighbourhood_known,
        municipality_share=found.municipality_share,
    )


async def get_area(*, code: str, uow: RegistryUnitOfWork) -> AreaInfo:
    async with uow:
        area = await uow.repo.area(code)
    if area is None:
        raise NotFound(f"no area {code}")
    return area_info(area)


# About 180 bytes an area: the country's districts (3,509) fit in a message on the bus (1 MB),
# its 18,673 areas do not.
LISTED_AT_MOST = 4000


async def list_areas(
    *,
    uow: RegistryUnitOfWork,
    parent_code: str | None = None,
    level: str | None = None,
    municipality_code: str | None = None,
) -> list[AreaInfo]:
    """Raises Invalid when more areas match than fit in one answer."""
    async with uow:
        found = await uow.repo.list_areas(
            parent_code=parent_code, level=level, municipality_code=municipality_code
        )
    if len(found) > LISTED_AT_MOST:
        message = (
            f"{len(found)} areas match, more than one answer holds ({LISTED_AT_MOST}): "
            "ask per municipality (municipality_code or parent_code)"
        )
        raise Invalid(
            message, details={"errors": [{"field": "municipality_code", "message": message}]}
        )
    return [area_info(a) for a in found]


async def area_distance(*, from_code: str, to_code: str, uow: RegistryUnitOfWork) -> float:
    async with uow:
        known = await uow.repo.areas_by_code([from_code, to_code])
    for code in (from_code, to_code):
        if code not in known:
            raise NotFound(f"no area {code}")
    try:
        return distance_km(known[from_code], known[to_code])
    except ValueError as exc:
        raise Invalid(str(exc)) from None


async def import_area_set(*, area_set: AreaSet, uow: RegistryUnitOfWork) -> int:
    """Store (or replace) one municipality. Returns the number of areas stored."""
    async with uow:
        await uow.repo.replace_municipality(area_set.areas(), area_set.postcodes)
        await uow.commit()
    return len(area_set.areas())


@dataclass
class AreaImportReport:
    """What an import did, per municipality code."""

    imported: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    areas: int = 0
    postcodes: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.imported)


Progress = Callable[[int, int, str], None]
"""progress(done, total, municipality code)"""


def _comparable(
    areas: Sequence[Area], postcodes: Sequence[PostcodeEntry]
) -> tuple[frozenset[Area], frozenset[PostcodeEntry]]:
    return frozenset(areas), frozenset(
        replace(p, candidates=tuple(sorted(p.candidates))) for p in postcodes
    )


async def import_areas(
    area_sets: Mapping[str, AreaSet],
    *,
    uow_factory: Callable[[], RegistryUnitOfWork],
    progress: Progress | None = None,
) -> AreaImportReport:
    """Store municipalities, each in its own transaction; one that is stored as it is already
    stays untouched, so running the same import again changes nothing (and says so)."""
    report = AreaImportReport()
    for done, (code, area_set) in enumerate(area_sets.items(), start=1):
        new = _comparable(area_set.areas(), area_set.postcodes)
        async with uow_factory() as uow:
            stored = _comparable(
                await uow.repo.list_areas(municipality_code=code),
                list((await uow.repo.all_postcodes(code)).values()),
            )
            if stored == new:
                report.unchanged.append(code)
            else:
                await uow.repo.replace_municipality(area_set.areas(), area_set.postcodes)
                await uow.commit()
                report.imported.append(code)
        report.areas += len(area_set.areas())
        report.postcodes += len(area_set.postcodes)
        if progress is not None:
            progress(done, len(area_sets), code)
    return report


async def known_codes(uow: RegistryUnitOfWork, codes: list[str]) -> dict[str, Area]:
    """The areas for `codes`; NotFound naming the first unknown one."""
    found = await uow.repo.areas_by_code(codes)
    unknown = [c for c in codes if c not in found]
    if unknown:
        raise Invalid(
            f"unknown area(s): {', '.join(unknown)}",
            details={
                "errors": [{"field": "area_codes", "message": f"unknown: {c}"} for c in unknown]
            },
        )
    return found
