"""The charts of a report (requests per week by state, time to match, the map), drawn from the
figures as matching suppressed them, for the page and the funder's PDF alike."""

from dataclasses import dataclass

from markupsafe import Markup

from services.gateway import charts
from services.gateway.i18n import translate
from shared.clock import to_local
from shared.contracts import matching as mc

STATES = ("open", "proposed", "escalated", "matched", "done", "cancelled", "expired")


@dataclass(frozen=True)
class ReportCharts:
    per_week: Markup
    time_to_match: Markup
    utrecht_map: Markup
    map_title: str
    neighbourhoods: dict[str, int | None]


def week_labels(figures: mc.Figures, zone: str | None) -> list[str]:
    starts = [to_local(p.period_from, zone) for p in figures.periods]
    return [f"{day.day}-{day.month}" for day in starts]


def hidden_or_empty(week: mc.PeriodFigures, language: str) -> str:
    """Why a week has no median: nobody asked, none was matched, or too few people."""
    if week.requests == 0:
        return translate("no requests", language)
    if week.matched == 0:
        return translate("none matched", language)
    return translate("not shown (fewer than 5 people)", language)


def report_charts(figures: mc.Figures, language: str, zone: str | None) -> ReportCharts:
    def t(text: str) -> str:
        return translate(text, language)

    labels = week_labels(figures, zone)
    weeks = figures.periods
    series = {s: [w.by_state.get(s, 0) for w in weeks] for s in STATES}
    # A state no week has is left out of the legend; one hidden in some week stays in.
    series = {k: v for k, v in series.items() if any(x != 0 for x in v)} or {
        "open": [0] * len(weeks)
    }
    per_week = charts.stacked_bars(
        t("Requests per week by state"),
        labels,
        series,
        {s: t(f"state.{s}").split(":")[0] for s in STATES},
        totals=[w.requests for w in weeks],
        hidden=t("not shown (fewer than 5 people)"),
    )
    time_to_match = charts.line_chart(
        t("Time to match (median hours) per week"),
        labels,
        [w.time_to_match_median_hours for w in weeks],
        t("hours"),
        missing=[hidden_or_empty(w, language) for w in weeks],
    )
    neighbourhoods = figures.by_neighbourhood or figures.unmet_by_neighbourhood
    map_title = (
        t("Requests per neighbourhood")
        if figures.by_neighbourhood
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
    return ReportCharts(per_week, time_to_match, utrecht_map, map_title, neighbourhoods)
