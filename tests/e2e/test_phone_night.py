"""Journey 6 of docs/design.md on a phone: at 23:00 an urgent request breaks the quiet hours
of the volunteers it is proposed to; a non-urgent one waits until 08:00.

The services run in this process on a real nats-server and real databases, all on one frozen
clock that the test moves (never the wall clock); the browser is real Chromium at 320 and
390 CSS px, with the same checks at every step as the other phone journeys.
"""

import asyncio
import contextlib
import email
import email.policy
import threading
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
import uvicorn

from samen.nats_server import free_port
from services.gateway.bootstrap import Gateway
from services.gateway.config import GatewaySettings
from services.gateway.limits import server_config
from services.gateway.main import create_app
from services.matching.bootstrap import build as build_matching
from services.notify.bootstrap import assemble
from services.notify.service_layer.delivery import DeliveryConfig
from services.registry.bootstrap import build as build_registry
from shared.clock import FrozenClock
from shared.settings import Settings
from tests.conftest import ExternalNats, start_nats
from tests.e2e.conftest import PHONE_WIDTHS, Api, Steps, caught_up
from tests.e2e.test_phone import phone, sign_in
from tests.support import TEST_SECRET_KEY, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.integration]

T = TypeVar("T")
ELEVEN_PM = datetime(2026, 1, 5, 22, 0, tzinfo=UTC)  # Monday 23:00 in Utrecht (CET)
QUICK = DeliveryConfig(
    attempts_per_channel=3,
    retry_base_seconds=60,
    registry_retry_seconds=5,
    sending_lease_seconds=120,
    poll_seconds=0.05,
)


@dataclass
class NightSystem:
    """What `tests.e2e.conftest.Api` and the helpers need of a running system, and the clock."""

    url: str
    nats_url: str
    data_dir: Path
    clock: FrozenClock
    run: Callable[[Coroutine[Any, Any, Any]], Any]
    wake: Callable[[], None]
    deliver: Callable[[], Coroutine[Any, Any, Any]]  # one round of notify's delivery worker
    env: dict[str, str] = field(default_factory=dict)

    def advance(self, delta: timedelta) -> None:
        self.clock.advance(delta)
        self.wake()


@pytest.fixture(scope="module")
def night(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NightSystem]:
    tmp = tmp_path_factory.mktemp("night")
    nats = start_nats(tmp / "jetstream")
    clock = FrozenClock(ELEVEN_PM)
    port = free_port()
    url = f"http://127.0.0.1:{port}"

    def settings(service: str, **changes: Any) -> Settings:
        return Settings(
            env="test",
            nats_url=nats.url,
            database_url=f"sqlite+aiosqlite:///{tmp / f'{service}.db'}",
            data_dir=tmp / "data",
            log_level="WARNING",
            secret_key=TEST_SECRET_KEY,
            **changes,
        )

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    def run(coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout=120)

    async def start() -> tuple[Any, ...]:
        registry = build_registry(settings("registry"))
        matching = build_matching(settings("matching"), clock, timer_poll_seconds=0.1)
        notify = assemble(settings("notify", public_url=url), clock, delivery=QUICK)
        await registry.start()
        await matching.start()
        await notify.runtime.start()
        options = GatewaySettings(cookie_secure=False, demo=False, register_attempts=50)
        gateway = Gateway(settings("gateway"), gateway_settings=options, clock=clock)
        server = uvicorn.Server(
            server_config(
                create_app(gateway),
                host="127.0.0.1",
                port=port,
                gateway_settings=options,
                lifespan="on",
            )
        )
        task = asyncio.create_task(server.serve())
        for _ in range(400):
            if server.started:
                break
            await asyncio.sleep(0.05)
        assert server.started, "the gateway did not start"
        return registry, matching, notify, server, task

    registry, matching, notify, server, task = run(start())

    def wake() -> None:
        loop.call_soon_threadsafe(notify.worker.wake)

    try:
        yield NightSystem(
            url=url,
            nats_url=nats.url,
            data_dir=tmp / "data",
            clock=clock,
            run=run,
            wake=wake,
            deliver=notify.worker.run_once,
        )
    finally:

        async def stop() -> None:
            server.should_exit = True
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(task, 15)
            await notify.runtime.stop()
            await matching.stop()
            await registry.stop()
            # What the server left behind (an event stream's shutdown watcher): cancelled and
            # awaited, so that no task is destroyed pending with the loop.
            left = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for pending in left:
                pending.cancel()
            await asyncio.gather(*left, return_exceptions=True)

        run(stop())
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
        if not isinstance(nats, ExternalNats):
            nats.stop()


