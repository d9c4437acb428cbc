"""Journey 1 of docs/design.md across two real services: the registry registers a resident
and three volunteers in Overvecht; matching learns of them from the registry's events alone
and proposes the resident's request to the three neighbours."""

from collections.abc import Callable

import pytest

from services.matching.bootstrap import build as build_matching
from services.registry.bootstrap import build as build_registry
from shared.contracts import matching as mc
from shared.contracts import registry as rc
from shared.errors import NotFound
from shared.settings import Settings
from shared.streams import ConsumerSpec
from tests.support import eventually

pytestmark = pytest.mark.integration


async def test_a_request_reaches_the_volunteers_the_registry_registered_nearby(
    settings_for: Callable[[str], Settings],
) -> None:
    registry = build_registry(settings_for("registry"))
    matching = build_matching(settings_for("matching"), timer_poll_seconds=0.1)
    await registry.start()
    await matching.start()
    try:

        async def register(n: int, roles: list[str]) -> str:
            info = await registry.rpc.call(
                rc.MEMBER_REGISTER,
                rc.MemberRegister(
                    name=f"Buur {n}",
                    email=f"buur{n}@example.nl",
                    postcode="3561 AB",
                    house_number=str(n),
                    roles=roles,
                    consents={"matching": True},
                ),
            )
            return info.member_id

        resident = await register(81, ["resident"])
        volunteers = []
        for n in range(3):
            member_id = await register(n + 1, ["resident", "volunteer"])
            await registry.rpc.call(
                rc.VOLUNTEER_PROFILE_SET,
                rc.VolunteerProfileSet(
                    member_id=member_id, categories=["groceries"], flexible=True, radius_km=2
                ),
            )
            volunteers.append(member_id)

        ask = mc.RequestCreate(
            requester_id=resident,
            category="groceries",
            description="Boodschappen op dinsdagochtend",
            flexible=True,
        )

        async def proposed() -> mc.RequestView | None:
            try:
                view = await matching.rpc.call(mc.REQUEST_CREATE, ask)
            except NotFound:  # matching has not seen the registration yet
                return None
            if len(view.proposals) < 3:  # not every profile event handled yet: ask again
                await matching.rpc.call(
                    mc.REQUEST_CANCEL,
                    mc.RequestCancel(request_id=view.request_id, actor_id=resident),
                )
                return None
            return view

        view = await eventually(proposed, timeout=30, message="no proposals to the neighbours")
        assert view is not None
        assert view.neighbourhood is not None and view.neighbourhood.startswith("BU0344")
        assert sorted(p.volunteer_id for p in view.proposals) == sorted(volunteers)
    finally:
        await matching.stop()
        await registry.stop()


async def test_a_member_registered_a_moment_ago_can_ask_before_matching_hears_of_them(
    settings_for: Callable[[str], Settings],
) -> None:
    """After a large import the registry's events may be minutes behind a new registration:
    matching then asks the registry instead of answering "unknown member" (a 404 on the
    resident's POST /requests). Here matching hears no registry event at all."""
    registry = build_registry(settings_for("registry"))
    deaf = ConsumerSpec(
        service="matching", durable="matching-far-behind", filter_subjects=("samen.evt.none.>",)
    )
    matching = build_matching(settings_for("matching"), timer_poll_seconds=0.1, consumer=deaf)
    await registry.start()
    await matching.start()
    try:

        async def register(house_number: str, consent: bool) -> rc.MemberInfo:
            return await registry.rpc.call(
                rc.MEMBER_REGISTER,
                rc.MemberRegister(
                    name="Nieuwe Buur",
                    email=f"nieuw{house_number}@example.nl",
                    postcode="3561 AB",
                    house_number=house_number,
                    roles=["resident"],
                    consents={"matching": consent},
                ),
            )

        def ask(requester_id: str) -> mc.RequestCreate:
            return mc.RequestCreate(
                requester_id=requester_id,
                category="groceries",
                description="Boodschappen",
                flexible=True,
            )

        willing = await register("90", consent=True)
        view = await matching.rpc.call(mc.REQUEST_CREATE, ask(willing.member_id))
        assert view.neighbourhood == willing.neighbourhood
        assert view.escalation_reason != "no_matching_consent"

        # What the registry said is what the events would have said: consent included.
        unwilling = await register("91", consent=False)
        view = await matching.rpc.call(mc.REQUEST_CREATE, ask(unwilling.member_id))
        assert view.escalation_reason == "no_matching_consent"

        with pytest.raises(NotFound):  # nobody the registry knows either
            await matching.rpc.call(mc.REQUEST_CREATE, ask("01a00000-0000-7000-8000-000000000000"))
    finally:
        await matching.stop()
        await registry.stop()
