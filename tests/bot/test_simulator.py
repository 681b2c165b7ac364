"""The WeChat platform simulator and the echo baseline, over real HTTP on 127.0.0.1.

Covers the published crypto vectors, WeChatPeer against the echo server in all three modes,
WeChat's retry behaviour, every outbound API route and error rule, fault injection,
client_msg_id dedupe, media/get, the resident control API and the chat page.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from yarl import URL

from bench.echo_server import create_echo_app
from bot.simulator import (
    SIMULATOR_STATE,
    SimulatorConfig,
    SimulatorState,
    WeChatPeer,
    create_simulator_app,
    mount_simulator,
    sign,
)
from bot.simulator.messages import parse_xml

FIXTURES = Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures" / "wechat"

TOKEN = "simtoken"
APPID = "wxsimulator000001"
SECRET = "sim-secret"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
RESIDENT = "oSimResident0000000000000001"


def fixture_text(name: str) -> str:
    path = FIXTURES / name
    if not path.exists():
        pytest.skip(f"WeChat fixture {path} not present (../shared missing?)")
    return path.read_text(encoding="utf-8")


def make_config(webhook_url: str, **overrides: Any) -> SimulatorConfig:
    values: dict[str, Any] = {
        "token": TOKEN,
        "appid": APPID,
        "secret": SECRET,
        "aes_key": AES_KEY,
        "webhook_url": webhook_url,
    }
    values.update(overrides)
    return SimulatorConfig(**values)


Start = Callable[[web.Application], Awaitable[TestClient]]


@pytest.fixture
async def start() -> AsyncIterator[Start]:
    """Starts apps as real servers on ephemeral ports; closes them afterwards."""
    clients: list[TestClient] = []

    async def factory(app: web.Application) -> TestClient:
        client = TestClient(TestServer(app, host="127.0.0.1"))
        await client.start_server()
        clients.append(client)
        return client

    yield factory
    for client in reversed(clients):
        await client.close()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


@pytest.fixture
async def echo(start: Start) -> TestClient:
    return await start(create_echo_app(TOKEN, APPID, AES_KEY))


def webhook_url(client: TestClient) -> str:
    return str(client.make_url("/wechat"))


class Sim:
    """A running simulator plus helpers for its API."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.state: SimulatorState = client.server.app[SIMULATOR_STATE]

    async def json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.client.request(method, path, **kwargs)
        assert response.content_type == "application/json", await response.text()
        return await response.json()

    async def token(self) -> str:
        body = await self.json(
            "GET",
            "/cgi-bin/token",
            params={"grant_type": "client_credential", "appid": APPID, "secret": SECRET},
        )
        return body["access_token"]

    async def call(self, api: str, payload: Any, token: str | None = None) -> dict[str, Any]:
        token = token if token is not None else await self.token()
        return await self.json(
            "POST", f"/cgi-bin/message/{api}", params={"access_token": token}, json=payload
        )

    async def send(self, **payload: Any) -> dict[str, Any]:
        return await self.json("POST", "/api/send", json={"openid": RESIDENT, **payload})


def text_payload(content: str = "您好，您反映的问题已受理", openid: str = RESIDENT) -> dict:
    return {"touser": openid, "msgtype": "text", "text": {"content": content}}


def template_payload(openid: str = RESIDENT, **extra: Any) -> dict:
    return {
        "touser": openid,
        "template_id": "TPL_STATUS",
        "data": {
            "first": {"value": "您的民意交办单有新进展"},
            "keyword1": {"value": "JB2026112500017"},
            "keyword2": {"value": "已办结"},
        },
        **extra,
    }


@pytest.fixture
async def sim(start: Start, echo: TestClient) -> Sim:
    return Sim(await start(create_simulator_app(make_config(webhook_url(echo)))))


# -- crypto vectors (../shared/fixtures/wechat/crypto_vectors.md) -------------------------------


@pytest.mark.parametrize(
    ("token", "timestamp", "nonce", "expected"),
    [
        ("AAAAA", "1714036504", "1514711492", "f464b24fc39322e44b38aa78f5edd27bd1441696"),
        ("AAAAA", "1714037059", "486452656", "899cf89e464efb63f54ddac96b0a0a235f53aa78"),
        ("test_token", "1409304348", "xxxxxx", "35398750b5022af380db6b35addf4f9c8cca01da"),
        ("pamtest", "1409304348", "xxxxxx", "76480565cbe296026c53aaacd1ad523a1ddba24f"),
    ],
    ids=["U1", "U2", "U3a", "U3b"],
)
def test_url_signature_vectors(token: str, timestamp: str, nonce: str, expected: str) -> None:
    assert sign(token, timestamp, nonce) == expected


def _peer(token: str, key: str, appid: str, session: Any = None, **kw: Any) -> WeChatPeer:
    config = SimulatorConfig(
        token=token,
        appid=appid,
        secret="s",
        aes_key=key,
        webhook_url="http://127.0.0.1:9/wechat",
        **kw,
    )
    return WeChatPeer(config, session)


