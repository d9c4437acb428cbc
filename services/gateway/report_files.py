"""A report as files: CSV for the municipality's systems, XLSX and a one-page PDF for people.

Every file is written from the same rows, the figures as matching suppressed them: a hidden
cell is empty with the note why, and a median of a week nobody asked in says so, never "<5".
"""

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from fpdf import FPDF
from openpyxl import Workbook

from services.gateway.area_names import AreaNames
from services.gateway.i18n import category_label, translate
from services.gateway.report_charts import ReportCharts
from shared.categories import Category
from shared.clock import to_local
from shared.contracts import matching as mc
from shared.errors import Invalid
from shared.texts import N_

HIDDEN = N_("hidden (fewer than 5 people)")
NO_REQUESTS = N_("no requests")
NONE_MATCHED = N_("none matched")
HEADINGS = (N_("Figure"), N_("Of"), N_("Value"), N_("Note"))

# The figures in the order a reader meets them, with what the XLSX and PDF call them.
SCALARS: dict[str, str] = {
    "requests": N_("Requests"),
    "residents": N_("Residents who asked"),
    "matched": N_("Matched"),
    "match_rate": N_("Match rate"),
    "time_to_match_median_hours": N_("Median time to match (hours)"),
    "time_to_match_p90_hours": N_("Time to match, 90% within (hours)"),
    "escalations": N_("Escalations"),
    "volunteer_hours": N_("Volunteer hours"),
    "active_volunteers": N_("Active volunteers"),
    "good_ratings_share": N_("Rated good (feedback)"),
}
TABLES: dict[str, str] = {
    "by_category": N_("Requests per kind of help"),
    "residents_by_category": N_("Residents per kind of help"),
    "by_state": N_("Requests per state"),
    "by_district": N_("Requests per district"),
    "residents_by_district": N_("Residents per district"),
    "by_neighbourhood": N_("Requests per neighbourhood"),
    "residents_by_neighbourhood": N_("Residents per neighbourhood"),
    "unmet_by_neighbourhood": N_("Unmet requests per neighbourhood"),
    "good_ratings_by_district": N_("Rated good per district"),
    "good_ratings_by_category": N_("Rated good per kind of help"),
}
WEEKLY: dict[str, str] = {
    "requests": N_("Requests"),
    "residents": N_("Residents who asked"),
    "matched": N_("Matched"),
    "time_to_match_median_hours": N_("Median time to match (hours)"),
}
TIMES = {"time_to_match_median_hours", "time_to_match_p90_hours"}
OVER_REQUESTS = {"match_rate", "good_ratings_share"}


@dataclass(frozen=True)
class Row:
    figure: str  # "requests", "by_category", "week.matched", "week.state:open" ...
    key: str  # a category, state, area code or the week's first day; "" for the whole
    value: float | None
    note: str  # "", HIDDEN or NO_REQUESTS


def _row(
    figure: str,
    key: str,
    value: float | None,
    requests: int | None = None,
    matched: int | None = None,
) -> Row:
    """A figure as a file shows it: a hidden one empty with why, and a median of nothing
    (no requests, or none matched) empty with that, never as hidden."""
    base = figure.removeprefix("week.")
    if value is not None:
        return Row(figure, key, value, "")
    if base in TIMES and matched == 0:
        return Row(figure, key, None, NO_REQUESTS if requests == 0 else NONE_MATCHED)
    if base in OVER_REQUESTS and requests == 0:
        return Row(figure, key, None, NO_REQUESTS)
    return Row(figure, key, None, HIDDEN)


def rows(figures: mc.Figures, zone: str | None = None) -> list[Row]:
    found = [
        _row(name, "", getattr(figures, name), figures.requests, figures.matched)
        for name in SCALARS
    ]
    for name in TABLES:
        found += [_row(name, key, value) for key, value in sorted(getattr(figures, name).items())]
    for week in figures.periods:
        day = to_local(week.period_from, zone).date().isoformat()
        found += [
            _row(f"week.{name}", day, getattr(week, name), week.requests, week.matched)
            for name in WEEKLY
        ]
        found += [_row(f"week.state:{state}", day, value) for state, value in week.by_state.items()]
    return found


