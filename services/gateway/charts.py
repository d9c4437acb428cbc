"""Charts drawn on the server as plain SVG: no script, no outside network, readable text.

Each chart has a <title> and <desc> for screen readers, and the page shows the same figures as
a table next to it. Every text in a chart (labels, area names, titles) is escaped here, so a chart
is `Markup` the page template puts in as it is.
"""

import hashlib
import json
import math
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from typing import Any

from markupsafe import Markup

from shared.data import UTRECHT_NEIGHBOURHOODS_GEOJSON

# Colour-blind safe (Okabe-Ito), each with enough contrast on white for large text.
PALETTE = {
    "open": "#0072B2",
    "proposed": "#56B4E9",
    "matched": "#009E73",
    "done": "#006644",
    "escalated": "#D55E00",
    "cancelled": "#999999",
    "expired": "#CC79A7",
}
FONT = "font-family='system-ui, sans-serif'"
# Drawn narrow and scaled up: a chart is as wide as the page (CSS), so on a 320 px phone its
# 360 units show at about 285 px and a 16-unit label at about 12.7 px; on a wide screen the
# page caps the width, so labels never grow past about twice that.
WIDTH = 360
TEXT = 16  # labels, ticks and legends
CHAR = 0.6 * TEXT  # the width of an average character, to keep labels from overlapping


def _every(labels: list[str], room: float) -> int:
    """Show every n-th label so that labels `room` units apart do not overlap."""
    widest = max((len(label) for label in labels), default=1) * CHAR + 6
    return max(1, math.ceil(widest / max(room, 1)))


def _legend(
    entries: list[tuple[str, str]], top: float, *, swatch: int = 14, line: int = 26
) -> tuple[list[str], float]:
    """Swatches with their labels, wrapped into as many rows as the width needs; returns the
    drawing and the height it takes."""
    body: list[str] = []
    x, y = 10.0, top
    for text, colour in entries:
        room = swatch + 6 + len(text) * CHAR + 14
        if x > 10 and x + room > WIDTH - 5:
            x, y = 10.0, y + line
        body.append(
            f"<rect x='{x:.0f}' y='{y:.0f}' width='{swatch}' height='{swatch}' fill='{colour}' "
            "stroke='#555'/>"
            f"<text x='{x + swatch + 6:.0f}' y='{y + swatch - 1:.0f}' font-size='{TEXT}' {FONT}>"
            f"{escape(text)}</text>"
        )
        x += room
    return body, y - top + line


def _svg(width: int, height: int, title: str, desc: str, body: list[str]) -> Markup:
    # Ids of their own, so that several charts on one page each name their own title.
    ident = "c" + hashlib.sha1(f"{title}\n{desc}".encode(), usedforsecurity=False).hexdigest()[:10]
    return Markup(
        f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {height}' "
        f"role='img' aria-labelledby='{ident}-t {ident}-d' class='chart'>"
        f"<title id='{ident}-t'>{escape(title)}</title>"
        f"<desc id='{ident}-d'>{escape(desc)}</desc>" + "".join(body) + "</svg>"
    )


HIDDEN = "#bbbbbb"  # the stroke of the hatching a hidden cell is drawn with


def _hatch(ident: str) -> str:
    return (
        f"<defs><pattern id='{ident}' width='6' height='6' patternUnits='userSpaceOnUse' "
        "patternTransform='rotate(45)'><rect width='6' height='6' fill='#fff'/>"
        "<line x1='0' y1='0' x2='0' y2='6' stroke='#888' stroke-width='2'/></pattern></defs>"
    )


