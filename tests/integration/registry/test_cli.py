"""`samen areas import` and `samen cooperative add/list` as real processes; the running
registry then answers for what they wrote."""

import csv
from collections.abc import Callable
from pathlib import Path

import pytest

from services.registry.bootstrap import build
from shared.contracts import registry as c
from shared.errors import NotFound
from shared.events import CooperativeCreated
from shared.settings import Settings
from tests.integration.registry.conftest import events_of
from tests.integration.registry.test_members_import import samen

AMERSFOORT = [
    {
        "gemeente_code": "GM0307",
        "gemeente_naam": "Amersfoort",
        "wijk_code": "WK030701",
        "wijk_naam": "Binnenstad",
        "buurt_code": "BU03070101",
        "buurt_naam": "Kern",
        "inwoners": "2500",
        "centroid_lat": "52.1561",
        "centroid_lon": "5.3878",
        "pc4_meest_voorkomend": "3811",
    },
    {
        "gemeente_code": "GM0307",
        "gemeente_naam": "Amersfoort",
        "wijk_code": "WK030702",
        "wijk_naam": "Soesterkwartier",
        "buurt_code": "BU03070201",
        "buurt_naam": "Soesterkwartier",
        "inwoners": "6000",
        "centroid_lat": "52.1600",
        "centroid_lon": "5.3700",
        "pc4_meest_voorkomend": "3812",
    },
]


def write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


async def test_another_municipality_is_imported_and_its_postcodes_resolve(
    tmp_path: Path, nats_url: str, settings_for: Callable[[str], Settings]
) -> None:
    settings = settings_for("registry")
    assert settings.database_url is not None
    url = settings.database_url
    file = write(tmp_path / "amersfoort.csv", AMERSFOORT)
    code, out = await samen("areas", "import", str(file), database_url=url, nats_url=nats_url)
    assert code == 0, out
    assert "Amersfoort (GM0307): 2 districts, 2 neighbourhoods, 2 postcodes" in out

    broken = write(tmp_path / "broken.csv", [{**AMERSFOORT[0], "buurt_code": "BU99990101"}])
    code, out = await samen("areas", "import", str(broken), database_url=url, nats_url=nats_url)
    assert code == 1
    assert "line 2: BU99990101 does not lie in WK030701" in out

    runtime = build(settings)
    await runtime.start()
    try:
        found = await runtime.rpc.call(c.AREAS_LOOKUP, c.PostcodeQuery(postcode="3812 AB"))
        assert found.municipality.name == "Amersfoort"
        assert found.district.code == "WK030702"
        assert found.confidence == "high"
        # Utrecht is still there.
        utrecht = await runtime.rpc.call(c.AREAS_LOOKUP, c.PostcodeQuery(postcode="3583"))
        assert utrecht.district.code == "WK034405"
        with pytest.raises(NotFound):
            await runtime.rpc.call(c.AREAS_LOOKUP, c.PostcodeQuery(postcode="3813"))
    finally:
        await runtime.stop()


async def test_cooperatives_are_added_and_listed_from_the_command_line(
    database_url: Callable[[str], str], nats_url: str
) -> None:
    url = database_url("registry")
    code, out = await samen(
        "cooperative",
        "add",
        "buurt-schildersbuurt",
        "--name",
        "Buurtcoöperatie Schildersbuurt",
        "--area",
        "BU03440531",
        "--parent",
        "utrecht-oost",
        database_url=url,
        nats_url=nats_url,
    )
    assert code == 0, out
    assert "buurt-schildersbuurt (neighbourhood) added" in out
    code, out = await samen(
        "cooperative", "list", "--area", "BU03440531", database_url=url, nats_url=nats_url
    )
    assert code == 0, out
    assert out.index("buurt-schildersbuurt") < out.index("utrecht-oost") < out.index("samen030")

    code, out = await samen(
        "cooperative",
        "add",
        "nergens",
        "--name",
        "Nergens",
        "--area",
        "BU03440531",
        "--parent",
        "utrecht-overvecht",
        database_url=url,
        nats_url=nats_url,
    )
    assert code == 1
    assert "outside the parent cooperative utrecht-overvecht" in out

    created = await events_of(nats_url, CooperativeCreated.TYPE, 15)
    assert "buurt-schildersbuurt" in {e.payload(CooperativeCreated).cooperative_id for e in created}


async def test_the_social_map_is_imported_from_the_command_line(
    tmp_path: Path, nats_url: str, settings_for: Callable[[str], Settings]
) -> None:
    settings = settings_for("registry")
    assert settings.database_url is not None
    url = settings.database_url
    file = tmp_path / "kaart.csv"
    file.write_text(
        "organisation,offer,categories,areas,opening_hours,organisation_phone\n"
        "Bibliotheek Overvecht,Digitaal spreekuur,digital,Overvecht,do 14:00-16:00,030 286 1800\n"
        "Nergens BV,Niets,digital,Atlantis,,\n",
        encoding="utf-8",
    )
    code, out = await samen("directory", "import", str(file), database_url=url, nats_url=nats_url)
    assert code == 1, out  # a row was rejected
    assert "line 3: areas: no district or neighbourhood has this name" in out
    assert "1 organisations and 1 offers added" in out
    code, out = await samen("directory", "import", str(file), database_url=url, nats_url=nats_url)
    assert "0 organisations and 0 offers added, 1 on the map already" in out

    runtime = build(settings)
    await runtime.start()
    try:
        found = await runtime.rpc.call(c.DIRECTORY_SEARCH, c.DirectorySearch(q="spreekuur"))
    finally:
        await runtime.stop()
    assert [(s.name, s.phone) for s in found.services] == [("Digitaal spreekuur", "+31302861800")]
