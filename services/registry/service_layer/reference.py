"""Reference data and seed: the areas of the country, Utrecht's areas and postcodes, SAMEN030
and its cooperatives.

Utrecht is loaded at the first start (and by every `samen` registry command); running it again
changes nothing. Other municipalities come with `samen areas import`.
"""

import csv
import re
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

from services.registry.domain.areas import AreaSet, PostcodeEntry, parse_area_rows
from services.registry.domain.national_areas import (
    NationalTables,
    parse_national_tables,
    with_reliability,
)
from services.registry.service_layer.cooperatives import add_cooperative
from services.registry.service_layer.uow import RegistryUnitOfWork
from shared.areas import is_municipality
from shared.data import (
    NL_DISTRICTS_CSV,
    NL_MUNICIPALITIES_CSV,
    NL_NEIGHBOURHOODS_CSV,
    NL_POSTCODES_CSV,
    UTRECHT_DISTRICTS_CSV,
    UTRECHT_NEIGHBOURHOODS_CSV,
    UTRECHT_POSTCODES_CSV,
)
from shared.errors import AlreadyStored, Conflict, Invalid, NotFound
from shared.logging import get_logger

log = get_logger(__name__)

UTRECHT = "GM0344"
UTRECHT_CBS_YEAR = 2024  # its tables are of the 2023/2024 classification (identical there)
CITY_COOPERATIVE = "samen030"


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def utrecht_area_set() -> AreaSet:
    """Utrecht from the shipped CBS tables (see shared/data/utrecht/SOURCES.txt)."""
    area_set = parse_area_rows(read_csv(UTRECHT_NEIGHBOURHOODS_CSV), municipality_name="Utrecht")
    # Districts: CBS population and the population-weighted centre (better for matching).
    districts = {row["wijk_code"]: row for row in read_csv(UTRECHT_DISTRICTS_CSV)}
    area_set.districts = [
        replace(
            d,
            population=int(districts[d.code]["inwoners_2024"]),
            lat=float(districts[d.code]["pop_weighted_lat"]),
            lon=float(districts[d.code]["pop_weighted_lon"]),
        )
        if d.code in districts
        else d
        for d in area_set.districts
    ]
    # Postcodes: PO-box and non-residential PC4s, and the geocoded point as a cross-check.
    derived = {p.pc4: p for p in area_set.postcodes}
    postcodes: dict[str, PostcodeEntry] = {}
    for row in read_csv(UTRECHT_POSTCODES_CSV):
        pc4 = row["pc4"]
        if not row["wijk_code"]:
            postcodes[pc4] = PostcodeEntry(pc4, UTRECHT, po_box=True)
        elif pc4 in derived:
            postcodes[pc4] = replace(
                derived[pc4], point_neighbourhood=row["pc4_point_in_buurt"] or None
            )
    for pc4, entry in derived.items():
        postcodes.setdefault(pc4, entry)
    area_set.postcodes = sorted(postcodes.values(), key=lambda p: p.pc4)
    area_set.municipality = replace(area_set.municipality, cbs_year=UTRECHT_CBS_YEAR)
    area_set.districts = [replace(a, cbs_year=UTRECHT_CBS_YEAR) for a in area_set.districts]
    area_set.neighbourhoods = [
        replace(a, cbs_year=UTRECHT_CBS_YEAR) for a in area_set.neighbourhoods
    ]
    return area_set


def national_tables() -> NationalTables:
    """The shipped national tables (see shared/data/nl/SOURCES.txt)."""
    return NationalTables(
        municipalities=read_csv(NL_MUNICIPALITIES_CSV),
        districts=read_csv(NL_DISTRICTS_CSV),
        neighbourhoods=read_csv(NL_NEIGHBOURHOODS_CSV),
        postcodes=read_csv(NL_POSTCODES_CSV),
    )


def _code_error(code: str, why: str) -> dict[str, str]:
    return {"field": "municipality", "message": f"{why}: {code}"}


