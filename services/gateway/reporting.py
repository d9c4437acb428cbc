"""Report periods, quarters and districts as asked for, and the figures behind a report
(computed and suppressed by matching)."""

import re
from datetime import date, datetime, time, timedelta

from services.gateway.area_names import AreaNames
from shared.clock import from_local, to_local
from shared.errors import Invalid

DEFAULT_WEEKS = 12
MAX_WEEKS = 26
EARLIEST, LATEST = 2000, 2200
QUARTER = re.compile(r"(\d{4})-Q([1-4])")
DISTRICT = re.compile(r"WK\d{6}")


def period(
    now: datetime, since: datetime | None, until: datetime | None
) -> tuple[datetime, datetime]:
    for moment in (since, until):
        if moment is not None and moment.tzinfo is None:
            raise Invalid("give times with a time zone, e.g. 2026-01-01T00:00:00Z")
        if moment is not None and not EARLIEST <= moment.year <= LATEST:
            raise Invalid(f"give times between {EARLIEST} and {LATEST}")
    end = until or now
    start = since or end - timedelta(weeks=DEFAULT_WEEKS)
    if end <= start:
        raise Invalid("'to' must be after 'from'")
    if end - start > timedelta(days=3700):
        raise Invalid("a report covers at most ten years")
    return start, end


def week_starts(start: datetime, end: datetime, zone: str | None = None) -> list[datetime]:
    """Monday 00:00 on the cooperative's clock of each week in the period, in UTC. Each Monday
    is found on the local calendar, so a week with a clock change is 167 or 169 hours long."""
    first = to_local(start, zone).date()
    monday = first - timedelta(days=first.weekday())
    weeks = []
    while (moment := from_local(monday, time(0, 0), zone)) < end:
        weeks.append(moment)
        monday += timedelta(weeks=1)
    return weeks[-MAX_WEEKS:]


def quarter(value: str, zone: str | None = None) -> tuple[datetime, datetime]:
    """'2026-Q4' as [1 October, 1 January) on the cooperative's clock, in UTC."""
    found = QUARTER.fullmatch(value.strip().upper())
    if not found or not EARLIEST <= int(found[1]) <= LATEST:
        raise Invalid(
            "give the quarter as YYYY-Qn, e.g. 2026-Q4",
            details={"field": "quarter", "reason": "bad_quarter"},
        )
    year, number = int(found[1]), int(found[2])
    first = date(year, 3 * number - 2, 1)
    after = date(year + 1, 1, 1) if number == 4 else date(year, 3 * number + 1, 1)
    return from_local(first, time(0, 0), zone), from_local(after, time(0, 0), zone)


def quarter_of(moment: datetime, zone: str | None = None) -> str:
    local = to_local(moment, zone)
    return f"{local.year}-Q{(local.month - 1) // 3 + 1}"


def district(value: str, names: AreaNames) -> str:
    """A district's code (WK + 6 digits) that the registry knows (any while it has named
    none), else a problem for the field."""
    if not DISTRICT.fullmatch(value) or not names.accepts(value):
        raise Invalid(
            "give a district code, e.g. WK034405",
            details={"field": "district", "reason": "unknown_district"},
        )
    return value
