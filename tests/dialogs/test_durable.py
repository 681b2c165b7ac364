"""Conversations that outlive their store: while something is unfinished the engine keeps a
durable copy (bot.storage.drafts in production) and reads it back when the store has lost the
conversation (a Redis restart); a message the conversation already holds is answered as
before instead of being taken twice."""

from __future__ import annotations

from typing import Any

import pytest

from bot.stores.memory import MemoryStores
from dialogs.engine import DialogEngine
from dialogs.kit import DialogKit
from tests.dialogs.conftest import Clock, Resident
from tests.dialogs.fakes import FakeDesk


class Copies:
    """An in-memory ConversationBackup that counts its writes."""

    def __init__(self) -> None:
        self.states: dict[str, dict[str, Any]] = {}
        self.saves = 0

    async def load(self, key: str, max_age_seconds: float) -> dict[str, Any] | None:
        return self.states.get(key)

    async def save(self, key: str, state: dict[str, Any]) -> None:
        self.saves += 1
        self.states[key] = state

    async def drop(self, key: str) -> None:
        self.states.pop(key, None)


@pytest.fixture
def copies() -> Copies:
    return Copies()


@pytest.fixture
def engine(kit: DialogKit, stores: MemoryStores, clock: Clock, copies: Copies) -> DialogEngine:
    return DialogEngine(kit, stores, idle_timeout_minutes=30, clock=clock, backup=copies)


async def lose_the_store(resident: Resident) -> None:
    engine = resident.engine
    await engine.store.drop_state(engine.state_key(resident.openid))  # type: ignore[attr-defined]


async def test_a_half_written_report_survives_the_store_losing_it(
    resident: Resident, desk: FakeDesk
) -> None:
    assert "什么地方" in await resident.say("小区门口的路灯坏了三天了")
    await lose_the_store(resident)
    assert "电话" in await resident.say("建新北路12号门口")
    await lose_the_store(resident)
    summary = await resident.say("13812345678")
    assert "路灯坏了" in summary and "建新北路12号" in summary
    await lose_the_store(resident)
    assert "交办单号" in await resident.say("确认")
    (slip,) = desk.of(resident.openid)
    assert "路灯坏了" in slip.draft.description


async def test_the_copy_goes_when_the_report_is_issued_or_cancelled(
    resident: Resident, copies: Copies
) -> None:
    await resident.say("小区门口的路灯坏了三天了")
    assert copies.states
    await resident.say("取消")
    assert copies.states == {}
    await resident.say("建新北路12号门口井盖丢了两天了，电话13812345678")
    assert copies.states
    await resident.say("确认")
    assert copies.states == {}


async def test_talk_without_a_draft_writes_no_copy(resident: Resident, copies: Copies) -> None:
    await resident.say("你好")
    await resident.say("谢谢")
    assert copies.saves == 0 and copies.states == {}


async def test_a_message_taken_before_the_store_was_lost_is_not_taken_again(
    resident: Resident,
) -> None:
    first = resident.message("text", "小区门口的路灯坏了三天了")
    asked = await resident.send(first)
    await lose_the_store(resident)  # with the dedupe key: WeChat's retry comes through
    assert await resident.send(first) == asked
    # still waiting for the place: the retry was not read as the answer to the question
    assert "电话" in await resident.say("建新北路12号门口")