def test_compatible_mode_vector_c1_decrypts() -> None:
    body = parse_xml(fixture_text("encrypted_compat_mode_text.xml"))
    expected = parse_xml(fixture_text("encrypted_compat_mode_text.expected_plaintext.xml"))
    peer = _peer("spamtest", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wx2c2769f8efd9abc2")
    assert (
        sign("spamtest", "1409735669", "1320562132", body["Encrypt"])
        == "5d197aaffba7e9b25a30732f161a50dee96bd5fa"
    )
    assert parse_xml(peer.decrypt(body["Encrypt"])) == expected
    assert expected["Content"] == "abcdteT"


def test_wechatpy_vector_c2_decrypts() -> None:
    body = parse_xml(fixture_text("encrypted_safe_mode_text_wechatpy_vector.xml"))
    expected = parse_xml(
        fixture_text("encrypted_safe_mode_text_wechatpy_vector.expected_plaintext.xml")
    )
    peer = _peer("123456", "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR", "wx49f0ab532d5d035a")
    assert (
        sign("123456", "1411525903", "461056294", body["Encrypt"])
        == "74d92dfeb87ba7c714f89d98870ae5eb62dff26d"
    )
    assert parse_xml(peer.decrypt(body["Encrypt"])) == expected


def test_deterministic_encryption_vector_c3() -> None:
    peer = _peer("pamtest", AES_KEY, "wxb11529c136998cb6")
    encrypted = peer.encrypt("我是中文abcd123", random_prefix="aaaabbbbccccdddd")
    assert encrypted == (
        "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="
    )
    assert (
        sign("pamtest", "1409304348", "xxxxxx", encrypted)
        == "82c962d39941aa48552f90ef55aa323dc620cc10"
    )


def test_safe_mode_request_vector_c4_is_reproduced_exactly() -> None:
    plaintext = fixture_text("msg_text.xml").rstrip("\n")  # encrypted without the final newline
    peer = _peer("pamtest", AES_KEY, "wxb11529c136998cb6", account_id="toUser")
    request = peer.build_request(
        plaintext, timestamp=1409304348, nonce="xxxxxx", random_prefix="aaaabbbbccccdddd"
    )
    assert request.query["signature"] == "76480565cbe296026c53aaacd1ad523a1ddba24f"
    assert request.query["encrypt_type"] == "aes"
    assert request.query["msg_signature"] == "7624d4d5f0385bc83d390fbb9d5bd6c4e99d3c91"
    assert request.body == fixture_text("encrypted_safe_mode_text_generated.xml")


def test_reply_envelope_from_wechatpy_is_verified_and_decrypted() -> None:
    peer = _peer(TOKEN, AES_KEY, APPID)
    reply = (
        "<xml><ToUserName><![CDATA[oA]]></ToUserName><FromUserName><![CDATA[gh_minyi_demo]]>"
        "</FromUserName><CreateTime>1</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        "<Content><![CDATA[已收到]]></Content></xml>"
    )
    envelope = WeChatCrypto(TOKEN, AES_KEY, APPID).encrypt_message(reply, "123", "1411525903")
    reply_xml, parsed, error = peer.read_reply(200, envelope, openid="oA")
    assert error is None and reply_xml == reply and parsed["Content"] == "已收到"
    tampered = envelope.replace("<MsgSignature><![CDATA[", "<MsgSignature><![CDATA[0")
    assert (
        peer.read_reply(200, tampered, openid="oA")[2]
        == "reply envelope MsgSignature does not match"
    )
    other_app = WeChatCrypto(TOKEN, AES_KEY, "wxsomeoneelse").encrypt_message(reply, "1", "2")
    assert (
        peer.read_reply(200, other_app, openid="oA")[2] == "reply was encrypted for another AppID"
    )


def test_config_without_a_key_is_plain_mode() -> None:
    config = SimulatorConfig(token="t", appid="a", secret="s", aes_key=None, webhook_url="x")
    assert (config.encryption, config.encrypted) == ("plain", False)
    with pytest.raises(ValueError, match="43"):
        SimulatorConfig(token="t", appid="a", secret="s", aes_key="short", webhook_url="x")
    with pytest.raises(ValueError, match="encryption"):
        SimulatorConfig(
            token="t",
            appid="a",
            secret="s",
            aes_key=None,
            webhook_url="http://x",
            encryption="rot13",
        )


# -- WeChatPeer against the echo server ---------------------------------------------------------


@pytest.mark.parametrize("mode", ["plain", "compatible", "safe"])
async def test_peer_round_trip_through_echo_server(
    mode: str, echo: TestClient, session: aiohttp.ClientSession
) -> None:
    peer = WeChatPeer(make_config(webhook_url(echo), encryption=mode), session)
    text = "小区门口的路灯坏了三天了 <b>&amp;</b>"
    result = await peer.post(peer.text_xml(RESIDENT, text))
    assert result.ok, result.error
    assert (result.status, result.attempts) == (200, 1)
    assert result.reply["MsgType"] == "text" and result.reply["Content"] == text
    assert result.reply["ToUserName"] == RESIDENT
    assert ("<Encrypt>" in result.body) == (mode != "plain")
    assert "<Encrypt>" not in result.reply_xml
    sent = result.request
    assert (sent.query.get("encrypt_type") == "aes") == (mode != "plain")
    if mode == "safe":
        assert set(parse_xml(sent.body)) == {"ToUserName", "Encrypt"}
    if mode == "compatible":
        assert {"Content", "MsgId", "Encrypt"} <= set(parse_xml(sent.body))


async def test_peer_messages_parse_as_wechatpy_expects(session: aiohttp.ClientSession) -> None:
    peer = WeChatPeer(make_config("http://127.0.0.1:9/wechat"), session)
    cases = {
        peer.text_xml(RESIDENT, "a ]]> b"): ("text", {"content": "a ]]> b"}),
        peer.image_xml(RESIDENT, "M1", "http://pic"): ("image", {"media_id": "M1"}),
        peer.voice_xml(RESIDENT, "M2", recognition="路灯坏了"): (
            "voice",
            {"recognition": "路灯坏了"},
        ),
        peer.voice_xml(RESIDENT, "M3"): ("voice", {"recognition": None}),
        peer.video_xml(RESIDENT, "M4", "T4", short=True): ("shortvideo", {"media_id": "M4"}),
        peer.location_xml(RESIDENT, 29.575, 106.532, label="观音桥"): (
            "location",
            {"label": "观音桥"},
        ),
        peer.link_xml(RESIDENT, "标题", "说明", "http://x"): ("link", {"title": "标题"}),
        peer.event_xml(RESIDENT, "CLICK", event_key="MENU_QUERY"): (
            "event",
            {"key": "MENU_QUERY"},
        ),
    }
    for xml, (kind, attributes) in cases.items():
        message = parse_message(xml)
        assert message.type == kind and message.source == RESIDENT
        assert message.target == "gh_minyi_demo"
        for name, value in attributes.items():
            assert getattr(message, name) == value
    first, second = peer.next_msg_id(), peer.next_msg_id()
    assert second == first + 1 and first < 2**63


async def test_peer_verifies_the_url_like_wechat(
    echo: TestClient, session: aiohttp.ClientSession
) -> None:
    assert await WeChatPeer(make_config(webhook_url(echo)), session).verify_url()
    wrong = WeChatPeer(make_config(webhook_url(echo), token="other"), session)
    assert not await wrong.verify_url()


async def test_echo_server_refuses_a_bad_signature(
    echo: TestClient, session: aiohttp.ClientSession
) -> None:
    peer = WeChatPeer(make_config(webhook_url(echo), token="not-the-token"), session)
    result = await peer.post(peer.text_xml(RESIDENT, "hi"))
    assert result.status == 403 and result.error == "HTTP 403" and result.attempts == 1


# -- replies WeChat would not accept ------------------------------------------------------------


def _reply_app(answer: Callable[[web.Request], Awaitable[web.Response]]) -> web.Application:
    app = web.Application()
    app.router.add_post("/wechat", answer)
    return app


async def test_plaintext_reply_in_safe_mode_is_an_error(
    start: Start, session: aiohttp.ClientSession
) -> None:
    async def plain(request: web.Request) -> web.Response:
        return web.Response(
            text=(
                f"<xml><ToUserName><![CDATA[{RESIDENT}]]></ToUserName><FromUserName><![CDATA["
                "gh_minyi_demo]]></FromUserName><CreateTime>1</CreateTime><MsgType><![CDATA[text]]>"
                "</MsgType><Content><![CDATA[hi]]></Content></xml>"
            )
        )

    hook = await start(_reply_app(plain))
    peer = WeChatPeer(make_config(webhook_url(hook)), session)
    result = await peer.post(peer.text_xml(RESIDENT, "hi"))
    assert result.error == "safe mode needs an encrypted reply"
    compatible = WeChatPeer(make_config(webhook_url(hook), encryption="compatible"), session)
    assert (await compatible.post(compatible.text_xml(RESIDENT, "hi"))).ok


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (200, "success", None),
        (200, "", None),
        (500, "oops", "HTTP 500"),
        (200, '{"reply": "json"}', "reply is not WeChat XML"),
    ],
)
async def test_webhook_answers_are_judged_like_wechat(
    start: Start,
    session: aiohttp.ClientSession,
    status: int,
    body: str,
    error: str | None,
) -> None:
    async def answer(request: web.Request) -> web.Response:
        return web.Response(status=status, text=body)

    hook = await start(_reply_app(answer))
    peer = WeChatPeer(make_config(webhook_url(hook)), session)
    result = await peer.post(peer.text_xml(RESIDENT, "hi"))
    assert (result.error, result.reply, result.attempts) == (error, None, 1)


