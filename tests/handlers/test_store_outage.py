"""`/wechat` when the stores (Redis) cannot be reached: the resident is asked, plainly, to send
the message again shortly, and the message is kept; with the database gone too, a 503."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.app import create_app
from bot.storage.models import Message
from handlers import keys
from knowledge.replies import Replies
from tests.conftest import make_settings
from tests.handlers.wechat_client import FakeWeChat, text_xml

pytestmark = pytest.mark.slow  # about 5 s each on a loaded machine (app start and stop)

NOWHERE = "redis://127.0.0.1:1/0"  # nothing listens on port 1
# a short budget: the inbox waits half of it (at most 2 s) for the stores to come back
FAST = {"redis.url": NOWHERE, "wechat.reply_budget_seconds": 0.6}


async def test_without_stores_the_resident_is_asked_to_send_again_and_the_words_are_kept(
    sqlite_url: str,
) -> None:
    settings = make_settings(**{"database.url": sqlite_url, **FAST})
    async with TestClient(TestServer(create_app(settings, migrate=True))) as client:
        wechat = FakeWeChat(client, mode="compatible")
        xml = text_xml("oNoRedis", "小区门口的路灯坏了三天了", 901)
        first = await wechat.post(xml)
        again = await wechat.post(xml)  # WeChat's retry of the same message
        async with client.server.app[keys.DATABASE].session() as session:
            rows = (await session.execute(select(Message.content, Message.reply))).all()
    polite = Replies.load().say("unavailable")
    assert first.status == 200 and first.reply is not None
    assert first.reply["Content"] == polite and "12345" in polite
    assert again.reply is not None and again.reply["Content"] == polite
    assert [(r.content, r.reply) for r in rows] == [("小区门口的路灯坏了三天了", polite)]


async def test_without_stores_and_database_wechat_gets_a_503() -> None:
    settings = make_settings(**{
        "database.url": "postgresql+asyncpg://postgres@127.0.0.1:1/nowhere", **FAST})
    async with TestClient(TestServer(create_app(settings))) as client:
        wechat = FakeWeChat(client, mode="compatible")
        result = await wechat.post(text_xml("oNothing", "你好", 902))
    assert result.status == 503 and result.reply is None
