"""Whatever a resident sends, in whatever order: an answer, never an error, never two questions."""

from __future__ import annotations

import asyncio

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.stores.memory import MemoryStores
from dialogs.engine import DialogEngine
from dialogs.kit import DialogKit
from tests.dialogs.conftest import Clock, Resident
from tests.dialogs.fakes import FakeDesk, FakePlaces, FakeTriage

TEXTS = [
    "建新北路12号门口井盖丢了两天了，电话13812345678", "小区门口的路灯坏了", "鲤鱼池小区3栋",
    "13812345678", "1381234", "确认", "不对", "是", "不是", "取消", "重新开始", "继续",
    "地址不对，是建新北路12号", "电话换成13900000000", "地址不对", "我的工单", "查询",
    "JB2026112500001", "1", "3", "不满意，没人来", "你好", "谢谢", "12345是什么？", "asdf", "",
    "楼下着火了", "老板拖欠工资三个月", "鑫达公司", "不留", "不知道", "新问题", "另外路灯也坏了",
    "？？？", "🙂", "3栋", "我们小区3栋", "问题写错了，是水管爆了",
]
STEP = st.one_of(
    st.sampled_from([("say", t) for t in TEXTS]),
    st.text(max_size=30).map(lambda t: ("say", t)),
    st.sampled_from([("photo", "P"), ("voice", ""), ("voice", "路灯坏了"), ("wait", 45),
                     ("location", (29.575, 106.53)), ("location", (23.1, 113.3)),
                     ("event", "subscribe"), ("click", "REPORT"), ("click", "QUERY"),
                     ("close", None)]),
)
KIT = DialogKit.load(FakeDesk(), classifier=FakeTriage(), places=FakePlaces())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(STEP, min_size=1, max_size=10))
def test_any_conversation_gets_answers_with_at_most_one_question(steps) -> None:  # type: ignore[no-untyped-def]
    asyncio.run(_talk(steps))


async def _talk(steps: list[tuple[str, object]]) -> None:
    desk = FakeDesk()
    kit = DialogKit(desk=desk, nlu=KIT.nlu, texts=KIT.texts, intake=KIT.intake,
                    classifier=KIT.classifier, places=KIT.places)
    clock = Clock()
    engine = DialogEngine(kit, MemoryStores(), clock=clock)
    resident = Resident(engine, clock)
    error = kit.texts.say("control.error")
    for kind, value in steps:
        if kind == "wait":
            clock.advance(float(value))  # type: ignore[arg-type]
            continue
        if kind == "close":
            for slip in desk.of(resident.openid):
                desk.close(slip.number)
            continue
        if kind == "say":
            reply = await resident.say(str(value))
        elif kind == "photo":
            reply = await resident.photo()
        elif kind == "voice":
            reply = await resident.voice(str(value))
        elif kind == "location":
            lat, lon = value  # type: ignore[misc]
            reply = await resident.location(lat, lon, "某处")
        elif kind == "event":
            reply = await resident.event(str(value))
        else:
            reply = await resident.event("click", str(value))
        assert reply != error
        assert resident.questions(reply) <= 1, (steps, reply)
        if kind == "say" and str(value).strip():
            assert reply.strip(), steps  # every text gets an answer
