"""Nothing a report publishes gives a hidden cell away, in any of its forms.

Random requests (districts, neighbourhoods, weeks, states, residents and volunteers) are made
into every output of a report: the JSON of the API, the CSV, the XLSX (read back with
openpyxl), the numbers drawn in the chart per week and in the map. They must agree with each
other; every cell they show must describe at least 5 people (counted here from the requests,
not taken from the report); and a reader who knows how the cells add up (tables to their
totals, neighbourhoods to their district, weeks to the quarter, the residents of a row at most
its requests and at most all residents, and exactly the sum of its parts when they happen to
add up) and who multiplies a rate by its base must not pin any hidden cell to one value.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from services.gateway import charts, report_files
from services.gateway.report_charts import report_charts
from services.matching.domain.reports import UNMET, RequestFact, figures
from shared.contracts import matching as mc
from shared.contracts.matching import REQUEST_STATES
from tests.registry_areas import utrecht_names

ZONE = "Europe/Amsterdam"
MONDAY = datetime(2026, 9, 28, 22, tzinfo=UTC)  # Monday 29 September 00:00 in Utrecht
WEEKS = [MONDAY + timedelta(weeks=n) for n in range(3)]
END = MONDAY + timedelta(weeks=3)
HOODS = {
    "BU03440311": "WK034403",  # Taag- en Rubicondreef, Overvecht
    "BU03440312": "WK034403",  # Wolga- en Donaudreef, Overvecht
    "BU03440411": "WK034404",  # Vogelenbuurt, Noordoost
    "BU03440412": "WK034404",
}
CATEGORIES = ["groceries", "garden", "transport"]
Publish = Callable[[list[RequestFact]], dict[str, Any]]
Term = tuple[int, str]


def fact(values: tuple[int, str, str, int, int, bool, int, bool]) -> RequestFact:
    person, category, state, week, hour, escalated, volunteer, moved = values
    hoods = sorted(HOODS)
    # Most residents ask from home; a few moved, so residents need not add up by area.
    hood = hoods[(person + (1 if moved else 0)) % len(hoods)]
    created = WEEKS[week] + timedelta(hours=hour)
    was_matched = state in {"matched", "done"} or (state == "cancelled" and volunteer % 2 == 0)
    return RequestFact(
        category=category,
        state=state,
        neighbourhood=hood,
        district=HOODS[hood],
        created_at=created,
        matched_at=created + timedelta(hours=1 + volunteer) if was_matched else None,
        ever_escalated=escalated or state == "escalated",
        matched_volunteer_id=f"v{volunteer}" if was_matched else None,
        requester_id=f"r{person}",
    )


FACTS = st.tuples(
    st.integers(0, 14),
    st.sampled_from(CATEGORIES),
    st.sampled_from(REQUEST_STATES),
    st.integers(0, 2),
    st.integers(0, 160),
    st.booleans(),
    st.integers(0, 7),
    st.booleans(),
).map(fact)


def report(cohort: list[RequestFact], area: str = "GM0344") -> mc.Figures:
    return figures(
        area_code=area,
        period_from=MONDAY,
        period_until=END,
        cohort=cohort,
        completed=[],
        parts=WEEKS,
    )


# ------------------------------------------------------------ what each form publishes


def cells_from_json(data: dict[str, Any]) -> dict[str, float | None]:
    cells: dict[str, float | None] = {
        "requests": data["requests"],
        "residents@requests": data["residents"],
        "matched": data["matched"],
        "escalations": data["escalations"],
        "active_volunteers": data["active_volunteers"],
        "match_rate": data["match_rate"],
    }
    for table, prefix in (
        ("by_category", "category:"),
        ("residents_by_category", "residents@category:"),
        ("by_state", "state:"),
        ("by_district", "district:"),
        ("residents_by_district", "residents@district:"),
        ("by_neighbourhood", "neighbourhood:"),
        ("residents_by_neighbourhood", "residents@neighbourhood:"),
        ("unmet_by_neighbourhood", "unmet:"),
    ):
        for key, value in data[table].items():
            cells[prefix + key] = value
    for n, week in enumerate(data["periods"]):
        cells[f"w{n}/requests"] = week["requests"]
        cells[f"residents@w{n}/requests"] = week["residents"]
        cells[f"w{n}/matched"] = week["matched"]
        for state, value in week["by_state"].items():
            cells[f"w{n}/state:{state}"] = value
    return cells


CSV_NAMES = {
    "requests": "requests",
    "residents": "residents@requests",
    "matched": "matched",
    "escalations": "escalations",
    "active_volunteers": "active_volunteers",
    "match_rate": "match_rate",
    "by_category": "category:",
    "residents_by_category": "residents@category:",
    "by_state": "state:",
    "by_district": "district:",
    "residents_by_district": "residents@district:",
    "by_neighbourhood": "neighbourhood:",
    "residents_by_neighbourhood": "residents@neighbourhood:",
    "unmet_by_neighbourhood": "unmet:",
}


def cells_from_csv(text: str) -> dict[str, float | None]:
    days = [(MONDAY + timedelta(weeks=n, hours=2)).date().isoformat() for n in range(3)]
    cells: dict[str, float | None] = {}
    for row in csv.DictReader(io.StringIO(text)):
        value = None if row["value"] == "" else float(row["value"])
        figure, key = row["figure"], row["key"]
        if figure.startswith("week."):
            n = days.index(key)
            name = figure.removeprefix("week.")
            cell = {
                "requests": f"w{n}/requests",
                "residents": f"residents@w{n}/requests",
                "matched": f"w{n}/matched",
            }.get(name, f"w{n}/{name}")
            if name != "time_to_match_median_hours":
                cells[cell] = value
        elif figure in CSV_NAMES:
            name = CSV_NAMES[figure]
            cells[name + key if name.endswith(":") else name] = value
    return cells


def xlsx_values(content: bytes) -> list[Any]:
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    return [row[2] for row in sheet.iter_rows(min_row=6, values_only=True)]


TITLE = re.compile(r"<title>([^<]*)</title></(?:rect|path)>")


def chart_bars(svg: str) -> list[str]:
    """The texts of the bars drawn: '29-9: Open 3', or '6-10: not shown; 16'."""
    return TITLE.findall(svg)


def map_values(svg: str) -> dict[str, str]:
    names = {s.name: s.code for s in charts.utrecht_shapes()}
    return {names[name]: value for name, value in (t.rsplit(": ", 1) for t in TITLE.findall(svg))}


def publish(cohort: list[RequestFact]) -> dict[str, Any]:
    """Every form of the report, read back, checked to agree; the cells as JSON shows them."""
    result = report(cohort)
    data = result.model_dump(mode="json")
    cells = cells_from_json(data)
    from_csv = cells_from_csv(report_files.csv_text(result, ZONE))
    assert from_csv == {k: None if v is None else float(v) for k, v in cells.items()}
    rows = report_files.rows(result, ZONE)
    assert xlsx_values(report_files.xlsx_bytes(result, "nl", ZONE, names=utrecht_names())) == [
        r.value for r in rows
    ]
    views = report_charts(result, "en", ZONE)
    hidden_word = "not shown (fewer than 5 people)"
    bars = chart_bars(str(views.per_week))
    for n, week in enumerate(result.periods):
        label = (
            f"{(MONDAY + timedelta(weeks=n, hours=2)).day}-{(MONDAY + timedelta(weeks=n)).month}"
        )
        drawn = [b.removeprefix(f"{label}: ") for b in bars if b.startswith(f"{label}: ")]
        if None in week.by_state.values():
            # Never the shown states as if they were the week: one hidden bar of its total.
            expected = [f"{hidden_word}; {week.requests}"] if week.requests else []
            assert drawn == expected
        else:
            assert sum(int(b.rsplit(" ", 1)[1]) for b in drawn) == week.requests
    shown_map = map_values(str(views.utrecht_map))
    for code, value in result.by_neighbourhood.items():
        assert shown_map[code] == ("fewer than 5 (hidden)" if value is None else str(value))
    return data


# ------------------------------------------------------------ the reader's attack


def people(cohort: Sequence[RequestFact], cell: str) -> int:
    """The people a published cell describes, counted from the requests themselves."""
    cell = cell.removeprefix("residents@")
    if cell == "active_volunteers":
        return len({r.matched_volunteer_id for r in cohort if r.matched_at is not None})
    rows = list(cohort)
    if cell.startswith("w"):
        week, cell = cell.split("/", 1)
        start = WEEKS[int(week[1:])]
        rows = [r for r in rows if start <= r.created_at < start + timedelta(weeks=1)]
    kind, _, key = cell.partition(":")
    test: dict[str, Callable[[RequestFact], bool]] = {
        "requests": lambda r: True,
        "matched": lambda r: r.matched_at is not None,
        "escalations": lambda r: r.ever_escalated,
        "category": lambda r: r.category == key,
        "state": lambda r: r.state == key,
        "district": lambda r: r.district == key,
        "neighbourhood": lambda r: r.neighbourhood == key,
        "unmet": lambda r: r.neighbourhood == key and r.state in UNMET,
    }
    return len({r.requester_id for r in rows if test[kind](r)})


def relations(
    cells: dict[str, float | None], cohort: Sequence[RequestFact]
) -> tuple[list[list[Term]], list[list[Term]]]:
    """Equalities (sum == 0) and inequalities (sum <= 0) a reader knows between the cells."""
    equal: list[list[Term]] = []
    at_most: list[list[Term]] = []

    def of(prefix: str) -> list[str]:
        return [k for k in cells if k.startswith(prefix)]

    def adds_up(total: str, parts: list[str]) -> None:
        equal.append([(1, total), *((-1, p) for p in parts)])
        twin, twins = f"residents@{total}", [f"residents@{p}" for p in parts]
        twins = [t for t in twins if t in cells]
        if twin not in cells or not twins:
            return
        exact = people(cohort, twin) == sum(people(cohort, t) for t in twins)
        (equal if exact else at_most).append([(1, twin), *((-1, t) for t in twins)])
        at_most.extend([(1, t), (-1, twin)] for t in twins)

    weeks = range(len(WEEKS))
    adds_up("requests", of("category:"))
    adds_up("requests", of("state:"))
    adds_up("requests", of("district:"))
    adds_up("requests", of("neighbourhood:"))
    adds_up("requests", [f"w{n}/requests" for n in weeks])
    adds_up("matched", [f"w{n}/matched" for n in weeks])
    for state in REQUEST_STATES:
        adds_up(f"state:{state}", [f"w{n}/state:{state}" for n in weeks])
    for n in weeks:
        adds_up(f"w{n}/requests", of(f"w{n}/state:"))
        at_most.append([(1, f"w{n}/state:matched"), (1, f"w{n}/state:done"), (-1, f"w{n}/matched")])
    for district in sorted(set(HOODS.values())):
        parts = [f"neighbourhood:{h}" for h, d in HOODS.items() if d == district]
        adds_up(f"district:{district}", [p for p in parts if p in cells])
    equal.append([*((1, f"state:{s}") for s in sorted(UNMET)), *((-1, k) for k in of("unmet:"))])
    at_most += [
        [(1, "state:matched"), (1, "state:done"), (-1, "matched")],
        [(1, "state:escalated"), (-1, "escalations")],
        [(1, "active_volunteers"), (-1, "matched")],
        *([(1, k), (-1, f"neighbourhood:{k[6:]}")] for k in of("unmet:")),
        *([(1, k), (-1, k.removeprefix("residents@"))] for k in of("residents@")),
    ]
    known = set(cells)
    return (
        [[t for t in row if t[1] in known] for row in equal],
        [[t for t in row if t[1] in known] for row in at_most],
    )


def attack(
    cells: dict[str, float | None], cohort: Sequence[RequestFact]
) -> dict[str, tuple[float, float]]:
    """The range the reader narrows each hidden count to (interval propagation)."""
    counts = {k: v for k, v in cells.items() if k != "match_rate"}
    low = {k: (1.0 if v is None else float(v)) for k, v in counts.items()}
    high = {k: (math.inf if v is None else float(v)) for k, v in counts.items()}
    rate = cells["match_rate"]
    if rate is not None and None not in (cells["requests"], cells["state:cancelled"]):
        base = float(cells["requests"] or 0) - float(cells["state:cancelled"] or 0)
        low["matched"] = high["matched"] = round(rate * base)
    equal, at_most = relations(counts, cohort)
    for _ in range(200):
        before = (dict(low), dict(high))
        for terms, is_equal in [*((t, True) for t in equal), *((t, False) for t in at_most)]:
            for coef, key in terms:
                rest = [(c, k) for c, k in terms if k != key]
                rest_low = sum(c * (low[k] if c > 0 else high[k]) for c, k in rest)
                rest_high = sum(c * (high[k] if c > 0 else low[k]) for c, k in rest)
                if coef > 0:
                    high[key] = min(high[key], -rest_low)
                    if is_equal:
                        low[key] = max(low[key], -rest_high)
                else:
                    low[key] = max(low[key], rest_low)
                    if is_equal:
                        high[key] = min(high[key], rest_high)
        if (low, high) == before:
            break
    return {k: (low[k], high[k]) for k, v in counts.items() if v is None}


def holds_up(cohort: list[RequestFact], published: dict[str, Any]) -> None:
    cells = cells_from_json(published)
    for cell, value in cells.items():
        if cell != "match_rate" and value:
            assert people(cohort, cell) >= 5, f"{cell} = {value} describes fewer than 5 people"
    if published["match_rate"] is not None:
        assert None not in (cells["matched"], cells["requests"], cells["state:cancelled"])
    for cell, (low, high) in attack(cells, cohort).items():
        assert low < high, f"{cell} is hidden but must be {low}"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(FACTS, max_size=70))
def test_no_hidden_cell_can_be_worked_out_from_everything_a_report_publishes(
    cohort: list[RequestFact],
) -> None:
    holds_up(cohort, publish(cohort))
