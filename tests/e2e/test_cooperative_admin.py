"""The cooperative admin's pages in a browser on a phone: the admin opens her district
cooperative, asks fewer volunteers, one ring out, with a radius cap (a typo refused in words,
nothing typed lost), invites a coordinator by e-mail, gives the cooperative its digest time,
and finds each change in its log. Every step reflows, passes axe and leaves a screenshot."""

from collections.abc import Callable
from typing import Any

from tests.conftest import RunningSystem
from tests.e2e.conftest import Steps
from tests.e2e.test_demo import DEMO_PASSWORD, demo_system
from tests.support import wait_until

__all__ = ["demo_system"]  # the demo's running system, a fixture shared with test_demo

DISTRICT = "utrecht-overvecht"


def test_an_admin_runs_her_district_cooperative_in_the_browser(
    demo_system: RunningSystem, browser: Any, steps: Callable[[int], Steps]
) -> None:
    step = steps(390)
    context = browser.new_context(locale="nl-NL", viewport={"width": 390, "height": 800})
    try:
        page = context.new_page()

        def signed_in() -> bool:
            page.goto(f"{demo_system.url}/login")
            page.fill("#email", "admin@samen.demo")
            page.fill("#password", DEMO_PASSWORD)
            page.click("button[type=submit]:has-text('Inloggen')")
            page.wait_for_load_state()
            return "/login" not in page.url

        wait_until(signed_in, timeout=60, message="the demo admin was not seeded")
        assert page.locator("nav a[href='/admin']").count() == 1  # in the menu
        page.goto(f"{demo_system.url}/admin")
        step.check(page, "cooperatives")
        page.click(f"a[href='/admin/{DISTRICT}']")
        page.wait_for_url(f"**/admin/{DISTRICT}")
        step.check(page, "district-cooperative")
        # Areas are picked by name: no field to type a CBS code in.
        assert page.locator("label[for=area-WK034403]").text_content() == "Overvecht (hele wijk)"

        page.fill("#proposals_per_round", "2")
        page.select_option("#rings", "2")
        page.fill("#radius_cap_km", "drie")
        page.click("#policy button[type=submit]")
        page.wait_for_load_state()
        assert page.locator("#radius_cap_km-error").is_visible()
        assert "kilometers" in (page.locator("#radius_cap_km-error").text_content() or "")
        assert page.input_value("#proposals_per_round") == "2"  # nothing typed is lost
        step.check(page, "typo-refused")
        page.fill("#radius_cap_km", "3,5")
        page.click("#policy button[type=submit]")
        page.wait_for_url(f"**/admin/{DISTRICT}?saved=policy*")
        assert page.locator("p.notice[role=status]").text_content() == "Opgeslagen."
        assert page.input_value("#radius_cap_km") == "3.5"
        assert page.locator("#rings").input_value() == "2"
        step.check(page, "policy-saved")

        page.fill("#invite-email", "nieuwe.coordinator@example.nl")
        page.fill("#invite-name", "Nadia Vermeulen")
        page.fill("#invite-postcode", "3561 AB")
        page.fill("#invite-house", "9")
        page.click("#coordinators form.stack button[type=submit]")
        page.wait_for_url(f"**/admin/{DISTRICT}?saved=coordinators*")
        assert page.locator("#coordinators .card", has_text="Nadia Vermeulen").is_visible()
        step.check(page, "coordinator-invited")

        page.fill("#digest_time", "17:30")
        page.click("#channels button[type=submit]")
        page.wait_for_url(f"**/admin/{DISTRICT}?saved=channels*")
        assert page.input_value("#digest_time") == "17:30"
        changes = page.locator("#changes tbody tr").all_inner_texts()
        assert any("digest time: 17:30" in row for row in changes)
        assert any("coordinator added" in row for row in changes)
        assert any("rings: 3 → 2" in row and "radius_cap_km: None → 3.5" in row for row in changes)
        step.check(page, "change-log")
    finally:
        context.close()
