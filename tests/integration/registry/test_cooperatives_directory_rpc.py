"""Cooperatives (seed, add, update) and the social map over request/reply."""

import pytest
from pydantic import BaseModel

from services.registry.bootstrap import RegistryRuntime
from shared.areas import AreaRef
from shared.contracts import registry as c
from shared.contracts.verbs import AnyVerb
from shared.errors import Conflict, Forbidden, Invalid
from shared.events import CooperativeCreated, CooperativeUpdated, MatchingPolicy, OfferPublished
from tests.integration.registry.conftest import events_of
from tests.integration.registry.test_members_rpc import make_coordinator, register
from tests.privacy import personal


async def coop_list(registry: RegistryRuntime, **query: str) -> list[c.CooperativeInfo]:
    found = await registry.rpc.call(c.COOPERATIVE_LIST, c.CooperativeQuery.model_validate(query))
    return found.cooperatives


async def test_the_seed_is_a_tree_from_samen030_down_and_is_announced(
    registry: RegistryRuntime, nats_url: str
) -> None:
    everything = await coop_list(registry)
    assert len(everything) == 1 + 10 + 3
    city = next(co for co in everything if co.cooperative_id == "samen030")
    assert city.level == "municipality" and city.area_codes == ["GM0344"]
    assert city.policy == MatchingPolicy()
    # Most local first: the neighbourhood cooperative, its district's, then the city's.
    covering = await coop_list(registry, area_code="BU03440312")
    assert [co.cooperative_id for co in covering] == [
        "overvecht-zuid",
        "utrecht-overvecht",
        "samen030",
    ]
    created = await events_of(nats_url, CooperativeCreated.TYPE, 14)
    by_id = {e.payload(CooperativeCreated).cooperative_id: e for e in created}
    assert by_id["utrecht-overvecht"].area == AreaRef.from_code("WK034403")
    assert by_id["overvecht-zuid"].area == AreaRef.from_code("WK034403")  # common area
    assert by_id["samen030"].area == AreaRef.from_code("GM0344")


async def test_a_restart_seeds_nothing_twice(registry: RegistryRuntime) -> None:
    from services.registry.service_layer.reference import seed

    assert await seed(registry.make_uow) == []
    assert len(await coop_list(registry)) == 14


async def test_coordinator_and_policy_changes_are_announced_with_the_whole_state(
    registry: RegistryRuntime, nats_url: str
) -> None:
    coordinator = await make_coordinator(registry, "utrecht-overvecht")
    policy = MatchingPolicy(proposals_per_round=5, offer_hours=2)
    updated = await registry.rpc.call(
        c.COOPERATIVE_UPDATE,
        c.CooperativeUpdate(
            cooperative_id="utrecht-overvecht", policy=policy, actor_id=coordinator.member_id
        ),
    )
    assert updated.policy == policy
    assert updated.coordinator_ids == [coordinator.member_id]
    events = await events_of(nats_url, CooperativeUpdated.TYPE, 2)
    last = events[-1].payload(CooperativeUpdated)
    assert last.coordinator_ids == [coordinator.member_id]
    assert last.policy == policy
    assert last.area_codes == ["WK034403"]
    assert events[-1].area == AreaRef.from_code("WK034403")
    member_of = await coop_list(registry, coordinator_id=coordinator.member_id)
    assert [co.cooperative_id for co in member_of] == ["utrecht-overvecht"]
    # ... but not another district's cooperative, and not the areas.
    with pytest.raises(Forbidden):
        await registry.rpc.call(
            c.COOPERATIVE_UPDATE,
            c.CooperativeUpdate(
                cooperative_id="utrecht-oost", policy=policy, actor_id=coordinator.member_id
            ),
        )
    with pytest.raises(Forbidden):
        await registry.rpc.call(
            c.COOPERATIVE_UPDATE,
            c.CooperativeUpdate(
                cooperative_id="utrecht-overvecht",
                area_codes=["WK034403", "WK034404"],
                actor_id=coordinator.member_id,
            ),
        )


async def test_a_child_cooperative_stays_inside_its_parent(registry: RegistryRuntime) -> None:
    with pytest.raises(Invalid, match="outside the parent"):
        await registry.rpc.call(
            c.COOPERATIVE_ADD,
            c.CooperativeAdd(
                cooperative_id="schildersbuurt",
                name="Buurtcoöperatie Schildersbuurt",
                parent_id="utrecht-overvecht",
                area_codes=["BU03440531"],
            ),
        )
    added = await registry.rpc.call(
        c.COOPERATIVE_ADD,
        c.CooperativeAdd(
            cooperative_id="schildersbuurt",
            name="Buurtcoöperatie Schildersbuurt",
            parent_id="utrecht-oost",
            area_codes=["BU03440531"],
        ),
    )
    assert added.level == "neighbourhood"
    with pytest.raises(Conflict):
        await registry.rpc.call(
            c.COOPERATIVE_ADD,
            c.CooperativeAdd(
                cooperative_id="schildersbuurt",
                name="Again",
                parent_id="utrecht-oost",
                area_codes=["BU03440531"],
            ),
        )
    with pytest.raises(Invalid, match="unknown area"):
        await registry.rpc.call(
            c.COOPERATIVE_ADD,
            c.CooperativeAdd(cooperative_id="nowhere", name="Nowhere", area_codes=["WK999999"]),
        )


