"""Members and volunteers over request/reply, and the events they cause."""

from datetime import date
from typing import cast

import pytest

from services.registry.bootstrap import RegistryRuntime
from shared.areas import AreaRef
from shared.contracts import registry as c
from shared.contracts.verbs import AnyVerb
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.events import (
    AvailabilitySlot,
    MemberErased,
    MemberRegistered,
    MemberUpdated,
    VolunteerProfileUpdated,
)
from tests.integration.registry.conftest import events_of
from tests.privacy import personal


async def register(registry: RegistryRuntime, **fields: object) -> c.MemberInfo:
    values: dict[str, object] = {
        "name": "Ans de Vries",
        "email": "ans@example.nl",
        "postcode": "3561 AB",
        "house_number": "12",
    }
    values.update(fields)
    personal(*(str(values[k]) for k in ("name", "email", "phone") if values.get(k)))
    return await registry.rpc.call(c.MEMBER_REGISTER, c.MemberRegister.model_validate(values))


async def make_coordinator(
    registry: RegistryRuntime, cooperative_id: str, **fields: object
) -> c.MemberInfo:
    """A resident who is then given the role (a trusted call) and joins the cooperative."""
    values: dict[str, object] = {
        "name": "Fatima Bakr",
        "email": "fatima@overvecht.example",
        "postcode": "3562",
    }
    values.update(fields)
    coordinator = await register(registry, **values)
    await registry.rpc.call(
        c.MEMBER_UPDATE,
        c.MemberUpdate(member_id=coordinator.member_id, roles=["resident", "coordinator"]),
    )
    coop = await registry.rpc.call(
        c.COOPERATIVE_GET, c.CooperativeRef(cooperative_id=cooperative_id)
    )
    await registry.rpc.call(
        c.COOPERATIVE_UPDATE,
        c.CooperativeUpdate(
            cooperative_id=cooperative_id,
            coordinator_ids=[*coop.coordinator_ids, coordinator.member_id],
        ),
    )
    return coordinator


async def test_registration_places_the_member_and_announces_only_ids_and_area(
    registry: RegistryRuntime, nats_url: str
) -> None:
    member = await register(registry, phone="06 1234 5678", consents={"matching": True})
    assert member.neighbourhood == "BU03440312"
    assert member.district == "WK034403"
    assert member.phone == "+31612345678"
    assert member.first_name == "Ans"
    assert member.consents["matching"].granted is True

    [event] = await events_of(nats_url, MemberRegistered.TYPE)
    assert event.area == AreaRef.from_code("BU03440312")
    assert event.subject == "samen.evt.member.registered.GM0344.WK034403.BU03440312"
    assert event.payload(MemberRegistered).member_id == member.member_id


async def test_email_is_unique_whatever_its_case(registry: RegistryRuntime) -> None:
    await register(registry)
    with pytest.raises(Conflict, match="registered already"):
        await register(registry, name="Someone Else", email="ANS@Example.NL")
    found = await registry.rpc.call(
        c.MEMBER_FIND_BY_EMAIL, c.MemberByEmail(email=" Ans@EXAMPLE.nl ")
    )
    assert found.name == "Ans de Vries"


async def test_a_known_address_with_bad_fields_is_refused_for_the_fields_first(
    registry: RegistryRuntime,
) -> None:
    """The gateway answers a taken address as a new one; that holds only if bad input is
    refused the same way whether or not the address is known."""
    await register(registry)
    with pytest.raises(Invalid):
        await register(registry, email="ans@example.nl", postcode="9999 ZZ")


async def test_bad_input_names_every_field_and_changes_nothing(
    registry: RegistryRuntime,
) -> None:
    with pytest.raises(Invalid) as caught:
        await register(
            registry, name=" ", email="not-an-email", postcode="1234", house_number="twelve"
        )
    fields = {e["field"] for e in cast(list[dict[str, str]], caught.value.details["errors"])}
    assert fields == {"name", "email", "postcode", "house_number"}
    assert "not in a known municipality" in caught.value.message
    with pytest.raises(NotFound):
        await registry.rpc.call(c.MEMBER_FIND_BY_EMAIL, c.MemberByEmail(email="not-an-email@x.nl"))


