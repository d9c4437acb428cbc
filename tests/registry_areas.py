"""Utrecht's areas as the registry answers `areas.list`, made by the registry's own code from
the shipped CBS tables: for the gateway's tests and the stand-in registry they run against."""

from functools import lru_cache

from services.gateway.area_names import AreaNames
from services.registry.service_layer.areas import area_info
from services.registry.service_layer.reference import utrecht_area_set
from shared.contracts.areas import AreaInfo, AreaList, AreaQuery


@lru_cache
def utrecht_areas() -> tuple[AreaInfo, ...]:
    return tuple(area_info(a) for a in utrecht_area_set().areas())


def utrecht_names() -> AreaNames:
    return AreaNames(utrecht_areas())


def list_areas(areas: tuple[AreaInfo, ...], query: AreaQuery) -> AreaList:
    """`areas.list` over these areas, filtered as the registry filters."""
    return AreaList(
        areas=[
            a
            for a in areas
            if (query.parent_code is None or a.parent_code == query.parent_code)
            and (query.level is None or a.level == query.level)
            and (query.municipality_code is None or a.municipality_code == query.municipality_code)
        ]
    )
