"""The inbox under load on PostgreSQL: every message being worked on holds a connection while
it waits for the event loop, so the default settings must not ask for more connections than
the pool keeps (the rest would be opened and closed again and again)."""

from __future__ import annotations

import asyncio
import logging

import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import event

from bot.app import POOL_HEADROOM, create_app
from bot.wechat.protocol import Inbound, read_message
from handlers import keys
from tests.conftest import REDIS_URL, make_settings

pytestmark = pytest.mark.slow

TEXTS = ["小区门口的路灯坏了三天了", "建新北路12号门口", "13812345678", "确认"]


def inbound(openid: str, text: str, msg_id: int) -> Inbound:
    message, fields = read_message(
        f"<xml><ToUserName><![CDATA[gh_test]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName><CreateTime>1764000000</CreateTime>"
        f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{text}]]></Content>"
        f"<MsgId>{msg_id}</MsgId></xml>")
    return Inbound(message, fields, False, 0, "nonce")


async def test_messages_in_flight_reuse_the_pools_connections(
    pg_url: str, redis_prefix: str
) -> None:
    settings = make_settings(**{"database.url": pg_url, "redis.url": REDIS_URL,
                                "redis.prefix": redis_prefix})
    app = create_app(settings, migrate=True)
    server = TestServer(app)
    await server.start_server()
    try:
        opened: list[object] = []
        event.listen(app[keys.DATABASE].engine.sync_engine, "connect",
                     lambda *_: opened.append(1))
        residents = [f"oPool{n:04d}0000000000000000000" for n in range(32)]
        answers: list[str] = []
        # 32 residents at once, each through a report to its slip: the load the webhook
        # benchmark puts on a web process
        for step, text in enumerate(TEXTS):
            answers += await asyncio.gather(*(
                app[keys.INBOX].answer(inbound(openid, text, 7_000_000 + 100 * n + step))
                for n, openid in enumerate(residents)))
        assert sum("交办单号" in a for a in answers) == len(residents)
        assert len(opened) <= settings.database.pool_size, (
            f"{len(opened)} connections opened for {len(answers)} messages")
    finally:
        await server.close()


def test_a_pool_smaller_than_the_messages_in_flight_is_warned_about(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from bot.app import _warn_if_the_pool_churns

    kept = make_settings(**{"database.url": "postgresql+asyncpg://u@h/db",
                            "database.pool_size": 20})
    assert kept.database.pool_size >= kept.wechat.max_concurrent_messages + POOL_HEADROOM
    with caplog.at_level(logging.WARNING, logger="bot.app"):
        _warn_if_the_pool_churns(kept)
        assert caplog.records == []
        _warn_if_the_pool_churns(kept.with_overrides(**{"wechat.max_concurrent_messages": 32}))
    (record,) = caplog.records
    assert "database.pool_size (20)" in record.getMessage()
    assert "max_concurrent_messages" in record.getMessage()
