"""Keeping the social map up to date over request/reply: a coordinator lists an organisation
and names its manager (the organisation's own account); both edit and retire it and its
offers; anyone else is refused. Retired offers leave the map and are kept."""

import pytest

from services.registry.bootstrap import RegistryRuntime
from shared.contracts import registry as c
from shared.errors import Forbidden, Invalid
from tests.integration.registry.test_members_rpc import make_coordinator, register
from tests.privacy import personal
from tests.support import error_fields


async def search(registry: RegistryRuntime, **query: object) -> c.DirectoryResults:
    return await registry.rpc.call(c.DIRECTORY_SEARCH, c.DirectorySearch.model_validate(query))


async def test_coordinator_and_organisation_account_keep_an_offer_up_to_date(
    registry: RegistryRuntime,
) -> None:
    coordinator = await make_coordinator(registry, "utrecht-overvecht")
    owner = await register(registry, name="Karim Bakkal", email="karim@bakkerij.example")
    personal("Amazonedreef 12")
    org = await registry.rpc.call(
        c.ORGANISATION_ADD,
        c.OrganisationAdd(
            name="Bakkerij Karim",
            area_code="WK034403",
            phone="030 123 4567",
            address="Amazonedreef 12",
            manager_emails=["karim@bakkerij.example"],
            actor_id=coordinator.member_id,
        ),
    )
    assert org.manager_ids == [owner.member_id]
    assert org.area_name == "Overvecht"
    # The organisation's own account adds an offer without a phone of its own...
    offer = await registry.rpc.call(
        c.OFFER_ADD,
        c.OfferAdd(
            organisation_id=org.organisation_id,
            name="Brood aan huis",
            categories=["groceries"],
            area_codes=["WK034403"],
            opening_hours=[
                c.OpeningHours(weekday=4, opens="14:00", closes="16:00"),
                c.OpeningHours(weekday=1, opens="10:00", closes="12:00"),
            ],
            actor_id=owner.member_id,
        ),
    )
    assert [(h.weekday, h.opens) for h in offer.opening_hours] == [(1, "10:00"), (4, "14:00")]
    # ... and the map shows the organisation's phone for it, with its opening hours.
    found = (await search(registry, q="brood")).services
    assert [s.phone for s in found] == ["+31301234567"]
    assert [(h.weekday, h.closes) for h in found[0].opening_hours] == [(1, "12:00"), (4, "16:00")]
    assert found[0].location.address == "Amazonedreef 12"

    # The coordinator edits the offer; the owner edits the organisation.
    edited = await registry.rpc.call(
        c.OFFER_UPDATE,
        c.OfferUpdate(
            offer_id=offer.offer_id,
            name="Brood en banket aan huis",
            phone="06 1234 5678",
            opening_hours=[c.OpeningHours(weekday=5, opens="09:00", closes="11:00")],
            actor_id=coordinator.member_id,
        ),
    )
    assert edited.phone == "+31612345678" and len(edited.opening_hours) == 1
    renamed = await registry.rpc.call(
        c.ORGANISATION_UPDATE,
        c.OrganisationUpdate(
            organisation_id=org.organisation_id,
            description="Vers brood uit Overvecht.",
            actor_id=owner.member_id,
        ),
    )
    assert renamed.description == "Vers brood uit Overvecht."
    assert renamed.manager_ids == [owner.member_id]
    found = (await search(registry, q="banket")).services
    assert [(s.phone, s.opening_hours[0].weekday) for s in found] == [("+31612345678", 5)]

    # Only coordinators decide who manages it.
    with pytest.raises(Forbidden):
        await registry.rpc.call(
            c.ORGANISATION_UPDATE,
            c.OrganisationUpdate(
                organisation_id=org.organisation_id, manager_emails=[], actor_id=owner.member_id
            ),
        )

    # The owner retires the offer: off the map, kept.
    retired = await registry.rpc.call(
        c.OFFER_RETIRE, c.OfferRef(offer_id=offer.offer_id, actor_id=owner.member_id)
    )
    assert not retired.active and retired.retired_at is not None
    assert (await search(registry, q="banket")).services == []
    kept = await registry.rpc.call(
        c.OFFER_LIST, c.OfferQuery(organisation_id=org.organisation_id, include_retired=True)
    )
    assert [o.name for o in kept.offers] == ["Brood en banket aan huis"]
    with pytest.raises(Invalid):
        await registry.rpc.call(
            c.OFFER_UPDATE,
            c.OfferUpdate(offer_id=offer.offer_id, name="Weer terug", actor_id=owner.member_id),
        )


