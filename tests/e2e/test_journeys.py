"""The journeys of residents, volunteers and coordinators in real Chromium (`samen up`).

A resident registers and asks for help; a volunteer in the same neighbourhood sees the
proposal and accepts; the resident's open page turns to "matched" without a reload (SSE); a
coordinator matches an escalated request by hand. axe-core checks every page on the way.
"""

import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import RunningSystem
from tests.e2e.conftest import PASSWORD, Api, Steps, assert_accessible, caught_up

pytestmark = [pytest.mark.browser, pytest.mark.integration]

TIMEOUT_MS = 20_000
# The social broker works at a desk.
DESK_WIDTH = 1280


def expect() -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect


def register_in_browser(
    page: Any, system: RunningSystem, *, name: str, email: str, house: str, volunteer: bool
) -> None:
    page.goto(f"{system.url}/register")
    assert_accessible(page)
    page.fill("#name", name)
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.fill("#postcode", "3561 AB")
    page.fill("#house_number", house)
    if volunteer:
        page.check("#volunteer")
    page.check("#consent_matching")
    page.check("#share_phone")
    page.click("button[type=submit]:has-text('Account maken')")
    # Registering never signs in (a taken address must look the same): log in next.
    page.wait_for_url("**/login?**")
    assert_accessible(page)
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]:has-text('Inloggen')")
    page.wait_for_load_state()


