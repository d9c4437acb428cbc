"""The anonymous figures."""

import asyncio
from datetime import date, datetime, time, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from services.gateway import charts, reporting
from services.gateway.deps import GatewayDep, MaybeMember
from services.gateway.i18n import translate
from services.gateway.web import area_name, districts, language_of, render
from shared.clock import from_local, to_local
from shared.contracts import matching as mc
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

    def t(text: str) -> str:
        return translate(text, language)

    code = area if area and area[:2] in ("GM", "WK", "BU") and area[2:].isdigit() else "GM0344"
    start, end = reporting.period(
        gateway.clock.now(),
        local_day(since, gateway.settings.time_zone),
        local_day(until, gateway.settings.time_zone, next_day=True),
    )
    total, weeks = await asyncio.gather(
        gateway.matching.figures(
            mc.FiguresQuery(area_code=code, period_from=start, period_until=end)
        ),
        reporting.weekly(gateway.matching, code, start, end, gateway.settings.time_zone),
    )
    mondays = [to_local(w.start, gateway.settings.time_zone) for w in weeks]
    labels = [f"{monday.day}-{monday.month}" for monday in mondays]
    states = ["open", "proposed", "escalated", "matched", "done", "cancelled", "expired"]
    series = {s: [w.figures.by_state.get(s) or 0 for w in weeks] for s in states}
    series = {k: v for k, v in series.items() if any(v)} or {"open": [0] * len(weeks)}
    per_week = charts.stacked_bars(
        t("Requests per week by state"),
        labels,
        series,
        {s: t(key).split(":")[0] for s, key in ((s, f"state.{s}") for s in states)},
    )
    time_to_match = charts.line_chart(
        t("Time to match (median hours) per week"),
        labels,
        [w.figures.time_to_match_median_hours for w in weeks],
        t("hours"),
    )
    neighbourhoods = total.by_neighbourhood or total.unmet_by_neighbourhood
    map_title = (
        t("Requests per neighbourhood")
        if total.by_neighbourhood
        else t("Unmet requests per neighbourhood")
    )
    utrecht_map = charts.neighbourhood_map(
        map_title,
        neighbourhoods,
        {
            "none": t("none"),
            "few": t("few"),
            "many": t("many"),
            "suppressed": t("fewer than 5 (hidden)"),
        },
    )
    return render(
        request,
        "reports.html.j2",
        principal,
        area=code,
        area_label=area_name(code),
        districts=districts(),
        figures=total,
        weeks=weeks,
        per_week=per_week,
        time_to_match=time_to_match,
        utrecht_map=utrecht_map,
        map_title=map_title,
        neighbourhoods=neighbourhoods,
        start=start,
        end=end - timedelta(seconds=1),
        csv_url="/api/v1/reports.csv?"
        + urlencode({"area": code, "from": start.isoformat(), "to": end.isoformat()}),
        since=to_local(start, gateway.settings.time_zone).date().isoformat(),
        until=to_local(end - timedelta(seconds=1), gateway.settings.time_zone).date().isoformat(),
    )
