"""Report periods and the series behind the charts (figures come from matching)."""

import asyncio
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from services.gateway.adapters.services import Matching
from shared.clock import from_local, to_local
from shared.contracts import matching as mc
from shared.errors import Invalid

DEFAULT_WEEKS = 12
MAX_WEEKS = 26
EARLIEST, LATEST = 2000, 2200


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


@dataclass(frozen=True)
class Week:
    start: datetime
    figures: mc.Figures


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


async def weekly(
    matching: Matching, area: str, start: datetime, end: datetime, zone: str | None = None
) -> list[Week]:
    """The figures of each week in the period (the last 26 weeks at most)."""
    starts = week_starts(start, end, zone)

    def week_after(monday: datetime) -> datetime:
        return from_local(to_local(monday, zone).date() + timedelta(weeks=1), time(0, 0), zone)

    results = await asyncio.gather(
        *(
            matching.figures(
                mc.FiguresQuery(area_code=area, period_from=monday, period_until=week_after(monday))
            )
            for monday in starts
        )
    )
    return [Week(monday, figures) for monday, figures in zip(starts, results, strict=True)]
