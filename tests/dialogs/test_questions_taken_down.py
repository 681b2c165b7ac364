"""A question (咨询) that needs no place went straight to "请留一个联系电话": the resident was
not told the question was taken down, nor who would answer it. And a second question said
instead of the number ("在哪里办") was called a wrong number."""

from __future__ import annotations

import pytest

from knowledge.triage import load_default_triage
from tests.dialogs.conftest import Resident, resident_with
from tests.dialogs.fakes import FakeDesk

pytestmark = pytest.mark.usefixtures("one_question_per_reply")

PHONE = "13812345678"


@pytest.fixture(scope="module")
def shipped_triage():  # type: ignore[no-untyped-def]
    return load_default_triage()


@pytest.fixture
def resident(desk: FakeDesk, shipped_triage) -> Resident:  # type: ignore[no-untyped-def]
    return resident_with(desk, classifier=shipped_triage)


@pytest.mark.parametrize("question", ["低保怎么申请", "我想咨询一下，孩子上小学要准备什么材料",
                                      "我想问一下独生子女父母奖励怎么申请"])
async def test_a_question_is_said_to_be_taken_down_before_the_number(
    resident: Resident, question: str
) -> None:
    reply = await resident.say(question)
    assert "您的问题我们记下了，会请" in reply and "答复您" in reply
    assert "联系电话" in reply


async def test_a_second_question_instead_of_the_number_is_kept_with_the_first(
    resident: Resident, desk: FakeDesk
) -> None:
    await resident.say("我想问一下独生子女父母奖励怎么申请")
    reply = await resident.say("在哪里办")
    assert "这个问题也记下了" in reply and "号码好像不对" not in reply
    assert "联系电话" in reply and "记下了，会请" not in reply
    summary = await resident.say(PHONE)
    assert "请核对" in summary and "在哪里办" in summary
    await resident.say("确认")
    (slip,) = desk.of(resident.openid)
    assert slip.draft.description.endswith("怎么申请；在哪里办")


async def test_a_problem_is_not_called_a_question(resident: Resident) -> None:
    await resident.say("建新北路12号门口井盖丢了")
    reply = await resident.say("不留")
    assert "记下了，会请" not in reply


async def test_a_street_said_to_the_number_question_is_kept_with_the_question(
    resident: Resident, desk: FakeDesk
) -> None:
    """Too broad for a fault (its place is asked for again), enough for a question: it says
    whose office answers. It was dropped without a word."""
    await resident.say("请问公租房怎么申请")
    reply = await resident.say("我住在观音桥街道")
    assert "地点记下了：观音桥街道" in reply and "联系电话" in reply, reply
    summary = await resident.say("不留")
    assert "地点：观音桥街道\n" in summary, summary
    await resident.say("确认")
    (slip,) = desk.of(resident.openid)
    assert slip.draft.location_text == "观音桥街道"
    assert (slip.draft.area or {}).get("street") == "观音桥街道"
