"""The registry's volunteer, cooperative and import use cases against the unit of work held in
memory: offering help, the certificate of conduct on file and its reminders, pauses that end,
who may coordinate, a members file imported twice, and one uploaded in the web."""

from datetime import date, timedelta

import pytest

from services.registry.service_layer import cooperatives, member_imports, members, volunteers
from services.registry.service_layer.imports import import_members
from shared.contracts.registry import MemberImportPart, MemberImportQuery
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.events import (
    MemberUpdated,
    VolunteerCertificateExpiring,
    VolunteerProfileUpdated,
)
from tests.unit.registry.world import OVERVECHT_ZUID, START, TAAG, World

TODAY = START.date()
ISSUED = date(2025, 6, 1)  # a certificate of conduct well within its three years


async def test_offering_help_makes_a_resident_a_volunteer_and_tells_matching(
    world: World,
) -> None:
    ans = await world.register(consents={"matching": True})

    profile = await world.offer_help(ans.member_id, ("groceries", "transport"), radius_km=3)

    assert profile.categories == ["groceries", "transport"]
    assert (profile.radius_km, profile.matching_consent) == (3.0, True)
    assert profile.neighbourhood == ans.neighbourhood
    assert world.db.tables.members[ans.member_id].roles == ["resident", "volunteer"]
    role, offered = world.db.events[-2:]
    assert role.payload(MemberUpdated).changed == ["roles"]
    assert offered.payload(VolunteerProfileUpdated).categories == ["groceries", "transport"]
    read = await volunteers.get_profile(member_id=ans.member_id, uow=world.db.uow())
    assert read == profile


async def test_a_profile_is_read_by_its_volunteer_and_her_coordinators_only(world: World) -> None:
    coordinator = await world.coordinator()
    ans = await world.register()
    bram = await world.register("Bram de Boer", "bram@example.nl")
    with pytest.raises(NotFound):
        await volunteers.get_profile(member_id=ans.member_id, uow=world.db.uow())
    await world.offer_help(ans.member_id)

    seen = await volunteers.get_profile(
        member_id=ans.member_id, uow=world.db.uow(), actor_id=coordinator.member_id
    )
    assert seen.member_id == ans.member_id
    with pytest.raises(Forbidden):
        await volunteers.get_profile(
            member_id=ans.member_id, uow=world.db.uow(), actor_id=bram.member_id
        )


async def test_light_care_needs_a_certificate_of_conduct_on_file(world: World) -> None:
    ans = await world.register()
    with pytest.raises(Invalid, match="certificate of conduct"):
        await world.offer_help(ans.member_id, ("light_care",))
    assert ans.member_id not in world.db.tables.profiles

    profile = await world.offer_help(
        ans.member_id, ("light_care",), certificate_of_conduct_date=ISSUED
    )
    assert profile.certificate_of_conduct_date == ISSUED
    assert world.db.events[-1].payload(VolunteerProfileUpdated).certificate_of_conduct


async def test_the_certificate_on_file_and_its_reminder_stay_until_a_new_date(
    world: World,
) -> None:
    ans = await world.register()
    issued = TODAY.replace(year=TODAY.year - 3) + timedelta(days=30)  # runs out within 60 days
    await world.offer_help(ans.member_id, ("light_care",), certificate_of_conduct_date=issued)
    assert await volunteers.remind_certificates(world.db.uow) == 1

    again = await world.offer_help(
        ans.member_id, ("light_care", "groceries"), certificate_of_conduct_date=issued
    )

    assert again.certificate_of_conduct_date == issued
    assert world.db.tables.profiles[ans.member_id].certificate_notice == "expiring"
    assert await volunteers.remind_certificates(world.db.uow) == 0  # told once
    await world.offer_help(ans.member_id, ("light_care",), certificate_of_conduct_date=ISSUED)
    assert world.db.tables.profiles[ans.member_id].certificate_notice is None


async def test_a_certificate_is_reminded_before_and_on_the_day_it_runs_out(world: World) -> None:
    coordinator = await world.coordinator()
    ans = await world.register()
    issued = TODAY.replace(year=TODAY.year - 3) + timedelta(days=30)
    await world.offer_help(ans.member_id, ("light_care",), certificate_of_conduct_date=issued)
    since = len(world.db.events)

    assert await volunteers.remind_certificates(world.db.uow) == 1
    [warning] = world.db.events[since:]
    told = warning.payload(VolunteerCertificateExpiring)
    assert (told.member_id, told.expired) == (ans.member_id, False)
    assert told.expires_on == issued.replace(year=issued.year + 3)
    assert told.cooperative_id == OVERVECHT_ZUID  # the most local one with coordinators
    assert coordinator.member_id in world.db.tables.cooperatives[OVERVECHT_ZUID].coordinator_ids

    world.clock.advance(timedelta(days=30))
    since = len(world.db.events)
    assert await volunteers.remind_certificates(world.db.uow) == 1
    profile, expired = world.db.events[since:]
    assert not profile.payload(VolunteerProfileUpdated).certificate_of_conduct
    assert expired.payload(VolunteerCertificateExpiring).expired
    assert await volunteers.remind_certificates(world.db.uow) == 0