async def test_others_may_not_touch_an_organisation_or_its_offers(
    registry: RegistryRuntime,
) -> None:
    coordinator = await make_coordinator(registry, "utrecht-overvecht")
    elsewhere = await make_coordinator(
        registry, "utrecht-oost", name="Piet Oost", email="piet@oost.example"
    )
    resident = await register(registry, name="Els Vreemd", email="els@example.nl")
    # A resident cannot list an organisation, nor can another district's coordinator.
    for actor in (resident, elsewhere):
        with pytest.raises(Forbidden):
            await registry.rpc.call(
                c.ORGANISATION_ADD,
                c.OrganisationAdd(name="Nep BV", area_code="WK034403", actor_id=actor.member_id),
            )
    org = await registry.rpc.call(
        c.ORGANISATION_ADD,
        c.OrganisationAdd(
            name="Buurthuis De Dreef", area_code="WK034403", actor_id=coordinator.member_id
        ),
    )
    offer = await registry.rpc.call(
        c.OFFER_ADD,
        c.OfferAdd(
            organisation_id=org.organisation_id,
            name="Koffieochtend",
            categories=["company"],
            area_codes=["WK034403"],
            actor_id=coordinator.member_id,
        ),
    )
    for actor in (resident, elsewhere):
        with pytest.raises(Forbidden):
            await registry.rpc.call(
                c.OFFER_UPDATE,
                c.OfferUpdate(offer_id=offer.offer_id, name="Gekaapt", actor_id=actor.member_id),
            )
        with pytest.raises(Forbidden):
            await registry.rpc.call(
                c.OFFER_RETIRE, c.OfferRef(offer_id=offer.offer_id, actor_id=actor.member_id)
            )
        with pytest.raises(Forbidden):
            await registry.rpc.call(
                c.ORGANISATION_RETIRE,
                c.OrganisationRef(organisation_id=org.organisation_id, actor_id=actor.member_id),
            )
    # A manager named by an address nobody signed up with is refused by field.
    with pytest.raises(Invalid) as refused:
        await registry.rpc.call(
            c.ORGANISATION_UPDATE,
            c.OrganisationUpdate(
                organisation_id=org.organisation_id,
                manager_emails=["niemand@example.nl"],
                actor_id=coordinator.member_id,
            ),
        )
    assert error_fields(refused.value)[0]["reason"] == "no_member_with_email"
    # Closing before opening is refused, naming the field.
    with pytest.raises(Invalid) as backwards:
        await registry.rpc.call(
            c.OFFER_UPDATE,
            c.OfferUpdate(
                offer_id=offer.offer_id,
                opening_hours=[c.OpeningHours(weekday=0, opens="12:00", closes="10:00")],
                actor_id=coordinator.member_id,
            ),
        )
    assert error_fields(backwards.value)[0]["field"] == "opening_hours"
    # Retiring the organisation takes its offers off the map too.
    await registry.rpc.call(
        c.ORGANISATION_RETIRE,
        c.OrganisationRef(organisation_id=org.organisation_id, actor_id=coordinator.member_id),
    )
    assert (await search(registry, q="koffieochtend")).services == []
    listed = await registry.rpc.call(c.ORGANISATION_LIST, c.OrganisationQuery(area_code="WK034403"))
    assert listed.organisations == []


CSV = """organisation;offer;categories;areas;opening_hours;phone;organisation_phone
Repair Café Overvecht;Repair Café;odd_jobs;Overvecht;za 10:00-13:00;;030 765 4321
Repair Café Overvecht;Fietsen maken;odd_jobs;Overvecht;;;
Voedselbank punt;Voedselpakket;groceries;Nergensland;di 10:00-12:00;;
Buurtsuper;Bezorgen;groceries;Overvecht;vr 16:00-14:00;;
Huiskamer Oost;Koffie;company;Oost;ma 10:00-11:00;;
"""


async def test_a_csv_of_the_map_is_imported_with_a_reason_for_each_bad_row(
    registry: RegistryRuntime,
) -> None:
    coordinator = await make_coordinator(registry, "utrecht-overvecht")
    report = await registry.rpc.call(
        c.DIRECTORY_IMPORT, c.DirectoryImport(text=CSV, actor_id=coordinator.member_id)
    )
    assert (report.rows, report.organisations_added, report.offers_added) == (5, 1, 2)
    assert [(r.line, r.reason) for r in report.rejected] == [
        (4, "areas: no district or neighbourhood has this name"),
        (5, "opening_hours: are not like 'di 10:00-12:00', closing after opening"),
        (6, "areas: this lies outside your cooperative's areas"),
    ]
    found = (await search(registry, q="repair")).services
    # Both offers of the one organisation; reached by its phone; Saturday's hours.
    assert [(s.name, s.phone, [h.weekday for h in s.opening_hours]) for s in found] == [
        ("Fietsen maken", "+31307654321", []),
        ("Repair Café", "+31307654321", [5]),
    ]
    again = await registry.rpc.call(
        c.DIRECTORY_IMPORT, c.DirectoryImport(text=CSV, actor_id=coordinator.member_id)
    )
    assert (again.organisations_added, again.offers_added, again.already_there) == (0, 0, 2)
