"""A pause with a return day: the profile resumes by itself that day (the cooperative's local
day, by the registry's clock), also after a restart, and matching hears of it by event."""

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from services.registry.bootstrap import build
from shared.clock import FrozenClock
from shared.contracts import registry as c
from shared.errors import Invalid
from shared.events import VolunteerProfileUpdated
from shared.settings import Settings
from tests.integration.registry.conftest import events_of

pytestmark = pytest.mark.integration

# Sunday 4 January 2026, 20:00 in Utrecht.
EVENING = datetime(2026, 1, 4, 19, 0, tzinfo=UTC)
RETURN_DAY = date(2026, 1, 6)


async def test_a_paused_profile_resumes_by_itself_on_its_return_day_after_a_restart(
    settings_for: Callable[[str], Settings], nats_url: str
) -> None:
    clock = FrozenClock(EVENING)
    settings = settings_for("registry")
    registry = build(settings, clock)
    await registry.start()
    try:
        member = await registry.rpc.call(
            c.MEMBER_REGISTER,
            c.MemberRegister(
                name="Els Visser",
                email="els@example.nl",
                postcode="3561 AB",
                house_number="5",
                roles=["resident", "volunteer"],
                consents={"matching": True},
            ),
        )
        paused = await registry.rpc.call(
            c.VOLUNTEER_PROFILE_SET,
            c.VolunteerProfileSet(
                member_id=member.member_id,
                actor_id=member.member_id,
                categories=["groceries"],
                flexible=True,
                active=False,
                paused_until=RETURN_DAY,
            ),
        )
        assert paused.active is False and paused.paused_until == RETURN_DAY
        with pytest.raises(Invalid):  # a return day lies after today
            await registry.rpc.call(
                c.VOLUNTEER_PROFILE_SET,
                c.VolunteerProfileSet(
                    member_id=member.member_id,
                    actor_id=member.member_id,
                    categories=["groceries"],
                    flexible=True,
                    active=False,
                    paused_until=date(2026, 1, 4),
                ),
            )
        clock.advance(timedelta(hours=27))  # Monday 23:00 in Utrecht: not yet
        assert await registry.volunteer_days.tick() == 0
    finally:
        await registry.stop()

    clock.advance(timedelta(hours=1, minutes=30))  # Tuesday 00:30 in Utrecht: the day
    restarted = build(settings, clock)
    await restarted.start()
    try:
        assert await restarted.volunteer_days.tick() == 1
        assert await restarted.volunteer_days.tick() == 0  # once
        profile = await restarted.rpc.call(
            c.VOLUNTEER_PROFILE_GET,
            c.MemberQuery(member_id=member.member_id, actor_id=member.member_id),
        )
        assert profile.active is True and profile.paused_until is None
        updates = await events_of(nats_url, VolunteerProfileUpdated.TYPE, count=2)
        last = updates[-1].payload(VolunteerProfileUpdated)
        assert last.member_id == member.member_id and last.active is True
    finally:
        await restarted.stop()


async def test_a_profile_resumed_by_hand_before_its_day_is_left_alone(
    settings_for: Callable[[str], Settings],
) -> None:
    clock = FrozenClock(EVENING)
    registry = build(settings_for("registry"), clock)
    await registry.start()
    try:
        member = await registry.rpc.call(
            c.MEMBER_REGISTER,
            c.MemberRegister(
                name="Piet Smit",
                email="piet@example.nl",
                postcode="3561 AB",
                house_number="6",
                roles=["resident", "volunteer"],
            ),
        )
        profile = {
            "member_id": member.member_id,
            "actor_id": member.member_id,
            "categories": ["groceries"],
            "flexible": True,
        }
        await registry.rpc.call(
            c.VOLUNTEER_PROFILE_SET,
            c.VolunteerProfileSet(**profile, active=False, paused_until=RETURN_DAY),
        )
        back = await registry.rpc.call(
            c.VOLUNTEER_PROFILE_SET, c.VolunteerProfileSet(**profile, active=True)
        )
        assert back.paused_until is None
        clock.advance(timedelta(days=3))
        assert await registry.volunteer_days.tick() == 0
    finally:
        await registry.stop()
