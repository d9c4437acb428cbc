"""Report figures for an area and a period (anonymous; see domain/reports.py)."""

from services.matching.domain.reports import figures
from services.matching.service_layer.uow import MatchingUnitOfWork
from services.matching.service_layer.usecases import check_area_codes
from shared.contracts.matching import Figures, FiguresQuery

# A report counts every request of its area and period: the bound only keeps a mistake from
# filling the memory.
MOST_REQUESTS = 1_000_000


async def report_figures(q: FiguresQuery, *, uow: MatchingUnitOfWork) -> Figures:
    (area,) = check_area_codes([q.area_code])
    cohort = await uow.requests.report_cohort(
        area, q.period_from, q.period_until, limit=MOST_REQUESTS
    )
    completed = await uow.requests.report_completed(
        area, q.period_from, q.period_until, limit=MOST_REQUESTS
    )
    return figures(
        area_code=q.area_code,
        period_from=q.period_from,
        period_until=q.period_until,
        cohort=cohort,
        completed=completed,
        parts=q.periods,
    )
