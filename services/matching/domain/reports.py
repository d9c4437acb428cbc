"""Report figures for an area and a period, computed from anonymous request facts.

The cohort is the requests created in [from, until). Volunteer hours are those of requests
completed in the period. A count below `SUPPRESS_BELOW` (but above zero) is suppressed, and so
is every rate, duration or sum computed over fewer than that many requests or people, so no
individual can be recognised.

A hidden cell must not be recoverable from the cells shown beside it: the figures' tables add
up (categories, states and districts to the requests; neighbourhoods to their district; unmet
requests per neighbourhood to the unmet states), so one hidden cell in a table whose total is
shown is its total minus the rest. Complementary suppression (`protect`) hides more cells until
every table with a hidden cell has at least two, whose sum the cells shown leave open; never a
zero, so a hidden cell is known to be at least 1 and no more. A rate or duration is hidden with
its base (the match rate and times to match when `matched`, the cancelled or the requests are).

The share of good feedback scores (both sides' scores of the cohort's requests, good being
SCORE_GOOD or more) is shown per table only over at least `below` scores of at least `below`
requests, and never beside a hidden count of its group; the comments never come here.

Percentiles interpolate linearly between ranks (`statistics.quantiles(..., method="inclusive")`).
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from shared.contracts.matching import REQUEST_STATES, SCORE_GOOD, SUPPRESS_BELOW, Figures

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


def good_share(rows: Sequence[RequestFact], below: int = SUPPRESS_BELOW) -> float | None:
    """The share of good scores over these requests; None over too few scores or requests."""
    scores = [s for r in rows for s in r.ratings]
    if len(scores) < below or sum(1 for r in rows if r.ratings) < below:
        return None
    return round(sum(1 for s in scores if s >= SCORE_GOOD) / len(scores), 4)


def suppress(count: int, below: int = SUPPRESS_BELOW) -> int | None:
    return None if 0 < count < below else count


Cell = str  # "requests", "matched", "state:open", "district:WK034405", "unmet:BU03440510" ...
Group = tuple[tuple[Cell, ...], tuple[Cell, ...]]  # the cells on the left add up to the right
Bound = tuple[tuple[Cell, ...], Cell]  # the cells on the left add up to at most the right


def bounds(cells: dict[Cell, int]) -> list[Bound]:
    """Sums a reader knows to be at most another cell: shown, they bound a hidden cell from
    below, and with a table's sum that can be enough to pin it (a neighbourhood of 9 with 8
    unmet)."""
    found: list[Bound] = [
        ((cell,), f"neighbourhood:{cell.removeprefix('unmet:')}")
        for cell in sorted(cells)
        if cell.startswith("unmet:")
    ]
    # Matched in the period: at least those now matched or done (a cancelled one may have been).
    found.append((("state:matched", "state:done"), "matched"))
    found.append((("state:escalated",), "escalations"))
    return found


def tables(cells: dict[Cell, int], district_of: dict[str, str]) -> list[Group]:
    """The sums a reader can check between the published cells."""

    def keys(prefix: str) -> tuple[Cell, ...]:
        return tuple(sorted(k for k in cells if k.startswith(prefix)))

    groups: list[Group] = [
        (("requests",), keys("category:")),
        (("requests",), keys("state:")),
        (("requests",), keys("district:")),
        (("requests",), keys("neighbourhood:")),
        (tuple(f"state:{s}" for s in sorted(UNMET)), keys("unmet:")),
    ]
    for district in sorted({d for d in district_of.values()}):
        parts = tuple(
            f"neighbourhood:{n}" for n in sorted(district_of) if district_of[n] == district
        )
        groups.append(((f"district:{district}",), parts))
    return groups


def _leaves_open(group: Group, cells: dict[Cell, int], hidden: set[Cell]) -> bool:
    """Whether this sum leaves every hidden cell in it more than one value (each at least 1)."""
    left, right = group
    hidden_left = [k for k in left if k in hidden]
    hidden_right = [k for k in right if k in hidden]
    count = len(hidden_left) + len(hidden_right)
    if count == 0:
        return True
    if count == 1:
        return False  # the other cells give it
    if hidden_left and hidden_right:
        return True  # a difference of unknowns, each at least 1: open upwards
    # All on one side: their sum is known; unless they are all 1, each has a range.
    known = sum(cells[k] for k in (hidden_left or hidden_right))
    return known > count


def protect(
    cells: dict[Cell, int], groups: list[Group], below: int, parts: Sequence[Bound] = ()
) -> set[Cell]:
    """The cells to hide: those of 1 to below-1, and as few more as keep them unrecoverable
    (the smallest non-zero cell of a table that would give one away)."""
    hidden = {k for k, n in cells.items() if 0 < n < below}
    changed = True
    while changed:
        changed = False
        for group in groups:
            if _leaves_open(group, cells, hidden):
                continue
            members = [k for k in (*group[0], *group[1]) if k in cells]
            candidates = [k for k in members if k not in hidden and cells[k] > 0]
            if candidates:
                hidden.add(min(candidates, key=lambda k: (cells[k], k in group[0], k)))
                changed = True
    # Tables also narrow each other (the unmet of two neighbourhoods bound the open requests
    # from below, the states from above): play the reader, and hide more while one is pinned.
    while pinned := recoverable(cells, hidden, groups, parts):
        near = {
            k
            for left, right in groups
            if pinned & {*left, *right}
            for k in (*left, *right)
            if k in cells and k not in hidden and cells[k] > 0
        } | {
            k
            for smaller, larger in parts
            if pinned & {*smaller, larger}
            for k in (*smaller, larger)
            if k in cells and k not in hidden and cells[k] > 0
        }
        if not near:
            break
        hidden.add(min(near, key=lambda k: (cells[k], k)))
    return hidden


def recoverable(
    cells: dict[Cell, int], hidden: set[Cell], groups: list[Group], parts: Sequence[Bound] = ()
) -> set[Cell]:
    """The hidden cells a reader pins to one value: each hidden cell is at least 1, and every
    sum and bound narrows the ranges until nothing changes."""
    low = {k: (1.0 if k in hidden else float(n)) for k, n in cells.items()}
    high = {k: (math.inf if k in hidden else float(n)) for k, n in cells.items()}
    sums = [
        [*((1, k) for k in left if k in cells), *((-1, k) for k in right if k in cells)]
        for left, right in groups
    ]
    at_most = [
        [*((1, k) for k in smaller if k in cells), (-1, larger)]
        for smaller, larger in parts
        if larger in cells
    ]
    for _ in range(100):
        changed = False
        for terms, equal in [*((t, True) for t in sums), *((t, False) for t in at_most)]:
            least = sum(c * (low[k] if c > 0 else high[k]) for c, k in terms)
            most = sum(c * (high[k] if c > 0 else low[k]) for c, k in terms)
            for c, k in terms:
                if k not in hidden:
                    continue
                own_least = c * (low[k] if c > 0 else high[k])
                own_most = c * (high[k] if c > 0 else low[k])
                rest_least, rest_most = least - own_least, most - own_most
                # c * x + rest == 0 (or <= 0): c * x <= -rest_least, and >= -rest_most if equal.
                new_low, new_high = low[k], high[k]
                if c > 0:
                    new_high = min(new_high, -rest_least)
                    if equal:
                        new_low = max(new_low, -rest_most)
                else:
                    new_low = max(new_low, rest_least)
                    if equal:
                        new_high = min(new_high, rest_most)
                if (new_low, new_high) != (low[k], high[k]):
                    low[k], high[k] = new_low, new_high
                    changed = True
        if not changed:
            break
    return {k for k in hidden if low[k] >= high[k]}


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

    district_of = {
        r.neighbourhood or "_": r.district or "_" for r in rows
    }  # a neighbourhood lies in one district
    cells: dict[Cell, int] = {
        "requests": total,
        "matched": len(matched_rows),
        "escalations": escalations,
        "active_volunteers": len(volunteers),
        **{f"category:{c}": n for c, n in by_category.items()},
        **{f"state:{s}": by_state.get(s, 0) for s in REQUEST_STATES},
        **{f"district:{d}": n for d, n in by_district.items()},
        **{f"neighbourhood:{b}": n for b, n in by_neighbourhood.items()},
        **{f"unmet:{n}": c for n, c in unmet.items()},
    }
    hidden = protect(cells, tables(cells, district_of), below, bounds(cells))

    def shown(cell: Cell) -> int | None:
        return None if cell in hidden else cells[cell]

    # A rate or a duration is hidden with its base: shown beside its base, it gives the
    # numerator back (0.2857 of 7 is 2).
    rate_base_shown = not {"matched", "requests", "state:cancelled"} & hidden
    enough_waits = len(waits) >= below and "matched" not in hidden
    return Figures(
        area_code=area_code,
        period_from=period_from,
        period_until=period_until,
        suppress_below=below,
        requests=shown("requests"),
        by_category={c: shown(f"category:{c}") for c in sorted(by_category)},
        by_state={s: shown(f"state:{s}") for s in REQUEST_STATES},
        by_district={d: shown(f"district:{d}") for d in sorted(by_district)},
        by_neighbourhood={b: shown(f"neighbourhood:{b}") for b in sorted(by_neighbourhood)},
        matched=shown("matched"),
        match_rate=(
            round(len(matched_rows) / base, 4)
            if rate_base_shown and base >= below and matched_rows
            else (0.0 if rate_base_shown and base >= below else None)
        ),
        time_to_match_median_hours=round(statistics.median(waits), 4) if enough_waits else None,
        time_to_match_p90_hours=(
            round(statistics.quantiles(waits, n=10, method="inclusive")[8], 4)
            if enough_waits
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
            for d in sorted(by_district)
        },
        good_ratings_by_category={
            c: good_share([r for r in rows if r.category == c], below)
            if f"category:{c}" not in hidden
            else None
            for c in sorted(by_category)
        },
    )
