"""A certificate of conduct (VOG) that runs out: the registry's day job announces it two months
ahead and on the day, once each; notify tells the volunteer and the coordinators of their area;
matching hears that an expired certificate no longer counts (no more light care)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import pytest

from services.notify.bootstrap import Notify, assemble
from services.notify.config import NotifySettings
from services.registry.bootstrap import RegistryRuntime
from services.registry.bootstrap import build as build_registry
from shared.certificates import certificate_expires
from shared.clock import FrozenClock
from shared.contracts import registry as c
from shared.events import VolunteerCertificateExpiring, VolunteerProfileUpdated
from shared.settings import Settings
from tests.integration.notify.harness import FAST, MORNING, SmtpServer, soon, text_of
from tests.integration.registry.conftest import events_of

pytestmark = pytest.mark.integration

TODAY = MORNING.date()  # Monday 5 January 2026
# Issued three years and 30 days before it runs out: inside the two months' warning.
ISSUED = TODAY.replace(year=TODAY.year - 3) + timedelta(days=30)
EXPIRES = TODAY + timedelta(days=30)


@pytest.fixture
async def services(
    settings_for: Callable[[str], Settings], smtp: SmtpServer
) -> AsyncIterator[tuple[RegistryRuntime, Notify, FrozenClock]]:
    clock = FrozenClock(MORNING)
    registry = build_registry(settings_for("registry"), clock)
    notify = assemble(
        settings_for("notify").model_copy(update={"public_url": "https://samen.example"}),
        clock,
        delivery=FAST,
        own=NotifySettings(smtp_url=smtp.url),
    )
    await registry.start()
    await notify.runtime.start()
    yield registry, notify, clock
    await notify.runtime.stop()
    await registry.stop()


async def register(registry: RegistryRuntime, **fields: object) -> c.MemberInfo:
    values: dict[str, object] = {"postcode": "3561 AB", "house_number": "12", **fields}
    return await registry.rpc.call(c.MEMBER_REGISTER, c.MemberRegister.model_validate(values))


async def coordinator_of_overvecht(registry: RegistryRuntime) -> c.MemberInfo:
    coordinator = await register(registry, name="Marieke Jansen", email="marieke@example.org")
    await registry.rpc.call(
        c.MEMBER_UPDATE,
        c.MemberUpdate(member_id=coordinator.member_id, roles=["resident", "coordinator"]),
    )
    await registry.rpc.call(
        c.COOPERATIVE_UPDATE,
        c.CooperativeUpdate(
            cooperative_id="utrecht-overvecht", coordinator_ids=[coordinator.member_id]
        ),
    )
    return coordinator


async def volunteer(
    registry: RegistryRuntime, name: str, email: str, categories: list[str]
) -> c.MemberInfo:
    member = await register(
        registry, name=name, email=email, roles=["volunteer"], consents={"matching": True}
    )
    await registry.rpc.call(
        c.VOLUNTEER_PROFILE_SET,
        c.VolunteerProfileSet(
            member_id=member.member_id,
            actor_id=member.member_id,
            categories=categories,
            flexible=True,
            certificate_of_conduct_date=ISSUED,
        ),
    )
    return member


async def mails(smtp: SmtpServer, address: str, subject_start: str, count: int = 1) -> list[str]:
    async def arrived() -> list[str]:
        found = [m for m in smtp.to(address) if str(m["Subject"]).startswith(subject_start)]
        return [text_of(m) for m in found] if len(found) >= count else []

    return await soon(arrived, message=f"no {subject_start!r} to {address}")


async def test_volunteer_and_coordinator_hear_ahead_and_on_the_day_and_matching_drops_the_vog(
    services: tuple[RegistryRuntime, Notify, FrozenClock], smtp: SmtpServer, nats_url: str
) -> None:
    registry, _, clock = services
    await coordinator_of_overvecht(registry)
    fatima = await volunteer(registry, "Fatima El Amrani", "fatima@example.org", ["light_care"])
    # Gardening needs no certificate: its volunteer is not bothered about one.
    await volunteer(registry, "Kees Bakker", "kees@example.org", ["garden"])

    assert await registry.volunteer_days.remind() == 1
    assert await registry.volunteer_days.remind() == 0  # once per stage
    [ahead] = await mails(smtp, "fatima@example.org", "Uw VOG verloopt bijna")
    assert "verloopt op woensdag 4 februari 2026" in ahead
    [told] = await mails(smtp, "marieke@example.org", "VOG van Fatima verloopt bijna")
    assert "https://samen.example/board/volunteers" in told
    assert not [m for m in smtp.to("kees@example.org") if "VOG" in str(m["Subject"])]

    clock.advance(timedelta(days=29))  # the day before: nothing new
    assert await registry.volunteer_days.remind() == 0
    clock.advance(timedelta(days=1))  # the day it runs out
    assert await registry.volunteer_days.remind() == 1
    [gone] = await mails(smtp, "fatima@example.org", "Uw VOG is verlopen")
    assert "geen vragen voor lichte zorg" in gone
    await mails(smtp, "marieke@example.org", "VOG van Fatima is verlopen")

    notices = await events_of(nats_url, VolunteerCertificateExpiring.TYPE, count=2)
    assert [e.payload(VolunteerCertificateExpiring).expired for e in notices] == [False, True]
    assert {e.payload(VolunteerCertificateExpiring).expires_on for e in notices} == {EXPIRES}
    assert notices[0].payload(VolunteerCertificateExpiring).cooperative_id == "utrecht-overvecht"
    profiles = [
        e.payload(VolunteerProfileUpdated)
        for e in await events_of(nats_url, VolunteerProfileUpdated.TYPE, count=4)
    ]
    fatimas = [p for p in profiles if p.member_id == fatima.member_id]
    assert fatimas[0].certificate_of_conduct is True
    assert fatimas[-1].certificate_of_conduct is False  # matching stops asking light care

    # The coordinator records the new certificate: it counts again, with reminders of its own.
    renewed = await registry.rpc.call(
        c.VOLUNTEER_PROFILE_SET,
        c.VolunteerProfileSet(
            member_id=fatima.member_id,
            actor_id=fatima.member_id,
            categories=["light_care"],
            flexible=True,
            certificate_of_conduct_date=clock.now().date(),
        ),
    )
    assert renewed.certificate_of_conduct_date == clock.now().date()
    assert await registry.volunteer_days.remind() == 0
    renewal_warns = certificate_expires(clock.now().date()) - timedelta(days=60)
    clock.advance(renewal_warns - clock.now().date() - timedelta(days=1))
    assert await registry.volunteer_days.remind() == 0
    clock.advance(timedelta(days=1))
    assert await registry.volunteer_days.remind() == 1
