"""The anonymous figures (computed and suppressed by matching) for a period, and a
district's quarter as a file for the funder."""

from datetime import datetime

from services.gateway import reporting
from services.gateway.bootstrap import Gateway
from services.gateway.i18n import translate
from services.gateway.report_charts import report_charts
from services.gateway.report_files import (
    FORMATS,
    File,
    csv_text,
    file_format,
    pdf_bytes,
    xlsx_bytes,
)
from services.gateway.reporting import week_starts
from shared.contracts import matching as mc


async def figures(
    gateway: Gateway, area: str, since: datetime | None, until: datetime | None
) -> mc.Figures:
    """The figures of an area for [since, until): by default the twelve weeks up to now."""
    start, end = reporting.period(gateway.clock.now(), since, until)
    return await _figures_between(gateway, area, start, end)


async def _figures_between(
    gateway: Gateway, area: str, start: datetime, end: datetime
) -> mc.Figures:
    """The figures of the period with those of each week in it (the last 26 at most), all
    suppressed together, so that no week is the whole minus the other weeks. The API, the page
    and the files ask the same, so they publish the same cells for the same period."""
    return await gateway.rpc.call(
        mc.REPORT_FIGURES,
        mc.FiguresQuery(
            area_code=area,
            period_from=start,
            period_until=end,
            periods=week_starts(start, end, gateway.settings.time_zone),
        ),
    )


async def quarter_file(
    gateway: Gateway, district: str, quarter: str, kind: str, language: str
) -> File:
    """A district's quarter for the funder, as CSV, XLSX or a one-page PDF with the charts."""
    zone = gateway.settings.time_zone
    names = await gateway.areas.current()
    code = reporting.district(district, names)
    kind = file_format(kind)
    start, end = reporting.quarter(quarter, zone)
    found = await _figures_between(gateway, code, start, end)
    label = reporting.quarter_of(start, zone)
    name = f"samen-{code}-{label}.{kind}"
    if kind == "csv":
        content = csv_text(found, zone).encode("utf-8")
    elif kind == "xlsx":
        content = xlsx_bytes(found, language, zone, names=names)
    else:
        title = f"{translate('Figures', language)}: {names.name(code)}, {label}"
        charts = report_charts(found, language, zone)
        content = pdf_bytes(found, charts, title, language, zone, names=names)
    return File(name, FORMATS[kind], content)
