"""The area names the gateway shows come from the registry's `areas.list`, kept for minutes:
one question per few minutes, never a page without an answer when the registry is away."""

import asyncio
from typing import Any

import pytest

from services.gateway import reporting
from services.gateway.area_names import AreaDirectory, AreaNames
from shared.contracts.areas import AREAS_LIST, AreaInfo, AreaQuery
from shared.contracts.verbs import AnyVerb
from shared.errors import Invalid, Unavailable
from tests.registry_areas import list_areas, utrecht_areas, utrecht_names

OVERVECHT, TAAG = "WK034403", "BU03440311"


class Registry:
    """`areas.list` over some areas, or away."""

    def __init__(self, areas: tuple[AreaInfo, ...]) -> None:
        self.areas = areas
        self.away = False
        self.asked: list[AreaQuery] = []

    async def call(
        self, verb: AnyVerb, request: Any = None, *, timeout: float | None = None
    ) -> Any:
        assert verb == AREAS_LIST
        self.asked.append(request)
        if self.away:
            raise Unavailable("registry did not answer")
        return list_areas(self.areas, request)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def apeldoorn() -> tuple[AreaInfo, ...]:
    return (
        AreaInfo(code="GM0200", level="municipality", name="Apeldoorn", municipality_code="GM0200"),
        AreaInfo(
            code="WK020001",
            level="district",
            name="Centrum",
            parent_code="GM0200",
            municipality_code="GM0200",
        ),
    )


def test_areas_are_named_by_the_registry_and_an_unknown_one_by_its_code() -> None:
    names = utrecht_names()
    assert names.name(OVERVECHT) == "Overvecht"
    assert names.name("GM0344") == "Utrecht"
    assert names.name("WK999999") == "WK999999"
    assert names.name(None) == "" and names.name("") == ""
    assert names.municipalities() == [("GM0344", "Utrecht")]


def test_districts_and_their_neighbourhoods_are_offered_by_name() -> None:
    names = utrecht_names()
    districts = names.districts()
    assert (OVERVECHT, "Overvecht") in districts
    assert [n for _, n in districts] == sorted(n for _, n in districts)
    groups = {code: hoods for code, _, hoods in names.groups()}
    assert [c for c, _ in districts] == list(groups)
    assert (TAAG, "Taag- en Rubicondreef en omgeving") in groups[OVERVECHT]
    assert all(code.startswith("BU0344") for hoods in groups.values() for code, _ in hoods)


def test_with_several_municipalities_a_district_says_which_it_is_in() -> None:
    names = AreaNames((*apeldoorn(), *utrecht_areas()))
    districts = names.districts()
    assert districts[0] == ("WK020001", "Centrum (Apeldoorn)")  # Apeldoorn before Utrecht
    assert (OVERVECHT, "Overvecht (Utrecht)") in districts
    assert names.name(OVERVECHT) == "Overvecht"  # alone, an area keeps its own name


def test_only_known_areas_are_taken_unless_none_are_known() -> None:
    assert utrecht_names().accepts(OVERVECHT)
    assert not utrecht_names().accepts("WK999999")
    assert AreaNames().accepts("WK999999")  # the registry is away: it has the last word
    with pytest.raises(Invalid) as caught:
        reporting.district("WK999999", utrecht_names())
    assert caught.value.details["reason"] == "unknown_district"
    assert reporting.district("WK999999", AreaNames()) == "WK999999"


async def test_the_names_are_asked_municipality_by_municipality_once_per_few_minutes() -> None:
    registry, clock = Registry((*apeldoorn(), *utrecht_areas())), Clock()
    directory = AreaDirectory(registry, ttl=300, retry=15, now=clock)
    names = await directory.current()
    assert names.name(OVERVECHT) == "Overvecht" and names.name("WK020001") == "Centrum"
    # One question for the municipalities, then one for each: no answer holds a country.
    assert registry.asked == [
        AreaQuery(level="municipality"),
        AreaQuery(municipality_code="GM0200"),
        AreaQuery(municipality_code="GM0344"),
    ]
    clock.now += 299
    assert await directory.current() is names
    assert len(registry.asked) == 3


async def test_after_the_minutes_a_page_has_the_old_names_at_once_and_the_next_the_new() -> None:
    registry, clock = Registry(utrecht_areas()), Clock()
    directory = AreaDirectory(registry, ttl=300, retry=15, now=clock)
    old = await directory.current()
    registry.areas = (*apeldoorn(), *utrecht_areas())  # the registry imported Apeldoorn
    clock.now += 300
    assert await directory.current() is old  # asked now, not waited for
    await asyncio.sleep(0)  # the question runs beside the pages
    assert (await directory.current()).name("GM0200") == "Apeldoorn"
    await directory.close()


async def test_while_the_registry_is_away_pages_show_codes_and_it_is_asked_after_a_pause() -> None:
    registry, clock = Registry(utrecht_areas()), Clock()
    registry.away = True
    directory = AreaDirectory(registry, ttl=300, retry=15, now=clock)
    assert (await directory.current()).name(OVERVECHT) == OVERVECHT
    clock.now += 14
    assert (await directory.current()).name(OVERVECHT) == OVERVECHT
    assert len(registry.asked) == 1  # not on every page
    registry.away = False
    clock.now += 1
    assert (await directory.current()).name(OVERVECHT) == OVERVECHT  # asked, not waited for
    await asyncio.sleep(0)
    assert (await directory.current()).name(OVERVECHT) == "Overvecht"
    assert len(registry.asked) == 3


async def test_names_once_known_stay_while_the_registry_is_away() -> None:
    registry, clock = Registry(utrecht_areas()), Clock()
    directory = AreaDirectory(registry, ttl=300, retry=15, now=clock)
    known = await directory.current()
    registry.away = True
    clock.now += 300
    assert await directory.current() is known
    await asyncio.sleep(0)
    assert await directory.current() is known
    assert directory.latest is known
    await directory.close()
