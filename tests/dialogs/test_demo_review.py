"""A second reviewer's residents on the demo: corrections, a second problem, calling a slip
off, status questions and survey answers in dialect, and what is not a complaint."""

from __future__ import annotations

import pytest

from tests.dialogs.conftest import Resident
from tests.dialogs.fakes import FakeDesk

pytestmark = pytest.mark.usefixtures("one_question_per_reply")




def line(summary: str, head: str) -> str:
    return next((x for x in summary.splitlines() if x.startswith(head)), "")


# -- 1. the summary's own example of a correction ----------------------------------------------
@pytest.mark.parametrize(("said", "place"), [
    ("地址改成建新北路12号", "建新北路12号"),
    ("地址改成建新北路20号金源小区门口", "建新北路20号金源小区门口"),
    ("地点应该是鲤鱼池小区3栋", "鲤鱼池小区3栋"),
])
async def test_changing_the_address_as_the_summary_suggests(
    resident: Resident, desk: FakeDesk, said: str, place: str
) -> None:
    await resident.say("观音桥步行街的路灯坏了，电话13812345678")
    summary = await resident.say(said)
    assert line(summary, "地点：") == f"地点：{place}"
    await resident.say("确认")
    assert desk.of(resident.openid)[0].draft.location_text == place
