"""WeChat's re-post of a message whose web process died while answering it (kill -9): the
dead process's dedupe claim and its conversation lock are left in Redis, unrenewed. The
re-post must take the message over and answer it, not answer `success` and drop it (the
claim used to outlive the reply budget) nor say "上一条消息还在处理" (the lock lived 30 s).
The whole story, with real processes, is in tests/deploy."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp.test_utils import TestClient, TestServer
from redis.asyncio import Redis
from sqlalchemy import select

from bot.app import create_app
from bot.storage.models import Message
from dialogs.engine import LOCK_TTL_SECONDS, DialogEngine
from handlers import inbox, keys
from tests.conftest import REDIS_URL, make_settings
from tests.handlers.wechat_client import FakeWeChat, text_xml

pytestmark = pytest.mark.slow

OPENID = "oDeadOwner000000000000000000"


async def test_a_re_post_takes_over_what_a_dead_process_held(pg_url: str,
                                                             redis_prefix: str) -> None:
    settings = make_settings(**{"database.url": pg_url, "redis.url": REDIS_URL,
                                "redis.prefix": redis_prefix})
    assert settings.wechat.reply_budget_seconds > inbox.LEASE_SECONDS
    app = create_app(settings)
    async with TestClient(TestServer(app)) as client:
        # what the dead process left: its claim on the message and the resident's
        # conversation lock, each as of its last renewal
        redis = Redis.from_url(REDIS_URL)
        try:
            await redis.set(f"{redis_prefix}:dedupe:{OPENID}:m:4242", "\x00pending",
                            px=int(inbox.LEASE_SECONDS * 1000))
            await redis.set(f"{redis_prefix}:lock:{DialogEngine.state_key(OPENID)}",
                            "dead-process-token", px=int(LOCK_TTL_SECONDS * 1000))
        finally:
            await redis.aclose()
        posted = await FakeWeChat(client).post(text_xml(OPENID, "路灯坏了，在建新北路12号", 4242))
        assert posted.status == 200
        # answered in time, or (on a slow machine) after the budget through the outbox: the
        # message is recorded with its real answer either way
        database = app[keys.DATABASE]
        reply = None
        for _ in range(100):
            async with database.session() as session:
                reply = (await session.execute(select(Message.reply).where(
                    Message.dedupe_key == f"{OPENID}:m:4242"))).scalar_one_or_none()
            if reply:
                break
            await asyncio.sleep(0.1)
        assert reply and "上一条消息还在处理" not in reply, reply
        if posted.reply is not None:
            assert posted.reply["Content"] == reply
