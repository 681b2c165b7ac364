""""你们这个是干嘛的" was taken for a report: the place was asked, the real problem sent next was
taken for the place, and a slip was filed whose problem was "你们这个是干嘛的"."""

from __future__ import annotations

import pytest

from tests.dialogs.conftest import Resident
from tests.dialogs.fakes import FakeDesk

pytestmark = pytest.mark.usefixtures("one_question_per_reply")


@pytest.mark.parametrize("said", ["你们这个是干嘛的", "这是干什么的", "你们是做什么的？",
                                  "这个公众号是干啥的", "请问这个平台是做什么的"])
async def test_what_this_is_for_gets_the_help(resident: Resident, said: str) -> None:
    reply = await resident.say(said)
    assert "直接说出您遇到的问题" in reply and "什么地方" not in reply


async def test_the_problem_after_it_is_the_report(resident: Resident, desk: FakeDesk) -> None:
    await resident.say("你们这个是干嘛的")
    assert "什么地方" in await resident.say("我们村的路好烂，下雨天根本走不了")
    await resident.say("建新北路12号")
    summary = await resident.say("13800001234")
    assert "问题：我们村的路好烂" in summary and "干嘛" not in summary