# -- retries ------------------------------------------------------------------------------------


class SlowWebhook:
    """Holds the first `slow` requests until released; answers the rest with `success`."""

    def __init__(self, slow: int) -> None:
        self.slow = slow
        self.requests: list[tuple[dict[str, str], str]] = []
        self.release = asyncio.Event()

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append((dict(request.query), await request.text()))
        if len(self.requests) <= self.slow:
            await self.release.wait()
        return web.Response(text="success")


async def test_slow_webhook_gets_the_same_message_again(
    start: Start, session: aiohttp.ClientSession
) -> None:
    hook = SlowWebhook(slow=2)
    server = await start(_reply_app(hook.handle))
    peer = WeChatPeer(make_config(webhook_url(server), reply_timeout=0.2, retries=3), session)
    try:
        result = await peer.post(peer.text_xml(RESIDENT, "路灯坏了"))
    finally:
        hook.release.set()
    assert result.ok and result.status == 200 and result.attempts == 3
    assert len(hook.requests) == 3
    assert len({body for _, body in hook.requests}) == 1  # the very same request body
    msg_ids = {
        parse_xml(peer.decrypt(parse_xml(body)["Encrypt"]))["MsgId"] for _, body in hook.requests
    }
    assert len(msg_ids) == 1


async def test_webhook_that_never_answers_gets_all_retries(
    start: Start, session: aiohttp.ClientSession
) -> None:
    hook = SlowWebhook(slow=100)
    server = await start(_reply_app(hook.handle))
    peer = WeChatPeer(make_config(webhook_url(server), reply_timeout=0.1, retries=2), session)
    try:
        result = await peer.post(peer.text_xml(RESIDENT, "hi"))
        single = await peer.post(peer.text_xml(RESIDENT, "hi"), retry=False)
    finally:
        hook.release.set()
    assert result.timed_out and result.attempts == 3 and result.error
    assert single.timed_out and single.attempts == 1
    assert len(hook.requests) == 4


