"""Report figures for an area and a period, computed from anonymous request facts.

The cohort is the requests created in [from, until), optionally in parts (weeks). Volunteer
hours are those of requests completed in the period. A cell is shown only if it describes at
least `SUPPRESS_BELOW` people: a count of requests by the residents who asked them (15 requests
from 3 residents are hidden), the active volunteers by themselves; zero is shown. Beside each
row's requests the report shows its residents, hidden together with them.

A hidden cell must not be recoverable from the cells shown beside it: the tables add up
(categories, states and districts to the requests; neighbourhoods to their district; unmet
requests per neighbourhood to the unmet states; the weeks to the whole), so complementary
suppression (domain/suppression.py) hides more cells until none can be worked out. A rate or
duration is hidden with its base and numerator (the match rate when `matched`, the cancelled
or the requests are), and over fewer than `SUPPRESS_BELOW` people.

The share of good feedback scores (both sides' scores of the cohort's requests, good being
SCORE_GOOD or more) is shown per table only over at least `below` scores of at least `below`
requests, and never beside a hidden count of its group; the comments never come here.

Percentiles interpolate linearly between ranks (`statistics.quantiles(..., method="inclusive")`).
"""

from __future__ import annotations

import itertools
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from services.matching.domain.suppression import Bound, Cell, Group, protect
from shared.contracts.matching import (
    REQUEST_STATES,
    SCORE_GOOD,
    SUPPRESS_BELOW,
    Figures,
    PeriodFigures,
)

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
    ratings: tuple[int, ...] = ()  # the feedback scores given (requester's, volunteer's)
    # Who asked, only to count distinct people: the id never leaves matching.
    requester_id: str | None = None


def good_share(rows: Sequence[RequestFact], below: int = SUPPRESS_BELOW) -> float | None:
    """The share of good scores over these requests; None over too few scores or requests."""
    scores = [s for r in rows for s in r.ratings]
    if len(scores) < below or sum(1 for r in rows if r.ratings) < below:
        return None
    return round(sum(1 for s in scores if s >= SCORE_GOOD) / len(scores), 4)


def suppress(count: int, below: int = SUPPRESS_BELOW) -> int | None:
    return None if 0 < count < below else count


