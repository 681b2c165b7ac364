"""Wage arrears: workers often do not know the company's name. "不知道公司名字，就是鱼嘴那个
工地" was asked again (the worksite's place kept it from being the answer), and "确认" sent
to the repeated question became the employer (单位：确认)."""

from __future__ import annotations

import pytest

from tests.dialogs.conftest import Resident
from tests.dialogs.fakes import FakeDesk

pytestmark = pytest.mark.usefixtures("one_question_per_reply")

WAGES = "老板欠了我们十几个工人三个月工资"
PHONE = "13511112222"


async def test_what_they_know_of_the_worksite_is_the_employer(
    resident: Resident, desk: FakeDesk
) -> None:
    assert "哪家单位" in await resident.say(WAGES)
    assert "电话" in await resident.say("不知道公司名字，就是观音桥那个工地")
    summary = await resident.say(PHONE)
    assert "单位：就是观音桥那个工地" in summary


async def test_not_known_twice_is_filed_for_staff_to_find_out(
    resident: Resident, desk: FakeDesk
) -> None:
    await resident.say(WAGES)
    asked = await resident.say("不知道")
    assert "不知道单位名称也没关系" in asked and "老板姓什么" in asked
    assert "电话" in await resident.say("说不清")
    summary = await resident.say(PHONE)
    assert "单位：不清楚（待工作人员核实）" in summary
    await resident.say("确认")
    (slip,) = desk.of(resident.openid)
    assert slip.draft.employer == "不清楚（待工作人员核实）"


@pytest.mark.parametrize("said", ["确认", "好的"])
async def test_a_confirmation_is_not_an_employer(resident: Resident, said: str) -> None:
    await resident.say(WAGES)
    reply = await resident.say(said)
    assert "单位：" not in reply and "单位的名称" in reply


async def test_a_problem_somewhere_is_not_the_employer(resident: Resident) -> None:
    await resident.say(WAGES)
    reply = await resident.say("观音桥那边的路灯坏了")
    assert "单位：" not in reply