async def test_resident_send_to_a_slow_webhook_shows_the_unavailable_notice(start: Start) -> None:
    hook = SlowWebhook(slow=100)
    server = await start(_reply_app(hook.handle))
    sim = Sim(
        await start(
            create_simulator_app(make_config(webhook_url(server), reply_timeout=0.1, retries=1))
        )
    )
    try:
        result = await sim.send(type="text", content="有人在吗")
    finally:
        hook.release.set()
    assert result["attempts"] == 2 and result["status"] is None and result["reply"] is None
    chat = await sim.json("GET", "/api/chat", params={"openid": RESIDENT})
    assert [e["role"] for e in chat["entries"]] == ["resident", "system"]
    assert chat["entries"][1]["text"] == "该公众号暂时无法提供服务，请稍后再试"


# -- access tokens ------------------------------------------------------------------------------


async def test_token_route_checks_credentials(sim: Sim) -> None:
    ok = await sim.json(
        "GET",
        "/cgi-bin/token",
        params={"grant_type": "client_credential", "appid": APPID, "secret": SECRET},
    )
    assert ok["expires_in"] == 7200 and len(ok["access_token"]) >= 64
    for params, errcode in [
        ({"grant_type": "client_credential", "appid": "wxwrong", "secret": SECRET}, 40013),
        ({"grant_type": "client_credential", "appid": APPID, "secret": "wrong"}, 40125),
        ({"grant_type": "password", "appid": APPID, "secret": SECRET}, 40002),
        ({"grant_type": "client_credential", "secret": SECRET}, 41002),
    ]:
        body = await sim.json("GET", "/cgi-bin/token", params=params)
        assert body["errcode"] == errcode and "errmsg" in body and "access_token" not in body


async def test_refreshed_token_overlaps_for_five_minutes_then_is_superseded(sim: Sim) -> None:
    await sim.send(type="text", content="你好")
    old = await sim.token()
    new = await sim.token()
    assert old != new
    assert (await sim.call("custom/send", text_payload(), old))["errcode"] == 0
    sim.state.advance(301)
    assert (await sim.call("custom/send", text_payload(), old))["errcode"] == 40001
    assert (await sim.call("custom/send", text_payload(), new))["errcode"] == 0
    assert (await sim.call("custom/send", text_payload(), "made-up"))["errcode"] == 40001
    assert (await sim.call("custom/send", text_payload(), ""))["errcode"] == 41001
    await sim.json("POST", "/api/clock", json={"advance": 7200})
    assert (await sim.call("custom/send", text_payload(), new))["errcode"] == 42001


async def test_stable_token_modes(sim: Sim) -> None:
    async def stable(**extra: Any) -> dict[str, Any]:
        return await sim.json(
            "POST",
            "/cgi-bin/stable_token",
            json={"grant_type": "client_credential", "appid": APPID, "secret": SECRET, **extra},
        )

    first = (await stable())["access_token"]
    assert (await stable())["access_token"] == first  # normal mode: same token while valid
    plain_token = await sim.token()  # the two families are isolated
    assert (await stable())["access_token"] == first
    assert sim.state.tokens.check(first) == 0 and sim.state.tokens.check(plain_token) == 0
    forced = (await stable(force_refresh=True))["access_token"]
    assert forced != first
    assert sim.state.tokens.check(first) == 40001  # force_refresh revokes at once
    assert (await stable(force_refresh=True))["access_token"] == forced  # < 30 s: no refresh
    sim.state.advance(7200 - 200)  # within 5 minutes of expiry: renewed, old still works
    renewed = await stable()
    assert renewed["access_token"] != forced and renewed["expires_in"] == 7200
    assert sim.state.tokens.check(forced) == 0
    sim.state.advance(201)
    assert sim.state.tokens.check(forced) == 42001
    assert (await stable(secret="nope"))["errcode"] == 40125
    bad = await sim.json("POST", "/cgi-bin/stable_token", data="not json")
    assert bad["errcode"] == 47001


