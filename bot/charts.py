"""Server-side SVG charts: no JavaScript, no CDN, nothing to download. Each function returns
one self-contained <svg> (markupsafe.Markup, every label escaped) that scales to its container
(viewBox, width 100%) and carries a <title> for screen readers and hover text per mark.

Charts: horizontal bars (rankings, category mix), columns (counts per period), lines (rates
per period, gaps where a rate has no denominator), and a donut (shares).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

PALETTE = ("#2f6fb3", "#d9822b", "#3a9e6f", "#c4473a", "#7d5ba6", "#8c6d31", "#d16ba5",
           "#5c7080", "#b5b23c", "#2aa3b5", "#9e4f2f", "#4f5fb0", "#6e8b3d", "#b0566b",
           "#3d7a7a")
MUTED = "#8a94a0"
GRID = "#e3e7ec"
INK = "#1d2733"
FONT = 14


# How the lines of a line chart differ besides their colour, so that lines lying on top of each
# other (two rates both at 100 %) and lines read in black and white or by a colour-blind reader
# can still be told apart: the first style is solid, widest and drawn first, each next one dashed
# differently, narrower and on top, with its own marker shape.
DASHES = ("", "8 4", "2 3", "10 3 2 3")
MARKERS = ("circle", "square", "triangle", "diamond")
LINE_WIDTHS = (4.0, 3.0, 2.5, 2.0)
MARKER_SIZES = (5.5, 3.2, 4.6, 4.2)  # stacked at one value, each still shows around the next


@dataclass(frozen=True)
class Series:
    """One line. `style` picks its colour, dash and marker (index into PALETTE, DASHES and
    MARKERS; default: its position among the series), so that a measure can look the same in
    every chart; `color` overrides the colour only."""

    name: str
    values: Sequence[float | None]
    color: str | None = None
    style: int | None = None


def for_phones_too(render: Callable[..., Markup], *args: Any, width: int = 480,
                   narrow: int = 340, **kwargs: Any) -> Markup:
    """The chart drawn twice: `width` wide, and `narrow` wide for a phone, where the wide one
    shrinks its text to 8-9 px. The stylesheet shows one (.chart-wide / .chart-narrow; the
    hidden one is out of the accessibility tree too)."""
    return Markup(f'<div class="chart-wide">{render(*args, width=width, **kwargs)}</div>'
                  f'<div class="chart-narrow">{render(*args, width=narrow, **kwargs)}</div>')


def _num(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _svg(width: int, height: int, title: str, body: list[str], css_class: str) -> Markup:
    content = "".join(body)
    ident = "chart-" + hashlib.blake2s(f"{title}{content}".encode(), digest_size=5).hexdigest()
    return Markup(
        f'<svg class="chart {css_class}" viewBox="0 0 {width} {height}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet" role="img" aria-labelledby="{ident}" '
        f'xmlns="http://www.w3.org/2000/svg" font-size="{FONT}">'
        f'<title id="{ident}">{escape(title)}</title>' + content + "</svg>"
    )


def _text(x: float, y: float, text: str, *, anchor: str = "start", fill: str = INK,
          size: int = FONT, extra: str = "", tip: str | None = None) -> str:
    """`tip`: the whole text as hover text, when `text` is cut short."""
    title = f"<title>{escape(tip)}</title>" if tip else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{fill}" '
            f'font-size="{size}"{extra}>{title}{escape(text)}</text>')


def _nice_max(value: float) -> float:
    """A round axis maximum at or above value (1, 2, 2.5, 5 × 10^n)."""
    if value <= 0:
        return 1.0
    exp = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * exp:
            return step * exp
    return 10 * exp


def _count_axis(value: float, ticks: int = 4) -> tuple[float, int]:
    """(axis maximum, number of tick steps) for counts: every tick a whole number, the step
    a 1, 2, 2.5 or 5 × 10^n of at least 1 (so at most `ticks` steps, fewer for small counts)."""
    wanted = max(value, 1.0) / ticks
    exp = 10 ** math.floor(math.log10(wanted)) if wanted > 1 else 1
    step = next(s * exp for s in (1, 2, 2.5, 5, 10)
                if wanted <= s * exp and float(s * exp).is_integer())
    steps = max(1, math.ceil(max(value, 1.0) / step - 1e-9))
    return float(step * steps), steps


def _axis(value: float, counts: bool) -> tuple[float, int]:
    return _count_axis(value) if counts else (_nice_max(value), 4)


def _label_width(labels: Sequence[str]) -> float:
    """Rough width of the longest label: CJK characters are a full em, others about half."""
    widest = max((sum(1.0 if ord(c) > 0x2E80 else 0.55 for c in label) for label in labels),
                 default=0)
    return widest * FONT


def _fit(label: str, room: float) -> str:
    """The label, cut with "…" to fit `room` (a long department name on a phone)."""
    if _label_width([label]) <= room:
        return label
    while label and _label_width([label + "…"]) > room:
        label = label[:-1]
    return label + "…"


def bar_chart(
    items: Sequence[tuple[str, float | None]],
    *,
    title: str,
    fmt: Callable[[float], str] = _num,
    max_value: float | None = None,
    color: str = PALETTE[0],
    width: int = 480,
    empty: str = "暂无数据",
) -> Markup:
    """Horizontal bars, one per item, labelled on the left and valued on the right. An item
    whose value is None is listed with "—" and no bar (a rate without a denominator)."""
    row, top = 26, 8
    if not items:
        return _svg(width, 60, title, [_text(width / 2, 34, empty, anchor="middle",
                                               fill=MUTED)], "bars")
    label_w = min(_label_width([label for label, _ in items]) + 12, width * 0.42)
    value_w = 64
    plot = width - label_w - value_w
    top_value = max_value or _nice_max(max((v or 0) for _, v in items))
    height = top + row * len(items) + 8
    body = [f'<line x1="{label_w:.1f}" y1="{top}" x2="{label_w:.1f}" '
            f'y2="{height - 8}" stroke="{GRID}"/>']
    for i, (label, value) in enumerate(items):
        y = top + i * row
        shown_label = _fit(label, label_w - 12)
        body.append(_text(label_w - 8, y + row / 2 + 4, shown_label, anchor="end",
                          tip=label if shown_label != label else None))
        if value is None:
            body.append(_text(label_w + 6, y + row / 2 + 4, "—", fill=MUTED))
            continue
        w = max(0.0, plot * min(value, top_value) / top_value)
        shown = fmt(value)
        body.append(
            f'<rect class="bar" x="{label_w:.1f}" y="{y + 4}" width="{w:.1f}" '
            f'height="{row - 8}" rx="2" fill="{color}"><title>{escape(label)}：'
            f"{escape(shown)}</title></rect>"
        )
        body.append(_text(label_w + w + 6, y + row / 2 + 4, shown, fill=INK))
    return _svg(width, height, title, body, "bars")


def _x_labels(labels: Sequence[str], xs: Sequence[float], y: float, step: float,
              size: int = 12) -> list[str]:
    """Every k-th label, k the fewest steps the widest label fits in, counted back from the
    last one: the latest period is always named and the named ones are evenly spaced."""
    if not labels:
        return []
    wide = _label_width(labels) * size / FONT + 10
    each = max(1, math.ceil(wide / step - 1e-9)) if step > 0 else 1
    last = len(labels) - 1
    return [_text(xs[i], y, labels[i], anchor="middle", fill=MUTED, size=size)
            for i in range(last % each, last + 1, each)]


def column_chart(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    fmt: Callable[[float], str] = _num,
    color: str = PALETTE[0],
    width: int = 480,
    height: int = 220,
    empty: str = "暂无数据",
    counts: bool = True,
) -> Markup:
    """Vertical columns over periods (e.g. slips received per month). `counts`: the values
    are whole numbers, so are the axis ticks."""
    if not labels:
        return _svg(width, 60, title, [_text(width / 2, 34, empty, anchor="middle",
                                               fill=MUTED)], "columns")
    left, right, top, bottom = 44, 8, 12, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value, ticks = _axis(max(values, default=0), counts)
    body = _y_grid(left, top, plot_w, plot_h, top_value, fmt, ticks)
    step = plot_w / len(labels)
    bar_w = max(2.0, step * 0.7)
    xs = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = left + i * step + (step - bar_w) / 2
        h = plot_h * value / top_value
        xs.append(x + bar_w / 2)
        body.append(
            f'<rect class="bar" x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w:.1f}" '
            f'height="{h:.1f}" fill="{color}"><title>{escape(label)}：{escape(fmt(value))}'
            f"</title></rect>"
        )
    body += _x_labels(labels, xs, height - 8, step)
    return _svg(width, height, title, body, "columns")


def _y_grid(left: float, top: float, plot_w: float, plot_h: float, top_value: float,
            fmt: Callable[[float], str], ticks: int = 4) -> list[str]:
    body = []
    for i in range(ticks + 1):
        value = top_value * i / ticks
        y = top + plot_h - plot_h * i / ticks
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w:.1f}" y2="{y:.1f}" '
                    f'stroke="{GRID}"/>')
        body.append(_text(left - 6, y + 4, fmt(value), anchor="end", fill=MUTED, size=12))
    return body


def _marker(shape: str, x: float, y: float, size: float, color: str, tip: str,
            css_class: str = "point") -> str:
    """A point of a line: circle, square, triangle or diamond, with a white edge so that
    markers on top of each other stay apart."""
    title = f"<title>{escape(tip)}</title>"
    edge = f'class="{css_class}" stroke="#fff" stroke-width="1"'
    if shape == "square":
        s = size * 0.9
        return (f'<rect {edge} x="{x - s:.1f}" y="{y - s:.1f}" width="{2 * s:.1f}" '
                f'height="{2 * s:.1f}" fill="{color}">{title}</rect>')
    if shape == "triangle":
        d = (f"M{x:.1f},{y - size * 1.2:.1f} L{x + size * 1.1:.1f},{y + size * 0.8:.1f} "
             f"L{x - size * 1.1:.1f},{y + size * 0.8:.1f} Z")
        return f'<path {edge} d="{d}" fill="{color}">{title}</path>'
    if shape == "diamond":
        r = size * 1.25
        d = f"M{x:.1f},{y - r:.1f} L{x + r:.1f},{y:.1f} L{x:.1f},{y + r:.1f} L{x - r:.1f},{y:.1f} Z"
        return f'<path {edge} d="{d}" fill="{color}">{title}</path>'
    return (f'<circle {edge} cx="{x:.1f}" cy="{y:.1f}" r="{size:.1f}" fill="{color}">'
            f"{title}</circle>")


@dataclass(frozen=True)
class _Look:
    color: str
    dash: str
    marker: str
    width: float
    size: float


def _look(series: Series, k: int) -> _Look:
    i = k if series.style is None else series.style
    return _Look(
        color=series.color or PALETTE[i % len(PALETTE)],
        dash=DASHES[i % len(DASHES)],
        marker=MARKERS[i % len(MARKERS)],
        width=LINE_WIDTHS[i % len(LINE_WIDTHS)],
        size=MARKER_SIZES[i % len(MARKER_SIZES)],
    )


def _dash(look: _Look) -> str:
    return f' stroke-dasharray="{look.dash}"' if look.dash else ""


def _legend(series: Sequence[Series], looks: Sequence[_Look], width: float, x0: float
            ) -> tuple[list[str], float]:
    """A legend above the plot: a sample of each line (its dash and marker) and its name, in
    rows that wrap within the chart's width. Returns the marks and the height used."""
    body: list[str] = []
    x, y, row = x0, 14.0, 20
    for s, look in zip(series, looks, strict=True):
        item = 30 + _label_width([s.name]) * 13 / FONT + 16
        if x > x0 and x + item > width - 4:
            x, y = x0, y + row
        body.append(f'<line class="legend-line" x1="{x:.1f}" y1="{y:.1f}" x2="{x + 26:.1f}" '
                    f'y2="{y:.1f}" stroke="{look.color}" stroke-width="{min(look.width, 3)}"'
                    f'{_dash(look)}/>')
        body.append(_marker(look.marker, x + 13, y, 3.6, look.color, s.name, "legend-mark"))
        body.append(_text(x + 31, y + 4.5, s.name, size=13))
        x += item
    return body, y + 12