def stacked_bars(
    title: str,
    labels: list[str],
    series: dict[str, list[int | None]],
    series_labels: dict[str, str],
    *,
    totals: list[int | None] | None = None,
    hidden: str = "not shown",
) -> Markup:
    """One bar per label, stacked by series (e.g. requests per week by state).

    A bar with any hidden part (None) is never drawn as the parts shown, which would pass for
    the whole: it is one hatched bar of its total if that is shown (`totals`), else not drawn,
    and the chart's text says so (`hidden`)."""
    sums = [sum(v[i] or 0 for v in series.values()) for i in range(len(labels))]
    totals = totals if totals is not None else [None] * len(labels)
    whole = [
        None if any(v[i] is None for v in series.values()) else sums[i] for i in range(len(labels))
    ]
    partial = [w is None for w in whole]
    ident = (
        "h" + hashlib.sha1(f"{title}\n{labels}".encode(), usedforsecurity=False).hexdigest()[:10]
    )
    entries = [(series_labels.get(key, key), PALETTE.get(key, "#444")) for key in series]
    if any(partial):
        entries.append((hidden, f"url(#{ident})"))
    legend, legend_h = _legend(entries, 0)
    width, plot_h, left, top = WIDTH, 220, 40, 20
    height = int(top + plot_h + 34 + legend_h)
    drawn = [w if w is not None else (totals[i] or 0) for i, w in enumerate(whole)]
    peak = max([*drawn, 1])
    step = _nice_step(peak)
    peak = math.ceil(peak / step) * step
    bar_w = (width - left - 20) / max(len(labels), 1)  # room for the last label's half
    body = [_hatch(ident)] if any(partial) else []
    for tick in range(0, peak + 1, step):
        y = top + plot_h - plot_h * tick / peak
        body.append(f"<line x1='{left}' x2='{width - 5}' y1='{y:.1f}' y2='{y:.1f}' stroke='#ccc'/>")
        body.append(
            f"<text x='{left - 6}' y='{y + 5:.1f}' text-anchor='end' font-size='{TEXT}' {FONT}>"
            f"{tick}</text>"
        )
    every = _every(labels, bar_w)
    for i, label in enumerate(labels):
        x = left + i * bar_w + 4
        y = top + plot_h
        if partial[i]:
            total = totals[i]
            if total:
                h = plot_h * total / peak
                body.append(
                    f"<rect x='{x:.1f}' y='{y - h:.1f}' width='{bar_w - 8:.1f}' height='{h:.1f}' "
                    f"fill='url(#{ident})' stroke='{HIDDEN}'><title>{escape(label)}: "
                    f"{escape(hidden)}; {total}</title></rect>"
                )
            series_values: list[tuple[str, int]] = []
        else:
            series_values = [(key, values[i] or 0) for key, values in series.items()]
        for key, value in series_values:
            if not value:
                continue
            h = plot_h * value / peak
            y -= h
            body.append(
                f"<rect x='{x:.1f}' y='{y:.1f}' width='{bar_w - 8:.1f}' height='{h:.1f}' "
                f"fill='{PALETTE.get(key, '#444')}'><title>{escape(label)}: "
                f"{escape(series_labels.get(key, key))} {value}</title></rect>"
            )
        if i % every == 0:
            body.append(
                f"<text x='{x + (bar_w - 8) / 2:.1f}' y='{top + plot_h + 22}' "
                f"font-size='{TEXT}' text-anchor='middle' {FONT}>{escape(label)}</text>"
            )
    body.append(f"<g transform='translate(0 {top + plot_h + 34})'>" + "".join(legend) + "</g>")

    def week(i: int) -> str:
        if not partial[i]:
            return ", ".join(f"{series_labels.get(k, k)} {v[i]}" for k, v in series.items())
        return hidden if totals[i] is None else f"{hidden}; {totals[i]}"

    desc = "; ".join(f"{label}: {week(i)}" for i, label in enumerate(labels))
    return _svg(width, height, title, desc, body)


def line_chart(
    title: str,
    labels: list[str],
    values: list[float | None],
    unit: str,
    *,
    missing: list[str] | None = None,
) -> Markup:
    """A line with dots; a missing value breaks the line, and the chart's text says why
    (`missing`: "no requests" or "not shown"), else "-"."""
    width, height, left, bottom, top = WIDTH, 280, 40, 40, 20
    plot_h = height - bottom - top
    present = [v for v in values if v is not None]
    peak = max([*present, 1.0])
    step = _nice_step(peak)
    peak = math.ceil(peak / step) * step
    dx = (width - left - 40) / max(len(labels) - 1, 1)  # room for the last label's half
    body = []
    for tick in range(0, int(peak) + 1, step):
        y = top + plot_h - plot_h * tick / peak
        body.append(f"<line x1='{left}' x2='{width - 5}' y1='{y:.1f}' y2='{y:.1f}' stroke='#ccc'/>")
        body.append(
            f"<text x='{left - 6}' y='{y + 5:.1f}' text-anchor='end' font-size='{TEXT}' {FONT}>"
            f"{tick}</text>"
        )
    path: list[str] = []
    every = _every(labels, dx)
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = left + 10 + i * dx
        if i % every == 0:
            body.append(
                f"<text x='{x:.1f}' y='{height - 14}' font-size='{TEXT}' text-anchor='middle' "
                f"{FONT}>{escape(label)}</text>"
            )
        if value is None:
            if len(path) > 1:
                body.append(_polyline(path))
            path = []
            continue
        y = top + plot_h - plot_h * value / peak
        path.append(f"{x:.1f},{y:.1f}")
        body.append(
            f"<circle cx='{x:.1f}' cy='{y:.1f}' r='5' fill='#0072B2'>"
            f"<title>{escape(label)}: {value:.1f} {escape(unit)}</title></circle>"
        )
    if len(path) > 1:
        body.append(_polyline(path))
    why = missing or ["-"] * len(labels)
    desc = "; ".join(
        f"{label}: {why[i] if v is None else f'{v:.1f} {unit}'}"
        for i, (label, v) in enumerate(zip(labels, values, strict=True))
    )
    return _svg(width, height, title, desc, body)