async def test_stable_token_force_refresh_is_limited_to_twenty_a_day(sim: Sim) -> None:
    body = {
        "grant_type": "client_credential",
        "appid": APPID,
        "secret": SECRET,
        "force_refresh": True,
    }
    for _ in range(20):
        assert "access_token" in await sim.json("POST", "/cgi-bin/stable_token", json=body)
        sim.state.advance(31)
    assert (await sim.json("POST", "/cgi-bin/stable_token", json=body))["errcode"] == 45009


# -- customer-service messages ------------------------------------------------------------------


async def test_custom_send_window_and_quota(sim: Sim) -> None:
    assert (await sim.call("custom/send", text_payload()))["errcode"] == 40003  # never seen
    await sim.send(type="text", content="楼道灯坏了")
    token = await sim.token()
    for i in range(5):
        assert await sim.call("custom/send", text_payload(f"第{i + 1}条"), token) == {
            "errcode": 0,
            "errmsg": "ok",
        }
    assert (await sim.call("custom/send", text_payload(), token))["errcode"] == 45047
    await sim.send(type="text", content="还有一件事")  # a new message opens a new window
    assert (await sim.call("custom/send", text_payload(), token))["errcode"] == 0
    sim.state.advance(48 * 3600 + 1)
    token = await sim.token()
    assert (await sim.call("custom/send", text_payload(), token))["errcode"] == 45015
    sent = await sim.json("GET", "/api/sent", params={"channel": "custom"})
    assert [m["text"] for m in sent["messages"]] == [
        "第1条",
        "第2条",
        "第3条",
        "第4条",
        "第5条",
        "您好，您反映的问题已受理",
    ]


async def test_follow_and_menu_clicks_allow_three_messages_in_a_minute(sim: Sim) -> None:
    await sim.send(type="event", event="subscribe", event_key="")
    token = await sim.token()
    for _ in range(3):
        assert (await sim.call("custom/send", text_payload(), token))["errcode"] == 0
    assert (await sim.call("custom/send", text_payload(), token))["errcode"] == 45047
    sim.state.advance(61)
    assert (await sim.call("custom/send", text_payload(), token))["errcode"] == 45015


async def test_custom_send_validation_and_unsubscribed(sim: Sim) -> None:
    await sim.send(type="text", content="你好")
    token = await sim.token()
    cases = [
        ({"touser": RESIDENT, "msgtype": "fax", "fax": {}}, 40008),
        ({"touser": RESIDENT, "msgtype": "text", "text": {"content": "  "}}, 44004),
        ({"touser": RESIDENT, "msgtype": "news", "news": {"articles": []}}, 44003),
        ({"touser": "oNobody", "msgtype": "text", "text": {"content": "x"}}, 40003),
    ]
    for payload, errcode in cases:
        assert (await sim.call("custom/send", payload, token))["errcode"] == errcode
    broken = await sim.json(
        "POST", "/cgi-bin/message/custom/send", params={"access_token": token}, data="{not json"
    )
    assert broken["errcode"] == 47001
    await sim.send(type="event", event="unsubscribe")
    assert (await sim.call("custom/send", text_payload(), token))["errcode"] == 43004
    assert (await sim.call("template/send", template_payload(), token))["errcode"] == 43004
    assert sim.state.sent == []  # nothing invalid was delivered


# -- template and subscription messages ---------------------------------------------------------


async def test_template_send_outside_the_window_with_job_finish_event(sim: Sim) -> None:
    await sim.send(type="text", content="你好")
    sim.state.advance(72 * 3600)
    result = await sim.call("template/send", template_payload())
    assert result["errcode"] == 0 and isinstance(result["msgid"], int)
    await sim.state.drain()
    [event] = [p for p in sim.state.posts if p["event"] == "TEMPLATESENDJOBFINISH"]
    assert event["status"] == 200 and event["error"] is None
    [pushed] = sim.state.sent_messages(RESIDENT, "template")
    assert pushed["msgid"] == result["msgid"]
    assert pushed["text"] == "您的民意交办单有新进展\nkeyword1：JB2026112500017\nkeyword2：已办结"


async def test_template_client_msg_id_is_sent_once(sim: Sim) -> None:
    await sim.send(type="text", content="你好")
    token = await sim.token()
    first = await sim.call("template/send", template_payload(client_msg_id="outbox-17"), token)
    again = await sim.call("template/send", template_payload(client_msg_id="outbox-17"), token)
    other = await sim.call("template/send", template_payload(client_msg_id="outbox-18"), token)
    assert again == first and other["msgid"] != first["msgid"]
    assert len(sim.state.sent_messages(RESIDENT, "template")) == 2
    sim.state.advance(601)  # WeChat forgets client_msg_id after 10 minutes
    token = await sim.token()
    later = await sim.call("template/send", template_payload(client_msg_id="outbox-17"), token)
    assert later["msgid"] != first["msgid"]
    assert len(sim.state.sent_messages(RESIDENT, "template")) == 3


