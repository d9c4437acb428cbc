"""Hidden report cells stay hidden: an attacker who reads everything a report publishes and
knows how its tables add up tries to work out every hidden cell, and must fail.

The attacker knows: a hidden count is at least 1 (zero is always shown); categories, states and
districts add up to the requests, a district's neighbourhoods to the district, the unmet
requests per neighbourhood to the unmet states and to at most the neighbourhood's requests;
the requests matched are at least those matched or done, the escalations at least the escalated;
the match rate is matched / (requests - cancelled). From these it narrows every hidden cell's
range (interval propagation until nothing changes); a range of one value recovers the cell."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from services.matching.domain.reports import UNMET, RequestFact, figures
from shared.contracts.matching import REQUEST_STATES

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
NEIGHBOURHOODS = {
    "BU03440510": "WK034405",
    "BU03440511": "WK034405",
    "BU03440512": "WK034405",
    "BU03440310": "WK034403",
    "BU03440311": "WK034403",
}
MATCHED_STATES = {"matched", "done"}

Term = tuple[int, str]  # coefficient, cell


def _facts() -> st.SearchStrategy[RequestFact]:
    def build(values: tuple[str, str, str, bool, bool, int]) -> RequestFact:
        category, state, neighbourhood, escalated, matched_cancelled, volunteer = values
        was_matched = state in MATCHED_STATES or (state == "cancelled" and matched_cancelled)
        return RequestFact(
            category=category,
            state=state,
            neighbourhood=neighbourhood,
            district=NEIGHBOURHOODS[neighbourhood],
            created_at=T0,
            matched_at=T0 + timedelta(hours=volunteer + 1) if was_matched else None,
            ever_escalated=escalated or state == "escalated",
            matched_volunteer_id=f"v{volunteer}" if was_matched else None,
        )

    return st.tuples(
        st.sampled_from(["groceries", "garden", "transport"]),
        st.sampled_from(REQUEST_STATES),
        st.sampled_from(sorted(NEIGHBOURHOODS)),
        st.booleans(),
        st.booleans(),
        st.integers(0, 8),
    ).map(build)


def _published(report: dict[str, Any]) -> dict[str, int | None]:
    """The count cells of a report, as its JSON shows them (absent from a table: zero)."""
    cells: dict[str, int | None] = {
        "requests": report["requests"],
        "matched": report["matched"],
        "escalations": report["escalations"],
    }
    for prefix, table, keys in (
        ("category", "by_category", ["groceries", "garden", "transport"]),
        ("state", "by_state", list(REQUEST_STATES)),
        ("district", "by_district", sorted(set(NEIGHBOURHOODS.values()))),
        ("neighbourhood", "by_neighbourhood", sorted(NEIGHBOURHOODS)),
        ("unmet", "unmet_by_neighbourhood", sorted(NEIGHBOURHOODS)),
    ):
        for key in keys:
            cells[f"{prefix}:{key}"] = report[table].get(key, 0)
    return cells


def _relations(cells: dict[str, int | None]) -> tuple[list[list[Term]], list[list[Term]]]:
    """Equalities (sum == 0) and inequalities (sum <= 0) between the cells."""

    def total_of(total: str, parts: list[str]) -> list[Term]:
        return [(1, total), *((-1, p) for p in parts)]

    def of(prefix: str) -> list[str]:
        return [k for k in cells if k.startswith(prefix)]

    equal = [
        total_of("requests", of("category:")),
        total_of("requests", of("state:")),
        total_of("requests", of("district:")),
        total_of("requests", of("neighbourhood:")),
        [*((1, f"state:{s}") for s in sorted(UNMET)), *((-1, k) for k in of("unmet:"))],
    ]
    for district in sorted(set(NEIGHBOURHOODS.values())):
        parts = [f"neighbourhood:{n}" for n, d in NEIGHBOURHOODS.items() if d == district]
        equal.append(total_of(f"district:{district}", parts))
    at_most = [
        [(1, "state:matched"), (1, "state:done"), (-1, "matched")],
        [(1, "state:escalated"), (-1, "escalations")],
        *([(1, f"unmet:{n}"), (-1, f"neighbourhood:{n}")] for n in NEIGHBOURHOODS),
    ]
    return equal, at_most


def attack(report: dict[str, Any]) -> dict[str, tuple[float, float]]:
    """The range the attacker narrows each hidden cell to."""
    cells = _published(report)
    low: dict[str, float] = {}
    high: dict[str, float] = {}
    for key, value in cells.items():
        low[key], high[key] = (1, math.inf) if value is None else (value, value)
    rate = report["match_rate"]
    requests, cancelled = cells["requests"], cells["state:cancelled"]
    if rate is not None and requests is not None and cancelled is not None:
        matched = round(rate * (requests - cancelled))
        low["matched"] = high["matched"] = matched
    equal, at_most = _relations(cells)
    for _ in range(200):
        before = (dict(low), dict(high))
        for terms, is_equal in [*((t, True) for t in equal), *((t, False) for t in at_most)]:
            for coef, key in terms:
                # coef * x <= -(sum of the others' least), and for equalities >= -(their most)
                rest_low = sum(c * (low[k] if c > 0 else high[k]) for c, k in terms if k != key)
                rest_high = sum(c * (high[k] if c > 0 else low[k]) for c, k in terms if k != key)
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
    return {key: (low[key], high[key]) for key, value in cells.items() if value is None}


@settings(max_examples=400, deadline=None)
@given(st.lists(_facts(), max_size=40))
def test_no_hidden_cell_can_be_worked_out_from_the_published_report(
    cohort: list[RequestFact],
) -> None:
    result = figures(
        area_code="GM0344",
        period_from=T0,
        period_until=T0 + timedelta(weeks=1),
        cohort=cohort,
        completed=[],
    )
    report = result.model_dump(mode="json")
    for cell, (low, high) in attack(report).items():
        assert low < high, f"{cell} is recoverable: it must be {low}"


def _overvecht(counts: dict[str, int]) -> dict[str, Any]:
    cohort = [
        RequestFact(
            category="groceries",
            state="open",
            neighbourhood=code,
            district=NEIGHBOURHOODS[code],
            created_at=T0,
        )
        for code, n in counts.items()
        for _ in range(n)
    ]
    return figures(
        area_code="WK034405",
        period_from=T0,
        period_until=T0 + timedelta(weeks=1),
        cohort=cohort,
        completed=[],
    ).model_dump(mode="json")


def test_eight_requests_and_one_neighbourhood_of_seven_hide_the_seven_too() -> None:
    report = _overvecht({"BU03440510": 7, "BU03440511": 1})
    assert report["requests"] == 8
    assert report["by_neighbourhood"] == {"BU03440510": None, "BU03440511": None}
    assert all(low < high for low, high in attack(report).values())


def test_a_match_rate_is_hidden_with_the_matched_count_it_would_give_back() -> None:
    matched = [
        RequestFact(
            category="garden",
            state="matched",
            neighbourhood="BU03440510",
            district="WK034405",
            created_at=T0,
            matched_at=T0 + timedelta(hours=1),
            matched_volunteer_id=f"v{n}",
        )
        for n in range(2)
    ]
    open_ = [
        RequestFact(
            category="garden",
            state="open",
            neighbourhood="BU03440510",
            district="WK034405",
            created_at=T0,
        )
    ] * 5
    report = figures(
        area_code="WK034405",
        period_from=T0,
        period_until=T0 + timedelta(weeks=1),
        cohort=[*matched, *open_],
        completed=[],
    ).model_dump(mode="json")
    assert report["matched"] is None
    assert report["match_rate"] is None  # 0.2857 of 7 would say 2
    assert report["time_to_match_median_hours"] is None
