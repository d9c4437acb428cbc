"""The registry's member use cases against the unit of work held in memory: registering,
changing, consents, contacts, listing, invitations, export and erasure."""

import pytest

from services.registry.service_layer import directory, members
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.events import MemberRegistered, MemberUpdated, VolunteerProfileUpdated
from tests.unit.registry.world import OOST, OVERVECHT_ZUID, START, TAAG, World


async def test_a_registered_member_is_placed_by_her_postcode_with_her_consents(
    world: World,
) -> None:
    ans = await world.register(consents={"matching": True, "share_phone": False})

    assert ans.neighbourhood is not None and ans.neighbourhood.startswith("BU034403")
    assert ans.district == "WK034403" and ans.municipality == "GM0344"
    assert ans.postcode == "3561 AB" and ans.first_name == "Ans"
    assert {p: s.granted for p, s in ans.consents.items()} == {
        "matching": True,
        "share_phone": False,
    }
    [event] = world.db.events
    registered = event.payload(MemberRegistered)
    assert registered.member_id == ans.member_id
    assert registered.consents == {"matching": True, "share_phone": False, "share_email": False}
    assert event.area.neighbourhood == ans.neighbourhood
    again = await members.get_member(member_id=ans.member_id, uow=world.db.uow())
    assert again == ans


async def test_an_e_mail_address_is_registered_once(world: World) -> None:
    await world.register()
    with pytest.raises(Conflict):
        await world.register(name="Another Ans", email="ANS@example.nl")
    assert len(world.db.tables.members) == 1
    assert world.db.event_types() == ["member.registered"]


async def test_a_postcode_outside_the_known_areas_is_a_field_error(world: World) -> None:
    with pytest.raises(Invalid) as caught:
        await world.register(postcode="9999 ZZ")
    assert "postcode" in caught.value.message
    assert world.db.tables.members == {}


async def test_only_an_admin_gives_the_coordinator_role(world: World) -> None:
    coordinator = await world.coordinator()
    with pytest.raises(Forbidden):
        await world.register(
            email="piet@example.nl",
            roles=["resident", "coordinator"],
            registered_by=coordinator.member_id,
        )


async def test_a_coordinator_registers_someone_in_her_areas_only(world: World) -> None:
    coordinator = await world.coordinator()
    henk = await world.register(
        "Henk Jansen", email=None, postcode=f"{TAAG} XY", registered_by=coordinator.member_id
    )
    assert henk.registered_by == coordinator.member_id
    with pytest.raises(Forbidden):
        await world.register(
            "Piet Oost", email=None, postcode=f"{OOST} AA", registered_by=coordinator.member_id
        )
    # Without e-mail, her messages go by way of the coordinator who registered her.
    contact = await members.member_contact(member_id=henk.member_id, uow=world.db.uow())
    assert contact.via_coordinator_id == coordinator.member_id


async def test_a_change_records_only_what_changed_and_says_so(world: World) -> None:
    ans = await world.register(consents={"matching": True})
    world.clock.advance(START - START.replace(day=1))
    since = len(world.db.events)

    changed = await members.update_member(
        member_id=ans.member_id,
        changes={"name": "Ans Bakker", "consents": {"matching": True, "share_email": True}},
        uow=world.db.uow(),
    )

    assert (changed.name, changed.first_name) == ("Ans Bakker", "Ans")
    assert changed.updated_at == world.clock.now() != ans.updated_at
    assert changed.consents["share_email"].granted
    assert changed.consents["matching"].at == ans.consents["matching"].at  # not recorded again
    [event] = world.db.events[since:]
    updated = event.payload(MemberUpdated)
    assert updated.changed == ["name", "consents"]
    assert updated.consents == {"matching": True, "share_email": True}
    assert len(world.db.tables.consents[ans.member_id]) == 2

    same = await members.update_member(
        member_id=ans.member_id, changes={"name": "Ans Bakker"}, uow=world.db.uow()
    )
    assert same == changed
    assert len(world.db.events) == since + 1  # nothing changed, nothing told


async def test_an_e_mail_address_of_someone_else_is_refused_on_a_change(world: World) -> None:
    ans = await world.register()
    await world.register("Bram de Boer", "bram@example.nl")
    with pytest.raises(Conflict):
        await members.update_member(
            member_id=ans.member_id, changes={"email": "bram@example.nl"}, uow=world.db.uow()
        )
    assert world.db.tables.members[ans.member_id].email == "ans@example.nl"


async def test_moving_house_announces_a_volunteers_profile_in_the_new_area(world: World) -> None:
    ans = await world.register(roles=["resident", "volunteer"], consents={"matching": True})
    await world.offer_help(ans.member_id)
    since = len(world.db.events)

    moved = await members.update_member(
        member_id=ans.member_id, changes={"postcode": f"{OOST} BB"}, uow=world.db.uow()
    )

    assert moved.district == "WK034405"
    assert world.db.event_types(since) == ["member.updated", "volunteer.profile_updated"]
    assert world.db.events[-1].area.district == "WK034405"
    assert world.db.events[-1].payload(VolunteerProfileUpdated).matching_consent


async def test_a_member_no_longer_a_coordinator_leaves_her_cooperatives(world: World) -> None:
    coordinator = await world.coordinator()
    since = len(world.db.events)
    await members.update_member(
        member_id=coordinator.member_id, changes={"roles": ["resident"]}, uow=world.db.uow()
    )
    assert coordinator.member_id not in world.db.tables.cooperatives[OVERVECHT_ZUID].coordinator_ids
    assert world.db.event_types(since) == ["member.updated", "cooperative.updated"]


