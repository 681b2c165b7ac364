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

from markupsafe import Markup, escape

PALETTE = ("#2f6fb3", "#d9822b", "#3a9e6f", "#c4473a", "#7d5ba6", "#8c6d31", "#d16ba5",
           "#5c7080", "#b5b23c", "#2aa3b5", "#9e4f2f", "#4f5fb0", "#6e8b3d", "#b0566b",
           "#3d7a7a")
MUTED = "#8a94a0"
GRID = "#e3e7ec"
INK = "#1d2733"
FONT = 14


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]
    color: str | None = None


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
          size: int = FONT, extra: str = "") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{fill}" '
            f'font-size="{size}"{extra}>{escape(text)}</text>')


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
        body.append(_text(label_w - 8, y + row / 2 + 4, label, anchor="end"))
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


def _x_labels(labels: Sequence[str], xs: Sequence[float], y: float, plot_w: float) -> list[str]:
    """Every k-th label, so that they do not overlap."""
    if not labels:
        return []
    each = max(1, math.ceil(len(labels) * _label_width(["2026-01-01"]) * 0.8 / plot_w))
    out = []
    for i, (label, x) in enumerate(zip(labels, xs, strict=True)):
        if i % each == 0 or i == len(labels) - 1 and (len(labels) - 1) % each >= each / 2:
            out.append(_text(x, y, label, anchor="middle", fill=MUTED, size=12))
    return out


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
    body += _x_labels(labels, xs, height - 8, plot_w)
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
) -> Markup:
    """Lines over periods, one per series, with a legend; None values leave a gap. `counts`:
    whole-number axis ticks (rates, the default, keep the 1, 2, 2.5, 5 × 10^n maximum)."""
    if not labels or not series:
        return _svg(width, 60, title, [_text(width / 2, 34, empty, anchor="middle",
                                               fill=MUTED)], "lines")
    left, right, top, bottom = 52, 12, 30, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for s in series for v in s.values if v is not None]
    if max_value:
        top_value, ticks = max_value, 4
    else:
        top_value, ticks = _axis(max(values, default=0), counts)
    body = _y_grid(left, top, plot_w, plot_h, top_value, fmt, ticks)
    n = len(labels)
    xs = [left + (plot_w * (i + 0.5) / n) for i in range(n)]
    legend_x = left
    for k, s in enumerate(series):
        color = s.color or PALETTE[k % len(PALETTE)]
        body.append(f'<rect x="{legend_x}" y="8" width="12" height="12" fill="{color}"/>')
        body.append(_text(legend_x + 16, 18, s.name, size=13))
        legend_x += 30 + _label_width([s.name]) * 13 / FONT
        runs: list[list[tuple[float, float, str, float]]] = [[]]
        for x, label, value in zip(xs, labels, s.values, strict=True):
            if value is None:
                runs.append([])
                continue
            y = top + plot_h - plot_h * min(value, top_value) / top_value
            runs[-1].append((x, y, label, value))
        for run in runs:
            if len(run) > 1:
                points = " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in run)
                body.append(f'<polyline class="line" points="{points}" fill="none" '
                            f'stroke="{color}" stroke-width="2"/>')
            for x, y, label, value in run:
                body.append(
                    f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}">'
                    f"<title>{escape(s.name)} {escape(label)}：{escape(fmt(value))}</title>"
                    "</circle>"
                )
    body += _x_labels(labels, xs, height - 8, plot_w)
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
        y = 12 + i * row
        lx = size + 24
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
