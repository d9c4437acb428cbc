"""Areas over request/reply: postcode lookup, lists, distances; the Utrecht seed."""

import pytest

from services.registry.bootstrap import RegistryRuntime
from shared.contracts import registry as c
from shared.errors import Invalid, NotFound


async def lookup(registry: RegistryRuntime, postcode: str) -> c.PostcodeArea:
    return await registry.rpc.call(c.AREAS_LOOKUP, c.PostcodeQuery(postcode=postcode))


async def test_3583_lies_in_district_oost(registry: RegistryRuntime) -> None:
    found = await lookup(registry, "3583")
    assert found.municipality.code == "GM0344"
    assert found.district.code == "WK034405"
    assert found.district.name == "Oost"
    assert found.neighbourhood.code in {"BU03440531", "BU03440532"}
    assert found.district_confidence == 1.0


@pytest.mark.parametrize("postcode", ["3561 AB", "3561AB", "3561ab", "3561"])
async def test_3561_ab_lies_in_overvecht_in_every_spelling(
    registry: RegistryRuntime, postcode: str
) -> None:
    found = await lookup(registry, postcode)
    assert found.district.code == "WK034403"
    assert found.district.name == "Overvecht"
    # Two neighbourhoods share 3561: the larger one, and the lookup says it is not sure.
    assert found.neighbourhood.code == "BU03440312"
    assert found.confidence == "medium"
    assert {cand.code for cand in found.candidates} == {"BU03440311", "BU03440312"}
    assert found.postcode == ("3561" if postcode == "3561" else "3561 AB")


async def test_1234_is_not_in_a_known_municipality(registry: RegistryRuntime) -> None:
    with pytest.raises(NotFound, match="not in a known municipality") as caught:
        await lookup(registry, "1234")
    assert caught.value.details["reason"] == "unknown_municipality"


async def test_a_po_box_postcode_is_refused_with_the_reason(registry: RegistryRuntime) -> None:
    with pytest.raises(Invalid, match="PO box"):
        await lookup(registry, "3500")


@pytest.mark.parametrize("postcode", ["0123", "12", "3561 A", "ABCD", "3561 SS"])
async def test_a_malformed_postcode_is_invalid(registry: RegistryRuntime, postcode: str) -> None:
    with pytest.raises(Invalid, match="postcode"):
        await lookup(registry, postcode)


async def test_utrecht_has_ten_districts_and_111_neighbourhoods(
    registry: RegistryRuntime,
) -> None:
    districts = await registry.rpc.call(c.AREAS_LIST, c.AreaQuery(parent_code="GM0344"))
    assert len(districts.areas) == 10
    neighbourhoods = await registry.rpc.call(
        c.AREAS_LIST, c.AreaQuery(level="neighbourhood", municipality_code="GM0344")
    )
    assert len(neighbourhoods.areas) == 111
    overvecht = await registry.rpc.call(c.AREAS_GET, c.AreaCode(code="WK034403"))
    assert overvecht.population == 35255


async def test_distance_between_areas_comes_from_their_centroids(
    registry: RegistryRuntime,
) -> None:
    near = await registry.rpc.call(
        c.AREAS_DISTANCE, c.AreaPair(from_code="BU03440311", to_code="BU03440312")
    )
    far = await registry.rpc.call(
        c.AREAS_DISTANCE, c.AreaPair(from_code="BU03440311", to_code="WK034410")
    )
    assert 0.3 < near.km < 1.5
    assert far.km > 5
    with pytest.raises(NotFound):
        await registry.rpc.call(
            c.AREAS_DISTANCE, c.AreaPair(from_code="BU03440311", to_code="WK999999")
        )