async def test_contacts_leave_out_the_unknown_and_the_erased_and_share_what_was_agreed(
    world: World,
) -> None:
    ans = await world.register(consents={"share_phone": True}, phone="06 12345678")
    bram = await world.register("Bram de Boer", "bram@example.nl")
    await members.update_member(
        member_id=ans.member_id, changes={"consents": {"share_email": True}}, uow=world.db.uow()
    )
    await members.erase_member(member_id=bram.member_id, uow=world.db.uow())

    found = await members.member_contacts(
        member_ids=[ans.member_id, bram.member_id, "nobody"], uow=world.db.uow()
    )

    [contact] = found.contacts
    assert (contact.member_id, contact.phone) == (ans.member_id, "+31612345678")
    assert contact.share_phone_with_match and contact.share_email_with_match
    with pytest.raises(NotFound):
        await members.member_contact(member_id=bram.member_id, uow=world.db.uow())


async def test_a_coordinator_lists_the_members_of_her_areas_and_a_resident_none(
    world: World,
) -> None:
    coordinator = await world.coordinator()
    ans = await world.register()
    await world.register("Piet Oost", "piet@example.nl", f"{OOST} AA")

    listed = await members.list_members(uow=world.db.uow(), actor_id=coordinator.member_id)

    assert [m.name for m in listed.members] == ["Ans de Vries", "Fatima Bakr"]
    assert listed.members[0].neighbourhood_name is not None
    with pytest.raises(Forbidden):
        await members.list_members(uow=world.db.uow(), actor_id=ans.member_id)
    everyone = await members.list_members(uow=world.db.uow(), q="piet")
    assert [m.name for m in everyone.members] == ["Piet Oost"]


async def test_an_erased_member_keeps_only_her_area_and_her_times(world: World) -> None:
    coordinator = await world.coordinator()
    ans = await world.register(roles=["resident", "volunteer"], consents={"matching": True})
    await world.offer_help(ans.member_id)
    await directory.add_organisation(
        uow=world.db.uow(),
        name="Buurthuis De Dreef",
        area_code=ans.neighbourhood or "",
        manager_emails=["ans@example.nl"],
        actor_id=coordinator.member_id,
    )
    world.clock.advance(START - START.replace(day=1))

    erasure = await members.erase_member(member_id=ans.member_id, uow=world.db.uow())

    kept = world.db.tables.members[ans.member_id]
    assert (kept.name, kept.email, kept.postcode, kept.house_number) == (None, None, None, None)
    assert kept.erased_at == erasure.erased_at == world.clock.now()
    assert (kept.neighbourhood, kept.created_at) == (ans.neighbourhood, ans.created_at)
    assert ans.member_id not in world.db.tables.consents
    assert ans.member_id not in world.db.tables.profiles
    assert all(ans.member_id not in m for m in world.db.tables.managers.values())
    assert world.db.event_types()[-1] == "member.erased"
    assert world.db.events[-1].data == {"member_id": ans.member_id}
    with pytest.raises(NotFound):
        await members.get_member(member_id=ans.member_id, uow=world.db.uow())
    with pytest.raises(NotFound):  # she is no longer there to erase
        await members.erase_member(member_id=ans.member_id, uow=world.db.uow())


async def test_an_export_holds_everything_the_registry_keeps_of_a_member(world: World) -> None:
    coordinator = await world.coordinator()
    henk = await world.register(
        "Henk Jansen", email=None, postcode=f"{TAAG} XY", registered_by=coordinator.member_id
    )
    await world.offer_help(coordinator.member_id, ("transport",))
    await directory.add_organisation(
        uow=world.db.uow(),
        name="Buurthuis De Dreef",
        area_code=coordinator.neighbourhood or "",
        manager_emails=["fatima@example.nl"],
        actor_id=coordinator.member_id,
    )

    export = await members.export_member(
        member_id=coordinator.member_id, uow=world.db.uow(), actor_id=coordinator.member_id
    )

    assert export.member.name == "Fatima Bakr"
    assert export.member.roles == ["resident", "volunteer", "coordinator"]
    assert export.volunteer_profile is not None
    assert export.volunteer_profile.categories == ["transport"]
    assert [o.name for o in export.organisations] == ["Buurthuis De Dreef"]
    assert [c.cooperative_id for c in export.coordinated_cooperatives] == [OVERVECHT_ZUID]
    assert export.members_registered == [henk.member_id]
    assert export.exported_at == world.clock.now()
    with pytest.raises(Forbidden):
        await members.export_member(
            member_id=coordinator.member_id, uow=world.db.uow(), actor_id=henk.member_id
        )


async def test_an_invitation_is_due_once_until_done(world: World) -> None:
    ans = await world.register()
    world.db.tables.invitations[ans.member_id] = None  # as an import asks for one

    due = await members.invitations_due(limit=10, uow=world.db.uow())
    assert [(i.member_id, i.email, i.roles) for i in due.invitations] == [
        (ans.member_id, "ans@example.nl", ["resident"])
    ]
    await members.invitation_done(member_id=ans.member_id, uow=world.db.uow())
    assert (await members.invitations_due(limit=10, uow=world.db.uow())).invitations == []


async def test_placement_tells_what_matching_would_know(world: World) -> None:
    ans = await world.register(consents={"matching": True})
    placed = await members.placement(member_id=ans.member_id, uow=world.db.uow())
    assert placed.consents == {"matching": True}
    assert (placed.neighbourhood, placed.roles) == (ans.neighbourhood, ["resident"])