def until(probe: Callable[[], bool], *, timeout: float = 20, message: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if probe():
            return
        time.sleep(0.25)
    raise AssertionError(message or "condition not met in time")


def test_resident_asks_a_neighbour_accepts_and_the_open_page_shows_matched(
    system: RunningSystem, browser: Any
) -> None:
    check = expect()
    volunteer_ctx = browser.new_context(locale="nl-NL")
    resident_ctx = browser.new_context(locale="nl-NL")
    try:
        # A volunteer from Overvecht offers groceries.
        volunteer = volunteer_ctx.new_page()
        register_in_browser(
            volunteer,
            system,
            name="Sanne de Vries",
            email="sanne@example.nl",
            house="20",
            volunteer=True,
        )
        assert "/volunteer" in volunteer.url
        assert_accessible(volunteer)
        volunteer.check("#offer-groceries")
        volunteer.check("#flexible")
        volunteer.fill("#radius_km", "3")
        volunteer.click("button[type=submit]:has-text('Opslaan')")
        volunteer.wait_for_url("**/proposals?done=saved")
        assert_accessible(volunteer)
        caught_up(system, "matching")

        # A resident of the same neighbourhood asks for groceries.
        resident = resident_ctx.new_page()
        register_in_browser(
            resident,
            system,
            name="Riet Jansen",
            email="riet@example.nl",
            house="81",
            volunteer=False,
        )
        assert "/ask" in resident.url
        assert_accessible(resident)
        resident.check("#cat-groceries")
        resident.fill("#description", "Wie kan dinsdag boodschappen voor mij doen?")
        resident.check("#when-any")
        resident.click("button[type=submit]:has-text('Versturen')")
        resident.wait_for_url("**/requests/**")
        assert_accessible(resident)
        state = resident.locator("#request-state")
        check(state).to_have_attribute("data-state", "proposed", timeout=TIMEOUT_MS)
        resident.evaluate("window.__stillTheSamePage = true")

        # The volunteer sees the proposal and accepts it.
        def proposal_shown() -> bool:
            volunteer.goto(f"{system.url}/proposals")
            return volunteer.locator("[data-state=pending]").count() > 0

        until(proposal_shown, message="the volunteer got no proposal")
        assert_accessible(volunteer)
        card = volunteer.locator(".card", has=volunteer.locator("[data-state=pending]")).first
        card.locator("button:has-text('Ja, ik help')").click()
        # The next step at once: whom they help, when, where and how to reach each other.
        volunteer.wait_for_url("**/requests/**?done=accepted")
        check(volunteer.locator(".helper")).to_contain_text("Riet")
        volunteer.goto(f"{system.url}/proposals")
        check(volunteer.locator("[data-state=accepted]").first).to_be_visible()
        assert_accessible(volunteer)

        # The resident's page changes by itself.
        check(state).to_have_attribute("data-state", "matched", timeout=TIMEOUT_MS)
        check(resident.locator(".helper")).to_contain_text("Sanne")
        assert resident.evaluate("window.__stillTheSamePage") is True, "the page was reloaded"
        assert_accessible(resident)

        resident.goto(f"{system.url}/requests")
        check(resident.locator("[data-state=matched]").first).to_be_visible()
        assert_accessible(resident)
    finally:
        volunteer_ctx.close()
        resident_ctx.close()


def test_a_coordinator_matches_an_escalated_request_by_hand(
    system: RunningSystem, browser: Any, steps: Callable[[int], Steps]
) -> None:
    """Journey 3 (docs/design.md): nobody offers garden work in Overvecht; the hedge request
    goes straight to the district's social broker, at the top of her board, and she matches a
    volunteer from Noordoost by hand."""
    check, journey, api = expect(), steps(DESK_WIDTH), Api(system)
    # A volunteer in Noordoost does garden work, but not so far from home.
    gardener = api.register("lotte@example.nl", "3571 AA", "9", name="Lotte Visser", volunteer=True)
    gardener_auth = api.login("lotte@example.nl")
    api.http.patch("/api/v1/me", json={"consents": {"matching": True}}, headers=gardener_auth)
    profile = api.http.put(
        "/api/v1/volunteers/me",
        json={"categories": ["garden"], "flexible": True, "radius_km": 0.5},
        headers=gardener_auth,
    )
    assert profile.status_code == 200, profile.text
    caught_up(system, "matching")

    api.register("henk@example.nl", "3561 AB", "30", name="Henk Mulder")
    henk = api.login("henk@example.nl")
    created = api.http.post(
        "/api/v1/requests",
        json={"category": "garden", "description": "De heg knippen"},
        headers=henk,
    )
    assert created.status_code == 201, created.text
    request_id = created.json()["id"]
    until(
        lambda: (
            api.http.get(f"/api/v1/requests/{request_id}", headers=henk).json()["state"]
            == "escalated"
        ),
        message="the garden request did not escalate",
    )

    api.admin_create("fatima@example.nl", "coordinator", cooperative=api.cooperative_of("WK034403"))
    context = browser.new_context(locale="nl-NL", viewport={"width": DESK_WIDTH, "height": 900})
    try:
        page = context.new_page()
        page.goto(f"{system.url}/login")
        journey.check(page, "login")
        page.fill("#email", "fatima@example.nl")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]:has-text('Inloggen')")
        page.wait_for_url("**/board?done=welcome")
        # What needs her comes first: the escalated column, and the hedge at its top.
        first_column = page.locator("section.column h2").first
        check(first_column).to_have_attribute("id", "col-escalated")
        escalated = page.locator("#col-escalated + ul .card").first
        check(escalated).to_have_attribute("data-request-id", request_id)
        journey.check(page, "board-with-the-hedge-on-top")
        escalated.locator("a").click()
        page.wait_for_url(f"**/board/{request_id}")
        candidate = page.locator(".card", has_text="Lotte")
        check(candidate).to_be_visible()
        journey.check(page, "candidates-from-noordoost")
        candidate.locator("button:has-text('Koppelen')").click()
        page.wait_for_url("**?done=matched")
        check(page.locator("#request-state")).to_have_attribute("data-state", "matched")
        journey.check(page, "matched-by-hand")
    finally:
        context.close()
    assert api.http.get(f"/api/v1/requests/{request_id}", headers=henk).json()["state"] == "matched"
    del gardener


@pytest.mark.parametrize(
    "path", ["/", "/register", "/login", "/map", "/reports", "/reports?area=WK034403&lang=en"]
)
def test_public_pages_have_no_serious_accessibility_violations(
    system: RunningSystem, browser: Any, path: str
) -> None:
    context = browser.new_context(locale="nl-NL")
    try:
        page = context.new_page()
        response = page.goto(f"{system.url}{path}")
        assert response is not None and response.status == 200
        assert_accessible(page)
    finally:
        context.close()


