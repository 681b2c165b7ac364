"""/healthz and /metrics, as an operator's monitoring sees them."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.config import Settings
from tests.conftest import make_settings
from tests.handlers.wechat_client import FakeWeChat, text_xml


async def test_healthz_checks_database_and_stores(backend_settings: Settings) -> None:
    async with TestClient(TestServer(create_app(backend_settings, migrate=True))) as client:
        response = await client.get("/healthz")
        assert response.status == 200
        assert await response.json() == {"status": "ok", "database": True, "stores": True}


async def test_healthz_reports_an_unreachable_store(sqlite_url: str) -> None:
    settings = make_settings(**{"database.url": sqlite_url, "redis.url": "redis://127.0.0.1:1/0"})
    async with TestClient(TestServer(create_app(settings, migrate=True))) as client:
        response = await client.get("/healthz")
        assert response.status == 503
        body = await response.json()
        assert body["stores"] is False and body["database"] is True


async def test_metrics_count_messages_replies_and_refusals(sqlite_url: str) -> None:
    settings = make_settings(**{"database.url": sqlite_url, "wechat.encryption": "plain"})
    async with TestClient(TestServer(create_app(settings, migrate=True))) as client:
        wechat = FakeWeChat(client, mode="plain")
        await wechat.post(text_xml("oMetrics", "路灯坏了", 1))
        await wechat.post(text_xml("oMetrics", "路灯坏了", 1))  # a WeChat retry
        await wechat.post_raw("<xml/>", {"signature": "bad", "timestamp": "1", "nonce": "2"})
        response = await client.get("/metrics")
        assert response.status == 200
        assert response.content_type == "text/plain"
        text = await response.text()
    assert 'minyi_messages_received_total{type="text"} 2.0' in text
    assert 'minyi_replies_total{outcome="reply"} 1.0' in text
    assert 'minyi_replies_total{outcome="duplicate"} 1.0' in text
    assert 'minyi_webhook_refused_total{status="403"} 1.0' in text
    assert "minyi_reply_seconds_bucket" in text
    assert "minyi_slips_overdue 0.0" in text