async def test_the_social_map_finds_offers_by_words_category_and_area(
    registry: RegistryRuntime, nats_url: str
) -> None:
    owner = await register(registry, name="Jan Winkelier", email="jan@winkel.example")
    coordinator = await make_coordinator(registry, "utrecht-overvecht")
    personal("Kerkstraat 5")
    shop = await registry.rpc.call(
        c.ORGANISATION_ADD,
        c.OrganisationAdd(
            name="Buurtsuper Overvecht",
            area_code="BU03440312",
            email="info@buurtsuper.example",
            manager_emails=["Jan@Winkel.example"],
            actor_id=coordinator.member_id,
        ),
    )
    assert shop.manager_ids == [owner.member_id]
    offer = await registry.rpc.call(
        c.OFFER_ADD,
        c.OfferAdd(
            organisation_id=shop.organisation_id,
            name="Boodschappen aan huis",
            description="Wij bezorgen uw boodschappen gratis voor 65-plussers.",
            categories=["groceries"],
            area_codes=["WK034403"],
            schedule="dinsdag en vrijdag",
            address="Kerkstraat 5",
            location_area_code="BU03440312",
            actor_id=owner.member_id,
        ),
    )
    cafe_org = await registry.rpc.call(
        c.ORGANISATION_ADD, c.OrganisationAdd(name="Repair Café Oost", area_code="WK034405")
    )
    await registry.rpc.call(
        c.OFFER_ADD,
        c.OfferAdd(
            organisation_id=cafe_org.organisation_id,
            name="Repair Café",
            description="Elke eerste zaterdag repareren we samen.",
            categories=["odd_jobs"],
            area_codes=["WK034405"],
            languages=["nl", "en"],
        ),
    )

    async def search(**query: object) -> list[str]:
        found = await registry.rpc.call(c.DIRECTORY_SEARCH, c.DirectorySearch.model_validate(query))
        return [s.name for s in found.services]

    assert await search(q="boodschappen") == ["Boodschappen aan huis"]
    assert await search(q="REPAREREN samen") == ["Repair Café"]
    assert await search(category="groceries") == ["Boodschappen aan huis"]
    assert await search(area_code="BU03440312") == ["Boodschappen aan huis"]  # inside WK034403
    assert await search(area_code="GM0344") == ["Boodschappen aan huis", "Repair Café"]
    assert await search(area_code="WK034405", language="en") == ["Repair Café"]
    assert await search(q="cafe") == ["Repair Café"]  # accents do not matter
    assert await search(q="100%") == []

    full = await registry.rpc.call(c.DIRECTORY_SEARCH, c.DirectorySearch(q="boodschappen"))
    entry = full.services[0]
    assert entry.organization.name == "Buurtsuper Overvecht"
    assert entry.location.area_name == "Wolga- en Donaudreef en omgeving"
    assert entry.service_areas == ["WK034403"]

    published = (await events_of(nats_url, OfferPublished.TYPE, 2))[0]
    assert published.payload(OfferPublished).offer_id == offer.offer_id
    assert published.area == AreaRef.from_code("WK034403")

    stranger = await register(registry, name="Els Vreemd", email="els@example.nl")
    with pytest.raises(Forbidden):
        await registry.rpc.call(
            c.OFFER_ADD,
            c.OfferAdd(
                organisation_id=shop.organisation_id,
                name="Nep",
                categories=["groceries"],
                area_codes=["WK034403"],
                actor_id=stranger.member_id,
            ),
        )
    listed = await registry.rpc.call(c.ORGANISATION_LIST, c.OrganisationQuery(area_code="WK034403"))
    assert [o.name for o in listed.organisations] == ["Buurtsuper Overvecht"]


async def test_an_area_filter_that_is_no_cbs_code_is_invalid(registry: RegistryRuntime) -> None:
    queries: tuple[tuple[AnyVerb, BaseModel], ...] = (
        (c.COOPERATIVE_LIST, c.CooperativeQuery(area_code="Overvecht")),
        (c.DIRECTORY_SEARCH, c.DirectorySearch(area_code="3561")),
        (c.MEMBER_LIST, c.MemberListQuery(area_code="WK34")),
    )
    for verb, query in queries:
        with pytest.raises(Invalid, match="not a CBS area code"):
            await registry.rpc.call(verb, query)


async def test_a_member_who_is_no_longer_a_coordinator_leaves_their_cooperatives(
    registry: RegistryRuntime, nats_url: str
) -> None:
    coordinator = await make_coordinator(registry, "utrecht-overvecht")
    await registry.rpc.call(
        c.MEMBER_UPDATE, c.MemberUpdate(member_id=coordinator.member_id, roles=["resident"])
    )
    coop = await registry.rpc.call(
        c.COOPERATIVE_GET, c.CooperativeRef(cooperative_id="utrecht-overvecht")
    )
    assert coop.coordinator_ids == []
    updates = await events_of(nats_url, CooperativeUpdated.TYPE, 2)
    assert updates[-1].payload(CooperativeUpdated).coordinator_ids == []
