"""The week in Overvecht on a phone: real Chromium at 320 and 390 CSS px (`samen up`).

Every step of every journey is screenshotted (the test artefacts), must not scroll sideways
(WCAG 1.4.10 Reflow: 320 px is also a 1280 px screen at 400 % zoom) and must have no axe-core
violation of WCAG 2.1 A or AA. Each width works in an area of its own (Overvecht at 390 px,
Oost at 320 px), so the two runs of a journey never propose to each other's volunteers.
"""

import email
import email.policy
import json
import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from tests.conftest import RunningSystem
from tests.e2e.conftest import (
    PASSWORD,
    PHONE_WIDTHS,
    Api,
    Steps,
    System,
    assert_reflows,
    caught_up,
)
from tests.support import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.integration]

TIMEOUT_MS = 20_000
# The postcode a width's people live at: Overvecht (3561 AB) and Oost (3583 AA).
AREA = {390: "3561 AB", 320: "3583 AA"}
DISTRICT = {390: "WK034403", 320: "WK034405"}


def expect() -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect


def phone(browser: Any, width: int) -> Any:
    """A phone's browser: narrow, touch, Dutch."""
    return browser.new_context(
        locale="nl-NL",
        viewport={"width": width, "height": 740},
        device_scale_factor=1,
        is_mobile=True,
        has_touch=True,
    )


def sign_in(page: Any, system: System | None, address: str, steps: Steps) -> None:
    """Log in on the log-in page (this one when `system` is None: it knows where to go next)."""
    if system is not None:
        page.goto(f"{system.url}/login")
    steps.check(page, "login")
    page.fill("#email", address)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]:has-text('Inloggen')")
    page.wait_for_load_state()


def volunteer(
    api: Api, address: str, postcode: str, house: str, name: str, *categories: str, **extra: Any
) -> dict[str, str]:
    """A volunteer (registered through the API) who offers `categories` near home."""
    api.register(
        address,
        postcode,
        house,
        name=name,
        volunteer=True,
        phone=extra.pop("phone", None),
        share_phone=True,
    )
    auth = api.login(address)
    profile = api.http.put(
        "/api/v1/volunteers/me",
        json={"categories": list(categories), "flexible": True, "radius_km": 1, **extra},
        headers=auth,
    )
    assert profile.status_code == 200, profile.text
    return auth


def proposals(api: Api, auth: dict[str, str]) -> list[dict[str, Any]]:
    answer = api.http.get("/api/v1/volunteers/me/proposals", headers=auth)
    assert answer.status_code == 200, answer.text
    return list(answer.json())


def inbox(api: Api, auth: dict[str, str]) -> list[dict[str, Any]]:
    answer = api.http.get("/api/v1/inbox", headers=auth)
    assert answer.status_code == 200, answer.text
    return list(answer.json()["items"])


def mail_links(system: System, address: str) -> list[str]:
    """The proposal links (/p/...) in the e-mails to `address`, in the order they stand."""
    links: list[str] = []
    folder = system.data_dir / "mail"
    for path in sorted(folder.glob("*/*.eml")) if folder.exists() else []:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if address not in str(message["To"]):
            continue
        body = message.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        links += re.findall(r"https?://[^\s\"<>]+/p/[A-Za-z0-9._=-]+", text)
    return list(dict.fromkeys(links))


def next_tuesday() -> date:
    """A Tuesday at least two days ahead (a day the form accepts, whatever today is)."""
    day = date.today() + timedelta(days=2)
    return day + timedelta(days=(1 - day.weekday()) % 7)


def until(probe: Callable[[], bool], message: str) -> None:
    wait_until(probe, timeout=30, message=message)


