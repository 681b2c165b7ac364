"""Redis failed over by Sentinel while residents are in the middle of reports: the master is
killed (SIGKILL, nothing on disk), Sentinel promotes the replica, and `minyi serve` and
`minyi worker`, configured with `redis+sentinel://`, follow it without a restart or a change
of configuration. Later the old master comes back and Sentinel makes it a replica.

What a resident sees: at most the plain apology while no master answers (about two seconds),
then their half-written report goes on where it stopped, one slip per report; staff replies
reach them once.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from sqlalchemy import select

from bot.slips.models import Slip
from knowledge.replies import Replies
from tests.faults.conftest import RedisServer, Rig, SentinelSet, TlsFiles, until

pytestmark = pytest.mark.slow

UNAVAILABLE = Replies.load().say("unavailable")


async def say_until_taken(rig: Rig, openid: str, text: str, within: float = 30.0) -> str:
    """As a resident does after the apology: sends the message again a little later."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        answer = await rig.say(openid, text)
        reply = answer["reply_text"] or ""
        if answer["status"] == 200 and reply and reply != UNAVAILABLE:
            return reply
        assert loop.time() < deadline, f"still not taken: {answer}"
        await asyncio.sleep(1.0)


async def test_redis_failover_mid_conversation(
    make_rig, redis_sentinel: SentinelSet, pg_url: str  # type: ignore[no-untyped-def]
) -> None:
    rig = await make_rig(pg_url, redis_sentinel.url)
    await rig.start_worker()
    await rig.start_web()
    token = await rig.staff_token()
    drafting, confirming, done = (f"oRedisFailover{n}00000000000000" for n in range(3))
    assert redis_sentinel.master_port() == redis_sentinel.master.port

    # Before: a report waiting for its place, a summary waiting for 确认, a slip issued.
    assert "什么地方" in (await rig.say(drafting, "小区门口的路灯坏了三天了"))["reply_text"]
    summary = await rig.say(confirming, "建新北路12号门口井盖丢了两天了，电话13812345678")
    assert "请核对" in summary["reply_text"]
    number = await rig.complain(done, "北城天街门口的人行道砖松了好几块，电话13900001111")

    redis_sentinel.master.kill()
    killed_at, posts_before = asyncio.get_running_loop().time(), len(rig.posts)

    # The report goes on once a master answers again (the apology at most, meanwhile).
    assert "联系电话" in await say_until_taken(rig, drafting, "建新北路12号门口")
    taken_after = asyncio.get_running_loop().time() - killed_at
    apologies = sum(1 for p in rig.posts[posts_before:] if p["reply_text"] == UNAVAILABLE)
    assert redis_sentinel.master_port() == redis_sentinel.replica.port  # failed over
    await rig.act(token, number, "reply", note="已安排人员今天下午去现场查看")
    summary_text = await say_until_taken(rig, drafting, "13812345678")
    assert "问题：小区门口的路灯坏了三天了" in summary_text
    assert "地点：建新北路12号门口" in summary_text
    assert "交办单号" in await say_until_taken(rig, drafting, "确认")
    assert "交办单号" in await say_until_taken(rig, confirming, "确认")

    # The old master comes back (empty) and Sentinel turns it into the new master's replica.
    redis_sentinel.master.start()

    async def rejoined() -> bool:
        replicas = await asyncio.to_thread(redis_sentinel.replica_ports)
        return redis_sentinel.master.port in replicas

    await until(rejoined, "the old master to rejoin as a replica", within=60)
    newcomer = "oRedisFailoverNew0000000000000"
    await rig.complain(newcomer, "鲤鱼池小区3栋下水道堵了，污水冒到路上，电话13900002222")

    await rig.act(token, number, "reply", note="路面砖已经重新铺好，请您查看")
    await rig.outbox_settled()
    rig.assert_running()
    status, health = await rig.healthz()
    assert status == 200 and health["stores"] is True
    async with rig.db.session() as session:
        slips = Counter((await session.execute(select(Slip.openid))).scalars())
    assert slips == {drafting: 1, confirming: 1, done: 1, newcomer: 1}
    delivered = rig.delivered()
    assert [key for key, times in delivered.items() if times > 1] == []
    assert sum(1 for (openid, text) in delivered
               if openid == done and ("现场" in text or "重新铺好" in text)) == 2
    await rig.check_nothing_lost()
    print(f"\nmaster killed; the resident's next message was taken {taken_after:.1f} s later "
          f"after {apologies} apology(ies); the old master rejoined as a replica")


async def test_a_burst_through_sentinel_waits_for_a_free_connection(
    redis_sentinel: SentinelSet,
) -> None:
    """The pool behind Sentinel blocks like the plain one: more commands at once than
    connections wait their turn instead of failing with "Too many connections"."""
    from bot.stores.redis import RedisStores

    stores = RedisStores.from_url(redis_sentinel.url, "burst", max_connections=2)
    try:
        allowed = await asyncio.gather(
            *(stores.hit("o1", limit=100, window_seconds=60) for _ in range(50)))
        assert allowed == [True] * 50
        assert await stores.ping()
    finally:
        await stores.close()


async def test_tls_sentinel_failover(redis_sentinel_tls: SentinelSet) -> None:
    """rediss+sentinel://: the sentinel, the master and the replica listen on TLS only; the
    stores check the servers' certificate against the configured CA, and follow a failover
    as the plaintext set does."""
    from redis.exceptions import ConnectionError as RedisConnectionError

    from bot.stores.redis import RedisStores

    servers = redis_sentinel_tls
    stores = RedisStores.from_url(servers.url, "tls")
    (servers.workdir / "other").mkdir()
    wrong_ca = TlsFiles.make(servers.workdir / "other")
    strangers = RedisStores.from_url(
        servers.url.replace(str(servers.tls.ca), str(wrong_ca.ca)), "tls")  # type: ignore[union-attr]
    try:
        assert await stores.hit("o1", limit=100, window_seconds=60)
        await stores.save_state("dialog:o1", {"step": "place"}, 60)
        # a certificate the configured CA did not sign is refused
        with pytest.raises(RedisConnectionError):
            await strangers.load_state("dialog:o1")

        servers.master.kill()
        loop = asyncio.get_running_loop()
        killed_at = loop.time()

        async def writable() -> bool:
            try:
                await stores.save_state("dialog:o2", {"step": "phone"}, 60)
            except Exception:  # noqa: BLE001 - no master yet
                return False
            return True

        await until(writable, "a write through TLS after the failover", within=30)
        assert servers.master_port() == servers.replica.port
        assert await stores.load_state("dialog:o2") == {"step": "phone"}
        print(f"\nTLS master killed; writes went through again "
              f"{loop.time() - killed_at:.1f} s later")
    finally:
        await stores.close()
        await strangers.close()


async def test_a_single_tls_server_is_reached_with_rediss(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """rediss://HOST:PORT/DB?ssl_ca_certs=…: one Redis over TLS, no Sentinel."""
    from bot.stores.redis import RedisStores

    server = RedisServer(tmp_path, TlsFiles.make(tmp_path))
    server.start()
    stores = RedisStores.from_url(server.url, "tls")
    try:
        assert await stores.ping()
        await stores.save_state("dialog:o1", {"step": "place"}, 60)
        assert await stores.load_state("dialog:o1") == {"step": "place"}
    finally:
        await stores.close()
        server.stop()