async def test_template_and_subscribe_refusals(sim: Sim) -> None:
    await sim.send(type="text", content="你好")
    token = await sim.token()
    missing = {k: v for k, v in template_payload().items() if k != "template_id"}
    assert (await sim.call("template/send", missing, token))["errcode"] == 40037
    await sim.json(
        "POST",
        "/api/residents",
        json={"openid": RESIDENT, "refuses_templates": True, "refuses_subscribe_messages": True},
    )
    assert (await sim.call("template/send", template_payload(), token))["errcode"] == 43101
    assert (await sim.call("subscribe/bizsend", template_payload(), token))["errcode"] == 43101
    assert sim.state.sent == []


async def test_subscribe_message_is_delivered_and_reported(sim: Sim) -> None:
    await sim.send(type="text", content="你好")
    sim.state.advance(30 * 24 * 3600)
    payload = {
        "touser": RESIDENT,
        "template_id": "SUB_RESULT",
        "page": "https://example.org",
        "data": {"thing1": {"value": "路灯维修"}, "phrase2": {"value": "已办结"}},
    }
    assert await sim.call("subscribe/bizsend", payload) == {"errcode": 0, "errmsg": "ok"}
    await sim.state.drain()
    assert [p["event"] for p in sim.state.posts][-1] == "subscribe_msg_sent_event"
    [pushed] = sim.state.sent_messages(RESIDENT, "subscribe")
    assert pushed["text"] == "thing1：路灯维修\nphrase2：已办结"


async def test_job_events_can_be_switched_off(start: Start, echo: TestClient) -> None:
    sim = Sim(
        await start(create_simulator_app(make_config(webhook_url(echo), push_job_events=False)))
    )
    await sim.send(type="text", content="你好")
    assert (await sim.call("template/send", template_payload()))["errcode"] == 0
    await sim.state.drain()
    assert [p["msgtype"] for p in sim.state.posts] == ["text"]


# -- media --------------------------------------------------------------------------------------


async def test_media_get_returns_what_residents_sent(sim: Sim) -> None:
    image = await sim.send(type="image")
    voice = await sim.send(type="voice", recognition="")
    video = await sim.send(type="video")
    image_msg = parse_message(image["xml"])
    voice_msg = parse_message(voice["xml"])
    assert voice_msg.recognition is None or voice_msg.recognition == ""
    token = await sim.token()

    async def media(media_id: str) -> aiohttp.ClientResponse:
        return await sim.client.get(
            "/cgi-bin/media/get", params={"access_token": token, "media_id": media_id}
        )

    picture = await media(image_msg.media_id)
    data = await picture.read()
    assert picture.content_type == "image/jpeg" and data[:2] == b"\xff\xd8"
    assert data[-2:] == b"\xff\xd9" and image_msg.media_id.encode() in data
    assert image_msg.media_id in picture.headers["Content-Disposition"]
    pic = await sim.client.get(URL(image_msg.image).path_qs)
    assert await pic.read() == data  # PicUrl points at the same picture
    note = await media(voice_msg.media_id)
    assert note.content_type == "audio/amr" and (await note.read()).startswith(b"#!AMR\n")
    clip = await (await media(parse_message(video["xml"]).media_id)).json()
    downloaded = await sim.client.get(URL(clip["video_url"]).path_qs)
    assert downloaded.content_type == "video/mp4"
    assert (await (await media("SIM_IMAGE_unknown")).json())["errcode"] == 40007
    wrong = await sim.client.get(
        "/cgi-bin/media/get", params={"access_token": "bad", "media_id": image_msg.media_id}
    )
    assert (await wrong.json())["errcode"] == 40001
    sim.state.advance(3 * 24 * 3600 + 1)  # temporary media live three days
    token = await sim.token()
    assert (await (await media(image_msg.media_id)).json())["errcode"] == 40007


# -- fault injection ----------------------------------------------------------------------------


async def test_fault_errcode_and_count(sim: Sim) -> None:
    await sim.send(type="text", content="你好")
    token = await sim.token()
    added = await sim.json(
        "POST", "/api/faults", json={"api": "custom/send", "errcode": 45015, "count": 2}
    )
    assert added["fault"]["count"] == 2
    assert (await sim.call("custom/send", text_payload(), token))["errcode"] == 45015
    assert (await sim.call("template/send", template_payload(), token))["errcode"] == 0
    assert (await sim.call("custom/send", text_payload(), token))["errcode"] == 45015
    assert (await sim.call("custom/send", text_payload(), token))["errcode"] == 0
    assert len(sim.state.sent_messages(RESIDENT, "custom")) == 1
    faulted = [c for c in sim.state.calls if c["fault"]]
    assert [c["response"]["errcode"] for c in faulted] == [45015, 45015]


@pytest.mark.parametrize("errcode", [40001, 42001, 45047, -1])
async def test_fault_on_any_api(sim: Sim, errcode: int) -> None:
    await sim.json("POST", "/api/faults", json={"api": "*", "errcode": errcode, "count": -1})
    token_answer = await sim.json(
        "GET",
        "/cgi-bin/token",
        params={"grant_type": "client_credential", "appid": APPID, "secret": SECRET},
    )
    assert token_answer["errcode"] == errcode
    assert (await sim.call("template/send", template_payload(), "x"))["errcode"] == errcode
    assert (await sim.json("GET", "/api/faults"))["faults"][0]["hits"] == 2
    await sim.json("DELETE", "/api/faults")
    assert "access_token" in await sim.json(
        "GET",
        "/cgi-bin/token",
        params={"grant_type": "client_credential", "appid": APPID, "secret": SECRET},
    )