async def test_someone_needs_an_email_or_a_phone_unless_a_coordinator_registers_them(
    registry: RegistryRuntime,
) -> None:
    with pytest.raises(Invalid, match="e-mail address or a phone number"):
        await register(registry, email=None)
    coordinator = await make_coordinator(registry, "utrecht-overvecht")
    member = await register(
        registry,
        name="Henk Jansen",
        email=None,
        postcode="3563",
        registered_by=coordinator.member_id,
    )
    contact = await registry.rpc.call(c.MEMBER_CONTACT, c.MemberRef(member_id=member.member_id))
    assert contact.email is None and contact.phone is None
    assert contact.via_coordinator_id == coordinator.member_id


async def test_a_resident_with_a_phone_but_no_email_is_still_reached_through_the_coordinator(
    registry: RegistryRuntime,
) -> None:
    """Samen cannot write to a phone: the coordinator passes his messages on (journey 4)."""
    coordinator = await make_coordinator(registry, "utrecht-overvecht")
    member = await register(
        registry,
        name="Gerrit Hoekstra",
        email=None,
        phone="030 765 4321",
        postcode="3563",
        registered_by=coordinator.member_id,
    )
    contact = await registry.rpc.call(c.MEMBER_CONTACT, c.MemberRef(member_id=member.member_id))
    assert contact.phone == "+31307654321"
    assert contact.via_coordinator_id == coordinator.member_id


async def test_a_coordinator_registers_only_within_their_cooperatives_area(
    registry: RegistryRuntime,
) -> None:
    coordinator = await make_coordinator(registry, "utrecht-overvecht")
    with pytest.raises(Forbidden):
        await register(
            registry,
            name="Kees Oost",
            email=None,
            phone="030 123 4567",
            postcode="3583",  # Oost, not Overvecht
            registered_by=coordinator.member_id,
        )


async def test_only_admins_give_the_coordinator_role(registry: RegistryRuntime) -> None:
    coordinator = await make_coordinator(registry, "utrecht-overvecht")
    with pytest.raises(Forbidden, match="only an admin"):
        await register(
            registry,
            name="Kees Helper",
            email="kees@example.nl",
            roles=["coordinator"],
            actor_id=coordinator.member_id,
        )
    member = await register(registry)
    with pytest.raises(Forbidden):
        await registry.rpc.call(
            c.MEMBER_UPDATE,
            c.MemberUpdate(
                member_id=member.member_id,
                actor_id=member.member_id,
                roles=["resident", "admin"],
            ),
        )


async def test_a_member_sees_themselves_but_not_others(registry: RegistryRuntime) -> None:
    ans = await register(registry)
    bram = await register(registry, name="Bram Smit", email="bram@example.nl")
    own = await registry.rpc.call(
        c.MEMBER_GET, c.MemberQuery(member_id=ans.member_id, actor_id=ans.member_id)
    )
    assert own.email == "ans@example.nl"
    with pytest.raises(Forbidden):
        await registry.rpc.call(
            c.MEMBER_GET, c.MemberQuery(member_id=ans.member_id, actor_id=bram.member_id)
        )


async def test_update_moves_a_volunteer_and_announces_the_new_area(
    registry: RegistryRuntime, nats_url: str
) -> None:
    member = await register(registry, consents={"matching": True})
    await registry.rpc.call(
        c.VOLUNTEER_PROFILE_SET,
        c.VolunteerProfileSet(
            member_id=member.member_id,
            actor_id=member.member_id,
            categories=["groceries", "company"],
            availability=[AvailabilitySlot(weekday=1, start="09:00", end="12:00")],
            radius_km=3,
        ),
    )
    updated = await registry.rpc.call(
        c.MEMBER_UPDATE,
        c.MemberUpdate(
            member_id=member.member_id,
            actor_id=member.member_id,
            postcode="3583",
            house_number="7b",
            consents={"share_phone": True},
        ),
    )
    assert updated.district == "WK034405"
    assert updated.house_number == "7B"
    assert updated.consents["share_phone"].granted is True

    updates = await events_of(nats_url, MemberUpdated.TYPE, 2)
    moved = updates[-1].payload(MemberUpdated)
    assert set(moved.changed) >= {"postcode", "house_number", "neighbourhood", "consents"}
    assert updates[-1].area.district == "WK034405"
    profiles = await events_of(nats_url, VolunteerProfileUpdated.TYPE, 2)
    assert profiles[-1].area.district == "WK034405"
    profile = profiles[-1].payload(VolunteerProfileUpdated)
    assert profile.matching_consent is True
    assert profile.categories == ["groceries", "company"]


