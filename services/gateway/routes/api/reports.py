"""Anonymous figures for cooperatives and the municipality (groups under 5 suppressed)."""

import csv
import io
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from services.gateway.deps import GatewayDep
from services.gateway.problems import PROBLEM_RESPONSES
from services.gateway.reporting import period
from services.gateway.schemas import ReportOut
from shared.contracts import matching as mc

router = APIRouter(tags=["reports"], responses=PROBLEM_RESPONSES)

AreaQuery = Annotated[
    str,
    Query(pattern=r"^(GM\d{4}|WK\d{6}|BU\d{8})$", description="GM, WK or BU code"),
]
FromQuery = Annotated[datetime | None, Query(alias="from", description="default: 12 weeks ago")]
ToQuery = Annotated[datetime | None, Query(alias="to", description="default: now")]


async def figures(
    gateway: GatewayDep, area: str, since: datetime | None, until: datetime | None
) -> mc.Figures:
    start, end = period(gateway.clock.now(), since, until)
    return await gateway.matching.figures(
        mc.FiguresQuery(area_code=area, period_from=start, period_until=end)
    )


@router.get("/reports", response_model=ReportOut)
async def report(
    gateway: GatewayDep,
    area: AreaQuery = "GM0344",
    since: FromQuery = None,
    until: ToQuery = None,
) -> ReportOut:
    """Requests by category, state and district, match rate, time to match, hours."""
    result = await figures(gateway, area, since, until)
    return ReportOut(**result.model_dump())


@router.get(
    "/reports.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "one figure per row"}},
)
async def report_csv(
    gateway: GatewayDep,
    area: AreaQuery = "GM0344",
    since: FromQuery = None,
    until: ToQuery = None,
) -> Response:
    """The same figures as CSV (`figure,key,value`); a suppressed cell is empty."""
    result = await figures(gateway, area, since, until)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["area", "from", "until", "figure", "key", "value"])
    head = [result.area_code, result.period_from.isoformat(), result.period_until.isoformat()]
    for name in (
        "requests",
        "matched",
        "match_rate",
        "time_to_match_median_hours",
        "time_to_match_p90_hours",
        "escalations",
        "volunteer_hours",
        "active_volunteers",
        "good_ratings_share",
    ):
        value = getattr(result, name)
        writer.writerow([*head, name, "", "" if value is None else value])
    for name in (
        "by_category",
        "by_state",
        "by_district",
        "by_neighbourhood",
        "unmet_by_neighbourhood",
        "good_ratings_by_district",
        "good_ratings_by_category",
    ):
        for key, value in sorted(getattr(result, name).items()):
            writer.writerow([*head, name, key, "" if value is None else value])
    filename = f"samen-{result.area_code}-{result.period_from:%Y%m%d}-{result.period_until:%Y%m%d}"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'},
    )