def mails_to(system: NightSystem, address: str) -> list[str]:
    """The subjects of the proposals e-mailed to `address` so far ("Kunt u helpen? ...")."""
    subjects = []
    folder = system.data_dir / "mail"
    for path in sorted(folder.glob("*/*.eml")) if folder.exists() else []:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if address in str(message["To"]) and "u helpen?" in str(message["Subject"]):
            subjects.append(str(message["Subject"]))
    return subjects


class HeldMailNotSent(AssertionError):
    """The proposal e-mail held for the quiet hours did not go out at 08:00."""


def night_journey(
    night: NightSystem, browser: Any, journey: Steps, width: int, *, tag: str = "", day: int = 0
) -> str:
    """At 23:00 a resident asks on her phone for a lift to the pharmacy tonight (urgent) and
    for groceries (not urgent); the one volunteer nearby is e-mailed about the first at once
    and finds both in his inbox. Returns his e-mail address."""
    api = Api(night)
    night.clock.set(ELEVEN_PM + timedelta(days=day))
    postcode = {390: "3561 AB", 320: "3583 AA"}[width]
    driver = f"karim{tag}.{width}@example.nl"
    api.register(driver, postcode, "5", name="Karim Rijdt", volunteer=True)
    auth = api.login(driver)
    profile = api.http.put(
        "/api/v1/volunteers/me",
        json={"categories": ["transport", "groceries"], "flexible": True, "radius_km": 1},
        headers=auth,
    )
    assert profile.status_code == 200, profile.text
    caught_up(night, "matching")
    resident = f"greet{tag}.{width}@example.nl"
    api.register(resident, postcode, "9", name="Greet Nacht")
    context = phone(browser, width)
    try:
        page = context.new_page()
        sign_in(page, night, resident, journey)

        def ask(category: str, text: str, *, urgent: bool) -> None:
            page.goto(f"{night.url}/ask")
            page.check(f"#cat-{category}")
            page.fill("#description", text)
            page.check("#when-any")
            if urgent:
                page.check("#urgent")
            journey.check(page, f"ask-{'urgent' if urgent else 'later'}")
            page.click("button[type=submit]:has-text('Versturen')")
            page.wait_for_url("**/requests/**")
            journey.check(page, f"asked-{'urgent' if urgent else 'later'}")

        ask("transport", "Wie brengt mij vanavond naar de apotheek?", urgent=True)
        wait_until(
            lambda: any("Dringend" in s for s in mails_to(night, driver)),
            timeout=30,
            message="the urgent proposal was not e-mailed at 23:00",
        )
        ask("groceries", "Boodschappen voor deze week", urgent=False)

        def in_inbox() -> bool:
            items = api.http.get("/api/v1/inbox", headers=auth).json()["items"]
            return sum("/proposals/" in (i["link"] or "") for i in items) == 2

        wait_until(in_inbox, timeout=30, message="the proposals are not in the inbox")
        night.run(night.deliver())  # a delivery round at 23:00: the e-mail stays held
        (urgent,) = mails_to(night, driver)
        assert urgent.startswith("Dringend") and "vervoer" in urgent.lower(), urgent
    finally:
        context.close()
    helper = phone(browser, width)
    try:
        volunteer = helper.new_page()
        sign_in(volunteer, night, driver, journey)
        volunteer.goto(f"{night.url}/inbox")
        journey.check(volunteer, "inbox-at-night")
        assert volunteer.locator("main .card a.button", has_text="Bekijk het voorstel").count() == 2
    finally:
        helper.close()
    return driver


@pytest.mark.parametrize("width", PHONE_WIDTHS)
def test_on_a_phone_at_23h_an_urgent_request_breaks_quiet_hours_and_another_is_held(
    night: NightSystem, browser: Any, steps: Callable[[int], Steps], width: int
) -> None:
    night_journey(night, browser, steps(width), width, day=PHONE_WIDTHS.index(width))


def test_the_non_urgent_proposal_held_at_23h_is_e_mailed_at_8h(
    night: NightSystem, browser: Any, steps: Callable[[int], Steps]
) -> None:
    day = len(PHONE_WIDTHS)  # a night of its own, after the journeys above
    driver = night_journey(night, browser, steps(390), 390, tag="-later", day=day)
    night.clock.set(ELEVEN_PM.replace(hour=7) + timedelta(days=day + 1))  # 08:00 in Utrecht
    night.run(night.deliver())
    try:
        wait_until(
            lambda: len(mails_to(night, driver)) == 2,
            timeout=15,
            message="the non-urgent proposal was not e-mailed at 08:00",
        )
    except AssertionError as exc:
        raise HeldMailNotSent(str(exc)) from exc
    later = mails_to(night, driver)[1]
    assert "boodschappen" in later.lower() and not later.startswith("Dringend"), later
