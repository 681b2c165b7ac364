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


@pytest.mark.parametrize(("text", "public"), [
    # the reviewer's close result: the name after 居民 was published as it was
    ("已联系居民王秀英（电话13600005555），塔坪路3号2单元501门口垃圾已清运。",
     "已联系居民某某（电话***），塔坪路*号*单元*门口垃圾已清运。"),
    ("已与业主李强沟通，同意本周内清理", "已与业主某某沟通，同意本周内清理"),
    ("已告知刘德华，并回访了陈静。", "已告知某某，并回访了某某。"),
    ("工作人员联系上张梅，她表示满意", "工作人员联系上某某，她表示满意"),
    ("居民王秀英家门口的井盖已更换", "居民某某家门口的井盖已更换"),
    # the third review's close result: the name after the room was published
    ("已联系南桥寺小区9栋2单元301室王建国（电话13923456780），问题已解决。",
     "已联系南桥寺小区*栋*单元*室某某（电话***），问题已解决。"),
    ("5号楼1203欧阳明本人同意", "*号楼*某某本人同意"),
    ("3栋2单元402室张丽家的漏水已修好", "*栋*单元*室某某家的漏水已修好"),
])
def test_names_after_who_they_are_or_what_was_done_are_masked(text: str, public: str) -> None:
    assert scrub(text) == public


@pytest.mark.parametrize("text", [
    "居民张贴告示的问题已处理",  # 张 is a surname, 张贴 is not a name
    "与周边商户协商，调整了营业时间",
    "已通知城管执法队员到场",
    "和高新区管委会沟通后已解决",
    "向江北区交通局反映后，已增设站牌",
    "向阳路的路灯已修复",  # 阳 is a surname, 向阳路 a road
    "已通知江北城街道，与石门社区确认后处理",
    "联系了华新街社区，居民毛线厂宿舍的水管已修好",
])
def test_ordinary_words_after_those_words_are_kept(text: str) -> None:
    assert scrub(text) == text


@pytest.mark.parametrize("text", [
    "建新北路5号商铺，已责令整改",  # 商 is a surname, 商铺 a shop
    "3栋车库，积水已抽干",  # 车 is a surname
    "12号房间，已检查无异常",  # 房 is a surname
    "2单元楼道的灯已修好",
    "5号楼1203门口的垃圾已清运",
])
def test_what_follows_a_house_number_is_not_taken_for_a_name(text: str) -> None:
    assert "某" not in scrub(text)
