"""Notify with the real registry service: registry events reach notify over JetStream, and
notify fetches the real contact details over request/reply at send time."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from services.notify.bootstrap import Notify, assemble
from services.notify.config import NotifySettings
from services.registry.bootstrap import build as build_registry
from shared.clock import FrozenClock
from shared.contracts import notify as nc
from shared.contracts import registry as rc
from shared.contracts.notify import ErasureConfirmation
from shared.contracts.notify import MemberQuery as NotifyMemberQuery
from shared.contracts.registry import MemberInfo, MemberRegister
from shared.contracts.registry import MemberQuery as RegistryMemberQuery
from shared.events import RequestMatched
from shared.service import ServiceRuntime
from shared.settings import Settings
from tests.integration.notify.harness import FAST, MORNING, SmtpServer, publish, soon, text_of

pytestmark = pytest.mark.integration


@pytest.fixture
async def services(
    settings_for: Callable[[str], Settings], smtp: SmtpServer
) -> AsyncIterator[tuple[ServiceRuntime, Notify]]:
    registry = build_registry(settings_for("registry"))
    notify = assemble(
        settings_for("notify").model_copy(update={"public_url": "https://samen.example"}),
        FrozenClock(MORNING),
        delivery=FAST,
        own=NotifySettings(smtp_url=smtp.url),
    )
    await registry.start()
    await notify.runtime.start()
    yield registry, notify
    await notify.runtime.stop()
    await registry.stop()


async def register(registry: ServiceRuntime, **fields: object) -> MemberInfo:
    values: dict[str, object] = {"postcode": "3561 AB", "house_number": "12", **fields}
    return await registry.rpc.call(rc.MEMBER_REGISTER, MemberRegister.model_validate(values))


async def mails_to(smtp: SmtpServer, address: str, count: int = 1) -> list[object]:
    async def arrived() -> list[object]:
        found = smtp.to(address)
        return list(found) if len(found) >= count else []

    return await soon(arrived, message=f"no e-mail to {address}")


async def test_a_new_member_gets_a_welcome_at_the_address_the_registry_holds(
    services: tuple[ServiceRuntime, Notify], smtp: SmtpServer
) -> None:
    registry, _ = services
    await register(registry, name="Ans de Vries", email="ans@example.org", language="en")
    welcome = (await mails_to(smtp, "ans@example.org"))[0]
    assert welcome["To"] == "Ans de Vries <ans@example.org>"  # type: ignore[index]
    assert welcome["Subject"] == "Welcome to Samen"  # type: ignore[index]


async def test_the_requester_sees_the_volunteers_phone_only_after_that_consent(
    services: tuple[ServiceRuntime, Notify], smtp: SmtpServer
) -> None:
    registry, notify = services
    requester = await register(
        registry, name="Ans de Vries", email="ans@example.org", phone="0301234567"
    )
    volunteer = await register(
        registry,
        name="Fatima El Amrani",
        email="fatima@example.org",
        phone="0612345678",
        roles=["volunteer"],
        consents={"matching": True, "share_phone": True},
    )
    await mails_to(smtp, "fatima@example.org")  # her welcome
    await publish(
        notify,
        RequestMatched(
            request_id="req-1", requester_id=requester.member_id, volunteer_id=volunteer.member_id
        ),
    )
    to_requester = (await mails_to(smtp, "ans@example.org", 2))[1]
    assert to_requester["Subject"].startswith("Fatima helpt u")  # type: ignore[index]
    assert "+31612345678" in text_of(to_requester)  # type: ignore[arg-type]
    to_volunteer = (await mails_to(smtp, "fatima@example.org", 2))[1]
    assert "U helpt Ans" in text_of(to_volunteer)  # type: ignore[arg-type]
    assert "301234567" not in text_of(to_volunteer)  # type: ignore[arg-type]


async def test_an_erased_member_gets_the_confirmation_and_notify_keeps_nothing(
    services: tuple[ServiceRuntime, Notify], smtp: SmtpServer
) -> None:
    registry, notify = services
    member = await register(registry, name="Kees Bakker", email="kees@example.org")
    await mails_to(smtp, "kees@example.org")
    # What the gateway does: ask notify for the confirmation first, then erase in the registry.
    await notify.runtime.rpc.call(
        nc.ERASURE_CONFIRM, ErasureConfirmation(member_id=member.member_id)
    )
    await registry.rpc.call(rc.MEMBER_ERASE, RegistryMemberQuery(member_id=member.member_id))
    confirmation = (await mails_to(smtp, "kees@example.org", 2))[1]
    assert confirmation["Subject"] == "Uw gegevens zijn gewist"  # type: ignore[index]

    async def forgotten() -> bool:
        export = await notify.runtime.rpc.call(
            nc.MEMBER_EXPORT, NotifyMemberQuery(member_id=member.member_id)
        )
        return not export.inbox and not export.notifications and not export.deliveries

    await soon(forgotten, message="notify still holds the member's data")
