"""Report figures for an area and a period (anonymous; see domain/reports.py)."""

from typing import Any

from services.matching.adapters.orm import requests
from services.matching.adapters.repository import in_area
from services.matching.domain.reports import RequestFact, figures
from services.matching.service_layer.uow import MatchingUnitOfWork
from services.matching.service_layer.usecases import check_area_codes
from shared.contracts.matching import Figures, FiguresQuery


def _fact(r: Any) -> RequestFact:
    return RequestFact(
        category=r.category,
        state=r.state,
        neighbourhood=r.neighbourhood,
        district=r.district,
        created_at=r.created_at,
        matched_at=r.matched_at,
        ever_escalated=r.escalated_at is not None,
        matched_volunteer_id=r.matched_volunteer_id,
        hours=r.hours,
        completed_at=r.completed_at,
        ratings=tuple(s for s in (r.score, r.volunteer_score) if s is not None),
        requester_id=r.requester_id,  # only counted here; erasure leaves one pseudonym each
    )


async def report_figures(q: FiguresQuery, *, uow: MatchingUnitOfWork) -> Figures:
    check_area_codes([q.area_code])
    area = in_area(q.area_code)
    cohort = await uow.requests.rows(
        area,
        requests.c.created_at >= q.period_from,
        requests.c.created_at < q.period_until,
        limit=1_000_000,
    )
    completed = await uow.requests.rows(
        area,
        requests.c.completed_at >= q.period_from,
        requests.c.completed_at < q.period_until,
        limit=1_000_000,
    )
    return figures(
        area_code=q.area_code,
        period_from=q.period_from,
        period_until=q.period_until,
        cohort=[_fact(r) for r in cohort],
        completed=[_fact(r) for r in completed],
        parts=q.periods,
    )