async def test_light_care_needs_a_certificate_of_conduct_date(
    registry: RegistryRuntime,
) -> None:
    member = await register(registry)
    profile = c.VolunteerProfileSet(
        member_id=member.member_id, categories=["light_care"], flexible=True
    )
    with pytest.raises(Invalid, match="certificate of conduct"):
        await registry.rpc.call(c.VOLUNTEER_PROFILE_SET, profile)
    saved = await registry.rpc.call(
        c.VOLUNTEER_PROFILE_SET,
        profile.model_copy(update={"certificate_of_conduct_date": date(2025, 3, 1)}),
    )
    assert saved.certificate_of_conduct_date == date(2025, 3, 1)
    info = await registry.rpc.call(c.MEMBER_GET, c.MemberQuery(member_id=member.member_id))
    assert "volunteer" in info.roles


async def test_pausing_a_profile_is_announced(registry: RegistryRuntime, nats_url: str) -> None:
    member = await register(registry, consents={"matching": True})
    request = c.VolunteerProfileSet(
        member_id=member.member_id, categories=["groceries"], flexible=True
    )
    await registry.rpc.call(c.VOLUNTEER_PROFILE_SET, request)
    await registry.rpc.call(c.VOLUNTEER_PROFILE_SET, request.model_copy(update={"active": False}))
    profiles = await events_of(nats_url, VolunteerProfileUpdated.TYPE, 2)
    assert [p.payload(VolunteerProfileUpdated).active for p in profiles] == [True, False]
    got = await registry.rpc.call(
        c.VOLUNTEER_PROFILE_GET, c.MemberQuery(member_id=member.member_id)
    )
    assert got.active is False


async def test_export_holds_everything_and_erasure_leaves_only_anonymous_figures(
    registry: RegistryRuntime, nats_url: str
) -> None:
    member = await register(registry, phone="0612345678", consents={"matching": True})
    await registry.rpc.call(
        c.VOLUNTEER_PROFILE_SET,
        c.VolunteerProfileSet(member_id=member.member_id, categories=["transport"], flexible=True),
    )
    export = await registry.rpc.call(
        c.MEMBER_EXPORT, c.MemberQuery(member_id=member.member_id, actor_id=member.member_id)
    )
    assert export.member.email == "ans@example.nl"
    assert export.consent_history[0].purpose == "matching"
    assert export.volunteer_profile is not None

    erased = await registry.rpc.call(
        c.MEMBER_ERASE, c.MemberQuery(member_id=member.member_id, actor_id=member.member_id)
    )
    assert erased.member_id == member.member_id
    [event] = await events_of(nats_url, MemberErased.TYPE)
    assert event.area.neighbourhood == "BU03440312"  # the figures still count the area
    member_verbs: tuple[AnyVerb, ...] = (c.MEMBER_GET, c.MEMBER_EXPORT, c.VOLUNTEER_PROFILE_GET)
    for verb in member_verbs:
        with pytest.raises(NotFound):
            await registry.rpc.call(verb, c.MemberQuery(member_id=member.member_id))
    with pytest.raises(NotFound):
        await registry.rpc.call(c.MEMBER_CONTACT, c.MemberRef(member_id=member.member_id))
    # The address is free again, and nothing personal stays in the row.
    again = await register(registry)
    assert again.member_id != member.member_id
    async with registry.sessions() as session:
        from services.registry.adapters.orm import members

        row = (
            (await session.execute(members.select().where(members.c.member_id == member.member_id)))
            .mappings()
            .one()
        )
    assert row["name"] is None and row["email"] is None and row["phone"] is None
    assert row["postcode"] is None and row["house_number"] is None
    assert row["neighbourhood"] == "BU03440312" and row["erased_at"] is not None