@pytest.mark.parametrize("width", PHONE_WIDTHS)
def test_on_a_phone_a_neighbour_asks_for_groceries_and_a_volunteer_accepts_from_the_email(
    system: RunningSystem, browser: Any, steps: Callable[[int], Steps], width: int
) -> None:
    """Journeys 1 and 2 (docs/design.md): asked on a phone from pictograms for Tuesday
    morning; three volunteers nearby get a proposal by e-mail and in their inbox; one accepts
    from the e-mail without signing in; the others hear it is taken; the resident's open page
    shows who helps and how to reach them; the volunteer marks it done, 1 hour."""
    check, journey, api = expect(), steps(width), Api(system)
    postcode = AREA[width]
    names = ["Sanne", "Youssef", "Lotte"]
    helpers = {
        name: volunteer(
            api,
            f"{name.lower()}.{width}@example.nl",
            postcode,
            str(20 + i),
            f"{name} Buur",
            "groceries",
            phone=f"06123456{i}{width % 100:02d}"[:10],
        )
        for i, name in enumerate(names)
    }
    caught_up(system, "matching")

    resident_ctx, helper_ctx = phone(browser, width), phone(browser, width)
    try:
        # The neighbour's daughter registers her on a phone, then asks.
        page = resident_ctx.new_page()
        page.goto(f"{system.url}/register")
        journey.check(page, "register")
        page.fill("#name", "Riet Jansen")
        page.fill("#email", f"riet.{width}@example.nl")
        page.fill("#password", PASSWORD)
        page.fill("#postcode", postcode)
        page.fill("#house_number", "81")
        page.fill("#phone", "0301234567")
        page.check("#consent_matching")
        page.check("#share_phone")
        page.click("button[type=submit]:has-text('Account maken')")
        page.wait_for_url("**/login?**")
        sign_in(page, None, f"riet.{width}@example.nl", journey)
        assert "/ask" in page.url
        journey.check(page, "ask")
        page.check("#cat-groceries")
        page.fill("#description", "Wie kan dinsdag boodschappen voor mij doen?")
        page.check("#when-day")
        page.fill("#day", next_tuesday().isoformat())
        page.select_option("#part", "morning")
        journey.check(page, "ask-filled")
        page.click("button[type=submit]:has-text('Versturen')")
        page.wait_for_url("**/requests/**")
        request_id = page.url.split("/requests/")[1].split("?")[0]
        state = page.locator("#request-state")
        check(state).to_have_attribute("data-state", "proposed", timeout=TIMEOUT_MS)
        journey.check(page, "request-proposed")

        # All three get a proposal, in the inbox and by e-mail.
        def asked(name: str) -> bool:
            mine = [p for p in proposals(api, helpers[name]) if p["request_id"] == request_id]
            return bool(mine) and bool(mail_links(system, f"{name.lower()}.{width}@example.nl"))

        for name in names:
            until(lambda name=name: asked(name), f"{name} got no proposal")  # type: ignore[misc]
            assert any("/proposals/" in (i["link"] or "") for i in inbox(api, helpers[name]))

        # Sanne accepts from the e-mail on her phone, without signing in.
        helper = helper_ctx.new_page()
        accept = None
        for link in mail_links(system, f"sanne.{width}@example.nl"):
            helper.goto(link)
            if "helpen" in helper.locator("h1").inner_text():
                accept = link
                break
        assert accept is not None, "no accept link in Sanne's e-mail"
        journey.check(helper, "accept-link")
        helper.click("button:has-text('Ja, ik help')")
        check(helper.locator("#answered")).to_contain_text("Dank u wel")
        journey.check(helper, "accepted")

        # The resident's open page changes by itself: who helps, and her phone number.
        check(state).to_have_attribute("data-state", "matched", timeout=TIMEOUT_MS)
        check(page.locator(".helper")).to_contain_text("Sanne")
        check(page.locator(".helper a[href^='tel:']")).to_be_visible()
        journey.check(page, "request-matched")

        # The other two hear that it is taken.
        for name in names[1:]:
            until(
                lambda name=name: any(  # type: ignore[misc]
                    (i["link"] or "").endswith("/proposals") for i in inbox(api, helpers[name])
                ),
                f"{name} did not hear the request was taken",
            )

        # On Tuesday evening Sanne marks it done on her phone: 1 hour.
        sign_in(helper, system, f"sanne.{width}@example.nl", journey)
        helper.goto(f"{system.url}/inbox")
        journey.check(helper, "inbox")
        body = helper.locator("main").inner_text()
        assert "http" not in body, "the inbox shows a raw address"
        check(helper.locator("main a.button", has_text="Bekijk het voorstel").first).to_be_visible()
        helper.goto(f"{system.url}/requests/{request_id}")
        check(helper.locator(".helper")).to_contain_text("Riet")
        journey.check(helper, "assignment")
        helper.fill("#hours", "1")
        helper.click("#done button[type=submit]")
        helper.wait_for_load_state()
        journey.check(helper, "done")
    finally:
        resident_ctx.close()
        helper_ctx.close()
    resident = api.login(f"riet.{width}@example.nl")
    until(
        lambda: (
            api.http.get(f"/api/v1/requests/{request_id}", headers=resident).json()["state"]
            == "done"
        ),
        "the request was not marked done",
    )