def test_signed_in_pages_have_no_serious_accessibility_violations(
    system: RunningSystem, browser: Any
) -> None:
    api = Api(system)
    api.register("kees@example.nl", "3563 AA", "40", name="Kees Smit", volunteer=True)
    context = browser.new_context(locale="nl-NL")
    try:
        page = context.new_page()
        page.goto(f"{system.url}/login")
        page.fill("#email", "kees@example.nl")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]:has-text('Inloggen')")
        page.wait_for_load_state()
        for path in ("/ask", "/requests", "/volunteer", "/proposals", "/inbox", "/ask?lang=en"):
            response = page.goto(f"{system.url}{path}")
            assert response is not None and response.status == 200, path
            assert_accessible(page)
    finally:
        context.close()


def test_a_volunteer_accepts_from_the_email_link_without_signing_in(
    system: RunningSystem, browser: Any
) -> None:
    import email
    import email.policy
    import re

    check = expect()
    api = Api(system)
    api.register("youssef@example.nl", "3562 AA", "3", name="Youssef Ouali", volunteer=True)
    youssef = api.login("youssef@example.nl")
    api.http.patch("/api/v1/me", json={"consents": {"matching": True}}, headers=youssef)
    profile = api.http.put(
        "/api/v1/volunteers/me",
        json={"categories": ["transport"], "flexible": True, "radius_km": 5},
        headers=youssef,
    )
    assert profile.status_code == 200, profile.text
    caught_up(system, "matching")
    api.register("jan@example.nl", "3561 AB", "7", name="Jan de Boer")
    jan = api.login("jan@example.nl")
    created = api.http.post(
        "/api/v1/requests",
        json={"category": "transport", "description": "Naar de apotheek", "urgent": True},
        headers=jan,
    )
    assert created.status_code == 201, created.text
    request_id = created.json()["id"]

    mail = system.data_dir / "mail"
    links: list[str] = []

    def email_with_links() -> bool:
        for path in mail.glob("*/*.eml") if mail.exists() else []:
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if "youssef@example.nl" not in str(message["To"]):
                continue
            body = message.get_body(preferencelist=("plain",))
            text = body.get_content() if body is not None else ""
            if "/p/" in text:
                links.extend(re.findall(r"https?://[^\s\"<>]+/p/[A-Za-z0-9._=-]+", text))
                return True
        return False

    until(email_with_links, timeout=30, message="no proposal e-mail for the volunteer")
    (proposal,) = [
        p
        for p in api.http.get("/api/v1/volunteers/me/proposals", headers=youssef).json()
        if p["request_id"] == request_id
    ]
    assert proposal["state"] == "pending" and proposal["category"] == "transport"
    assert proposal["when"] == "flexible" and proposal["neighbourhood"].startswith("BU0344")
    context = browser.new_context(locale="nl-NL")
    try:
        page = context.new_page()
        accept = None
        for link in dict.fromkeys(links):
            page.goto(link)
            if "helpen" in page.locator("h1").inner_text():
                accept = link
                break
        assert accept is not None, links
        assert_accessible(page)
        page.click("button:has-text('Ja, ik help')")
        # The next step: whom (first name), when, where, and how to reach each other.
        check(page.locator("#answered")).to_contain_text("Dank u wel! U helpt Jan")
        check(page.locator("#job")).to_contain_text("Naar de apotheek")
        assert_accessible(page)
    finally:
        context.close()
    until(
        lambda: (
            api.http.get(f"/api/v1/requests/{request_id}", headers=jan).json()["state"] == "matched"
        ),
        message="the request was not matched from the link",
    )


def test_my_details_pages_have_no_serious_accessibility_violations(
    system: RunningSystem, browser: Any
) -> None:
    api = Api(system)
    api.register("els@example.nl", "3561 AB", "11", name="Els Bos")
    context = browser.new_context(locale="nl-NL")
    try:
        page = context.new_page()
        page.goto(f"{system.url}/login")
        page.fill("#email", "els@example.nl")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]:has-text('Inloggen')")
        page.wait_for_load_state()
        for path in ("/me", "/me/notifications"):
            response = page.goto(f"{system.url}{path}")
            assert response is not None and response.status == 200, path
            assert_accessible(page)
    finally:
        context.close()


