"""The report defects a tester found, each shown fixed where the reader meets it: in the
figures, the chart, the page and the funder's files."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook

from services.gateway import charts, report_files, reporting, web
from services.gateway.report_charts import report_charts
from services.matching.domain.reports import RequestFact, figures
from shared.contracts import matching as mc
from shared.errors import Invalid
from tests.registry_areas import utrecht_names
from tests.security.test_escaping import hostile_request, page_context

ZONE = "Europe/Amsterdam"
MONDAY = datetime(2026, 10, 4, 22, tzinfo=UTC)  # Monday 5 October 2026, 00:00 in Utrecht
TAAG, WOLGA, OVERVECHT = "BU03440311", "BU03440312", "WK034403"


def ask(
    person: str,
    *,
    week: int = 0,
    state: str = "open",
    category: str = "groceries",
    hood: str = TAAG,
    wait: float | None = None,
) -> RequestFact:
    created = MONDAY + timedelta(weeks=week, hours=10)
    return RequestFact(
        category=category,
        state=state,
        neighbourhood=hood,
        district=OVERVECHT,
        created_at=created,
        matched_at=created + timedelta(hours=wait) if wait is not None else None,
        matched_volunteer_id=f"v-{person}" if wait is not None else None,
        requester_id=person,
    )


def overvecht(cohort: list[RequestFact], weeks: int = 2) -> mc.Figures:
    return figures(
        area_code=OVERVECHT,
        period_from=MONDAY,
        period_until=MONDAY + timedelta(weeks=weeks),
        cohort=cohort,
        completed=[],
        parts=[MONDAY + timedelta(weeks=n) for n in range(weeks)],
    )


def test_a_week_of_seven_beside_a_total_of_eight_is_hidden_with_the_week_of_one() -> None:
    # Overvecht showed 8 requests and one part 7, with the other hidden: it is 1.
    result = overvecht([*(ask(f"r{n}") for n in range(7)), ask("late", week=1)])
    assert result.requests == 8
    assert [w.requests for w in result.periods] == [None, None]


def test_fifteen_requests_of_three_residents_are_hidden() -> None:
    garden = [ask(f"r{n % 3}", category="garden") for n in range(15)]
    groceries = [ask(f"g{n}") for n in range(10)]
    result = overvecht([*garden, *groceries], weeks=1)
    assert result.by_category["garden"] is None
    assert result.residents_by_category["garden"] is None
    assert result.requests == 25 and result.residents == 13
    assert result.by_category["groceries"] is None  # else garden is 25 minus it


def test_matched_requests_of_two_residents_are_hidden_and_so_is_the_rate() -> None:
    matched = [ask(f"m{n % 2}", state="done", wait=2) for n in range(6)]
    waiting = [ask(f"w{n}") for n in range(8)]
    result = overvecht([*matched, *waiting], weeks=1)
    assert result.matched is None
    assert result.match_rate is None  # 0.4286 of 14 would give the 6 back
    assert result.time_to_match_median_hours is None  # a median over 2 people


def test_a_week_with_a_hidden_state_is_one_hidden_bar_of_its_whole() -> None:
    svg = str(
        charts.stacked_bars(
            "Requests per week",
            ["5-10"],
            {"open": [None], "done": [6]},
            {"open": "Open", "done": "Done"},
            totals=[16],
            hidden="not shown",
        )
    )
    bars = re.findall(r"<rect [^>]*height='([\d.]+)'[^>]*><title>([^<]*)</title>", svg)
    assert [title for _, title in bars] == ["5-10: not shown; 16"]  # never a bar of 6
    assert "Done 6" not in svg
    assert "not shown" in re.sub(r"<title>.*?</title>|<desc.*?</desc>", "", svg)  # legend


def test_a_week_without_requests_shows_a_dash_not_fewer_than_five() -> None:
    result = overvecht([*(ask(f"r{n}", state="done", wait=1) for n in range(6))])
    empty = result.periods[1]
    assert empty.requests == 0 and empty.time_to_match_median_hours is None
    week_rows = [r for r in report_files.rows(result, ZONE) if r.key == "2026-10-12"]
    assert {r.figure: r.note for r in week_rows}["week.time_to_match_median_hours"] == (
        report_files.NO_REQUESTS
    )
    context = page_context("reports.html.j2", 0) | {"figures": result}
    page = bytes(web.render(hostile_request("nl"), "reports.html.j2", None, **context).body)
    weeks = page.decode().split('id="weeks"')[1].split("</table>")[0]
    last = weeks.split("<tr>")[-1]
    assert "–" in last and "geen hulpvragen" in last and "&lt;5" not in last
    assert "geen hulpvragen" in report_charts(result, "nl", ZONE).time_to_match


def test_the_quarter_is_validated_in_the_readers_words() -> None:
    assert reporting.quarter("2026-q4", ZONE) == (
        datetime(2026, 9, 30, 22, tzinfo=UTC),
        datetime(2026, 12, 31, 23, tzinfo=UTC),
    )
    for wrong in ("2026-Q5", "Q4-2026", "1900-Q1", ""):
        with pytest.raises(Invalid) as caught:
            reporting.quarter(wrong, ZONE)
        assert caught.value.details == {"field": "quarter", "reason": "bad_quarter"}
    with pytest.raises(Invalid) as caught:
        reporting.district("WK999999", utrecht_names())
    assert caught.value.details["reason"] == "unknown_district"
    with pytest.raises(Invalid):
        report_files.file_format("docx")


def test_the_funders_files_show_the_same_hidden_cells() -> None:
    cohort = [
        *(ask(f"r{n}", state="done", wait=n + 1, hood=TAAG) for n in range(9)),
        *(ask(f"w{n}", week=1, hood=WOLGA, category="transport") for n in range(3)),
    ]
    result = overvecht(cohort)
    book = load_workbook(
        io.BytesIO(report_files.xlsx_bytes(result, "nl", ZONE, names=utrecht_names()))
    ).active
    assert book is not None
    values = [row[2] for row in book.iter_rows(min_row=6, values_only=True)]
    assert values == [r.value for r in report_files.rows(result, ZONE)]
    hidden = [row for row in book.iter_rows(min_row=6, values_only=True) if row[2] is None]
    assert hidden and all(row[3] for row in hidden)  # each says why it is empty
    pdf = report_files.pdf_bytes(
        result,
        report_charts(result, "nl", ZONE),
        "Cijfers: Overvecht",
        "nl",
        ZONE,
        names=utrecht_names(),
    )
    assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type /Page\b", pdf)) == 1
