"""The printable A4 sheet, as HTML (for a screen or the browser's print) and as PDF."""

import csv
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from fpdf import FPDF
from fpdf.fonts import FontFace
from jinja2 import Environment, select_autoescape

from examples.noticeboard.board import OpenRequest
from shared.categories import label

LOCAL = ZoneInfo("Europe/Amsterdam")
AREAS = Path(__file__).with_name("areas.csv")

TEXT = {
    "nl": {
        "title": "Hulpvragen in {area}",
        "intro": "Buren in {area} vragen om een handje hulp. Kunt u helpen? Noem de code bij "
        "de gastvrouw of gastheer, of meld u aan op de website van de buurtcoöperatie.",
        "what": "Wat",
        "when": "Wanneer",
        "where": "Buurt",
        "since": "Sinds",
        "code": "Code",
        "urgent": "spoed",
        "asked": "vrijwilliger gevraagd",
        "escalated": "bij de buurtmakelaar",
        "flexible": "in overleg",
        "from": "vanaf",
        "until": "uiterlijk",
        "none": "Er staan nu geen open hulpvragen. Dank aan alle helpers!",
        "privacy": "Op dit blad staan geen namen, adressen of andere persoonsgegevens.",
        "printed": "Bijgewerkt op {when}",
        "count": "{n} open hulpvragen",
        "count_one": "1 open hulpvraag",
    },
    "en": {
        "title": "Requests for help in {area}",
        "intro": "Neighbours in {area} ask for a hand. Can you help? Mention the code to the "
        "host, or sign up on the cooperative's website.",
        "what": "What",
        "when": "When",
        "where": "Neighbourhood",
        "since": "Since",
        "code": "Code",
        "urgent": "urgent",
        "asked": "volunteer asked",
        "escalated": "with the social broker",
        "flexible": "flexible",
        "from": "from",
        "until": "by",
        "none": "There are no open requests right now. Thanks to every helper!",
        "privacy": "This sheet holds no names, addresses or other personal data.",
        "printed": "Updated {when}",
        "count": "{n} open requests",
        "count_one": "1 open request",
    },
}


@lru_cache
def area_names() -> dict[str, str]:
    """CBS area names (Utrecht; source: CBS Kerncijfers wijken en buurten 2024)."""
    with AREAS.open(newline="", encoding="utf-8") as f:
        return {row["code"]: row["name"] for row in csv.DictReader(f)}


def area_name(code: str | None) -> str:
    if not code:
        return "-"
    return area_names().get(code, code)


def _moment(value: datetime) -> str:
    return value.astimezone(LOCAL).strftime("%d-%m-%Y %H:%M")


@dataclass(frozen=True)
class Row:
    code: str
    what: str
    when: str
    where: str
    since: str
    note: str


@dataclass(frozen=True)
class Sheet:
    language: str
    title: str
    intro: str
    headers: tuple[str, str, str, str, str]
    rows: list[Row]
    empty: str
    privacy: str
    printed: str
    count: str


def sheet(requests: list[OpenRequest], *, area: str, language: str = "nl", now: datetime) -> Sheet:
    """What the page says, in one language, with no personal data to leak."""
    t = TEXT.get(language, TEXT["nl"])
    place = area_name(area)

    def when(r: OpenRequest) -> str:
        if r.needed_from and r.needed_until:
            return f"{_moment(r.needed_from)} - {_moment(r.needed_until)[-5:]}"
        if r.needed_from:
            return f"{t['from']} {_moment(r.needed_from)}"
        if r.needed_until:
            return f"{t['until']} {_moment(r.needed_until)}"
        return t["flexible"]

    def note(r: OpenRequest) -> str:
        notes = [t["urgent"]] if r.urgent else []
        if r.status in ("asked", "escalated"):
            notes.append(t[r.status])
        return ", ".join(notes)

    rows = [
        Row(
            code=r.reference,
            what=label(r.category, language),
            when=when(r),
            where=area_name(r.neighbourhood or r.district),
            since=r.since.astimezone(LOCAL).strftime("%d-%m"),
            note=note(r),
        )
        for r in requests
    ]
    return Sheet(
        language=language if language in TEXT else "nl",
        title=t["title"].format(area=place),
        intro=t["intro"].format(area=place),
        headers=(t["code"], t["what"], t["when"], t["where"], t["since"]),
        rows=rows,
        empty=t["none"],
        privacy=t["privacy"],
        printed=t["printed"].format(when=_moment(now)),
        count=t["count_one"] if len(rows) == 1 else t["count"].format(n=len(rows)),
    )


