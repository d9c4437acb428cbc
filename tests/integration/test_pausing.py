"""Pausing pauses, across the real registry, matching and notify: a volunteer who pauses has
their waiting proposals withdrawn, the next volunteer is asked at once, and the proposal
e-mail held for quiet hours never goes out."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from services.matching.bootstrap import build as build_matching
from services.notify.bootstrap import assemble
from services.notify.config import NotifySettings
from services.registry.bootstrap import build as build_registry
from shared.clock import FrozenClock
from shared.contracts import matching as mc
from shared.contracts import registry as rc
from shared.errors import NotFound
from shared.settings import Settings
from tests.integration.notify.harness import (
    FAST,
    SmtpServer,
    advance,
    attempts_of,
    smtp,
    statuses,
)
from tests.support import eventually

pytestmark = pytest.mark.integration
__all__ = ["smtp"]

NIGHT = datetime(2026, 1, 5, 22, 30, tzinfo=UTC)  # 23:30 in Utrecht: quiet hours


async def test_pausing_withdraws_waiting_proposals_and_their_held_e_mail(
    settings_for: Callable[[str], Settings], smtp: SmtpServer
) -> None:
    clock = FrozenClock(NIGHT)
    registry = build_registry(settings_for("registry"))
    matching = build_matching(settings_for("matching"), clock, timer_poll_seconds=0.1)
    notify = assemble(
        settings_for("notify").model_copy(update={"public_url": "https://samen.example"}),
        clock,
        delivery=FAST,
        own=NotifySettings(smtp_url=smtp.url),
    )
    await registry.start()
    await matching.start()
    await notify.runtime.start()
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

        async def offer(member_id: str, *, active: bool = True) -> None:
            await registry.rpc.call(
                rc.VOLUNTEER_PROFILE_SET,
                rc.VolunteerProfileSet(
                    member_id=member_id,
                    actor_id=member_id,
                    categories=["groceries"],
                    flexible=True,
                    radius_km=2,
                    active=active,
                ),
            )

        resident = await register(81, ["resident"])
        first = await register(1, ["resident", "volunteer"])
        await offer(first)

        async def proposed() -> mc.RequestView | None:
            try:
                view = await matching.rpc.call(
                    mc.REQUEST_CREATE,
                    mc.RequestCreate(
                        requester_id=resident,
                        category="groceries",
                        description="Boodschappen op dinsdagochtend",
                        flexible=True,
                    ),
                )
            except NotFound:  # matching has not seen the registration yet
                return None
            if not view.proposals:  # the profile not handled yet: ask again
                await matching.rpc.call(
                    mc.REQUEST_CANCEL,
                    mc.RequestCancel(request_id=view.request_id, actor_id=resident),
                )
                return None
            return view

        view = await eventually(proposed, timeout=30, message="no proposal to the volunteer")
        assert view is not None and [p.volunteer_id for p in view.proposals] == [first]

        async def held() -> bool:
            return ("email", "held") in await attempts_of(notify)

        await eventually(held, timeout=30, message="the proposal e-mail was not held")
        second = await register(2, ["resident", "volunteer"])
        await offer(second)

        # The first volunteer pauses ("I am available now" unticked).
        await offer(first, active=False)

        async def moved_on() -> mc.RequestView | None:
            now = await matching.rpc.call(
                mc.REQUEST_GET, mc.RequestQuery(request_id=view.request_id, actor_id=resident)
            )
            states = {p.volunteer_id: p.state for p in now.proposals}
            return now if states.get(first) == "withdrawn" and second in states else None

        after = await eventually(moved_on, timeout=30, message="the proposal was not withdrawn")
        assert after is not None
        assert {p.volunteer_id: p.state for p in after.proposals} == {
            first: "withdrawn",
            second: "pending",
        }

        async def cancelled() -> bool:
            return (await statuses(notify)).get(f"proposal:{first}") == "cancelled"

        await eventually(cancelled, timeout=30, message="the held e-mail was not cancelled")
        advance(clock, notify, timedelta(hours=9))  # well past the quiet hours
        await notify.worker.run_once()
        mails = [m for m in smtp.to("buur1@example.nl") if "/p/" in str(m)]
        assert mails == []
        assert f"proposal_withdrawn:{first}" not in await statuses(notify)
    finally:
        await notify.runtime.stop()
        await matching.stop()
        await registry.stop()
