"""WeChat's API failing, then slow, while residents chat and staff reply, end to end:
`minyi serve` and `minyi worker` against the simulator (tests/bot/delivery covers the worker's
handling of each error code on its own).

What must hold: the chat does not depend on the API (passive replies), so every message is
answered on the first post; the staff replies written during the outage wait in the outbox
and reach their residents once the API answers again, each exactly once, slow answers that
the worker gave up on included (WeChat finishes a call whose caller stopped waiting).
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from bot.outbox import OutboxRow
from tests.conftest import REDIS_URL
from tests.faults.conftest import Rig, until

pytestmark = pytest.mark.slow

REPORTS = [
    "建新北路12号门口井盖丢了两天了，电话13812345678",
    "鲤鱼池小区3栋下水道堵了，污水冒到路上，联系电话023-67891234",
    "北城天街门口的人行道砖松了好几块，电话13900001111",
    "建新东路8号旁边的垃圾桶满了没人清，电话13700002222",
]


async def test_wechat_api_down_then_slow(
    make_rig, pg_url: str, redis_prefix: str  # type: ignore[no-untyped-def]
) -> None:
    rig: Rig = await make_rig(pg_url, REDIS_URL, **{"redis.prefix": redis_prefix})
    await rig.start_worker()  # starts while the web process does
    await rig.start_web()
    token = await rig.staff_token()
    residents = [f"oApiFault{n}00000000000000000000" for n in range(len(REPORTS))]

    # Every API call fails ("system busy"), access tokens included.
    down = rig.sim.add_fault("*", errcode=-1, count=-1)
    numbers = await asyncio.gather(*(rig.complain(openid, text)
                                     for openid, text in zip(residents, REPORTS, strict=True)))
    # the chat went on as usual: report, 确认, slip; each message answered on its first post
    assert len(rig.posts) == 2 * len(residents)
    assert all(p["status"] == 200 and p["error"] is None and p["attempts"] == 1
               for p in rig.posts)
    for number in numbers:
        await rig.act(token, number, "reply", note=f"{number}已安排人员处理")

    async def tried_and_failed() -> bool:
        return down.hits >= 3

    await until(tried_and_failed, "the worker to meet the failing API")
    assert rig.sim.sent == []

    # Now WeChat answers, but slower than the worker waits; residents ask for their slips.
    rig.sim.clear_faults()
    slow = rig.sim.add_fault("custom/send", delay=3.0, count=2)
    for openid, number in zip(residents, numbers, strict=True):
        result = await rig.say(openid, "我的工单")
        assert result["error"] is None and result["attempts"] == 1
        assert number in result["reply_text"] and "已安排人员处理" in result["reply_text"]

    async def slow_calls_made() -> bool:
        return slow.hits >= 2

    await until(slow_calls_made, "the worker to meet the slow API")
    await rig.outbox_settled(within=90)
    rig.assert_running()

    delivered = rig.delivered()
    assert [key for key, times in delivered.items() if times > 1] == []  # nothing twice
    async with rig.db.session() as session:
        rows = (await session.execute(
            select(OutboxRow.openid, OutboxRow.text, OutboxRow.status)
            .where(OutboxRow.audience == "resident"))).all()
    assert {row.status for row in rows} == {"sent"}
    assert {(row.openid, row.text) for row in rows} == set(delivered)  # nothing lost
    for openid, number in zip(residents, numbers, strict=True):
        assert any(o == openid and f"{number}已安排人员处理" in t for o, t in delivered)
    await rig.check_nothing_lost()
