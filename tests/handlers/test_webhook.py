"""`/wechat` over real HTTP: every fixture, every mode, hostile input, retries and dedupe."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot.app import create_app
from bot.config import Settings
from bot.storage.models import Message
from bot.wechat.protocol import signature_of
from handlers import keys
from tests.conftest import FIXTURES, TOKEN, fixture_path, make_settings
from tests.handlers.wechat_client import FakeWeChat, text_xml

ClientFactory = Callable[..., "asyncio.Future[TestClient]"]


@pytest.fixture
async def make_client(sqlite_url: str) -> AsyncIterator[Callable[..., object]]:
    clients: list[TestClient] = []

    async def factory(settings: Settings | None = None, **overrides: object) -> TestClient:
        settings = settings or make_settings(**{"database.url": sqlite_url, **overrides})
        client = TestClient(TestServer(create_app(settings, migrate=True)))
        await client.start_server()
        clients.append(client)
        return client

    yield factory
    for client in clients:
        await client.close()


async def _count_messages(client: TestClient, **where: object) -> int:
    db = client.server.app[keys.DATABASE]
    async with db.session() as session:
        stmt = select(func.count()).select_from(Message)
        for column, value in where.items():
            stmt = stmt.where(getattr(Message, column) == value)
        return int((await session.execute(stmt)).scalar_one())


# -- URL verification ---------------------------------------------------------------------------
async def test_url_verification_echoes_echostr(make_client) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(**{"wechat.token": "AAAAA"})
    query = {
        "signature": "f464b24fc39322e44b38aa78f5edd27bd1441696",
        "echostr": "4375120948345356249",
        "timestamp": "1714036504",
        "nonce": "1514711492",
    }
    response = await client.get("/wechat", params=query)
    assert response.status == 200 and await response.text() == "4375120948345356249"
    response = await client.get("/wechat", params={**query, "signature": "0" * 40})
    assert response.status == 403


# -- every fixture ------------------------------------------------------------------------------
EXPECTED: dict[str, str | None] = {
    "msg_text.xml": "12345",
    "msg_image.xml": "照片已收到",
    "msg_voice.xml": "打字",
    "msg_voice_with_recognition.xml": "Meow~",
    "msg_video.xml": "视频已收到",
    "msg_shortvideo.xml": "视频已收到",
    "msg_location.xml": "位置信息",
    "msg_link.xml": "链接已收到",
    "msg_unknown_type.xml": "暂时看不了",
    "event_subscribe.xml": "欢迎关注",
    "event_subscribe_qrscene.xml": "欢迎关注",
    "event_SCAN.xml": "查询",
    "event_CLICK.xml": "菜单暂时没有内容",
    "event_unsubscribe.xml": None,
    "event_LOCATION.xml": None,
    "event_VIEW.xml": None,
    "event_TEMPLATESENDJOBFINISH_success.xml": None,
    "event_TEMPLATESENDJOBFINISH_failed.xml": None,
    "event_MASSSENDJOBFINISH.xml": None,
    "event_subscribe_msg_popup_event.xml": None,
    "event_subscribe_msg_change_event.xml": None,
    "event_subscribe_msg_sent_event.xml": None,
    "event_scancode_push.xml": None,
    "event_scancode_waitmsg.xml": None,
    "event_pic_sysphoto.xml": None,
    "event_pic_photo_or_album.xml": None,
    "event_pic_weixin.xml": None,
    "event_location_select.xml": None,
    "event_kf_create_session.xml": None,
    "event_kf_close_session.xml": None,
    "event_kf_switch_session.xml": None,
    "event_unknown.xml": None,
}


def test_every_fixture_has_an_expectation() -> None:
    present = {p.name for p in FIXTURES.glob("msg_*.xml")} | {
        p.name for p in FIXTURES.glob("event_*.xml")
    }
    assert present and present == set(EXPECTED)


@pytest.mark.parametrize("mode", ["plain", "compatible", "safe"])
@pytest.mark.parametrize("name", sorted(EXPECTED))
async def test_fixture_gets_a_sensible_answer(make_client, name: str, mode: str) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(**{"wechat.encryption": mode, "wechat.max_clock_skew_seconds": 0})
    xml = fixture_path(name).read_text(encoding="utf-8")
    posted = await FakeWeChat(client, mode=mode).post(xml)
    assert posted.status == 200
    expected = EXPECTED[name]
    if expected is None:
        assert posted.body == "success"
        return
    assert posted.reply is not None, posted.body
    assert posted.reply["MsgType"] == "text"
    assert expected in posted.reply["Content"]
    fields = FakeWeChat(client).open_reply(posted.body) if mode != "plain" else posted.reply
    assert fields is not None
    if mode != "plain":
        assert "<Encrypt>" in posted.body and "<Content>" not in posted.body
    assert await _count_messages(client, direction="in") == 1


# -- hostile input ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name",
    [
        "attack_billion_laughs.xml",
        "attack_external_entity.xml",
        "attack_not_xml.txt",
        "attack_wrong_root.xml",
    ],
)
@pytest.mark.parametrize("mode", ["plain", "safe"])
async def test_hostile_fixture_is_refused_without_a_trace(
    make_client, name: str, mode: str
) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(
        **{"wechat.encryption": "compatible" if mode == "safe" else "plain"}
    )
    body = fixture_path(name).read_bytes().decode("utf-8", errors="replace")
    posted = await FakeWeChat(client, mode=mode).post(body)
    assert 400 <= posted.status < 500
    assert await _count_messages(client) == 0
    assert (await client.get("/healthz")).status == 200


async def test_bad_and_missing_signatures(make_client) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(**{"wechat.encryption": "plain"})
    wechat = FakeWeChat(client, mode="plain")
    xml = text_xml("oAttacker", "hi", 1)
    query = wechat.query()
    assert (await wechat.post_raw(xml, {**query, "signature": "f" * 40})).status == 403
    assert (
        await wechat.post_raw(xml, {k: v for k, v in query.items() if k != "signature"})
    ).status == 403
    assert (await wechat.post_raw(xml, {})).status == 403
    stale = str(int(time.time()) - 3600)
    assert (await wechat.post(xml, timestamp=stale)).status == 403
    assert await _count_messages(client) == 0


async def test_wrong_appid_and_bad_msg_signature_are_refused(make_client) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(**{"wechat.encryption": "safe"})
    wechat = FakeWeChat(client, mode="safe")
    xml = text_xml("oAttacker", "hi", 2)
    body, query = wechat.wrap(xml, wechat.query(), appid="wxsomebodyelse")
    assert (await wechat.post_raw(body, query)).status == 403
    body, query = wechat.wrap(xml, wechat.query())
    assert (await wechat.post_raw(body, {**query, "msg_signature": "0" * 40})).status == 403
    assert (
        await wechat.post_raw(body.replace("<Encrypt><![CDATA[", "<Encrypt><![CDATA[AAAA"), query)
    ).status in (400, 403)
    assert await _count_messages(client) == 0


async def test_safe_mode_refuses_plaintext(make_client) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(**{"wechat.encryption": "safe"})
    posted = await FakeWeChat(client, mode="plain").post(text_xml("oA", "hi", 3))
    assert posted.status == 403


async def test_oversized_and_non_utf8_bodies(make_client) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(**{"wechat.encryption": "plain", "wechat.max_body_bytes": 4096})
    wechat = FakeWeChat(client, mode="plain")
    huge = text_xml("oA", "路" * 5000, 4)
    assert (await wechat.post(huge)).status == 413
    assert (await wechat.post_raw(b"<xml>\xff\xfe</xml>", wechat.query())).status == 400
    assert (await wechat.post_raw(b"", wechat.query())).status == 400
    missing_from = "<xml><MsgType>text</MsgType><Content>x</Content><MsgId>1</MsgId></xml>"
    assert (await wechat.post(missing_from)).status == 400
    assert await _count_messages(client) == 0


async def test_user_text_with_cdata_terminator_still_gives_valid_xml(make_client) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(**{"wechat.encryption": "plain"})
    xml = (
        fixture_path("msg_voice_with_recognition.xml")
        .read_text()
        .replace("Meow~", "喵]]]]><![CDATA[><b>x</b>")
    )
    posted = await FakeWeChat(client, mode="plain").post(xml)
    assert posted.status == 200 and posted.reply is not None
    assert "喵]]><b>x</b>" in posted.reply["Content"]


# -- retries and dedupe -------------------------------------------------------------------------
async def test_retry_of_answered_message_gets_the_same_reply(backend_settings: Settings) -> None:
    async with TestClient(TestServer(create_app(backend_settings, migrate=True))) as client:
        wechat = FakeWeChat(client, mode="compatible")
        xml = text_xml("oRetry", "你好", 777)
        first = await wechat.post(xml)
        second = await wechat.post(xml)
        assert first.reply is not None and second.reply is not None
        assert first.reply["Content"] == second.reply["Content"]
        assert await _count_messages(client, direction="in") == 1
        assert await _count_messages(client) == 1  # one row: the message with its reply


async def test_retry_after_store_loss_answers_from_the_database(
    backend_settings: Settings,
) -> None:
    async with TestClient(TestServer(create_app(backend_settings, migrate=True))) as client:
        wechat = FakeWeChat(client, mode="compatible")
        xml = text_xml("oLost", "你好", 778)
        first = await wechat.post(xml)
        stores = client.server.app[keys.STORES]
        await stores.abandon("x")  # no-op; then forget the cached reply entirely:
        if hasattr(stores, "_data"):
            stores._data.clear()
        else:
            await stores._redis.delete(
                *[k async for k in stores._redis.scan_iter(f"{backend_settings.redis.prefix}:*")]
            )
        second = await wechat.post(xml)
        assert first.reply == second.reply or first.reply["Content"] == second.reply["Content"]
        assert await _count_messages(client) == 1  # one row: the message with its reply


async def test_concurrent_retries_of_a_slow_message_are_processed_once(
    backend_settings: Settings,
) -> None:
    app = create_app(backend_settings, migrate=True)
    calls = 0
    async with TestClient(TestServer(app)) as client:
        router = app[keys.INBOX]._router
        original = router._messages["text"]

        async def slow(message, turn):  # type: ignore[no-untyped-def]
            nonlocal calls
            calls += 1
            await asyncio.sleep(0.6)
            return await original(message, turn)

        router._messages["text"] = slow
        wechat = FakeWeChat(client, mode="compatible")
        xml = text_xml("oSlow", "慢", 779)
        results = await asyncio.gather(*(wechat.post(xml) for _ in range(4)))
        assert calls == 1
        contents = {r.reply["Content"] for r in results if r.reply}
        assert len(contents) == 1 and all(r.status == 200 for r in results)
        assert await _count_messages(client, direction="in") == 1


async def test_over_budget_answers_success_and_a_retry_gets_the_reply(make_client) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(
        **{"wechat.encryption": "plain", "wechat.reply_budget_seconds": 0.3}
    )
    app = client.server.app
    router = app[keys.INBOX]._router
    original = router._messages["text"]

    async def slow(message, turn):  # type: ignore[no-untyped-def]
        await asyncio.sleep(0.5)
        return await original(message, turn)

    router._messages["text"] = slow
    wechat = FakeWeChat(client, mode="plain")
    xml = text_xml("oBudget", "慢", 780)
    first = await wechat.post(xml)
    assert first.status == 200 and first.body == "success"
    await asyncio.sleep(0.4)
    again = await wechat.post(xml)
    assert again.reply is not None and "12345" in again.reply["Content"]


async def test_events_dedupe_on_sender_time_and_event(make_client) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(**{"wechat.encryption": "plain"})
    wechat = FakeWeChat(client, mode="plain")
    xml = fixture_path("event_subscribe.xml").read_text()
    await wechat.post(xml)
    await wechat.post(xml)
    assert await _count_messages(client, direction="in") == 1
    await wechat.post(xml.replace("123456789", "123456790"))
    assert await _count_messages(client, direction="in") == 2


async def test_rate_limit_asks_a_flooding_resident_to_slow_down(make_client) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(**{"wechat.encryption": "plain", "limits.messages_per_minute": 3})
    wechat = FakeWeChat(client, mode="plain")
    replies = [
        (await wechat.post(text_xml("oFlood", "hi", 900 + i))).reply["Content"] for i in range(5)
    ]
    assert all("稍等" not in r for r in replies[:3])
    assert all("稍等" in r for r in replies[3:])


async def test_signature_token_comes_from_settings(make_client) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(**{"wechat.encryption": "plain", "wechat.token": "othertoken"})
    posted = await FakeWeChat(client, mode="plain", token=TOKEN).post(text_xml("oA", "x", 5))
    assert posted.status == 403
    assert signature_of("othertoken", "1", "2") != signature_of(TOKEN, "1", "2")


async def test_database_failure_is_a_503_and_the_message_can_be_processed_later(
    make_client,  # type: ignore[no-untyped-def]
) -> None:
    client = await make_client(**{"wechat.encryption": "plain"})
    log = client.server.app[keys.MESSAGE_LOG]
    original = log.record_exchange

    async def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise ConnectionError("database went away")

    log.record_exchange = broken  # type: ignore[method-assign]
    wechat = FakeWeChat(client, mode="plain")
    xml = text_xml("oOutage", "路灯坏了", 4242)
    failed = await wechat.post(xml)
    assert failed.status == 503
    log.record_exchange = original  # type: ignore[method-assign]
    again = await wechat.post(xml)
    assert again.status == 200 and again.reply is not None
    assert await _count_messages(client) == 1
