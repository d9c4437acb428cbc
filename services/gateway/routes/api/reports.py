"""Anonymous figures for cooperatives and the municipality (groups under 5 suppressed)."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from services.gateway.deps import GatewayDep
from services.gateway.i18n import LANGUAGES
from services.gateway.problems import PROBLEM_RESPONSES
from services.gateway.report_files import FORMATS, csv_text
from services.gateway.schemas import ReportOut
from services.gateway.usecases import reports
from shared.areas import AREA_CODE_PATTERN

router = APIRouter(tags=["reports"], responses=PROBLEM_RESPONSES)

AreaQuery = Annotated[
    str,
    Query(pattern=AREA_CODE_PATTERN, description="GM, WK or BU code"),
]
FromQuery = Annotated[datetime | None, Query(alias="from", description="default: 12 weeks ago")]
ToQuery = Annotated[datetime | None, Query(alias="to", description="default: now")]


@router.get("/reports", response_model=ReportOut)
async def report_json(
    gateway: GatewayDep,
    area: AreaQuery = "GM0344",
    since: FromQuery = None,
    until: ToQuery = None,
) -> ReportOut:
    """Requests and residents by category, state, district and week; match rate, time to
    match, hours. A cell of fewer than 5 people is null, with as many more as keep it from
    being worked out from the rest."""
    result = await reports.figures(gateway, area, since, until)
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
    """The same figures as CSV (`figure,key,value,note`); a suppressed cell is empty with the
    note `hidden (fewer than 5 people)`, a median of a week without requests `no requests`."""
    result = await reports.figures(gateway, area, since, until)
    filename = f"samen-{result.area_code}-{result.period_from:%Y%m%d}-{result.period_until:%Y%m%d}"
    return Response(
        csv_text(result, gateway.settings.time_zone),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'},
    )


@router.get(
    "/reports/quarter",
    response_class=Response,
    responses={
        200: {
            "content": {media: {} for media in FORMATS.values()},
            "description": "the district's quarter as a file",
        }
    },
)
async def quarter_report(
    gateway: GatewayDep,
    district: Annotated[str, Query(max_length=12, description="WK code, e.g. WK034405")],
    quarter: Annotated[str, Query(max_length=10, description="YYYY-Qn, e.g. 2026-Q4")],
    format: Annotated[str, Query(max_length=8, description="csv, xlsx or pdf")] = "csv",
    lang: Annotated[str, Query(max_length=5, description="language of the XLSX and PDF")] = "nl",
) -> Response:
    """A district's quarter for the funder: CSV, XLSX or a one-page PDF with the chart per
    week and the map, suppressed as the figures are."""
    found = await reports.quarter_file(
        gateway, district, quarter, format, lang if lang in LANGUAGES else "nl"
    )
    return Response(
        found.content,
        media_type=found.media_type,
        headers={"Content-Disposition": f'attachment; filename="{found.name}"'},
    )