@pytest.mark.parametrize("width", PHONE_WIDTHS)
def test_on_a_phone_a_volunteer_pauses_for_her_holiday_and_a_full_volunteer_is_skipped(
    system: RunningSystem, browser: Any, steps: Callable[[int], Steps], width: int
) -> None:
    """Journey 5: a volunteer pauses her profile on her phone and gets no proposals until
    she is back; a volunteer who already has three open assignments is skipped."""
    journey, api = steps(width), Api(system)
    postcode = AREA[width]
    hanna = f"hanna.{width}@example.nl"
    hanna_auth = volunteer(api, hanna, postcode, "60", "Hanna Reis", "company")
    busy = volunteer(api, f"bram.{width}@example.nl", postcode, "61", "Bram Druk", "company")
    api.register(f"wim.{width}@example.nl", postcode, "62", name="Wim Alleen")
    wim = api.login(f"wim.{width}@example.nl")
    context = phone(browser, width)
    try:
        page = context.new_page()
        sign_in(page, system, hanna, journey)
        page.goto(f"{system.url}/volunteer")
        journey.check(page, "profile")
        page.uncheck("#active")
        page.click("button[type=submit]:has-text('Opslaan')")
        page.wait_for_url("**/proposals?done=saved")
        journey.check(page, "paused")
        caught_up(system, "matching")

        def ask(text: str) -> str:
            made = api.http.post(
                "/api/v1/requests", json={"category": "company", "description": text}, headers=wim
            )
            assert made.status_code == 201, made.text
            return str(made.json()["id"])

        # Bram takes three requests; Hanna, on holiday, is asked for none.
        for n in range(3):
            request_id = ask(f"Een kop koffie samen ({n + 1})")
            until(
                lambda request_id=request_id: any(  # type: ignore[misc]
                    p["request_id"] == request_id for p in proposals(api, busy)
                ),
                "Bram got no proposal",
            )
            (offer,) = [p for p in proposals(api, busy) if p["request_id"] == request_id]
            taken = api.http.post(f"/api/v1/proposals/{offer['id']}/accept", headers=busy)
            assert taken.status_code == 200, taken.text
        caught_up(system, "matching")
        fourth = ask("Samen een wandeling maken")
        until(
            lambda: (
                api.http.get(f"/api/v1/requests/{fourth}", headers=wim).json()["state"]
                == "escalated"
            ),
            "the fourth request was proposed to someone",
        )
        assert all(p["request_id"] != fourth for p in proposals(api, busy))
        assert proposals(api, hanna_auth) == []
        page.goto(f"{system.url}/proposals")
        journey.check(page, "no-proposals-while-away")

        # Back from holiday: the next request is proposed to her.
        page.goto(f"{system.url}/volunteer")
        page.check("#active")
        page.click("button[type=submit]:has-text('Opslaan')")
        page.wait_for_url("**/proposals?done=saved")
        caught_up(system, "matching")
        fifth = ask("Een spelletje doen")
        until(
            lambda: any(p["request_id"] == fifth for p in proposals(api, hanna_auth)),
            "Hanna got no proposal after her holiday",
        )
        page.goto(f"{system.url}/proposals")
        expect()(page.locator("[data-state=pending]").first).to_be_visible()
        journey.check(page, "proposal-after-holiday")
    finally:
        context.close()


