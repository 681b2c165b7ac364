"""Charts: counts get whole-number ticks, rates keep their percent ticks; phones get charts drawn
narrow, with long labels cut and the legend under the ring."""

from __future__ import annotations

import re

import pytest

from bot.charts import Series, bar_chart, column_chart, donut_chart, for_phones_too, line_chart

TICK = re.compile(r'<text [^>]*text-anchor="end" fill="#8a94a0" font-size="12">([^<]*)</text>')


def _ticks(svg: str) -> list[str]:
    return TICK.findall(svg)


@pytest.mark.parametrize("peak", [1, 2, 3, 5, 7, 9, 13, 38, 99, 101, 1234])
def test_a_count_axis_has_whole_number_ticks(peak: int) -> None:
    svg = column_chart(["10-01", "10-02", "10-03"], [0, peak, 1], title="受理量趋势")
    ticks = _ticks(svg)
    assert ticks[0] == "0"
    assert all(t.isdigit() for t in ticks), ticks
    values = [int(t) for t in ticks]
    assert values == sorted(set(values))
    assert values[-1] >= peak
    assert len(values) <= 5


def test_five_slips_no_longer_read_as_one_point_two_five_steps() -> None:
    assert _ticks(column_chart(["a", "b"], [5, 2], title="受理量趋势")) == ["0", "2", "4", "6"]


def test_an_empty_count_chart_still_has_an_axis() -> None:
    assert _ticks(column_chart(["a"], [0], title="受理量趋势")) == ["0", "1"]


def test_count_lines_can_ask_for_whole_numbers() -> None:
    svg = line_chart(["a", "b"], [Series("受理量", [5, 3])], title="t", counts=True)
    assert _ticks(svg) == ["0", "2", "4", "6"]


def test_rate_lines_keep_their_percent_ticks() -> None:
    svg = line_chart(["a", "b"], [Series("满意率", [0.5, 0.9])], title="三率趋势",
                     fmt=lambda v: f"{v * 100:.0f}%", max_value=1.0)
    assert _ticks(svg) == ["0%", "25%", "50%", "75%", "100%"]


# -- lines that can be told apart --------------------------------------------------------------
POLYLINE = re.compile(r'<polyline class="line" points="[^"]*" fill="none" stroke="([^"]+)" '
                      r'stroke-width="([^"]+)" stroke-linejoin="round"(?: stroke-dasharray="([^"]+)")?/>')
X_LABEL = re.compile(r'<text x="([\d.]+)" y="[\d.]+" text-anchor="middle" fill="#8a94a0" '
                     r'font-size="12">([^<]*)</text>')
RATES = [Series("响应率", [1.0, 1.0, 0.5, 1.0]), Series("按时办结率", [1.0, 1.0, 0.5, 1.0]),
         Series("满意率", [1.0, 1.0, 0.5, 1.0]), Series("解决率", [1.0, 1.0, 0.5, 1.0])]


def test_lines_on_top_of_each_other_differ_in_colour_dash_width_and_marker() -> None:
    svg = str(line_chart(["a", "b", "c", "d"], RATES, title="三率趋势", max_value=1.0))
    lines = POLYLINE.findall(svg)
    assert len(lines) == 4
    assert len({color for color, _, _ in lines}) == 4
    assert len({dash for _, _, dash in lines}) == 4  # one solid, three dash patterns
    widths = [float(w) for _, w, _ in lines]
    # the widest first (at the bottom), each narrower one over it, so all of them show
    assert widths == sorted(widths, reverse=True) and widths[0] > widths[-1]
    shapes = re.findall(r'<(circle|rect|path) class="point"', svg)
    assert {"circle", "rect", "path"} <= set(shapes) and len(shapes) == 16


def test_the_legend_shows_each_line_as_drawn() -> None:
    svg = str(line_chart(["a", "b", "c", "d"], RATES, title="三率趋势", max_value=1.0))
    samples = re.findall(r'<line class="legend-line" [^>]*?stroke="([^"]+)" stroke-width="[^"]+"'
                         r'(?: stroke-dasharray="([^"]+)")?/>', svg)
    assert samples == [(color, dash) for color, _, dash in POLYLINE.findall(svg)]
    assert len(re.findall(r'class="legend-mark"', svg)) == 4
    for name in ("响应率", "按时办结率", "满意率", "解决率"):
        assert f">{name}</text>" in svg