def _polyline(points: list[str]) -> str:
    return f"<polyline points='{' '.join(points)}' fill='none' stroke='#0072B2' stroke-width='3'/>"


def _nice_step(peak: float) -> int:
    for step in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000):
        if peak / step <= 6:
            return step
    return 10000


# ------------------------------------------------------------------ the map


@dataclass(frozen=True)
class Shape:
    code: str
    name: str
    district: str
    rings: list[list[tuple[float, float]]]


@lru_cache
def utrecht_shapes() -> tuple[Shape, ...]:
    """Utrecht's 111 neighbourhoods (CBS 2024, simplified), shipped in shared/data/utrecht."""
    text = UTRECHT_NEIGHBOURHOODS_GEOJSON.read_text(encoding="utf-8")
    shapes = []
    for feature in json.loads(text)["features"]:
        props = feature["properties"]
        geometry: dict[str, Any] = feature["geometry"]
        polygons = (
            [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        )
        rings = [[(float(x), float(y)) for x, y in polygon[0]] for polygon in polygons]
        shapes.append(Shape(props["buurt_code"], props["buurt_naam"], props["wijk_code"], rings))
    return tuple(shapes)


def _shade(value: int | None, peak: int) -> str:
    if value is None:
        return "url(#suppressed)"
    if value == 0 or peak == 0:
        return "#f2f2f2"
    # Five steps of one blue, light to dark.
    steps = ["#deebf7", "#9ecae1", "#6baed6", "#3182bd", "#08519c"]
    return steps[min(int(5 * value / (peak + 1)), 4)]


def neighbourhood_map(title: str, values: dict[str, int | None], legend: dict[str, str]) -> Markup:
    """A choropleth of Utrecht's neighbourhoods; suppressed cells are hatched."""
    shapes = utrecht_shapes()
    xs = [x for s in shapes for ring in s.rings for x, _ in ring]
    ys = [y for s in shapes for ring in s.rings for _, y in ring]
    min_x, max_x, min_y, max_y = min(xs), max(xs), min(ys), max(ys)
    # Longitude degrees are shorter than latitude degrees at 52° N.
    aspect = math.cos(math.radians((min_y + max_y) / 2))
    width = WIDTH
    scale = (width - 20) / ((max_x - min_x) * aspect)
    key, key_h = _legend(
        [
            (legend["none"], "#f2f2f2"),
            (legend["few"], "#9ecae1"),
            (legend["many"], "#08519c"),
            (legend["suppressed"], "url(#suppressed)"),
        ],
        0,
        swatch=18,
        line=28,
    )
    map_h = int((max_y - min_y) * scale) + 20
    height = map_h + int(key_h) + 10
    peak = max([v for v in values.values() if v is not None] + [0])
    body = [
        "<defs><pattern id='suppressed' width='6' height='6' patternUnits='userSpaceOnUse' "
        "patternTransform='rotate(45)'><rect width='6' height='6' fill='#fff'/>"
        "<line x1='0' y1='0' x2='0' y2='6' stroke='#888' stroke-width='2'/></pattern></defs>"
    ]
    for shape in shapes:
        value = values.get(shape.code, 0)
        d = " ".join(
            "M"
            + " L".join(
                f"{10 + (x - min_x) * aspect * scale:.1f},{10 + (max_y - y) * scale:.1f}"
                for x, y in ring
            )
            + " Z"
            for ring in shape.rings
        )
        shown = legend["suppressed"] if value is None else str(value)
        body.append(
            f"<path d='{d}' fill='{_shade(value, peak)}' stroke='#555' stroke-width='0.8'>"
            f"<title>{escape(shape.name)}: {escape(shown)}</title></path>"
        )
    body.append(f"<g transform='translate(0 {map_h})'>" + "".join(key) + "</g>")
    named = sorted(
        ((s.name, values.get(s.code, 0)) for s in shapes),
        key=lambda item: -(item[1] or 0),
    )
    desc = "; ".join(
        f"{name}: {legend['suppressed'] if v is None else v}" for name, v in named[:15]
    )
    return _svg(width, height, title, desc, body)