def csv_text(figures: mc.Figures, zone: str | None = None) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["area", "from", "until", "figure", "key", "value", "note"])
    head = [figures.area_code, figures.period_from.isoformat(), figures.period_until.isoformat()]
    for row in rows(figures, zone):
        writer.writerow(
            [*head, row.figure, row.key, "" if row.value is None else row.value, row.note]
        )
    return out.getvalue()


def _label(figure: str, language: str) -> str:
    if figure.startswith("week.state:"):
        state = figure.removeprefix("week.state:")
        return translate("Week", language) + ": " + translate(f"state.{state}", language)
    if figure.startswith("week."):
        name = WEEKLY[figure.removeprefix("week.")]
        return translate("Week", language) + ": " + translate(name, language)
    return translate(SCALARS.get(figure) or TABLES[figure], language)


def _key(row: Row, language: str, names: AreaNames) -> str:
    if row.figure.endswith("by_category") and row.key in {c.value for c in Category}:
        return category_label(row.key, language)
    if row.figure == "by_state":
        return translate(f"state.{row.key}", language)
    return names.name(row.key) if row.key[:2] in ("GM", "WK", "BU") else row.key


def xlsx_bytes(
    figures: mc.Figures, language: str, zone: str | None = None, *, names: AreaNames
) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook has one sheet
    sheet.title = translate("Figures", language)[:31]
    sheet.append([translate("Area", language), names.name(figures.area_code)])
    sheet.append([translate("From", language), _day(figures.period_from, zone)])
    sheet.append([translate("To", language), _day(figures.period_until, zone, last=True)])
    sheet.append([])
    sheet.append([translate(h, language) for h in HEADINGS])
    for row in rows(figures, zone):
        sheet.append(
            [
                _label(row.figure, language),
                _key(row, language, names),
                row.value,
                translate(row.note, language) if row.note else None,
            ]
        )
    for column, width in zip("ABCD", (44, 30, 12, 36), strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _day(moment: datetime, zone: str | None, *, last: bool = False) -> str:
    """A day as the cooperative's calendar shows it; `last`: the day before an end moment."""
    return to_local(moment - timedelta(seconds=1) if last else moment, zone).date().isoformat()


def _latin(text: str) -> str:
    """The PDF's built-in font knows Latin-1 only."""
    text = text.replace("–", "-").replace("—", "-").replace("’", "'")
    return text.encode("latin-1", "replace").decode("latin-1")


def _printable(svg: str) -> bytes:
    """A chart as the PDF library draws it: no hatching patterns (hidden drawn light grey) and
    without the texts for screen readers, which a page has elsewhere."""
    svg = re.sub(r"url\(#[^)]*\)", "#d9d9d9", svg)
    svg = re.sub(r"<(title|desc)[^>]*>.*?</\1>", "", svg, flags=re.S)
    svg = re.sub(r"<defs>.*?</defs>", "", svg, flags=re.S)
    return svg.encode("utf-8")


def _shown(value: float | None, note: str, language: str, *, percent: bool = False) -> str:
    if value is None:
        return "-" if note in (NO_REQUESTS, NONE_MATCHED) else translate("hidden", language)
    if percent:
        return f"{round(value * 100)}%"
    return f"{value:g}" if isinstance(value, int) else f"{value:.1f}"


def _neighbourhoods(
    pdf: FPDF, figures: mc.Figures, language: str, names: AreaNames, *, top: float
) -> None:
    """The neighbourhoods of the map as a table, in two columns of at most 16 rows."""
    pdf.set_font("Helvetica", "B", 10)
    pdf.set_xy(10, top)
    pdf.cell(0, 5, _latin(translate("Requests per neighbourhood", language)))
    codes = sorted(figures.by_neighbourhood, key=names.name)[:32]
    for column in range(2 if len(codes) > 16 else 1):
        x = 10 + 97 * column
        pdf.set_font("Helvetica", "B", 9)
        pdf.set_xy(x, top + 6)
        pdf.cell(55, 5, _latin(translate("Neighbourhood", language)), border="B")
        pdf.cell(20, 5, _latin(translate("Requests", language)), border="B", align="R")
        pdf.cell(20, 5, _latin(translate("Residents", language)), border="B", align="R")
        pdf.set_font("Helvetica", "", 9)
        for n, code in enumerate(codes[16 * column : 16 * column + 16]):
            pdf.set_xy(x, top + 11 + 5 * n)
            pdf.cell(55, 5, _latin(names.name(code))[:34], border="B")
            for value in (
                figures.by_neighbourhood[code],
                figures.residents_by_neighbourhood.get(code),
            ):
                pdf.cell(20, 5, _latin(_shown(value, HIDDEN, language)), border="B", align="R")


def pdf_bytes(
    figures: mc.Figures,
    views: ReportCharts,
    title: str,
    language: str,
    zone: str | None = None,
    *,
    names: AreaNames,
) -> bytes:
    """One A4 page: the key figures, the kinds of help, the chart per week and the map."""
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(False)
    pdf.set_title(_latin(title))
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 15)
    pdf.cell(0, 8, _latin(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    period = f"{_day(figures.period_from, zone)} - {_day(figures.period_until, zone, last=True)}"
    note = translate("Groups smaller than 5 are hidden, so nobody can be recognised.", language)
    pdf.cell(0, 5, _latin(f"{period}. {note}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    top = pdf.get_y()
    by_name = {r.figure: r for r in rows(figures, zone) if not r.key}
    pdf.set_font("Helvetica", "", 9)
    for name, label in SCALARS.items():
        row = by_name[name]
        pdf.set_x(10)
        pdf.cell(62, 5, _latin(translate(label, language)), border="B")
        percent = name in ("match_rate", "good_ratings_share")
        pdf.cell(
            24,
            5,
            _latin(_shown(row.value, row.note, language, percent=percent)),
            border="B",
            align="R",
            new_x="LMARGIN",
            new_y="NEXT",
        )
    pdf.set_y(top)
    pdf.set_font("Helvetica", "B", 9)
    pdf.set_x(105)
    pdf.cell(55, 5, _latin(translate("Kind of help", language)), border="B")
    pdf.cell(20, 5, _latin(translate("Requests", language)), border="B", align="R")
    pdf.cell(
        20,
        5,
        _latin(translate("Residents", language)),
        border="B",
        align="R",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("Helvetica", "", 9)
    for code, count in sorted(figures.by_category.items())[:12]:
        people = figures.residents_by_category.get(code)
        pdf.set_x(105)
        pdf.cell(
            55, 5, _latin(_key(Row("by_category", code, None, ""), language, names)), border="B"
        )
        pdf.cell(20, 5, _latin(_shown(count, HIDDEN, language)), border="B", align="R")
        pdf.cell(
            20,
            5,
            _latin(_shown(people, HIDDEN, language)),
            border="B",
            align="R",
            new_x="LMARGIN",
            new_y="NEXT",
        )
    y = max(pdf.get_y(), top + 5 * len(SCALARS)) + 4
    pdf.set_font("Helvetica", "B", 10)
    pdf.set_xy(10, y)
    pdf.cell(90, 5, _latin(translate("Requests per week by state", language)))
    pdf.set_xy(105, y)
    pdf.cell(95, 5, _latin(views.map_title))
    pdf.image(io.BytesIO(_printable(str(views.per_week))), x=10, y=y + 6, w=90)
    pdf.image(io.BytesIO(_printable(str(views.utrecht_map))), x=105, y=y + 6, w=95)
    _neighbourhoods(pdf, figures, language, names, top=y + 100)
    pdf.set_font("Helvetica", "", 8)
    pdf.set_xy(10, 285)
    pdf.cell(0, 4, _latin(translate("Hidden cells are grey in the chart and the map.", language)))
    return bytes(pdf.output())


FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


@dataclass(frozen=True)
class File:
    name: str
    media_type: str
    content: bytes


def file_format(value: str) -> str:
    if value not in FORMATS:
        raise Invalid(
            "give the format as csv, xlsx or pdf",
            details={"field": "format", "reason": "bad_format"},
        )
    return value