def test_a_style_keeps_a_measure_looking_the_same_in_any_order() -> None:
    one = str(line_chart(["a", "b"], [Series("满意率", [0.5, 0.6], style=2),
                                      Series("响应率", [0.7, 0.8], style=0)], title="t"))
    two = str(line_chart(["a", "b"], [Series("响应率", [0.7, 0.8], style=0),
                                      Series("满意率", [0.5, 0.6], style=2)], title="t"))
    assert sorted(POLYLINE.findall(one)) == sorted(POLYLINE.findall(two))


def test_a_long_legend_wraps_inside_the_chart() -> None:
    names = ["按时办结率（承办单位）", "满意率（居民评价）", "解决率（居民评价）", "响应率（签收）"]
    svg = str(line_chart(["a", "b"], [Series(n, [0.5, 0.6]) for n in names], title="t",
                         width=320, max_value=1.0))
    texts = {name: (float(x), float(y)) for x, y, name in re.findall(
        r'<text x="([\d.]+)" y="([\d.]+)" text-anchor="start" fill="#1d2733" '
        r'font-size="13">([^<]*)</text>', svg)}
    assert set(texts) == set(names)
    assert len({y for _, y in texts.values()}) > 1  # more than one row
    for name, (x, _) in texts.items():
        assert x + len(name) * 13 <= 320, name  # every name ends inside the chart
    # the plot starts below the legend: the top grid line is under the last legend row
    top_grid = min(float(y) for y in re.findall(r'<line x1="52" y1="([\d.]+)"', svg))
    assert top_grid > max(y for _, y in texts.values())


@pytest.mark.parametrize("n", [3, 7, 12, 20, 31, 90])
def test_x_labels_never_overlap_are_even_and_name_the_last_period(n: int) -> None:
    labels = [f"03-{d:02d}" if d <= 31 else f"{d}" for d in range(1, n + 1)]
    for svg in (str(column_chart(labels, [1] * n, title="受理量趋势")),
                str(line_chart(labels, [Series("满意率", [0.5] * n)], title="三率趋势",
                               max_value=1.0))):
        shown = [(float(x), text) for x, text in X_LABEL.findall(svg)]
        assert shown[-1][1] == labels[-1]  # the latest period is always named
        assert labels.index(shown[0][1]) < labels.index(shown[-1][1]) or n == 1
        width = max(len(text) for _, text in shown) * 0.55 * 12
        gaps = [round(b[0] - a[0], 1) for a, b in zip(shown, shown[1:], strict=False)]
        assert all(gap >= width for gap in gaps), (n, gaps, width)
        assert max(gaps, default=0) - min(gaps, default=0) < 0.5, gaps  # evenly spaced


def test_a_chart_for_phones_too_is_drawn_narrow_as_well() -> None:
    """Drawn 480 wide only, a chart's text shrank to 8-9 px on a phone."""
    html = str(for_phones_too(column_chart, ["a", "b"], [1, 2], title="受理量趋势"))
    wide, narrow = html.split('<div class="chart-narrow">')
    assert 'class="chart-wide"' in wide and 'viewBox="0 0 480 ' in wide
    assert 'viewBox="0 0 340 ' in narrow


def test_a_long_label_is_cut_to_fit_a_narrow_bar_chart_and_kept_as_hover_text() -> None:
    svg = str(bar_chart([("重庆水务集团江北片区", 0.5), ("区城管局", 0.9)], title="t",
                        max_value=1.0, width=340))
    assert "<title>重庆水务集团江北片区</title>重庆水务集团江北…" in svg
    assert ">区城管局</text>" in svg
    # at full width it fits whole
    assert ">重庆水务集团江北片区</text>" in str(bar_chart([("重庆水务集团江北片区", 0.5)],
                                                       title="t", max_value=1.0))


def test_a_narrow_donut_puts_its_legend_under_the_ring() -> None:
    items = [("城乡建设", 5), ("政法", 3)]
    wide = str(donut_chart(items, title="t"))
    narrow = str(donut_chart(items, title="t", width=340))
    assert re.search(r'<rect x="224\.0" y="12\.0"', wide)  # beside the ring
    assert re.search(r'<rect x="8\.0" y="212\.0"', narrow)  # under it