async def test_fault_delay_slow_answer_still_sends(sim: Sim) -> None:
    await sim.send(type="text", content="你好")
    token = await sim.token()
    sim.state.add_fault("custom/send", delay=1.0)
    with pytest.raises(TimeoutError):
        await sim.client.post(
            "/cgi-bin/message/custom/send",
            params={"access_token": token},
            json=text_payload(),
            timeout=aiohttp.ClientTimeout(total=0.05),
        )
    for _ in range(100):  # the slow call still completes on WeChat's side
        if sim.state.sent:
            break
        await asyncio.sleep(0.05)
    assert len(sim.state.sent_messages(RESIDENT, "custom")) == 1
    [call] = [c for c in sim.state.calls if c["api"] == "custom/send"]
    assert call["fault"]["delay"] == 1.0 and call["response"]["errcode"] == 0


async def test_fault_delay_with_errcode_and_http_status(sim: Sim) -> None:
    sim.state.add_fault("token", errcode=-1, delay=0.05)
    sim.state.add_fault("token", http_status=503)
    params = {"grant_type": "client_credential", "appid": APPID, "secret": SECRET}
    assert (await sim.json("GET", "/cgi-bin/token", params=params))["errcode"] == -1
    assert (await sim.client.get("/cgi-bin/token", params=params)).status == 503
    assert "access_token" in await sim.json("GET", "/cgi-bin/token", params=params)
    with pytest.raises(ValueError):
        sim.state.add_fault("no/such/api", errcode=1)
    refused = await sim.client.post("/api/faults", json={"api": "no/such/api"})
    assert refused.status == 400


# -- resident side and records ------------------------------------------------------------------


async def test_resident_send_covers_every_type_and_logs_the_chat(sim: Sim) -> None:
    reply = await sim.send(type="text", content="<script>alert(1)</script> 路灯坏了")
    assert reply["reply"]["Content"] == "<script>alert(1)</script> 路灯坏了"
    assert reply["attempts"] == 1 and reply["error"] is None
    sends = [
        {"type": "image"},
        {"type": "voice", "recognition": "楼下噪音很大"},
        {"type": "voice"},
        {"type": "video"},
        {"type": "shortvideo"},
        {"type": "location", "lat": 29.575, "lon": 106.532, "label": "观音桥"},
        {"type": "link", "title": "一篇文章", "description": "说明", "url": "https://x.example"},
        {"type": "event", "event": "CLICK", "event_key": "MENU_QUERY"},
        {
            "type": "event",
            "event": "LOCATION",
            "extra": {"Latitude": 29.5, "Longitude": 106.5, "Precision": 30.0},
        },
    ]
    kinds = []
    for payload in sends:
        result = await sim.send(**payload)
        assert result["status"] == 200 and result["error"] is None
        message = parse_message(result["xml"])
        kinds.append(message.event if message.type == "event" else message.type)
    assert kinds == [
        "image",
        "voice",
        "voice",
        "video",
        "shortvideo",
        "location",
        "link",
        "click",
        "location",
    ]
    chat = await sim.json("GET", "/api/chat", params={"openid": RESIDENT})
    entries = chat["entries"]
    assert [e["seq"] for e in entries] == sorted(e["seq"] for e in entries)
    assert entries[0]["text"] == "<script>alert(1)</script> 路灯坏了"
    assert (entries[1]["role"], entries[1]["channel"]) == ("account", "passive")
    texts = [e["text"] for e in entries if e["role"] == "resident"]
    assert "[语音] 楼下噪音很大" in texts and "[位置] 观音桥 (29.575, 106.532)" in texts
    assert "[点击菜单] MENU_QUERY" in texts
    later = await sim.json(
        "GET", "/api/chat", params={"openid": RESIDENT, "after": entries[-1]["seq"]}
    )
    assert later["entries"] == [] and later["last_seq"] == entries[-1]["seq"]


async def test_chat_lists_replies_and_pushes_in_order_with_channels(sim: Sim) -> None:
    await sim.send(type="text", content="你好")
    before = (await sim.json("GET", "/api/chat", params={"openid": RESIDENT}))["last_seq"]
    token = await sim.token()
    await sim.call("custom/send", text_payload("工作人员已联系您"), token)
    await sim.call("template/send", template_payload(), token)
    await sim.call("subscribe/bizsend", template_payload(), token)
    chat = await sim.json("GET", "/api/chat", params={"openid": RESIDENT, "after": before})
    assert [(e["kind"], e["channel"]) for e in chat["entries"]] == [
        ("push", "custom"),
        ("push", "template"),
        ("push", "subscribe"),
    ]
    assert chat["entries"][0]["text"] == "工作人员已联系您"
    assert chat["resident"]["message_window"]["used"] == 1
    sent = await sim.json("GET", "/api/sent")
    assert len(sent["messages"]) == 3
    apis = [c["api"] for c in sent["calls"]]
    assert apis == ["token", "custom/send", "template/send", "subscribe/bizsend"]
    assert sent["calls"][1]["request"]["text"]["content"] == "工作人员已联系您"
    assert sent["calls"][1]["response"] == {"errcode": 0, "errmsg": "ok"}


