"""The social map's use cases against the unit of work held in memory: an organisation listed
by its area's coordinator, its offers published, found and retired."""

import pytest

from services.registry.service_layer import directory, social_map
from shared.contracts.registry import OpeningHours
from shared.errors import Forbidden, Invalid
from shared.events import OfferPublished
from tests.unit.registry.world import World


async def test_an_offer_is_published_found_on_the_map_and_retired_with_its_organisation(
    world: World,
) -> None:
    coordinator = await world.coordinator()
    area = coordinator.neighbourhood or ""
    org = await directory.add_organisation(
        uow=world.db.uow(),
        name="Buurthuis  De Dreef",
        area_code=area,
        email="INFO@dedreef.example",
        manager_emails=["fatima@example.nl"],
        actor_id=coordinator.member_id,
    )
    assert (org.name, org.email, org.manager_ids) == (
        "Buurthuis De Dreef",
        "info@dedreef.example",
        [coordinator.member_id],
    )

    offer = await directory.add_offer(
        uow=world.db.uow(),
        organisation_id=org.organisation_id,
        name="Koffieochtend",
        categories=["company", "company"],
        area_codes=[area],
        opening_hours=[OpeningHours(weekday=2, opens="10:00", closes="12:00")],
        actor_id=coordinator.member_id,
    )
    assert offer.categories == ["company"]
    assert offer.organisation_name == "Buurthuis De Dreef"
    published = world.db.events[-1].payload(OfferPublished)
    assert (published.offer_id, published.categories) == (offer.offer_id, ["company"])

    found = await social_map.search_directory(uow=world.db.uow(), q="koffie", area_code=area)
    [service] = found.services
    assert (service.id, service.email, service.organization.name) == (
        offer.offer_id,
        "info@dedreef.example",  # the offer has none of its own: its organisation's
        "Buurthuis De Dreef",
    )
    assert [(h.weekday, h.opens) for h in service.opening_hours] == [(2, "10:00")]
    assert (await social_map.search_directory(uow=world.db.uow(), q="yoga")).total == 0

    changed = await directory.update_offer(
        uow=world.db.uow(),
        offer_id=offer.offer_id,
        changes={"name": "Koffie en krant"},
        actor_id=coordinator.member_id,
    )
    assert changed.name == "Koffie en krant"
    assert world.db.tables.offers[offer.offer_id].search_text.startswith("koffie en krant")

    retired = await directory.retire_organisation(
        uow=world.db.uow(), organisation_id=org.organisation_id, actor_id=coordinator.member_id
    )
    assert not retired.active
    assert (await social_map.search_directory(uow=world.db.uow(), q="koffie")).total == 0
    with pytest.raises(Invalid):
        await directory.add_offer(
            uow=world.db.uow(),
            organisation_id=org.organisation_id,
            name="Nog een",
            categories=["company"],
            area_codes=[area],
            actor_id=coordinator.member_id,
        )


async def test_a_resident_lists_no_organisation_and_a_manager_must_be_a_member(
    world: World,
) -> None:
    coordinator = await world.coordinator()
    ans = await world.register()
    with pytest.raises(Forbidden):
        await directory.add_organisation(
            uow=world.db.uow(),
            name="Eigen club",
            area_code=ans.neighbourhood or "",
            actor_id=ans.member_id,
        )
    with pytest.raises(Invalid, match="no member with the e-mail address"):
        await directory.add_organisation(
            uow=world.db.uow(),
            name="Buurthuis",
            area_code=coordinator.neighbourhood or "",
            manager_emails=["nobody@example.nl"],
            actor_id=coordinator.member_id,
        )
    assert world.db.tables.organisations == {}