def line_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    fmt: Callable[[float], str] = _num,
    max_value: float | None = None,
    width: int = 480,
    height: int = 240,
    empty: str = "暂无数据",
    counts: bool = False,
    markers_up_to: int = 45,
) -> Markup:
    """Lines over periods, one per series, with a legend; None values leave a gap. Each line
    has its own colour, dash and marker shape (see DASHES), so that lines on top of each other
    stay apart. Markers on every point up to `markers_up_to` periods, beyond only on a point
    standing alone (it has no line to show it). `counts`: whole-number axis ticks (rates, the
    default, keep the 1, 2, 2.5, 5 × 10^n maximum)."""
    if not labels or not series:
        return _svg(width, 60, title, [_text(width / 2, 34, empty, anchor="middle",
                                               fill=MUTED)], "lines")
    left, right, bottom = 52, 12, 28
    looks = [_look(s, k) for k, s in enumerate(series)]
    legend, legend_h = _legend(series, looks, width, 8)
    top = legend_h + 12
    height += top - 30  # the plot keeps its height however many rows the legend takes
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for s in series for v in s.values if v is not None]
    if max_value:
        top_value, ticks = max_value, 4
    else:
        top_value, ticks = _axis(max(values, default=0), counts)
    body = _y_grid(left, top, plot_w, plot_h, top_value, fmt, ticks) + legend
    n = len(labels)
    step = plot_w / n
    xs = [left + step * (i + 0.5) for i in range(n)]
    lines: list[tuple[float, str]] = []
    points: list[tuple[float, str]] = []
    for s, look in zip(series, looks, strict=True):
        runs: list[list[tuple[float, float, str, float]]] = [[]]
        for x, label, value in zip(xs, labels, s.values, strict=True):
            if value is None:
                runs.append([])
                continue
            y = top + plot_h - plot_h * min(value, top_value) / top_value
            runs[-1].append((x, y, label, value))
        for run in runs:
            if len(run) > 1:
                coords = " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in run)
                lines.append((look.width, f'<polyline class="line" points="{coords}" '
                              f'fill="none" stroke="{look.color}" stroke-width="{look.width}" '
                              f'stroke-linejoin="round"{_dash(look)}/>'))
            if len(run) == 1 or n <= markers_up_to:
                points += [(look.size, _marker(look.marker, x, y, look.size, look.color,
                                               f"{s.name} {label}：{fmt(value)}"))
                           for x, y, label, value in run]
    # every line under every marker; the widest (solid) line at the bottom, the narrower
    # dashed ones over it, so that lines on top of each other all show
    body += [mark for _, mark in sorted(lines, key=lambda it: -it[0])]
    body += [mark for _, mark in sorted(points, key=lambda it: -it[0])]
    body += _x_labels(labels, xs, height - 8, step)
    return _svg(width, height, title, body, "lines")


