"""Chart axes: counts get whole-number ticks, rates keep their percent ticks."""

from __future__ import annotations

import re

import pytest

from bot.charts import Series, column_chart, line_chart

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
