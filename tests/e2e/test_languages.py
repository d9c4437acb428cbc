"""Languages in real Chromium against the whole system (`samen up`, the real registry): a
postcode the registry does not know is said once, in Dutch, and the form keeps what was typed;
an Arabic page runs right to left and passes axe."""

from typing import Any

import pytest

from tests.conftest import RunningSystem
from tests.e2e.conftest import PASSWORD, Api, assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def test_an_unknown_postcode_is_said_once_in_dutch_and_the_form_keeps_the_e_mail_address(
    system: RunningSystem, browser: Any
) -> None:
    page = browser.new_page()
    try:
        page.goto(f"{system.url}/register")
        page.fill("#name", "Ans de Vries")
        page.fill("#email", "ans.onbekend@example.nl")
        page.fill("#password", PASSWORD)
        page.fill("#postcode", "9999 ZZ")
        page.fill("#house_number", "12")
        page.click("button[type=submit]:has-text('Account maken')")
        page.wait_for_selector(".error-summary")
        summary = page.locator(".error-summary li").all_inner_texts()
        assert summary == ["Deze postcode kennen we niet. Samen werkt daar nog niet."]
        assert page.input_value("#email") == "ans.onbekend@example.nl"
        assert page.input_value("#postcode") == "9999 ZZ"
        text = page.inner_text("main")
        assert "municipality" not in text and "postcode 9999 ZZ" not in text
        assert_accessible(page)
    finally:
        page.close()


def test_the_ask_page_in_arabic_runs_right_to_left(system: RunningSystem, browser: Any) -> None:
    api = Api(system)
    api.register("arabisch@example.nl", "3561 AB", "8", name="Samira Amrani")
    page = browser.new_page()
    try:
        page.goto(f"{system.url}/login")
        page.fill("#email", "arabisch@example.nl")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]:has-text('Inloggen')")
        page.wait_for_load_state()
        page.goto(f"{system.url}/ask?lang=ar")
        assert page.get_attribute("html", "dir") == "rtl"
        assert page.get_attribute("html", "lang") == "ar"
        assert "بماذا تحتاج المساعدة؟" in page.inner_text("main")
        assert_accessible(page)
        page.click("a[hreflang=tr]")
        page.wait_for_load_state()
        assert page.get_attribute("html", "dir") == "ltr"
        assert "Yardım iste" in page.inner_text("header")
    finally:
        page.close()