async def test_coordinators_list_the_members_of_their_area_only(
    registry: RegistryRuntime,
) -> None:
    coordinator = await make_coordinator(registry, "utrecht-overvecht")
    await register(registry, name="Piet Overvecht", email="piet@example.nl", postcode="3564")
    await register(registry, name="Karin Oost", email="karin@example.nl", postcode="3581")
    listed = await registry.rpc.call(
        c.MEMBER_LIST, c.MemberListQuery(actor_id=coordinator.member_id)
    )
    names = {m.name for m in listed.members}
    assert "Piet Overvecht" in names and "Karin Oost" not in names
    with pytest.raises(Forbidden):
        await registry.rpc.call(
            c.MEMBER_LIST, c.MemberListQuery(actor_id=coordinator.member_id, area_code="WK034405")
        )


async def test_giving_up_the_volunteer_role_pauses_the_profile_for_matching(
    registry: RegistryRuntime, nats_url: str
) -> None:
    member = await register(registry, consents={"matching": True})
    await registry.rpc.call(
        c.VOLUNTEER_PROFILE_SET,
        c.VolunteerProfileSet(member_id=member.member_id, categories=["garden"], flexible=True),
    )
    await registry.rpc.call(
        c.MEMBER_UPDATE,
        c.MemberUpdate(member_id=member.member_id, actor_id=member.member_id, roles=["resident"]),
    )
    profiles = await events_of(nats_url, VolunteerProfileUpdated.TYPE, 2)
    assert profiles[-1].payload(VolunteerProfileUpdated).active is False
    # Withdrawing the matching consent is announced too.
    await registry.rpc.call(
        c.MEMBER_UPDATE, c.MemberUpdate(member_id=member.member_id, consents={"matching": False})
    )
    profiles = await events_of(nats_url, VolunteerProfileUpdated.TYPE, 3)
    assert profiles[-1].payload(VolunteerProfileUpdated).matching_consent is False
    updates = await events_of(nats_url, MemberUpdated.TYPE, 3)
    assert updates[-1].payload(MemberUpdated).consents == {"matching": False}


async def test_many_contacts_in_one_call_leave_out_the_unknown_and_the_erased(
    registry: RegistryRuntime,
) -> None:
    coordinator = await make_coordinator(registry, "utrecht-overvecht")
    ans = await register(registry)
    await registry.rpc.call(
        c.MEMBER_UPDATE,
        c.MemberUpdate(
            member_id=ans.member_id, actor_id=ans.member_id, consents={"share_phone": True}
        ),
    )
    henk = await register(
        registry,
        name="Henk Jansen",
        email=None,
        postcode="3563",
        registered_by=coordinator.member_id,
    )
    gone = await register(registry, name="Piet Veld", email="piet@example.nl")
    await registry.rpc.call(
        c.MEMBER_ERASE, c.MemberQuery(member_id=gone.member_id, actor_id=gone.member_id)
    )
    ids = [ans.member_id, henk.member_id, gone.member_id, "no-such-member"]
    found = await registry.rpc.call(c.MEMBER_CONTACTS, c.MemberRefs(member_ids=ids))
    by_id = {contact.member_id: contact for contact in found.contacts}
    assert set(by_id) == {ans.member_id, henk.member_id}
    # The same answer, field for field, as asking for each member alone.
    for member_id, contact in by_id.items():
        alone = await registry.rpc.call(c.MEMBER_CONTACT, c.MemberRef(member_id=member_id))
        assert contact == alone
    assert by_id[ans.member_id].share_phone_with_match is True
    assert by_id[henk.member_id].via_coordinator_id == coordinator.member_id
    with pytest.raises(Invalid):
        await registry.rpc.call_unchecked(
            c.MEMBER_CONTACTS, {"member_ids": [f"m{n}" for n in range(c.MAX_CONTACTS_PER_CALL + 1)]}
        )
