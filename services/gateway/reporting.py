"""Report periods and the series behind the charts (figures come from matching)."""

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.gateway.adapters.services import Matching
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


def week_starts(start: datetime, end: datetime) -> list[datetime]:
    monday = (start - timedelta(days=start.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    weeks = []
    while monday < end:
        weeks.append(monday)
        monday += timedelta(weeks=1)
    return weeks[-MAX_WEEKS:]


async def weekly(matching: Matching, area: str, start: datetime, end: datetime) -> list[Week]:
    """The figures of each week in the period (the last 26 weeks at most)."""
    starts = week_starts(start, end)
    results = await asyncio.gather(
        *(
            matching.figures(
                mc.FiguresQuery(
                    area_code=area, period_from=monday, period_until=monday + timedelta(weeks=1)
                )
            )
            for monday in starts
        )
    )
    return [Week(monday, figures) for monday, figures in zip(starts, results, strict=True)]