def test_the_information_point_registers_a_resident_and_asks_on_their_behalf(
    system: RunningSystem, browser: Any
) -> None:
    check = expect()
    api = Api(system)
    api.admin_create("joke@example.nl", "coordinator", cooperative=api.cooperative_of("WK034403"))
    context = browser.new_context(locale="nl-NL")
    try:
        page = context.new_page()
        page.goto(f"{system.url}/login")
        page.fill("#email", "joke@example.nl")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]:has-text('Inloggen')")
        page.wait_for_url("**/board?done=welcome")
        page.click("text=Bewoner aanmelden")
        assert_accessible(page)
        page.fill("#name", "Gerrit Hoekstra")
        page.fill("#postcode", "3561 AB")
        page.fill("#house_number", "14")
        page.fill("#phone", "0307654321")
        page.click("button[type=submit]:has-text('Aanmelden')")
        page.wait_for_url("**/board/ask/**")
        check(page.locator("h1")).to_contain_text("Gerrit Hoekstra")
        assert_accessible(page)
        page.check("#cat-transport")
        page.fill("#description", "Een rit naar het ziekenhuis")
        page.click("button[type=submit]:has-text('Versturen')")
        page.wait_for_load_state()
        assert "done=asked" in page.url, page.locator("main").inner_text()
        check(page.locator("dd").first).to_contain_text("Gerrit Hoekstra")
        assert_accessible(page)
        page.goto(f"{system.url}/notice-board?area=WK034403")
        assert_accessible(page)
        assert "Gerrit" not in page.content()  # categories and days, never names
    finally:
        context.close()


def test_the_api_docs_render_from_the_site_itself(system: RunningSystem, browser: Any) -> None:
    check = expect()
    context = browser.new_context()
    try:
        page = context.new_page()
        outside: list[str] = []
        page.on(
            "request",
            lambda request: (
                outside.append(request.url) if not request.url.startswith(system.url) else None
            ),
        )
        page.goto(f"{system.url}/docs")
        check(page.locator(".swagger-ui .info .title")).to_contain_text("Samen", timeout=TIMEOUT_MS)
        check(page.locator(".opblock-summary-path").first).to_be_visible()
        assert outside == []
    finally:
        context.close()


def test_a_resident_downloads_their_data_and_is_then_forgotten(system: RunningSystem) -> None:
    api = Api(system)
    member_id = api.register("vertrek@example.nl", "3561 AB", "50", name="Piet Vertrek")
    auth = api.login("vertrek@example.nl")
    created = api.http.post(
        "/api/v1/requests",
        json={"category": "paperwork", "description": "Hulp met een formulier"},
        headers=auth,
    )
    assert created.status_code == 201, created.text

    export = api.http.get("/api/v1/me/export", headers=auth)
    assert export.status_code == 200, export.text
    data = export.json()
    assert data["member_id"] == member_id
    assert set(data) >= {"gateway", "registry", "matching", "notify"}
    assert "Piet Vertrek" in export.text
    assert [r["request_id"] for r in data["matching"]["requests"]] == [created.json()["id"]]

    erased = api.http.delete("/api/v1/me", headers=auth)
    assert erased.status_code == 204, erased.text
    assert api.http.get("/api/v1/me", headers=auth).status_code == 401
    again = api.http.post(
        "/api/v1/auth/login", json={"email": "vertrek@example.nl", "password": PASSWORD}
    )
    assert again.status_code == 401


def test_a_coordinator_of_overvecht_cannot_see_or_match_a_request_in_oost(
    system: RunningSystem,
) -> None:
    api = Api(system)
    api.register("oost.bewoner@example.nl", "3583 AA", "2", name="Ineke Oost")
    resident = api.login("oost.bewoner@example.nl")
    created = api.http.post(
        "/api/v1/requests",
        json={"category": "meals", "description": "Soep brengen"},
        headers=resident,
    )
    assert created.status_code == 201, created.text
    request_id = created.json()["id"]
    api.admin_create(
        "wijk.overvecht@example.nl", "coordinator", cooperative=api.cooperative_of("WK034403")
    )
    coordinator = api.login("wijk.overvecht@example.nl")

    seen = api.http.get(f"/api/v1/requests/{request_id}", headers=coordinator)
    assert seen.status_code in (403, 404), seen.text
    assert "Soep" not in seen.text
    match = api.http.post(
        f"/api/v1/coordinator/requests/{request_id}/match",
        json={"volunteer_id": "anyone"},
        headers=coordinator,
    )
    assert match.status_code in (403, 404), match.text
    board = api.http.get("/api/v1/coordinator/requests", headers=coordinator)
    assert board.status_code == 200
    assert request_id not in {r["id"] for r in board.json()["requests"]}
    assert api.http.get(f"/api/v1/requests/{request_id}", headers=resident).json()["state"] != (
        "matched"
    )