def donut_chart(
    items: Sequence[tuple[str, float]],
    *,
    title: str,
    fmt: Callable[[float], str] = _num,
    width: int = 480,
    max_items: int = 8,
    other: str = "其他",
    empty: str = "暂无数据",
) -> Markup:
    """Shares of a whole as a ring with a legend; the smallest items fold into "其他"."""
    items = [(label, value) for label, value in items if value > 0]
    total = sum(v for _, v in items)
    if not items or total <= 0:
        return _svg(width, 60, title, [_text(width / 2, 34, empty, anchor="middle",
                                               fill=MUTED)], "donut")
    items = sorted(items, key=lambda it: -it[1])
    if len(items) > max_items:
        rest = sum(v for _, v in items[max_items - 1:])
        items = [*items[: max_items - 1], (other, rest)]
    size = 200
    cx = cy = size / 2
    r_out, r_in = 92, 56
    row = 24
    # beside the ring when there is room for the legend, else under it (a phone)
    stacked = width < size + 24 + 220
    if stacked:
        cx = width / 2
        lx, ly = 8.0, size + 12.0
        height = ly + row * len(items)
    else:
        lx, ly = size + 24.0, 12.0
        height = max(size, 12 + row * len(items))
    body = []
    angle = -math.pi / 2
    for i, (label, value) in enumerate(items):
        color = PALETTE[i % len(PALETTE)]
        share = value / total
        sweep = 2 * math.pi * share
        if share >= 0.9999:  # a full ring cannot be one arc
            body.append(f'<circle class="slice" cx="{cx}" cy="{cy}" r="{(r_out + r_in) / 2}" '
                        f'fill="none" stroke="{color}" stroke-width="{r_out - r_in}">'
                        f"<title>{escape(label)}：{escape(fmt(value))}（100%）</title></circle>")
        else:
            body.append(_slice(cx, cy, r_out, r_in, angle, angle + sweep, color,
                               f"{label}：{fmt(value)}（{share * 100:.1f}%）"))
        angle += sweep
        y = ly + i * row
        body.append(f'<rect x="{lx}" y="{y}" width="12" height="12" fill="{color}"/>')
        body.append(_text(lx + 18, y + 11, label))
        body.append(_text(width - 4, y + 11, f"{fmt(value)}（{share * 100:.1f}%）",
                          anchor="end", fill=MUTED))
    body.append(_text(cx, cy + 6, fmt(total), anchor="middle", size=18,
                      extra=' font-weight="600"'))
    return _svg(width, int(height), title, body, "donut")


def _slice(cx: float, cy: float, r_out: float, r_in: float, a0: float, a1: float, color: str,
           tip: str) -> str:
    large = 1 if a1 - a0 > math.pi else 0

    def at(r: float, a: float) -> str:
        return f"{cx + r * math.cos(a):.2f},{cy + r * math.sin(a):.2f}"

    d = (f"M{at(r_out, a0)} A{r_out},{r_out} 0 {large} 1 {at(r_out, a1)} "
         f"L{at(r_in, a1)} A{r_in},{r_in} 0 {large} 0 {at(r_in, a0)} Z")
    return f'<path class="slice" d="{d}" fill="{color}"><title>{escape(tip)}</title></path>'