def _hours(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 3600


def _residents(rows: Iterable[RequestFact]) -> int:
    """The distinct residents who asked (a request without a known requester counts alone)."""
    rows = list(rows)
    known = {r.requester_id for r in rows if r.requester_id is not None}
    return len(known) + sum(1 for r in rows if r.requester_id is None)


def _median(rows: Sequence[RequestFact], below: int) -> float | None:
    waits = [_hours(r.created_at, r.matched_at) for r in rows if r.matched_at is not None]
    return round(statistics.median(waits), 4) if _residents(rows) >= below and waits else None


def _limits(parts: Sequence[datetime], start: datetime, end: datetime) -> list[datetime]:
    """The edges of the parts of [start, end): a part begun before the start begins there."""
    inside = sorted({p for p in parts if start < p < end})
    return [start, *inside, end] if parts else []


class _Table:
    """The cells of a report with the people each describes, and how they add up."""

    def __init__(self) -> None:
        self.cells: dict[Cell, int] = {}
        self.people: dict[Cell, int] = {}  # the people a cell describes (all kept, even unshown)
        self.partner: dict[Cell, Cell] = {}
        self.groups: list[Group] = []
        self.bounds: list[Bound] = []

    def count(self, cell: Cell, rows: Sequence[RequestFact], *, residents: bool = False) -> None:
        """A count of requests (`rows`), and beside it, if asked, the residents who asked."""
        self.cells[cell] = len(rows)
        self.people[cell] = _residents(rows)
        if residents:
            twin = f"residents@{cell}"
            self.cells[twin] = self.people[twin] = self.people[cell]
            self.partner[cell], self.partner[twin] = twin, cell
            self.bounds.append(((twin,), (cell,)))  # no more residents than requests

    def adds_up(self, total: Cell, parts: Sequence[Cell]) -> None:
        self.groups.append(((total,), tuple(parts)))
        twin = f"residents@{total}"
        twins = [f"residents@{p}" for p in parts if f"residents@{p}" in self.cells]
        if twin not in self.cells or not twins:
            return
        # Residents add up only when nobody is in two parts; a reader may guess they do.
        if self.cells[twin] == sum(self.cells[t] for t in twins):
            self.groups.append(((twin,), tuple(twins)))
        else:
            self.bounds.append(((twin,), tuple(twins)))
        self.bounds.extend(((t,), (twin,)) for t in twins)

    def hidden(self, below: int) -> set[Cell]:
        primary = {k for k, n in self.people.items() if k in self.cells and 0 < n < below}
        return protect(self.cells, self.groups, primary, self.bounds, self.partner)


def figures(
    *,
    area_code: str,
    period_from: datetime,
    period_until: datetime,
    cohort: Iterable[RequestFact],
    completed: Iterable[RequestFact],
    below: int = SUPPRESS_BELOW,
    parts: Sequence[datetime] = (),
) -> Figures:
    rows = list(cohort)
    done = list(completed)

    categories = sorted({r.category for r in rows})
    districts = sorted({r.district or "_" for r in rows})
    neighbourhoods = sorted({r.neighbourhood or "_" for r in rows})
    district_of = {r.neighbourhood or "_": r.district or "_" for r in rows}
    matched_rows = [r for r in rows if r.matched_at is not None]
    escalated = [r for r in rows if r.ever_escalated]
    unmet = Counter(r.neighbourhood or "_" for r in rows if r.state in UNMET)
    volunteers = {r.matched_volunteer_id for r in matched_rows if r.matched_volunteer_id}
    hour_rows = [r for r in done if r.hours is not None]
    hour_people = {r.matched_volunteer_id for r in hour_rows if r.matched_volunteer_id}

    table = _Table()
    table.count("requests", rows, residents=True)
    table.count("matched", matched_rows)
    table.count("escalations", escalated)
    table.cells["active_volunteers"] = table.people["active_volunteers"] = len(volunteers)
    for c in categories:
        table.count(f"category:{c}", [r for r in rows if r.category == c], residents=True)
    for state in REQUEST_STATES:
        table.count(f"state:{state}", [r for r in rows if r.state == state])
    for d in districts:
        table.count(f"district:{d}", [r for r in rows if (r.district or "_") == d], residents=True)
    for n in neighbourhoods:
        table.count(
            f"neighbourhood:{n}",
            [r for r in rows if (r.neighbourhood or "_") == n],
            residents=True,
        )
    for n in sorted(unmet):
        table.count(
            f"unmet:{n}", [r for r in rows if (r.neighbourhood or "_") == n and r.state in UNMET]
        )
        table.bounds.append(((f"unmet:{n}",), (f"neighbourhood:{n}",)))
    table.adds_up("requests", [f"category:{c}" for c in categories])
    table.adds_up("requests", [f"state:{s}" for s in REQUEST_STATES])
    table.adds_up("requests", [f"district:{d}" for d in districts])
    table.adds_up("requests", [f"neighbourhood:{n}" for n in neighbourhoods])
    for d in districts:
        table.adds_up(
            f"district:{d}", [f"neighbourhood:{n}" for n in neighbourhoods if district_of[n] == d]
        )
    table.groups.append(
        (tuple(f"state:{s}" for s in sorted(UNMET)), tuple(f"unmet:{n}" for n in sorted(unmet)))
    )
    # Matched in the period: at least those now matched or done (a cancelled one may have been).
    table.bounds.append((("state:matched", "state:done"), ("matched",)))
    table.bounds.append((("state:escalated",), ("escalations",)))
    table.bounds.append((("active_volunteers",), ("matched",)))  # each matched at least once

    # The parts (weeks) add up to the whole: suppressed with it, not each on its own.
    limits = _limits(parts, period_from, period_until)
    spans = list(itertools.pairwise(limits))
    part_rows = [[r for r in rows if a <= r.created_at < b] for a, b in spans]
    for i, among in enumerate(part_rows):
        table.count(f"p{i}/requests", among, residents=True)
        table.count(f"p{i}/matched", [r for r in among if r.matched_at is not None])
        for state in REQUEST_STATES:
            table.count(f"p{i}/state:{state}", [r for r in among if r.state == state])
        table.adds_up(f"p{i}/requests", [f"p{i}/state:{s}" for s in REQUEST_STATES])
        table.bounds.append(((f"p{i}/state:matched", f"p{i}/state:done"), (f"p{i}/matched",)))
    if spans:
        table.adds_up("requests", [f"p{i}/requests" for i in range(len(spans))])
        table.adds_up("matched", [f"p{i}/matched" for i in range(len(spans))])
        for state in REQUEST_STATES:
            table.adds_up(f"state:{state}", [f"p{i}/state:{state}" for i in range(len(spans))])
    hidden = table.hidden(below)
    cells = table.cells

    def shown(cell: Cell) -> int | None:
        return None if cell in hidden else cells[cell]

    # A rate or a duration is hidden with its base and its numerator: shown beside its base,
    # it gives the numerator back (0.2857 of 7 is 2); and over fewer than 5 people.
    base_rows = [r for r in rows if r.state != "cancelled"]
    rate_shown = not {"matched", "requests", "state:cancelled"} & hidden
    rate_shown = rate_shown and _residents(base_rows) >= below
    waits = sorted(_hours(r.created_at, r.matched_at) for r in matched_rows if r.matched_at)
    enough_waits = bool(waits) and _residents(matched_rows) >= below and "matched" not in hidden
    return Figures(
        area_code=area_code,
        period_from=period_from,
        period_until=period_until,
        suppress_below=below,
        requests=shown("requests"),
        residents=shown("residents@requests"),
        by_category={c: shown(f"category:{c}") for c in categories},
        residents_by_category={c: shown(f"residents@category:{c}") for c in categories},
        by_state={s: shown(f"state:{s}") for s in REQUEST_STATES},
        by_district={d: shown(f"district:{d}") for d in districts},
        residents_by_district={d: shown(f"residents@district:{d}") for d in districts},
        by_neighbourhood={n: shown(f"neighbourhood:{n}") for n in neighbourhoods},
        residents_by_neighbourhood={
            n: shown(f"residents@neighbourhood:{n}") for n in neighbourhoods
        },
        matched=shown("matched"),
        match_rate=(
            round(len(matched_rows) / len(base_rows), 4) if rate_shown and base_rows else None
        ),
        time_to_match_median_hours=round(statistics.median(waits), 4) if enough_waits else None,
        time_to_match_p90_hours=(
            round(statistics.quantiles(waits, n=10, method="inclusive")[8], 4)
            if enough_waits and len(waits) > 1
            else None
        ),
        escalations=shown("escalations"),
        volunteer_hours=(
            round(sum(r.hours or 0.0 for r in hour_rows), 2)
            if len(hour_rows) >= below and len(hour_people) >= below
            else (0.0 if not hour_rows else None)
        ),
        active_volunteers=shown("active_volunteers"),
        unmet_by_neighbourhood={n: shown(f"unmet:{n}") for n in sorted(unmet)},
        good_ratings_share=(good_share(rows, below) if "requests" not in hidden else None),
        good_ratings_by_district={
            d: good_share([r for r in rows if (r.district or "_") == d], below)
            if f"district:{d}" not in hidden
            else None
            for d in districts
        },
        good_ratings_by_category={
            c: good_share([r for r in rows if r.category == c], below)
            if f"category:{c}" not in hidden
            else None
            for c in categories
        },
        periods=[
            PeriodFigures(
                period_from=a,
                period_until=b,
                requests=shown(f"p{i}/requests"),
                residents=shown(f"residents@p{i}/requests"),
                by_state={s: shown(f"p{i}/state:{s}") for s in REQUEST_STATES},
                matched=shown(f"p{i}/matched"),
                time_to_match_median_hours=(
                    _median([r for r in among if r.matched_at is not None], below)
                    if f"p{i}/matched" not in hidden
                    else None
                ),
            )
            for i, ((a, b), among) in enumerate(zip(spans, part_rows, strict=True))
        ],
    )