async def test_unsubscribed_resident_must_follow_again(sim: Sim) -> None:
    await sim.send(type="event", event="unsubscribe")
    refused = await sim.client.post(
        "/api/send", json={"openid": RESIDENT, "type": "text", "content": "还在吗"}
    )
    assert refused.status == 409
    await sim.send(type="event", event="subscribe")
    assert (await sim.send(type="text", content="还在吗"))["status"] == 200
    bad = await sim.client.post("/api/send", json={"openid": RESIDENT, "type": "fax"})
    assert bad.status == 400 and "fax" in (await bad.json())["error"]
    empty = await sim.client.post("/api/send", json={"openid": RESIDENT, "type": "text"})
    assert empty.status == 400


async def test_reset_forgets_records_but_not_tokens(sim: Sim) -> None:
    await sim.send(type="text", content="你好")
    token = await sim.token()
    await sim.call("custom/send", text_payload(), token)
    sim.state.add_fault("*", errcode=-1, count=-1)
    await sim.json("POST", "/api/reset")
    assert (await sim.json("GET", "/api/sent")) == {"messages": [], "calls": [], "posts": []}
    assert (await sim.json("GET", "/api/residents"))["residents"] == []
    assert (await sim.json("GET", "/api/faults"))["faults"] == []
    assert sim.state.tokens.check(token) == 0


# -- chat page and mounting ---------------------------------------------------------------------


async def test_chat_page_is_self_contained(sim: Sim) -> None:
    response = await sim.client.get("/")
    html = await response.text()
    assert response.status == 200 and response.content_type == "text/html"
    assert "民意" in html and "客服消息" in html and "模板消息" in html
    assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}", html, re.IGNORECASE)
    # nothing fetched from anywhere: an inline data: URL (the empty favicon) is all it links
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=(?![\"']data:)", html,
                         re.IGNORECASE)
    assert "innerHTML" not in html and "insertAdjacentHTML" not in html
    assert "textContent" in html
    assert '"/api/' not in html and "'/api/" not in html  # relative, so it works mounted
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]


async def test_simulator_works_mounted_under_a_prefix(start: Start, echo: TestClient) -> None:
    root = web.Application()
    mount_simulator(root, make_config(webhook_url(echo)))
    client = await start(root)
    bare = await client.get("/simulator", allow_redirects=False)
    assert bare.status == 302 and bare.headers["Location"] == "/simulator/"
    page = await client.get("/simulator/")
    assert page.status == 200 and "民意" in await page.text()
    sent = await (
        await client.post("/simulator/api/send", json={"openid": RESIDENT, "type": "image"})
    ).json()
    pic_url = parse_message(sent["xml"]).image
    assert "/simulator/media/download?media_id=" in pic_url
    assert (await client.get(URL(pic_url).path_qs)).content_type == "image/jpeg"
    token = await (
        await client.get(
            "/simulator/cgi-bin/token",
            params={"grant_type": "client_credential", "appid": APPID, "secret": SECRET},
        )
    ).json()
    assert "access_token" in token


# -- the chat page in a real browser ------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.browser
@pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"{CHROMIUM} not installed (the test command installs it)"
)
async def test_chat_page_in_chromium_shows_replies_and_marked_pushes(
    start: Start, echo: TestClient
) -> None:
    from playwright.async_api import async_playwright

    root = web.Application()
    mount_simulator(root, make_config(webhook_url(echo)))
    client = await start(root)
    hostile = '<img src=x onerror="document.title=1">路灯坏了'
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM))
        try:
            page = await browser.new_page(viewport={"width": 390, "height": 800})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            await page.goto(str(client.make_url("/simulator")))
            await page.fill("#openid", RESIDENT)
            await page.dispatch_event("#openid", "change")
            await page.fill("#text", hostile)
            await page.click("#send")
            replies = page.locator(".row.account .bubble")
            await replies.first.wait_for()
            assert await replies.first.text_content() == hostile  # the echo, as text
            assert await page.locator("#log img").count() == 0
            await page.click("#toggleTools")
            await page.fill("#recognition", "楼下很吵")
            await page.click("#sendVoice")
            await page.locator(".row.resident .bubble", has_text="[语音] 楼下很吵").wait_for()

            token = await (
                await client.get(
                    "/simulator/cgi-bin/token",
                    params={"grant_type": "client_credential", "appid": APPID, "secret": SECRET},
                )
            ).json()
            params = {"access_token": token["access_token"]}
            await client.post(
                "/simulator/cgi-bin/message/custom/send",
                params=params,
                json=text_payload("工作人员已上门查看"),
            )
            await client.post(
                "/simulator/cgi-bin/message/template/send", params=params, json=template_payload()
            )
            custom = page.locator(".bubble.push.custom")
            await custom.wait_for()
            assert "客服消息" in await custom.text_content()
            assert "工作人员已上门查看" in await custom.text_content()
            template = page.locator(".bubble.push.template")
            await template.wait_for()
            assert "模板消息" in await template.text_content()
            assert await page.title() == "民意 · 微信模拟器"  # the onerror never ran
            assert errors == []
        finally:
            await browser.close()
