"""The anonymous figures."""

from datetime import date, datetime, time, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from services.gateway import reporting
from services.gateway.deps import GatewayDep, MaybeMember
from services.gateway.report_charts import report_charts
from services.gateway.usecases import reports
from services.gateway.web import language_of, render
from shared.clock import from_local, to_local
from shared.errors import Invalid

router = APIRouter(include_in_schema=False)


def local_day(value: str | None, zone: str, *, next_day: bool = False) -> datetime | None:
    """A date from a form as the start (or the end) of that day in the cooperative's zone."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise Invalid("give dates as YYYY-MM-DD") from exc
    if next_day:
        day += timedelta(days=1)
    return from_local(day, time(0, 0), zone)


@router.get("/reports")
async def reports_page(
    request: Request,
    principal: MaybeMember,
    gateway: GatewayDep,
    area: Annotated[str | None, Query(max_length=12)] = None,
    since: Annotated[str | None, Query(alias="from", max_length=10)] = None,
    until: Annotated[str | None, Query(alias="to", max_length=10)] = None,
) -> Response:
    language = language_of(request, principal)
    code = area if area and area[:2] in ("GM", "WK", "BU") and area[2:].isdigit() else "GM0344"
    zone = gateway.settings.time_zone
    total = await reports.figures(
        gateway, code, local_day(since, zone), local_day(until, zone, next_day=True)
    )
    start, end = total.period_from, total.period_until
    views = report_charts(total, language, zone)
    now = gateway.clock.now()
    return render(
        request,
        "reports.html.j2",
        principal,
        area=code,
        area_label=gateway.areas.latest.name(code),
        municipalities=gateway.areas.latest.municipalities(),
        districts=gateway.areas.latest.districts(),
        figures=total,
        per_week=views.per_week,
        time_to_match=views.time_to_match,
        utrecht_map=views.utrecht_map,
        map_title=views.map_title,
        neighbourhoods=views.neighbourhoods,
        quarters=recent_quarters(now, zone),
        quarter=reporting.quarter_of(now, zone),
        district=code if code.startswith("WK") else "",
        start=start,
        end=end - timedelta(seconds=1),
        csv_url="/api/v1/reports.csv?"
        + urlencode({"area": code, "from": start.isoformat(), "to": end.isoformat()}),
        since=to_local(start, zone).date().isoformat(),
        until=to_local(end - timedelta(seconds=1), zone).date().isoformat(),
    )


def recent_quarters(now: datetime, zone: str, count: int = 8) -> list[str]:
    """This quarter and the ones before it, newest first (what the funder asks for)."""
    local = to_local(now, zone)
    year, number = local.year, (local.month - 1) // 3 + 1
    found = []
    for _ in range(count):
        found.append(f"{year}-Q{number}")
        year, number = (year - 1, 4) if number == 1 else (year, number - 1)
    return found


@router.get("/reports/quarter")
async def quarter_download(
    request: Request,
    principal: MaybeMember,
    gateway: GatewayDep,
    district: Annotated[str, Query(max_length=12)] = "",
    quarter: Annotated[str, Query(max_length=10)] = "",
    format: Annotated[str, Query(max_length=8)] = "pdf",
) -> Response:
    """A district's quarter for the funder (CSV, XLSX or a one-page PDF with the charts)."""
    found = await reports.quarter_file(
        gateway, district, quarter, format, language_of(request, principal)
    )
    return Response(
        found.content,
        media_type=found.media_type,
        headers={"Content-Disposition": f'attachment; filename="{found.name}"'},
    )
