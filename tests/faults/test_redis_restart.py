"""Redis killed (SIGKILL, nothing on disk) and started again on the same port while residents
are in the middle of reports, with `minyi serve` and `minyi worker` running throughout.

What a resident sees: while Redis is down, a plain apology asking them to send the message
again in a minute (the message itself is kept for staff); afterwards their half-written report
goes on where it stopped (it is kept in PostgreSQL too), a WeChat retry of a message answered
before the kill is answered the same and not taken twice, one slip per report, and the staff
replies written meanwhile reach them once. Nobody restarts a process.
"""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from bot.outbox import OutboxRow
from bot.slips.models import Slip
from knowledge.replies import Replies
from tests.faults.conftest import RedisServer, Rig

pytestmark = pytest.mark.slow

UNAVAILABLE = Replies.load().say("unavailable")


async def slips_of(rig: Rig) -> Counter[str]:
    async with rig.db.session() as session:
        return Counter((await session.execute(select(Slip.openid))).scalars())


async def test_redis_killed_mid_conversation(
    make_rig, private_redis: RedisServer, pg_url: str  # type: ignore[no-untyped-def]
) -> None:
    rig = await make_rig(pg_url, private_redis.url)
    await rig.start_worker()  # starts while the web process does
    await rig.start_web()
    token = await rig.staff_token()
    drafting, confirming, done = (f"oRedisFault{n}0000000000000000" for n in range(3))

    # Before: a report waiting for its place (with a photo), a summary waiting for 确认, and a
    # slip already issued.
    asked = await rig.say(drafting, "小区门口的路灯坏了三天了")
    assert "什么地方" in asked["reply_text"]
    assert "照片已收到" in (await rig.send(drafting, "image"))["reply_text"]
    summary = await rig.say(confirming, "建新北路12号门口井盖丢了两天了，电话13812345678")
    assert "请核对" in summary["reply_text"]
    number = await rig.complain(done, "北城天街门口的人行道砖松了好几块，电话13900001111")

    private_redis.kill()

    # While Redis is down: an apology in plain Chinese, the words kept; staff can still act.
    during = await rig.say(drafting, "建新北路12号门口")
    assert during["status"] == 200 and during["reply_text"] == UNAVAILABLE
    status, health = await rig.healthz()
    assert status == 503 and health["stores"] is False and health["database"] is True
    await rig.act(token, number, "reply", note="已安排人员今天下午去现场查看")

    private_redis.start()

    # WeChat posts the first message again (its answer was lost on the way, and Redis lost
    # its dedupe key): the same answer, and it is not taken again (as the place, say).
    retry = await rig.sim.peer.post(asked["xml"])
    _, answer, error = rig.sim.peer.read_reply(retry.status or 0, retry.body, openid=drafting)
    assert error is None and answer is not None
    assert answer["Content"] == asked["reply_text"]

    # The half-written report goes on where it stopped, with what was given before the kill.
    again = await rig.say(drafting, "建新北路12号门口")
    assert "联系电话" in again["reply_text"], again["reply_text"]
    summary = await rig.say(drafting, "13812345678")
    assert "问题：小区门口的路灯坏了三天了" in summary["reply_text"]
    assert "地点：建新北路12号门口" in summary["reply_text"]
    assert "照片：1张" in summary["reply_text"]
    assert "交办单号" in (await rig.say(drafting, "确认"))["reply_text"]

    # The summary waiting for 确认 is still there.
    assert "交办单号" in (await rig.say(confirming, "确认"))["reply_text"]

    # Staff act after the restart too; the worker, never restarted, delivers everything once.
    await rig.act(token, number, "reply", note="路面砖已经重新铺好，请您查看")
    await rig.outbox_settled()
    rig.assert_running()

    assert await slips_of(rig) == {drafting: 1, confirming: 1, done: 1}
    delivered = rig.delivered()
    assert [key for key, times in delivered.items() if times > 1] == []
    async with rig.db.session() as session:
        rows = (await session.execute(
            select(OutboxRow.openid, OutboxRow.text, OutboxRow.status)
            .where(OutboxRow.audience == "resident"))).all()
        pending = (await session.execute(
            select(func.count()).select_from(OutboxRow)
            .where(OutboxRow.status != "sent", OutboxRow.audience == "resident"))).scalar_one()
    assert pending == 0
    assert {(row.openid, row.text) for row in rows} == set(delivered)
    staff_replies = [text for (openid, text) in delivered
                     if openid == done and ("现场" in text or "重新铺好" in text)]
    assert len(staff_replies) == 2
    await rig.check_nothing_lost()