@pytest.mark.parametrize("width", PHONE_WIDTHS)
def test_on_a_phone_a_resident_downloads_his_data_and_is_forgotten(
    system: RunningSystem, browser: Any, steps: Callable[[int], Steps], width: int
) -> None:
    """Journey 9: a resident who moves away downloads his data on his phone, then erases
    his account; he can no longer sign in."""
    check, journey, api = expect(), steps(width), Api(system)
    address = f"piet.{width}@example.nl"
    api.register(address, AREA[width], "50", name="Piet Verhuist")
    made = api.http.post(
        "/api/v1/requests",
        json={"category": "paperwork", "description": "Hulp met de verhuisbrief"},
        headers=api.login(address),
    )
    assert made.status_code == 201, made.text
    context = phone(browser, width)
    try:
        page = context.new_page()
        sign_in(page, system, address, journey)
        page.goto(f"{system.url}/me")
        journey.check(page, "my-details")
        with page.expect_download() as download:
            page.click("a[download]")
        saved = download.value.path()
        data = json.loads(saved.read_text(encoding="utf-8"))
        assert "Piet Verhuist" in json.dumps(data)
        assert [r["request_id"] for r in data["matching"]["requests"]] == [made.json()["id"]]
        page.check("#confirm")
        page.click("button[type=submit]:has-text('Account verwijderen')")
        page.wait_for_load_state()
        journey.check(page, "erased")
        page.goto(f"{system.url}/login")
        page.fill("#email", address)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]:has-text('Inloggen')")
        page.wait_for_load_state()
        check(page.locator(".error-summary, .error").first).to_be_visible()
        journey.check(page, "cannot-sign-in")
    finally:
        context.close()


# ------------------------------------------------------------------ the pages themselves

TOO_SMALL = """() => {
  const chosen = "header a, header button, header summary, nav a, main button, main a.button,"
    + " main summary, main input[type=submit]";
  return [...document.querySelectorAll(chosen)]
    .filter(e => e.getClientRects().length > 0 && !e.closest(".skip, .visually-hidden"))
    .map(e => { const r = e.getBoundingClientRect();
                return {what: e.outerHTML.slice(0, 90), w: r.width, h: r.height}; })
    .filter(t => t.w < 44 || t.h < 44);
}"""


def test_touch_targets_in_the_menu_and_forms_are_at_least_44_px(
    system: RunningSystem, browser: Any
) -> None:
    api = Api(system)
    api.register("duim@example.nl", AREA[320], "70", name="Duim Groot", volunteer=True)
    context = phone(browser, 320)
    try:
        page = context.new_page()
        for path in ("/", "/login", "/register", "/reports"):
            page.goto(f"{system.url}{path}")
            page.click("details.menu > summary")
            assert page.evaluate(TOO_SMALL) == [], path
        page.goto(f"{system.url}/login")
        page.fill("#email", "duim@example.nl")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]:has-text('Inloggen')")
        page.wait_for_load_state()
        for path in ("/ask", "/requests", "/volunteer", "/proposals", "/inbox", "/me"):
            page.goto(f"{system.url}{path}")
            page.click("details.menu > summary")
            assert page.evaluate(TOO_SMALL) == [], path
    finally:
        context.close()


def test_the_menu_comes_after_the_brand_and_the_content_comes_right_after_it(
    system: RunningSystem, browser: Any
) -> None:
    """On a phone the links are behind one "Menu" button (no script needed); the page's own
    heading shows in the first screen. On a wide screen the menu is open."""
    check = expect()
    context = phone(browser, 320)
    try:
        page = context.new_page()
        page.goto(f"{system.url}/reports")
        nav = page.locator("nav a[href='/map']")
        check(nav).to_be_hidden()
        heading = page.locator("main h1").bounding_box()
        assert heading is not None and heading["y"] < 200, heading
        page.click("details.menu > summary")
        check(nav).to_be_visible()
        assert_reflows(page)
    finally:
        context.close()
    for scripted in (True, False):
        wide = browser.new_context(
            locale="nl-NL", viewport={"width": 1280, "height": 800}, java_script_enabled=scripted
        )
        try:
            page = wide.new_page()
            page.goto(f"{system.url}/reports")
            check(page.locator("nav a[href='/map']")).to_be_visible()
            check(page.locator("details.menu > summary")).to_be_hidden()
        finally:
            wide.close()


