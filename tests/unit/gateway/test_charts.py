"""Charts are plain SVG drawn on the server: well-formed, labelled, and the map has every
neighbourhood of Utrecht."""

import itertools
import xml.etree.ElementTree as ET

from services.gateway import charts

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def test_stacked_bars_draw_one_rect_per_non_zero_value_with_a_title_for_screen_readers() -> None:
    svg = charts.stacked_bars(
        "Requests per week",
        ["5-1", "12-1"],
        {"open": [2, 0], "matched": [1, 3]},
        {"open": "Open", "matched": "Matched"},
    )
    root = parse(svg)
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title").text == "Requests per week"  # type: ignore[union-attr]
    bars = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert len(bars) == 3
    assert "12-1: Open 0, Matched 3" in root.find(f"{SVG}desc").text  # type: ignore[union-attr,operator]


def test_a_line_chart_leaves_a_gap_where_a_value_is_suppressed() -> None:
    root = parse(
        charts.line_chart("Time to match", ["a", "b", "c", "d"], [2.0, None, 3.0, 4.0], "h")
    )
    assert len(list(root.iter(f"{SVG}circle"))) == 3
    lines = list(root.iter(f"{SVG}polyline"))
    assert len(lines) == 1 and len(lines[0].get("points", "").split()) == 2


def test_the_map_draws_all_111_neighbourhoods_of_utrecht_and_hatches_suppressed_ones() -> None:
    shapes = charts.utrecht_shapes()
    assert len(shapes) == 111
    values: dict[str, int | None] = {"BU03440312": 12, "BU03440311": None}
    root = parse(
        charts.neighbourhood_map(
            "Requests", values, {"none": "0", "few": "few", "many": "many", "suppressed": "<5"}
        )
    )
    paths = list(root.iter(f"{SVG}path"))
    assert len(paths) == 111
    fills = {p.find(f"{SVG}title").text.split(":")[0]: p.get("fill") for p in paths}  # type: ignore[union-attr]
    names = {s.code: s.name for s in shapes}
    assert fills[names["BU03440311"]] == "url(#suppressed)"
    assert fills[names["BU03440312"]] == "#08519c"  # the most in the city: darkest


def test_chart_text_is_escaped() -> None:
    svg = charts.line_chart("<script>", ["<b>"], [1.0], "&")
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    parse(svg)


# A 320 px phone leaves the chart about 284 px (the page's side padding); labels must show at
# 12 px at least there (and so at 400 % zoom of a 1280 px screen).
PHONE_CHART_PX = 320 - 2 * 18


def drawn_charts() -> list[ET.Element]:
    weeks = [f"{d}-{m}" for m in (9, 10, 11) for d in (7, 14, 21, 28)] + ["30-11"]
    return [
        parse(
            charts.stacked_bars(
                "Per week",
                weeks,
                {state: [i % 4 for i in range(13)] for state in charts.PALETTE},
                {state: f"Label {state}" for state in charts.PALETTE},
            )
        ),
        parse(charts.line_chart("Time", weeks, [float(i) for i in range(13)], "h")),
        parse(
            charts.neighbourhood_map(
                "Map", {}, {"none": "geen", "few": "weinig", "many": "veel", "suppressed": "<5"}
            )
        ),
    ]


def test_chart_labels_show_at_12_px_or_more_on_a_320_px_phone() -> None:
    for root in drawn_charts():
        width = float(root.get("viewBox", "").split()[2])
        scale = PHONE_CHART_PX / width
        sizes = [float(t.get("font-size", "0")) * scale for t in root.iter(f"{SVG}text")]
        assert sizes and min(sizes) >= 12, (root.find(f"{SVG}title").text, min(sizes))  # type: ignore[union-attr]


def test_week_labels_leave_room_for_each_other_and_stay_inside_the_chart() -> None:
    bars, line, _ = drawn_charts()
    for root in (bars, line):
        width = float(root.get("viewBox", "").split()[2])
        labels = [
            t
            for t in root.iter(f"{SVG}text")
            if t.get("text-anchor") == "middle" and "-" in (t.text or "")
        ]
        xs = [float(t.get("x", "0")) for t in labels]
        room = max(len(t.text or "") for t in labels) * 0.6 * float(labels[0].get("font-size", "0"))
        assert all(b - a >= room for a, b in itertools.pairwise(xs)), xs
        assert all(room / 2 <= x <= width - room / 2 for x in xs), xs
