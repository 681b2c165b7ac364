"""scrub(): room and door numbers go, road names and times stay."""

from __future__ import annotations

import pytest

from bot.stats.anonymise import scrub


def test_the_reviewers_close_result_loses_the_room_number_and_keeps_the_road() -> None:
    text = "已联系居民张建国先生（电话13700002222），建新西路5号2单元301门口的积水已清理。"
    assert scrub(text) == "已联系居民某先生（电话***），建新西路*号*单元*门口的积水已清理。"


@pytest.mark.parametrize(("text", "public"), [
    ("301室漏水", "*室漏水"),
    ("2单元301门口", "*单元*门口"),
    ("2单元 301", "*单元 *"),
    ("3-2-301门口", "***门口"),
    ("5号楼1203住户", "*号楼*住户"),
    ("B座1203", "*座*"),
    ("二单元301", "*单元*"),
    ("建新北路18号3栋2单元502室", "建新北路*号*栋*单元*室"),
])
def test_room_and_door_numbers_are_masked(text: str, public: str) -> None:
    assert scrub(text) == public


@pytest.mark.parametrize("text", ["3月5号10点到场", "乘1号线到观音桥", "2026-03-05 已办结"])
def test_dates_times_and_lines_are_kept(text: str) -> None:
    assert scrub(text) == text


def test_a_time_or_a_count_after_a_house_number_is_not_a_room() -> None:
    assert scrub("建新西路5号10点前修好") == "建新西路*号10点前修好"
    assert scrub("建新西路5号3天内修好") == "建新西路*号3天内修好"