def test_larger_text_is_switched_on_and_stays_on_across_pages_and_reloads(
    system: RunningSystem, browser: Any
) -> None:
    check = expect()
    context = phone(browser, 320)

    def root_size(page: Any) -> float:
        script = "parseFloat(getComputedStyle(document.documentElement).fontSize)"
        return float(page.evaluate(script))

    try:
        page = context.new_page()
        page.goto(f"{system.url}/register")
        normal = root_size(page)
        page.click("button:has-text('Grotere letters')")
        page.wait_for_load_state()
        assert page.url.endswith("/register")
        check(page.locator("html")).to_have_class(re.compile(r"\blarge-text\b"))
        check(page.locator("button:has-text('Grotere letters')")).to_have_attribute(
            "aria-pressed", "true"
        )
        assert root_size(page) > normal * 1.15
        for path in ("/register", "/login", "/reports", "/", "/notice-board?area=WK034405"):
            page.goto(f"{system.url}{path}")
            assert root_size(page) > normal * 1.15, path
            assert_reflows(page)
        page.reload()
        assert root_size(page) > normal * 1.15
        page.click("button:has-text('Grotere letters')")
        page.wait_for_load_state()
        assert root_size(page) == normal
    finally:
        context.close()


def test_charts_scale_to_a_320_px_phone_with_labels_of_at_least_12_px(
    system: RunningSystem, browser: Any
) -> None:
    context = phone(browser, 320)
    try:
        page = context.new_page()
        page.goto(f"{system.url}/reports?area=WK034403")
        assert_reflows(page)
        sizes = page.evaluate(
            """() => [...document.querySelectorAll("svg.chart")].map(svg => {
                 const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
                 return [...svg.querySelectorAll("text")]
                   .map(t => parseFloat(t.getAttribute("font-size")) * scale);
               })"""
        )
        assert len(sizes) == 3 and all(sizes)
        smallest = min(min(chart) for chart in sizes)
        assert smallest >= 12, f"chart labels show at {smallest:.1f} px"
    finally:
        context.close()


@pytest.mark.parametrize("text", ["normal", "large"])
def test_every_page_reflows_at_320_px_with_no_accessibility_violation(
    system: RunningSystem, browser: Any, steps: Callable[[int], Steps], text: str
) -> None:
    """Each page once, as a visitor, a volunteer and a coordinator, in normal and larger text."""
    journey, api = steps(320), Api(system)
    api.register(f"overal.{text}@example.nl", AREA[320], "80", name="Overal Kijker", volunteer=True)
    coordinator = f"kijk.{text}@example.nl"
    api.admin_create(coordinator, "coordinator", cooperative=api.cooperative_of(DISTRICT[320]))
    host = system.url.split("//")[1].split(":")[0]
    pages = {
        None: ["/", "/register", "/login", "/password-reset", "/map", "/reports"],
        f"overal.{text}@example.nl": [
            "/ask",
            "/requests",
            "/volunteer",
            "/proposals",
            "/inbox",
            "/me",
            "/me/notifications",
            f"/notice-board?area={DISTRICT[320]}",
        ],
        coordinator: ["/board", "/board/members/new", "/board/members/import"],
    }
    for who, paths in pages.items():
        context = phone(browser, 320)
        context.add_cookies([{"name": "samen_text", "value": text, "domain": host, "path": "/"}])
        try:
            page = context.new_page()
            if who is not None:
                sign_in(page, system, who, journey)
            for path in paths:
                answer = page.goto(f"{system.url}{path}")
                assert answer is not None and answer.status == 200, path
                journey.check(page, path.strip("/").split("?")[0].replace("/", "-") or "home")
        finally:
            context.close()
