"""PostgreSQL restarted under `minyi serve` and `minyi worker`: an immediate restart (the
server killed, crash recovery on start), and a stop, a pause and a start, while residents
report problems and staff reply.

What must hold: the first message after a restart is answered normally (the pools replace the
connections the server closed); while the server is down WeChat gets a 503 (it shows the
resident "该公众号暂时无法提供服务"; the message is not taken, so nothing is lost) and the
resident sends it again later; every answered message is recorded once with its answer; one
slip per report; every notification delivered once; no process restarted by hand.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from sqlalchemy import select

from bot.outbox import OutboxRow
from bot.slips.models import Slip
from tests.conftest import REDIS_URL
from tests.faults.conftest import PgCluster, Rig, until

pytestmark = pytest.mark.slow

REPORTS = [
    "建新北路12号门口井盖丢了两天了，电话13812345678",
    "鲤鱼池小区3栋下水道堵了，污水冒到路上，联系电话023-67891234",
    "北城天街门口的人行道砖松了好几块，电话13900001111",
    "建新东路8号旁边的垃圾桶满了没人清，电话13700002222",
    "观音桥步行街的路灯坏了一排，晚上很黑，电话13600003333",
    "大庆村小区门口的下水道井盖松了，车一过就响，电话13500004444",
]


async def in_thread(work, *args):  # type: ignore[no-untyped-def]
    """pg_ctl waits for the server: keep the simulator and the residents running meanwhile."""
    await asyncio.to_thread(work, *args)


async def test_postgres_restarted_under_traffic(
    make_rig, private_pg: PgCluster, private_pg_url: str, redis_prefix: str  # type: ignore[no-untyped-def]
) -> None:
    rig: Rig = await make_rig(private_pg_url, REDIS_URL, **{"redis.prefix": redis_prefix})
    await rig.start_worker()  # starts while the web process does
    await rig.start_web()
    token = await rig.staff_token()
    await rig.complain("oPgFaultWarm000000000000000", REPORTS[0])  # the pools in use

    # Right after an immediate restart every pooled connection is dead; the next resident is
    # answered as usual all the same.
    await in_thread(private_pg.restart, "immediate")
    greeted = await rig.say("oPgFaultFirst00000000000000", "你好")
    assert greeted["status"] == 200 and "小助手" in greeted["reply_text"], greeted

    # Residents report at once; the server restarts immediately, then stops for a while.
    residents = [f"oPgFault{n:02d}000000000000000000" for n in range(len(REPORTS))]
    reports = [asyncio.create_task(rig.complain(openid, text, limit=40))
               for openid, text in zip(residents, REPORTS, strict=True)]
    start = len(rig.posts)

    async def posted(count: int) -> bool:
        return len(rig.posts) >= start + count

    await until(lambda: posted(3), "residents to start writing")
    await in_thread(private_pg.restart, "immediate")
    await until(lambda: posted(6), "residents to write after the restart")
    await in_thread(private_pg.stop, "fast")
    down = await rig.say("oPgFaultDown000000000000000", "你好")
    assert down["status"] == 503 and down["reply_text"] is None
    status, health = await rig.healthz()
    assert status == 503 and health["database"] is False and health["stores"] is True
    await asyncio.sleep(1.0)
    await in_thread(private_pg.start)
    numbers = dict(zip(residents, await asyncio.gather(*reports), strict=True))

    # Staff reply to every slip through the API while the worker delivers; the server restarts
    # in the middle of it.
    sent_before = len(rig.sim.sent)
    replies = [asyncio.create_task(rig.act(token, number, "reply", note=f"{number}已安排人员处理"))
               for number in numbers.values()]

    async def delivering() -> bool:
        return len(rig.sim.sent) >= sent_before + 2

    await until(delivering, "the worker to deliver the first replies")
    await in_thread(private_pg.restart, "immediate")
    await asyncio.gather(*replies)
    await rig.outbox_settled(within=90)
    rig.assert_running()
    await rig.until_healthy()

    # One slip per report; nothing answered was lost; every notification arrived once.
    async with rig.db.session() as session:
        slips = Counter((await session.execute(select(Slip.openid))).scalars())
        rows = (await session.execute(
            select(OutboxRow.openid, OutboxRow.text, OutboxRow.status)
            .where(OutboxRow.audience == "resident"))).all()
    assert slips == dict.fromkeys([*residents, "oPgFaultWarm000000000000000"], 1)
    assert {p["status"] for p in rig.posts} <= {200, 503}, "only answers or 503s, no 500s"
    await rig.check_nothing_lost()
    delivered = rig.delivered()
    assert [key for key, times in delivered.items() if times > 1] == []
    assert {row.status for row in rows} == {"sent"}
    assert {(row.openid, row.text) for row in rows} == set(delivered)
    for openid, number in numbers.items():  # the staff reply reached its resident
        assert any(o == openid and f"{number}已安排人员处理" in t for o, t in delivered)