async def test_losing_the_volunteer_role_pauses_the_profile_and_keeps_its_certificate(
    world: World,
) -> None:
    ans = await world.register(roles=["resident", "volunteer"])
    await world.offer_help(ans.member_id, ("light_care",), certificate_of_conduct_date=ISSUED)
    since = len(world.db.events)

    await members.update_member(
        member_id=ans.member_id, changes={"roles": ["resident"]}, uow=world.db.uow()
    )

    stored = world.db.tables.profiles[ans.member_id].draft
    assert not stored.active
    assert stored.certificate_of_conduct_date == ISSUED
    assert world.db.event_types(since) == ["member.updated", "volunteer.profile_updated"]
    assert not world.db.events[-1].payload(VolunteerProfileUpdated).active


async def test_a_pause_with_a_return_day_ends_by_itself_that_day(world: World) -> None:
    ans = await world.register()
    back = TODAY + timedelta(days=2)
    paused = await world.offer_help(ans.member_id, active=False, paused_until=back)
    assert (paused.active, paused.paused_until) == (False, back)
    assert await volunteers.resume_due_profiles(world.db.uow) == 0

    world.clock.advance(timedelta(days=2))
    since = len(world.db.events)
    assert await volunteers.resume_due_profiles(world.db.uow) == 1

    resumed = world.db.tables.profiles[ans.member_id].draft
    assert (resumed.active, resumed.paused_until) == (True, None)
    [event] = world.db.events[since:]
    assert event.payload(VolunteerProfileUpdated).active
    assert await volunteers.resume_due_profiles(world.db.uow) == 0


async def test_only_a_coordinator_or_an_admin_coordinates_a_cooperative(world: World) -> None:
    ans = await world.register()
    with pytest.raises(Invalid, match="coordinator role"):
        await cooperatives.update_cooperative(
            cooperative_id=OVERVECHT_ZUID, coordinator_ids=[ans.member_id], uow=world.db.uow()
        )
    with pytest.raises(Invalid, match="no member"):
        await cooperatives.update_cooperative(
            cooperative_id=OVERVECHT_ZUID, coordinator_ids=["nobody"], uow=world.db.uow()
        )
    assert world.db.tables.cooperatives[OVERVECHT_ZUID].coordinator_ids == []


ROWS = [
    {"name": "Henk Jansen", "postcode": f"{TAAG} XY", "house_number": "3"},
    {
        "name": "Mira Bos",
        "email": "mira@example.nl",
        "postcode": f"{TAAG} AB",
        "house_number": "7b",
        "roles": "resident,volunteer",
        "consent_matching": "ja",
        "categories": "groceries",
        "flexible": "ja",
    },
    {"name": "Nobody", "postcode": "9999 ZZ", "house_number": "1"},
]


async def test_a_members_file_imported_twice_adds_everyone_once(world: World) -> None:
    coordinator = await world.coordinator()

    report = await import_members(
        ROWS, uow_factory=world.db.uow, registered_by=coordinator.member_id
    )

    assert (report.imported, report.volunteers, report.events) == (2, 1, 3)
    assert [r.line for r in report.rejected] == [4]
    mira = next(m for m in world.db.tables.members.values() if m.name == "Mira Bos")
    assert (mira.house_number, mira.registered_by) == ("7B", coordinator.member_id)
    assert world.db.tables.profiles[mira.member_id].draft.categories == ["groceries"]
    assert list(world.db.tables.invitations) == [mira.member_id]  # Henk has no e-mail
    assert [c.purpose for c in world.db.tables.consents[mira.member_id]] == ["matching"]

    again = await import_members(
        ROWS, uow_factory=world.db.uow, registered_by=coordinator.member_id
    )
    assert (again.imported, again.already_imported) == (0, 2)
    assert len(world.db.tables.members) == 3  # the coordinator, Henk and Mira


async def test_a_file_uploaded_in_parts_is_imported_by_its_coordinator_and_then_forgotten(
    world: World,
) -> None:
    coordinator = await world.coordinator()
    ans = await world.register()
    header = "name,postcode,house_number\n"
    first = await member_imports.receive_part(
        MemberImportPart(actor_id=coordinator.member_id, file_name="leden.csv", seq=0, text=header),
        uow=world.db.uow(),
    )
    assert first.state == "receiving"
    with pytest.raises(Conflict):  # part 1 comes next
        await member_imports.receive_part(
            MemberImportPart(
                actor_id=coordinator.member_id, import_id=first.import_id, seq=2, text=""
            ),
            uow=world.db.uow(),
        )
    whole = await member_imports.receive_part(
        MemberImportPart(
            actor_id=coordinator.member_id,
            import_id=first.import_id,
            seq=1,
            text=f"Henk Jansen,{TAAG} XY,3\nPiet Oost,3581 AA,4\n",
            last=True,
        ),
        uow=world.db.uow(),
    )
    assert whole.state == "waiting"

    assert await member_imports.claim_next(world.db.uow) == first.import_id
    await member_imports.run_import(first.import_id, make_uow=world.db.uow, live={})

    done = await member_imports.get_import(
        MemberImportQuery(actor_id=coordinator.member_id, import_id=first.import_id),
        uow=world.db.uow(),
    )
    assert (done.state, done.imported, done.rejected_count) == ("done", 1, 1)
    assert "outside your cooperative" in done.rejected[0].reason  # Oost is not hers
    assert first.import_id not in world.db.tables.import_parts  # the file is not kept
    with pytest.raises(NotFound):  # only she, or an admin, sees it
        await member_imports.get_import(
            MemberImportQuery(actor_id=ans.member_id, import_id=first.import_id),
            uow=world.db.uow(),
        )
