"""Consent does what its sentence says, across the real registry and matching: a resident who
did not agree that "my details may be used to find a match" is not matched automatically; the
request goes straight to the coordinator's board."""

from collections.abc import Callable

import pytest

from services.matching.bootstrap import build as build_matching
from services.registry.bootstrap import build as build_registry
from shared.contracts import matching as mc
from shared.contracts import registry as rc
from shared.errors import NotFound
from shared.settings import Settings
from tests.support import eventually

pytestmark = pytest.mark.integration


async def test_a_resident_without_matching_consent_goes_to_the_coordinator_not_to_volunteers(
    settings_for: Callable[[str], Settings],
) -> None:
    registry = build_registry(settings_for("registry"))
    matching = build_matching(settings_for("matching"), timer_poll_seconds=0.1)
    await registry.start()
    await matching.start()
    try:

        async def register(n: int, roles: list[str], consent: bool) -> str:
            info = await registry.rpc.call(
                rc.MEMBER_REGISTER,
                rc.MemberRegister(
                    name=f"Buur {n}",
                    email=f"buur{n}@example.nl",
                    postcode="3561 AB",
                    house_number=str(n),
                    roles=roles,
                    consents={"matching": consent},  # as the registration page posts it
                ),
            )
            return info.member_id

        for n in range(2):
            volunteer = await register(n + 1, ["resident", "volunteer"], consent=True)
            await registry.rpc.call(
                rc.VOLUNTEER_PROFILE_SET,
                rc.VolunteerProfileSet(
                    member_id=volunteer, categories=["groceries"], flexible=True, radius_km=2
                ),
            )
        willing = await register(80, ["resident"], consent=True)
        unwilling = await register(81, ["resident"], consent=False)

        def ask(requester: str) -> mc.RequestCreate:
            return mc.RequestCreate(
                requester_id=requester,
                category="groceries",
                description="Boodschappen op dinsdagochtend",
                flexible=True,
            )

        async def created(requester: str, proposals: int) -> mc.RequestView | None:
            try:
                view = await matching.rpc.call(mc.REQUEST_CREATE, ask(requester))
            except NotFound:  # matching has not seen the registration yet
                return None
            if len(view.proposals) < proposals:  # profiles not all handled yet: ask again
                await matching.rpc.call(
                    mc.REQUEST_CANCEL,
                    mc.RequestCancel(request_id=view.request_id, actor_id=requester),
                )
                return None
            return view

        # The volunteers are known to matching: a consenting neighbour's request reaches them.
        proposed = await eventually(lambda: created(willing, 2), timeout=30, message="no match")
        assert proposed is not None and proposed.state == "proposed"

        view = await eventually(lambda: created(unwilling, 0), timeout=30, message="not known")
        assert view is not None
        assert view.proposals == []
        assert view.state == "escalated"
        assert view.escalation_reason == "no_matching_consent"

        board = await matching.rpc.call(
            mc.COORDINATOR_BOARD,
            mc.BoardQuery(coordinator_id="coordinator-1", area_codes=["GM0344"]),
        )
        escalated = {r.request_id: r for r in board.requests.get("escalated", [])}
        assert escalated[view.request_id].escalation_reason == "no_matching_consent"
    finally:
        await matching.stop()
        await registry.stop()