def sign_in(page: Any, system: RunningSystem, email: str) -> None:
    page.goto(f"{system.url}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]:has-text('Inloggen')")
    page.wait_for_load_state()


def test_the_volunteer_closes_the_job_and_both_sides_say_how_it_went(
    system: RunningSystem, browser: Any
) -> None:
    """Through the real services: the volunteer accepts and sees whom, when, where and how to
    reach them, marks the help given with a rating; the requester follows the e-mail's
    feedback link (after the volunteer closed it) and rates it too; each gets a thank-you."""
    check = expect()
    api = Api(system)
    api.register("bram@example.nl", "3561 AB", "61", name="Bram Koster", volunteer=True)
    bram = api.login("bram@example.nl")
    profile = api.http.put(
        "/api/v1/volunteers/me",
        json={"categories": ["language"], "flexible": True, "radius_km": 3},
        headers=bram,
    )
    assert profile.status_code == 200, profile.text
    caught_up(system, "matching")
    api.register("ineke@example.nl", "3561 AB", "62", name="Ineke Bos")
    ineke = api.login("ineke@example.nl")
    created = api.http.post(
        "/api/v1/requests",
        json={"category": "language", "description": "Samen een brief lezen"},
        headers=ineke,
    )
    assert created.status_code == 201, created.text
    request_id = created.json()["id"]

    def proposed() -> bool:
        mine = api.http.get("/api/v1/volunteers/me/proposals", headers=bram).json()
        return any(p["request_id"] == request_id for p in mine)

    until(proposed, timeout=30, message="no proposal for the volunteer")
    volunteer_ctx = browser.new_context(locale="nl-NL")
    resident_ctx = browser.new_context(locale="nl-NL")
    try:
        volunteer = volunteer_ctx.new_page()
        sign_in(volunteer, system, "bram@example.nl")
        volunteer.goto(f"{system.url}/proposals")
        offer = volunteer.locator(".card", has_text="Samen een brief lezen")
        check(offer.locator("[data-state=pending]")).to_be_visible()
        offer.locator("button:has-text('Ja, ik help')").click()
        volunteer.wait_for_url("**/requests/**?done=accepted")
        check(volunteer.locator("#whom")).to_contain_text("Ineke")
        check(volunteer.locator("#whom")).to_contain_text("via de coördinator")
        assert_accessible(volunteer)
        volunteer.check("#score-5")
        volunteer.fill("#feedback", "Gezellig")
        volunteer.click("button[type=submit]:has-text('De hulp is gegeven')")
        volunteer.wait_for_url(f"**/requests/{request_id}/feedback")
        check(volunteer.locator("#feedback-thanks")).to_be_visible()
        assert_accessible(volunteer)

        resident = resident_ctx.new_page()
        sign_in(resident, system, "ineke@example.nl")
        resident.goto(f"{system.url}/requests/{request_id}/feedback")  # the e-mail's link
        check(resident.locator("#feedback-form")).to_be_visible()
        assert_accessible(resident)
        resident.check("#score-4")
        resident.click("#feedback-form button[type=submit]")
        check(resident.locator("#feedback-thanks")).to_be_visible()

        # A new request: cancelling asks first.
        again = api.http.post(
            "/api/v1/requests",
            json={"category": "language", "description": "Nog een brief"},
            headers=ineke,
        ).json()["id"]
        resident.goto(f"{system.url}/requests/{again}")
        resident.click("#cancel")
        check(resident.locator("h1")).to_contain_text("Weet u zeker")
        assert_accessible(resident)
        resident.click("#cancel-confirm button")
        check(resident.locator("#request-state")).to_have_attribute("data-state", "cancelled")
    finally:
        volunteer_ctx.close()
        resident_ctx.close()
    given = api.http.post(
        f"/api/v1/requests/{request_id}/feedback", json={"score": 1}, headers=ineke
    )
    assert given.status_code == 409, given.text  # once per person per request
