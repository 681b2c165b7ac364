"""PostgreSQL failed over to its streaming standby under `minyi serve` and `minyi worker`: the
primary is killed, the standby promoted (what Patroni or a managed service does), and the
processes, whose database URL names both servers with target_session_attrs=read-write, go on
with the new primary without a restart or a change of configuration.

What a resident sees: while no server takes writes, WeChat gets a 503 ("该公众号暂时无法提供
服务"; the message is not taken) and they send it again; afterwards their half-written report
goes on where it stopped; one slip per report; staff replies reach them once.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from sqlalchemy import select

from bot.slips.models import Slip
from bot.storage import Database
from tests.conftest import REDIS_URL
from tests.faults.conftest import PgPair, Rig, until
from tests.faults.test_postgres_restart import in_thread

pytestmark = pytest.mark.slow


async def test_postgres_failover_to_its_standby(
    make_rig, pg_pair: PgPair, redis_prefix: str  # type: ignore[no-untyped-def]
) -> None:
    name = await asyncio.to_thread(pg_pair.primary.create_database)
    db = Database.open(pg_pair.primary.url(name))
    try:
        await db.upgrade()
    finally:
        await db.close()
    await in_thread(pg_pair.start_standby)
    rig: Rig = await make_rig(pg_pair.url(name), REDIS_URL, **{"redis.prefix": redis_prefix})
    await rig.start_worker()
    await rig.start_web()
    token = await rig.staff_token()
    drafting, done, newcomer = (f"oPgFailover{n}00000000000000000" for n in range(3))
    number = await rig.complain(done, "北城天街门口的人行道砖松了好几块，电话13900001111")
    assert "什么地方" in (await rig.say(drafting, "小区门口的路灯坏了三天了"))["reply_text"]

    # Synchronous replication loses nothing in a failover; this pair replicates
    # asynchronously, so the kill waits until the standby has everything.
    await until(pg_pair.caught_up, "the standby to replay the primary's writes", within=30)
    await in_thread(pg_pair.primary.stop, "immediate")

    # No writable server: WeChat gets a 503, nothing of the message is taken.
    during = await rig.say(drafting, "建新北路12号门口")
    assert during["status"] == 503, during
    status, health = await rig.healthz()
    assert status == 503 and health["database"] is False

    await in_thread(pg_pair.promote)
    await rig.until_healthy(within=30)

    # The resident sends it again: the report goes on where it stopped.
    again = await rig.say(drafting, "建新北路12号门口")
    assert "联系电话" in again["reply_text"], again
    summary = await rig.say(drafting, "13812345678")
    assert "问题：小区门口的路灯坏了三天了" in summary["reply_text"]
    assert "地点：建新北路12号门口" in summary["reply_text"]
    assert "交办单号" in (await rig.say(drafting, "确认"))["reply_text"]
    await rig.complain(newcomer, "鲤鱼池小区3栋下水道堵了，污水冒到路上，电话13900002222")

    # Staff act on the new primary; the worker, never restarted, delivers once.
    await rig.act(token, number, "reply", note="已安排人员今天下午去现场查看")
    await rig.outbox_settled()
    rig.assert_running()
    async with rig.db.session() as session:
        slips = Counter((await session.execute(select(Slip.openid))).scalars())
    assert slips == {done: 1, drafting: 1, newcomer: 1}
    delivered = rig.delivered()
    assert [key for key, times in delivered.items() if times > 1] == []
    assert sum(1 for (openid, text) in delivered if openid == done and "现场" in text) == 1
    await rig.check_nothing_lost()
