"""Report figures for an area and a period, computed from anonymous request facts.

The cohort is the requests created in [from, until). Volunteer hours are those of requests
completed in the period. A count below `SUPPRESS_BELOW` (but above zero) is suppressed, and so
is every rate, duration or sum computed over fewer than that many requests or people, so no
individual can be recognised.

Percentiles interpolate linearly between ranks (`statistics.quantiles(..., method="inclusive")`).
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from shared.contracts.matching import REQUEST_STATES, SUPPRESS_BELOW, Figures

UNMET = frozenset({"open", "proposed", "escalated", "expired"})


@dataclass(frozen=True)
class RequestFact:
    category: str
    state: str
    neighbourhood: str | None
    district: str | None
    created_at: datetime
    matched_at: datetime | None = None
    ever_escalated: bool = False
    matched_volunteer_id: str | None = None
    hours: float | None = None
    completed_at: datetime | None = None


def suppress(count: int, below: int = SUPPRESS_BELOW) -> int | None:
    return None if 0 < count < below else count


def _hours(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 3600


def figures(
    *,
    area_code: str,
    period_from: datetime,
    period_until: datetime,
    cohort: Iterable[RequestFact],
    completed: Iterable[RequestFact],
    below: int = SUPPRESS_BELOW,
) -> Figures:
    rows = list(cohort)
    done = list(completed)
    total = len(rows)
    by_category = Counter(r.category for r in rows)
    by_state = Counter(r.state for r in rows)
    by_district = Counter(r.district or "_" for r in rows)
    by_neighbourhood = Counter(r.neighbourhood or "_" for r in rows)
    matched_rows = [r for r in rows if r.matched_at is not None]
    waits = sorted(_hours(r.created_at, r.matched_at) for r in matched_rows if r.matched_at)
    cancelled = by_state.get("cancelled", 0)
    base = total - cancelled
    escalations = sum(1 for r in rows if r.ever_escalated)
    volunteers = {r.matched_volunteer_id for r in matched_rows if r.matched_volunteer_id}
    hour_rows = [r for r in done if r.hours is not None]
    hour_people = {r.matched_volunteer_id for r in hour_rows if r.matched_volunteer_id}
    unmet = Counter(r.neighbourhood or "_" for r in rows if r.state in UNMET)

    enough_waits = len(waits) >= below
    return Figures(
        area_code=area_code,
        period_from=period_from,
        period_until=period_until,
        suppress_below=below,
        requests=suppress(total, below),
        by_category={c: suppress(n, below) for c, n in sorted(by_category.items())},
        by_state={s: suppress(by_state.get(s, 0), below) for s in REQUEST_STATES},
        by_district={d: suppress(n, below) for d, n in sorted(by_district.items())},
        by_neighbourhood={b: suppress(n, below) for b, n in sorted(by_neighbourhood.items())},
        matched=suppress(len(matched_rows), below),
        match_rate=(
            round(len(matched_rows) / base, 4)
            if base >= below and matched_rows
            else (0.0 if base >= below else None)
        ),
        time_to_match_median_hours=round(statistics.median(waits), 4) if enough_waits else None,
        time_to_match_p90_hours=(
            round(statistics.quantiles(waits, n=10, method="inclusive")[8], 4)
            if enough_waits
            else None
        ),
        escalations=suppress(escalations, below),
        volunteer_hours=(
            round(sum(r.hours or 0.0 for r in hour_rows), 2)
            if len(hour_rows) >= below and len(hour_people) >= below
            else (0.0 if not hour_rows else None)
        ),
        active_volunteers=suppress(len(volunteers), below),
        unmet_by_neighbourhood={n: suppress(c, below) for n, c in sorted(unmet.items())},
    )