def check_municipality_codes(codes: Iterable[str], tables: NationalTables) -> list[str]:
    """The codes once each; Invalid for one that is not a GM code, NotFound for one the tables
    do not hold."""
    wanted = list(dict.fromkeys(c.strip().upper() for c in codes))
    malformed = [c for c in wanted if not is_municipality(c)]
    if malformed:
        raise Invalid(
            f"not a CBS municipality code (GM and 4 digits, e.g. GM0200): {', '.join(malformed)}",
            details={"errors": [_code_error(c, "not a GM code") for c in malformed]},
        )
    known = {(row.get("gemeente_code") or "").strip() for row in tables.municipalities}
    unknown = [c for c in wanted if c not in known]
    if unknown:
        raise NotFound(
            f"no such municipality in the CBS tables: {', '.join(unknown)}",
            details={"errors": [_code_error(c, "unknown") for c in unknown]},
        )
    return wanted


def national_area_sets(codes: Iterable[str] | None = None) -> dict[str, AreaSet]:
    """Every municipality of the country (or those of `codes`), by code. Utrecht is its own,
    more detailed tables with the national verdict on each PC4's district. Raises Invalid or
    NotFound for a code that is not a municipality's."""
    tables = national_tables()
    only = None if codes is None else check_municipality_codes(codes, tables)
    sets = parse_national_tables(tables, only=only)
    if UTRECHT in sets:
        sets[UTRECHT] = with_reliability(utrecht_area_set(), sets[UTRECHT])
    return sets


def utrecht_reference_set() -> AreaSet:
    """Utrecht as the seed and `samen areas import` store it."""
    return national_area_sets([UTRECHT])[UTRECHT]


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


# A few neighbourhood cooperatives, all in Overvecht.
NEIGHBOURHOOD_COOPERATIVES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "overvecht-zuid",
        "Buurtcoöperatie Overvecht-Zuid",
        ("BU03440311", "BU03440312", "BU03440321", "BU03440322"),
    ),
    ("vechtzoom", "Buurtcoöperatie Vechtzoom", ("BU03440331", "BU03440332")),
    (
        "overvecht-noord",
        "Buurtcoöperatie Overvecht-Noord",
        ("BU03440341", "BU03440342", "BU03440343"),
    ),
)


def district_cooperative_id(district_name: str) -> str:
    return f"utrecht-{slug(district_name)}"


async def seed(make: Callable[[], RegistryUnitOfWork]) -> list[str]:
    """Load Utrecht and its cooperatives where missing. Returns the ids of new cooperatives."""
    uow = make()
    async with uow:
        has_utrecht = await uow.repo.has_municipality(UTRECHT)
        existing = {c.cooperative_id for c in await uow.repo.cooperatives()}
    if not has_utrecht:
        area_set = utrecht_reference_set()
        uow = make()
        try:
            async with uow:
                await uow.repo.replace_municipality(area_set.areas(), area_set.postcodes)
                await uow.commit()
            log.info("areas loaded", municipality=UTRECHT, areas=len(area_set.areas()))
        except AlreadyStored:  # another replica loaded them at the same moment
            log.info("areas loaded by another replica", municipality=UTRECHT)
    added: list[str] = []

    async def ensure(coop_id: str, name: str, codes: list[str], parent: str | None) -> None:
        if coop_id in existing:
            return
        try:
            await add_cooperative(
                cooperative_id=coop_id,
                name=name,
                area_codes=codes,
                parent_id=parent,
                uow=make(),
            )
        except Conflict:  # another replica seeded it (AlreadyStored is one too)
            return
        added.append(coop_id)

    await ensure(CITY_COOPERATIVE, "SAMEN030", [UTRECHT], None)
    for row in read_csv(UTRECHT_DISTRICTS_CSV):
        await ensure(
            district_cooperative_id(row["wijk_naam"]),
            f"Wijkcoöperatie {row['wijk_naam']}",
            [row["wijk_code"]],
            CITY_COOPERATIVE,
        )
    for coop_id, name, codes in NEIGHBOURHOOD_COOPERATIVES:
        await ensure(coop_id, name, list(codes), district_cooperative_id("Overvecht"))
    if added:
        log.info("cooperatives seeded", count=len(added))
    return added
