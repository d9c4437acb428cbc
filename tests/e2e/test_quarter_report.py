"""Journey 8 of docs/design.md, end of the quarter: the city cooperative's coordinator opens
the reports, picks the quarter and Overvecht, sees the chart per week and the map, and
downloads the quarter as CSV, XLSX and PDF for the municipality; no cell of any of them
describes fewer than 5 people.

Twelve residents of Overvecht ask over the API: six for groceries, five for a lift and one, three
times, for garden work. The groceries are shown; the garden work (one person) is hidden, and so
are the lifts, which would otherwise be the total minus the groceries.
"""

import csv
import io
import re
from typing import Any

import pytest
from openpyxl import load_workbook

from services.gateway.reporting import quarter_of
from shared.clock import SystemClock
from tests.conftest import RunningSystem
from tests.e2e.conftest import PASSWORD, Api, artifacts_dir, assert_accessible, caught_up

pytestmark = [pytest.mark.browser, pytest.mark.integration]

ASKED = {"groceries": range(6), "transport": range(6, 11), "garden": range(11, 12)}


def seed(api: Api) -> None:
    for category, people in ASKED.items():
        for n in people:
            email = f"bewoner{n}@example.nl"
            api.register(email, "3561 AB", str(100 + n), name=f"Bewoner {n}")
            auth = api.login(email)
            for _ in range(3 if category == "garden" else 1):
                created = api.http.post(
                    "/api/v1/requests",
                    json={"category": category, "description": "Graag hulp"},
                    headers=auth,
                )
                assert created.status_code == 201, created.text


MEASURES = ("rate", "hours", "share")  # not counts of people or requests


def no_cell_of_fewer_than_five(figures: list[str], values: list[Any]) -> None:
    counts = [
        float(v)
        for f, v in zip(figures, values, strict=True)
        if v not in (None, "") and not any(m in f for m in MEASURES)
    ]
    assert counts and all(not 0 < v < 5 for v in counts), counts


def test_the_city_coordinator_downloads_the_quarter_of_overvecht(
    system: RunningSystem, browser: Any
) -> None:
    from playwright.sync_api import expect

    api = Api(system)
    seed(api)
    caught_up(system, "matching")
    coops = api.http.get("/api/v1/cooperatives", params={"area": "WK034403"}).json()
    city = next(c["cooperative_id"] for c in coops["cooperatives"] if c["level"] == "municipality")
    api.admin_create("marieke@example.nl", "coordinator", cooperative=city)
    quarter = quarter_of(SystemClock().now())
    folder = artifacts_dir() / "e2e" / "quarter-report"
    folder.mkdir(parents=True, exist_ok=True)

    context = browser.new_context(locale="nl-NL", accept_downloads=True)
    try:
        page = context.new_page()
        page.goto(f"{system.url}/login")
        page.fill("#email", "marieke@example.nl")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]:has-text('Inloggen')")
        page.wait_for_load_state()

        page.goto(f"{system.url}/reports")
        page.screenshot(path=str(folder / "01-reports.png"), full_page=True)
        assert_accessible(page)

        page.select_option("#area", "WK034403")
        page.click("button[type=submit]:has-text('Toon')")
        page.wait_for_url("**/reports?area=WK034403**")
        expect(page.locator("h1")).to_contain_text("Overvecht")
        chart = page.locator("#h-weeks ~ figure svg")
        expect(chart).to_be_visible()
        expect(page.locator("#h-map ~ figure svg")).to_be_visible()
        categories = page.locator("#categories tbody")
        expect(categories.locator("tr", has_text="Boodschappen")).to_contain_text("6")
        expect(categories.locator("tr", has_text="Tuin")).to_contain_text("<5")
        page.screenshot(path=str(folder / "02-overvecht.png"), full_page=True)
        assert_accessible(page)

        page.select_option("#quarter-district", "WK034403")
        page.select_option("#quarter", quarter)
        files: dict[str, bytes] = {}
        for kind, button in (("csv", "CSV"), ("xlsx", "Excel"), ("pdf", "PDF")):
            with page.expect_download() as caught:
                page.click(f"#quarter-form button:has-text('{button}')")
            download = caught.value
            assert download.suggested_filename == f"samen-WK034403-{quarter}.{kind}"
            target = folder / download.suggested_filename
            download.save_as(target)
            files[kind] = target.read_bytes()
        page.screenshot(path=str(folder / "03-downloaded.png"), full_page=True)
        assert_accessible(page)

        page.goto(f"{system.url}/reports/quarter?district=WK034403&quarter=2026-Q7&format=pdf")
        expect(page.locator("main")).to_contain_text("Kies een kwartaal")
        page.screenshot(path=str(folder / "04-wrong-quarter.png"), full_page=True)
        assert_accessible(page)
    finally:
        context.close()

    rows = list(csv.DictReader(io.StringIO(files["csv"].decode())))
    value = {(r["figure"], r["key"]): r["value"] for r in rows}
    assert value[("requests", "")] == "14" and value[("residents", "")] == "12"
    assert value[("by_category", "groceries")] == "6"
    assert value[("by_category", "garden")] == value[("by_category", "transport")] == ""
    names = [r["figure"] for r in rows]
    no_cell_of_fewer_than_five(names, [r["value"] for r in rows])

    sheet = load_workbook(io.BytesIO(files["xlsx"])).active
    assert sheet is not None
    cells = [row[2] for row in sheet.iter_rows(min_row=6, values_only=True)]
    assert cells == [None if r["value"] == "" else float(r["value"]) for r in rows]
    no_cell_of_fewer_than_five(names, cells)

    pdf = files["pdf"]
    assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type /Page\b", pdf)) == 1

    # The same figures from the API.
    answer = api.http.get(
        "/api/v1/reports/quarter",
        params={"district": "WK034403", "quarter": quarter, "format": "csv"},
    )
    assert answer.status_code == 200 and answer.content == files["csv"]
    wrong = api.http.get(
        "/api/v1/reports/quarter", params={"district": "WK999999", "quarter": quarter}
    )
    assert wrong.status_code == 422
