"""`samen areas import --municipality ...` as a real process, twice; the running registry then
places postcodes of Utrecht, Apeldoorn, Rotterdam and Hoogeveen as the national tables say
(nl_pc4.csv), and lists and gets their areas."""

from collections.abc import Callable

import pytest

from services.registry.bootstrap import build
from shared.areas import AreaRef
from shared.contracts import registry as c
from shared.errors import Invalid, NotFound
from shared.events import MemberRegistered
from shared.settings import Settings
from tests.integration.registry.conftest import events_of
from tests.integration.registry.test_members_import import samen

CHOSEN = ("GM0200", "GM0599", "GM0118")  # Apeldoorn, Rotterdam, Hoogeveen

# From nl_pc4.csv: pc4 -> municipality, district, its reliability, the neighbourhood where the
# data know it. For Utrecht its own tables choose the district (and the neighbourhood).
SAMPLES = {
    "3561": ("GM0344", "WK034403", "high", "BU03440312"),  # Utrecht, Overvecht
    "3542": ("GM0344", "WK034401", "low", "BU03440133"),  # Utrecht: the two tables disagree
    "7311": ("GM0200", "WK020001", "high", None),  # Apeldoorn, Centrum
    "7346": ("GM0200", "WK020010", "low", None),
    "3011": ("GM0599", "WK059901", "high", "BU05990110"),  # Rotterdam, Stadsdriehoek
    "3013": ("GM0599", "WK059901", "low", "BU05990113"),
    "3071": ("GM0599", "WK059910", "high", "BU05991079"),  # Rotterdam, Feijenoord
    "7901": ("GM0118", "WK011850", "medium", None),  # Hoogeveen
    "7903": ("GM0118", "WK011855", "low", None),
}


async def test_chosen_municipalities_are_imported_once_and_their_postcodes_resolve(
    nats_url: str, settings_for: Callable[[str], Settings]
) -> None:
    settings = settings_for("registry")
    assert settings.database_url is not None
    url = settings.database_url
    chosen = [arg for code in CHOSEN for arg in ("--municipality", code)]
    code, out = await samen("areas", "import", *chosen, database_url=url, nats_url=nats_url)
    assert code == 0, out
    assert "3 municipalities imported, 0 unchanged" in out
    assert "CBS classification 2024, 2025" in out
    # Again, with Utrecht (seeded at the first start from the same tables): nothing changes.
    chosen += ["--municipality", "GM0344"]
    code, out = await samen("areas", "import", *chosen, database_url=url, nats_url=nats_url)
    assert code == 0, out
    assert "0 municipalities imported, 4 unchanged" in out
    assert "nothing changed" in out

    code, out = await samen(
        "areas", "import", "--municipality", "GM9999", database_url=url, nats_url=nats_url
    )
    assert code != 0
    assert "no such municipality in the CBS tables: GM9999" in out

    runtime = build(settings)
    await runtime.start()
    try:
        for pc4, (municipality, district, reliability, neighbourhood) in SAMPLES.items():
            found = await runtime.rpc.call(c.AREAS_LOOKUP, c.PostcodeQuery(postcode=f"{pc4} AB"))
            assert found.municipality.code == municipality, pc4
            assert found.district.code == district, pc4
            assert found.district.level == "district"
            assert found.district_reliability == reliability, pc4
            assert found.neighbourhood_known is (neighbourhood is not None), pc4
            if neighbourhood is None:  # placed in its district: the most it can be
                assert found.neighbourhood.code == district
                assert found.neighbourhood.level == "district"
                assert found.candidates == []
            elif municipality != "GM0344":  # Utrecht's own tables weigh their candidates
                assert found.neighbourhood.code == neighbourhood
                assert found.neighbourhood.cbs_year == 2025
        apeldoorn = await runtime.rpc.call(c.AREAS_LOOKUP, c.PostcodeQuery(postcode="7311"))
        assert apeldoorn.municipality.name == "Apeldoorn"
        assert apeldoorn.district.name == "Centrum"
        assert apeldoorn.district.cbs_year == 2024
        assert apeldoorn.municipality_share == 1.0
        # 7351 has a few addresses in Heerde.
        shared = await runtime.rpc.call(c.AREAS_LOOKUP, c.PostcodeQuery(postcode="7351"))
        assert shared.municipality.code == "GM0200"
        assert shared.municipality_share == pytest.approx(0.993)
        assert shared.note is not None and "another municipality" in shared.note

        with pytest.raises(Invalid, match="PO box") as po_box:
            await runtime.rpc.call(c.AREAS_LOOKUP, c.PostcodeQuery(postcode="7300"))
        assert po_box.value.details["reason"] == "po_box"
        # Amsterdam was not imported: not in a known municipality.
        with pytest.raises(NotFound, match="not in a known municipality") as unknown:
            await runtime.rpc.call(c.AREAS_LOOKUP, c.PostcodeQuery(postcode="1011"))
        assert unknown.value.details["reason"] == "unknown_municipality"
        with pytest.raises(Invalid, match="not a Dutch postcode") as foreign:  # a German one
            await runtime.rpc.call(c.AREAS_LOOKUP, c.PostcodeQuery(postcode="10115"))
        assert foreign.value.details["reason"] == "malformed"

        towns = await runtime.rpc.call(c.AREAS_LIST, c.AreaQuery(level="municipality"))
        assert [a.code for a in towns.areas] == ["GM0118", "GM0200", "GM0344", "GM0599"]
        wijken = await runtime.rpc.call(c.AREAS_LIST, c.AreaQuery(parent_code="GM0118"))
        assert len(wijken.areas) == 13
        buurten = await runtime.rpc.call(
            c.AREAS_LIST, c.AreaQuery(level="neighbourhood", municipality_code="GM0200")
        )
        assert len(buurten.areas) == 95
        assert all(b.cbs_year == 2025 and b.lat is not None for b in buurten.areas)
        buurt = await runtime.rpc.call(c.AREAS_GET, c.AreaCode(code="BU05990110"))
        assert (buurt.parent_code, buurt.municipality_code) == ("WK059901", "GM0599")
        apart = await runtime.rpc.call(
            c.AREAS_DISTANCE, c.AreaPair(from_code="GM0200", to_code="GM0118")
        )
        assert 60 < apart.km < 90

        # A member in Apeldoorn lives in a district whose neighbourhood the data do not know:
        # their events say `_` for it.
        member = await runtime.rpc.call(
            c.MEMBER_REGISTER,
            c.MemberRegister(
                name="Ans de Vries", email="ans@example.nl", postcode="7311 AB", house_number="3"
            ),
        )
        assert (member.municipality, member.district) == ("GM0200", "WK020001")
        assert member.neighbourhood_name == "Centrum"
        (registered,) = await events_of(nats_url, MemberRegistered.TYPE)
        assert registered.area == AreaRef(municipality="GM0200", district="WK020001")
        assert registered.subject.endswith(".GM0200.WK020001._")
    finally:
        await runtime.stop()
