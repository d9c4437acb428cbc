"""The anonymous figures (computed and suppressed by matching) for a period, and a
district's quarter as a file for the funder."""

from datetime import datetime

from services.gateway import reporting
from services.gateway.area_names import area_name
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
from shared.rpc import Rpc


async def report(
    rpc: Rpc, area: str, start: datetime, end: datetime, zone: str | None = None
) -> mc.Figures:
    """The figures of the period with those of each week in it (the last 26 at most), all
    suppressed together, so that no week is the whole minus the other weeks. The API, the page
    and the files ask the same, so they publish the same cells for the same period."""
    return await rpc.call(
        mc.REPORT_FIGURES,
        mc.FiguresQuery(
            area_code=area,
            period_from=start,
            period_until=end,
            periods=week_starts(start, end, zone),
        ),
    )


async def quarter_file(
    rpc: Rpc, district: str, quarter: str, kind: str, language: str, zone: str | None
) -> File:
    """A district's quarter for the funder, as CSV, XLSX or a one-page PDF with the charts."""
    code = reporting.district(district)
    kind = file_format(kind)
    start, end = reporting.quarter(quarter, zone)
    figures = await report(rpc, code, start, end, zone)
    label = reporting.quarter_of(start, zone)
    name = f"samen-{code}-{label}.{kind}"
    if kind == "csv":
        content = csv_text(figures, zone).encode("utf-8")
    elif kind == "xlsx":
        content = xlsx_bytes(figures, language, zone)
    else:
        title = f"{translate('Figures', language)}: {area_name(code)}, {label}"
        content = pdf_bytes(figures, report_charts(figures, language, zone), title, language, zone)
    return File(name, FORMATS[kind], content)