_HTML = Environment(autoescape=select_autoescape(default=True)).from_string(
    """<!doctype html>
<html lang="{{ s.language }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="{{ refresh }}">
<title>{{ s.title }}</title>
<style>
  @page { size: A4; margin: 15mm; }
  body { font-family: system-ui, sans-serif; font-size: 14pt; color: #111; max-width: 180mm;
         margin: 0 auto; padding: 1em; }
  h1 { font-size: 24pt; margin: 0 0 .3em; }
  table { width: 100%; border-collapse: collapse; margin: 1em 0; }
  th, td { text-align: left; padding: .4em .3em; border-bottom: 1px solid #999;
           vertical-align: top; }
  th { border-bottom: 2px solid #111; }
  .code { font-family: ui-monospace, monospace; font-weight: bold; }
  .note { font-size: 11pt; font-style: italic; }
  footer { font-size: 10pt; color: #333; margin-top: 2em; }
  @media print { .screen { display: none; } body { padding: 0; } }
</style>
</head>
<body>
<h1>{{ s.title }}</h1>
<p>{{ s.intro }}</p>
{% if s.rows %}
<p><strong>{{ s.count }}</strong></p>
<table>
  <thead><tr>{% for h in s.headers %}<th scope="col">{{ h }}</th>{% endfor %}</tr></thead>
  <tbody>
  {% for r in s.rows %}
    <tr>
      <td class="code">{{ r.code }}</td>
      <td>{{ r.what }}{% if r.note %}<br><span class="note">{{ r.note }}</span>{% endif %}</td>
      <td>{{ r.when }}</td>
      <td>{{ r.where }}</td>
      <td>{{ r.since }}</td>
    </tr>
  {% endfor %}
  </tbody>
</table>
{% else %}
<p>{{ s.empty }}</p>
{% endif %}
<footer>
  <p>{{ s.printed }} &middot; {{ s.privacy }}</p>
  <p class="screen"><a href="sheet.pdf?lang={{ s.language }}">PDF</a></p>
</footer>
</body>
</html>
"""
)


def html(s: Sheet, *, refresh_seconds: int = 60) -> str:
    return _HTML.render(s=s, refresh=refresh_seconds)


def _latin1(text: str) -> str:
    """The PDF's built-in fonts cover Latin-1 (all Dutch letters); drop what they cannot show."""
    return text.encode("latin-1", "replace").decode("latin-1")


def pdf(s: Sheet) -> bytes:
    """One A4 page (more when the list is long), built-in Helvetica: works offline."""
    doc = FPDF(orientation="portrait", unit="mm", format="A4")
    doc.set_compression(False)  # small, and its text stays searchable for anyone checking it
    doc.set_title(_latin1(s.title))
    doc.set_margins(15, 15, 15)
    doc.set_auto_page_break(auto=True, margin=20)
    doc.add_page()
    doc.set_font("Helvetica", style="B", size=22)
    doc.multi_cell(0, 10, _latin1(s.title), new_x="LMARGIN", new_y="NEXT")
    doc.ln(2)
    doc.set_font("Helvetica", size=12)
    doc.multi_cell(0, 6, _latin1(s.intro), new_x="LMARGIN", new_y="NEXT")
    doc.ln(4)
    if s.rows:
        doc.set_font("Helvetica", style="B", size=12)
        doc.cell(0, 7, _latin1(s.count), new_x="LMARGIN", new_y="NEXT")
        doc.set_font("Helvetica", size=10)
        with doc.table(
            col_widths=(20, 48, 40, 56, 16),
            headings_style=FontFace(emphasis="BOLD"),
            line_height=6,
            text_align="LEFT",
        ) as table:
            table.row([_latin1(h) for h in s.headers])
            for r in s.rows:
                what = f"{r.what}\n({r.note})" if r.note else r.what
                table.row([_latin1(v) for v in (r.code, what, r.when, r.where, r.since)])
    else:
        doc.multi_cell(0, 7, _latin1(s.empty), new_x="LMARGIN", new_y="NEXT")
    doc.ln(6)
    doc.set_font("Helvetica", size=9)
    doc.multi_cell(0, 5, _latin1(f"{s.printed} - {s.privacy}"), new_x="LMARGIN", new_y="NEXT")
    return bytes(doc.output())
