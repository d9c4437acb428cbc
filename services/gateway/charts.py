"""Charts drawn on the server as plain SVG: no script, no outside network, readable text.

Each chart has a <title> and <desc> for screen readers, and the page shows the same figures as
a table next to it. Every text in a chart (labels, area names, titles) is escaped here, so a chart
is `Markup` the page template puts in as it is.
"""

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


def _svg(width: int, height: int, title: str, desc: str, body: list[str]) -> Markup:
    return Markup(
        f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {height}' "
        f"role='img' aria-labelledby='t d' class='chart'>"
        f"<title id='t'>{escape(title)}</title><desc id='d'>{escape(desc)}</desc>"
        + "".join(body)
        + "</svg>"
    )


def stacked_bars(
    title: str,
    labels: list[str],
    series: dict[str, list[int]],
    series_labels: dict[str, str],
) -> Markup:
    """One bar per label, stacked by series (e.g. requests per week by state)."""
    width, height, left, bottom, top = 720, 340, 48, 60, 20
    plot_h = height - bottom - top
    totals = [sum(values[i] for values in series.values()) for i in range(len(labels))]
    peak = max([*totals, 1])
    step = _nice_step(peak)
    peak = math.ceil(peak / step) * step
    bar_w = (width - left - 10) / max(len(labels), 1)
    body = []
    for tick in range(0, peak + 1, step):
        y = top + plot_h - plot_h * tick / peak
        body.append(f"<line x1='{left}' x2='{width - 5}' y1='{y:.1f}' y2='{y:.1f}' stroke='#ccc'/>")
        body.append(
            f"<text x='{left - 6}' y='{y + 5:.1f}' text-anchor='end' font-size='14' {FONT}>"
            f"{tick}</text>"
        )
    for i, label in enumerate(labels):
        x = left + i * bar_w + 4
        y = top + plot_h
        for key, values in series.items():
            value = values[i]
            if not value:
                continue
            h = plot_h * value / peak
            y -= h
            body.append(
                f"<rect x='{x:.1f}' y='{y:.1f}' width='{bar_w - 8:.1f}' height='{h:.1f}' "
                f"fill='{PALETTE.get(key, '#444')}'><title>{escape(label)}: "
                f"{escape(series_labels.get(key, key))} {value}</title></rect>"
            )
        if len(labels) <= 13 or i % 2 == 0:
            body.append(
                f"<text x='{x + (bar_w - 8) / 2:.1f}' y='{top + plot_h + 20}' font-size='13' "
                f"text-anchor='middle' {FONT}>{escape(label)}</text>"
            )
    lx = left
    for key in series:
        colour = PALETTE.get(key, "#444")
        body.append(f"<rect x='{lx}' y='{height - 22}' width='14' height='14' fill='{colour}'/>")
        text = escape(series_labels.get(key, key))
        body.append(f"<text x='{lx + 18}' y='{height - 10}' font-size='14' {FONT}>{text}</text>")
        lx += 26 + 9 * len(series_labels.get(key, key))
    desc = "; ".join(
        f"{label}: " + ", ".join(f"{series_labels.get(k, k)} {v[i]}" for k, v in series.items())
        for i, label in enumerate(labels)
    )
    return _svg(width, height, title, desc, body)


def line_chart(title: str, labels: list[str], values: list[float | None], unit: str) -> Markup:
    """A line with dots; a missing (suppressed) value breaks the line."""
    width, height, left, bottom, top = 720, 300, 48, 40, 20
    plot_h = height - bottom - top
    present = [v for v in values if v is not None]
    peak = max([*present, 1.0])
    step = _nice_step(peak)
    peak = math.ceil(peak / step) * step
    dx = (width - left - 20) / max(len(labels) - 1, 1)
    body = []
    for tick in range(0, int(peak) + 1, step):
        y = top + plot_h - plot_h * tick / peak
        body.append(f"<line x1='{left}' x2='{width - 5}' y1='{y:.1f}' y2='{y:.1f}' stroke='#ccc'/>")
        body.append(
            f"<text x='{left - 6}' y='{y + 5:.1f}' text-anchor='end' font-size='14' {FONT}>"
            f"{tick}</text>"
        )
    path: list[str] = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = left + 10 + i * dx
        if len(labels) <= 13 or i % 2 == 0:
            body.append(
                f"<text x='{x:.1f}' y='{height - 14}' font-size='13' text-anchor='middle' "
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
    desc = "; ".join(
        f"{label}: {'-' if v is None else f'{v:.1f} {unit}'}"
        for label, v in zip(labels, values, strict=True)
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
    width = 720
    scale = (width - 20) / ((max_x - min_x) * aspect)
    height = int((max_y - min_y) * scale) + 80
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
    for i, (label, fill) in enumerate(
        [
            (legend["none"], "#f2f2f2"),
            (legend["few"], "#9ecae1"),
            (legend["many"], "#08519c"),
            (legend["suppressed"], "url(#suppressed)"),
        ]
    ):
        x = 10 + (i % 2) * 340
        y = height - 48 + (i // 2) * 26
        body.append(
            f"<rect x='{x}' y='{y}' width='18' height='18' fill='{fill}' stroke='#555'/>"
            f"<text x='{x + 24}' y='{y + 15}' font-size='14' {FONT}>{escape(label)}</text>"
        )
    named = sorted(
        ((s.name, values.get(s.code, 0)) for s in shapes),
        key=lambda item: -(item[1] or 0),
    )
    desc = "; ".join(
        f"{name}: {legend['suppressed'] if v is None else v}" for name, v in named[:15]
    )
    return _svg(width, height, title, desc, body)
