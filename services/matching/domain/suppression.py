"""Which report cells to hide so that no hidden cell can be worked out from the cells shown.

A report's tables add up (categories, states and districts to the requests, neighbourhoods to
their district, weeks to the period) and its cells bound each other (the residents of a row are
at most its requests and at most the residents of the whole). One hidden cell in a table whose
total is shown is its total minus the rest, so complementary suppression (`protect`) hides more
cells until every table with a hidden cell has at least two, whose sum the cells shown leave
open; never a zero, so a hidden cell is known to be at least 1 and no more. Then it plays the
reader (`recoverable`): interval propagation over every sum and bound until nothing changes,
hiding more while a hidden cell is pinned to one value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

Cell = str  # "requests", "state:open", "residents@district:WK034405", "p3/state:done" ...
Group = tuple[tuple[Cell, ...], tuple[Cell, ...]]  # the cells on the left add up to the right
Bound = tuple[tuple[Cell, ...], tuple[Cell, ...]]  # the left add up to at most the right


def _leaves_open(group: Group, cells: Mapping[Cell, int], hidden: set[Cell]) -> bool:
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
    cells: Mapping[Cell, int],
    groups: Sequence[Group],
    primary: set[Cell],
    parts: Sequence[Bound] = (),
    partner: Mapping[Cell, Cell] | None = None,
) -> set[Cell]:
    """The cells to hide: the `primary` ones (too few people), and as few more as keep them
    unrecoverable (the smallest non-zero cell of a table that would give one away). A cell and
    its `partner` (a row's requests and its residents) are hidden together."""
    partner = partner or {}
    hidden: set[Cell] = set()

    def hide(cell: Cell) -> None:
        hidden.add(cell)
        if cell in partner and partner[cell] in cells:
            hidden.add(partner[cell])

    for cell in primary:
        if cells.get(cell, 0) > 0:
            hide(cell)
    changed = True
    while changed:
        changed = False
        for group in groups:
            if _leaves_open(group, cells, hidden):
                continue
            members = [k for k in (*group[0], *group[1]) if k in cells]
            candidates = [k for k in members if k not in hidden and cells[k] > 0]
            if candidates:
                hide(min(candidates, key=lambda k: (cells[k], k in group[0], k)))
                changed = True
    # Tables also narrow each other (the unmet of two neighbourhoods bound the open requests
    # from below, the states from above): play the reader, and hide more while one is pinned.
    while pinned := recoverable(cells, hidden, groups, parts):
        near = {
            k
            for left, right in (*groups, *parts)
            if pinned & {*left, *right}
            for k in (*left, *right)
            if k in cells and k not in hidden and cells[k] > 0
        }
        if not near:
            break
        hide(min(near, key=lambda k: (cells[k], k)))
    return hidden


def recoverable(
    cells: Mapping[Cell, int],
    hidden: set[Cell],
    groups: Sequence[Group],
    parts: Sequence[Bound] = (),
) -> set[Cell]:
    """The hidden cells a reader pins to one value: each hidden cell is at least 1, and every
    sum and bound narrows the ranges until nothing changes."""
    low = {k: (1.0 if k in hidden else float(n)) for k, n in cells.items()}
    high = {k: (math.inf if k in hidden else float(n)) for k, n in cells.items()}

    def terms(left: tuple[Cell, ...], right: tuple[Cell, ...]) -> list[tuple[int, Cell]]:
        return [*((1, k) for k in left if k in cells), *((-1, k) for k in right if k in cells)]

    relations = [
        *((t, True) for t in (terms(*g) for g in groups) if any(k in hidden for _, k in t)),
        *((t, False) for t in (terms(*b) for b in parts) if any(k in hidden for _, k in t)),
    ]

    def ends(row: list[tuple[int, Cell]], k: Cell) -> tuple[float, float]:
        """The least and the most the terms of `row` other than `k` can add up to."""
        rest = [(c, key) for c, key in row if key != k]
        least = sum(c * (low[key] if c > 0 else high[key]) for c, key in rest)
        most = sum(c * (high[key] if c > 0 else low[key]) for c, key in rest)
        return least, most

    for _ in range(100):
        changed = False
        for row, equal in relations:
            for c, k in row:
                if k not in hidden:
                    continue
                rest_least, rest_most = ends(row, k)
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
