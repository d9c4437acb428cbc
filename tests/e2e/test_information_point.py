"""Journey 4 of docs/design.md in real Chromium: the living room's information point.

The coordinator registers a resident who has no e-mail, asks a hospital ride on his behalf;
a volunteer accepts; the coordinator finds the message to pass on on her board ("Bel ..."),
prints the letter, ticks it done; the volunteer's page says to reach him through the
coordinator; on Friday the living room prints the notice-board sheet (categories and days,
never names). A screenshot at every step; axe on every page.
"""

import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.conftest import RunningSystem
from tests.e2e.conftest import PASSWORD, Api, Steps, artifacts_dir
from tests.support_pdf import pdf_text

pytestmark = [pytest.mark.browser, pytest.mark.integration]

TIMEOUT_MS = 20_000


def expect() -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect


def until(probe: Callable[[], Any], *, timeout: float = 30, message: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.25)
    raise AssertionError(message or "condition not met in time")


def sign_in(page: Any, system: RunningSystem, email: str) -> None:
    page.goto(f"{system.url}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]:has-text('Inloggen')")
    page.wait_for_load_state()


def next_tuesday() -> date:
    today = date.today()
    days = (1 - today.weekday()) % 7
    return today + timedelta(days=days if days >= 2 else days + 7)


def test_the_living_room_passes_a_ride_on_to_a_resident_without_email(
    system: RunningSystem, browser: Any, steps: Callable[[int], Steps]
) -> None:
    check = expect()
    step = steps(1024)
    api = Api(system)
    api.admin_create("els.huiskamer@example.nl", "coordinator", api.cooperative_of("WK034403"))
    sanne = api.volunteer("sanne.rijdt@example.nl", "40", name="Sanne Bakker", category="transport")

    coordinator_ctx = browser.new_context(locale="nl-NL", accept_downloads=True)
    volunteer_ctx = browser.new_context(locale="nl-NL")
    try:
        page = coordinator_ctx.new_page()
        sign_in(page, system, "els.huiskamer@example.nl")
        page.wait_for_url("**/board?done=welcome")
        step.check(page, "board")

        # Meneer Hoekstra comes in: no e-mail, a landline he does not want handed out.
        page.click("text=Bewoner aanmelden")
        step.check(page, "register-resident")
        page.fill("#name", "Gerrit Hoekstra")
        page.fill("#postcode", "3561 AB")
        page.fill("#house_number", "14")
        page.fill("#phone", "0307654321")
        page.click("button[type=submit]:has-text('Aanmelden')")
        page.wait_for_url("**/board/ask/**")
        check(page.locator("h1")).to_contain_text("Gerrit Hoekstra")
        step.check(page, "ask-on-his-behalf")
        page.check("#cat-transport")
        page.fill("#description", "Een rit naar het ziekenhuis")
        page.check("#when-day")
        page.fill("#day", next_tuesday().isoformat())
        page.select_option("#part", "morning")
        page.click("button[type=submit]:has-text('Versturen')")
        page.wait_for_load_state()
        assert "done=asked" in page.url, page.locator("main").inner_text()
        request_id = urlparse(page.url).path.rstrip("/").split("/")[-1]
        step.check(page, "asked")

        # Sanne says yes (through the API: her own journey is tested elsewhere).
        def proposal() -> str | None:
            mine = api.http.get("/api/v1/volunteers/me/proposals", headers=sanne).json()
            return next((p["id"] for p in mine if p["request_id"] == request_id), None)

        proposal_id = until(proposal, message="no proposal for Sanne")
        accepted = api.http.post(f"/api/v1/proposals/{proposal_id}/accept", headers=sanne)
        assert accepted.status_code == 200, accepted.text

        # The coordinator's board: the message to pass on, and how he is reached.
        def task_on_board() -> bool:
            page.goto(f"{system.url}/board")
            return page.locator("#tasks").count() > 0

        until(task_on_board, message="no task on the coordinator's board")
        check(page.locator("#tasks")).to_contain_text("Bel Gerrit Hoekstra")
        step.check(page, "board-with-task")
        page.goto(f"{system.url}/board/{request_id}")
        check(page.locator("#reach")).to_contain_text("Via u")
        step.check(page, "matched-request-reached-via-you")

        page.goto(f"{system.url}/board/tasks")
        card = page.locator("#tasks .card", has_text="Gerrit Hoekstra")
        check(card.locator("h2")).to_contain_text("Bel Gerrit Hoekstra")
        check(card).to_contain_text("Sanne helpt Gerrit Hoekstra op dinsdag")
        check(card).to_contain_text("Sanne is te bereiken via u.")
        step.check(page, "tasks")

        # The letter to hand over: a real PDF, kept with the screenshots.
        href = card.locator("a:has-text('Brief afdrukken')").get_attribute("href")
        letter = page.request.get(f"{system.url}{href}")
        assert letter.ok and letter.headers["content-type"] == "application/pdf"
        body = letter.body()
        assert body.startswith(b"%PDF")
        (step.folder / "letter-gerrit-hoekstra.pdf").write_bytes(body)
        text = pdf_text(body)
        assert "Beste Gerrit Hoekstra," in text and "Sanne helpt u" in text
        assert "dinsdag" in text and request_id not in text

        card.locator("button:has-text('Gedaan: doorgegeven')").click()
        page.wait_for_url("**/board/tasks?done=passed_on")
        check(page.locator("#no-tasks")).to_be_visible()
        step.check(page, "task-done")

        # Sanne's page: she reaches him through the coordinator, not a message page.
        volunteer = volunteer_ctx.new_page()
        sign_in(volunteer, system, "sanne.rijdt@example.nl")
        volunteer.goto(f"{system.url}/requests/{request_id}")
        check(volunteer.locator("#whom")).to_contain_text("Gerrit")
        check(volunteer.locator("#reach")).to_contain_text("via de coördinator")
        check(volunteer.locator("#reach")).to_contain_text("els.huiskamer@example.nl")
        assert "bericht via" not in volunteer.content()
        step.check(volunteer, "volunteer-reaches-him-via-coordinator")

        # Friday: the living room prints the sheet of open requests. Never a name.
        page.goto(f"{system.url}/notice-board?area=WK034403")
        step.check(page, "notice-board")
        assert "Gerrit" not in page.content() and "Hoekstra" not in page.content()
        page.emulate_media(media="print")
        sheet = page.pdf(format="A4")
        assert sheet.startswith(b"%PDF")
        (step.folder / "notice-board.pdf").write_bytes(sheet)
        assert artifacts_dir() in step.folder.parents
    finally:
        coordinator_ctx.close()
        volunteer_ctx.close()
