"""Hostile input against `/wechat`: forged or stale signatures, broken ciphertexts, dangerous
XML, oversized or non-UTF-8 bodies, missing fields and nasty text. WeChat-shaped requests get
200 (`success` or a reply); anything else gets a 4xx and leaves no row behind."""

from __future__ import annotations

import base64
import hashlib
import os
import struct
import time
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from sqlalchemy import text

from bot.app import create_app
from bot.wechat.protocol import signature_of
from handlers import keys
from tests.conftest import AES_KEY, APPID, TOKEN
from tests.handlers.wechat_client import FakeWeChat, text_xml
from tests.hostile.common import assert_clear_4xx, assert_still_up, row_counts
from tests.hostile.conftest import HostileBackend

# One app per module and backend for the cases that must be refused (plain and safe mode),
# and one for the cases that are answered; answered cases use an OpenID of their own.
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared(hostile_backend: HostileBackend) -> AsyncIterator[dict[str, TestClient]]:
    """Apps by role: "plain" and "safe" take refused requests only (a refused request writes
    nothing, so before/after counts hold); "accepted" answers WeChat-shaped messages."""
    clients: dict[str, TestClient] = {}
    for role, mode in (("plain", "plain"), ("safe", "safe"), ("accepted", "plain")):
        settings = hostile_backend.settings(**{"wechat.encryption": mode})
        clients[role] = TestClient(TestServer(create_app(settings, migrate=True)))
        await clients[role].start_server()
    yield clients
    for client in clients.values():
        await client.close()


def _openid(case: str) -> str:
    """An OpenID of the case's own (dialog state, rate limit and dedupe keys are per OpenID)."""
    return "oHostile" + hashlib.sha1(case.encode()).hexdigest()[:20]


async def _settled(client: TestClient) -> None:
    """Wait for messages still being processed (a reply over WeChat's budget goes on)."""
    await client.server.app[keys.INBOX].drain()


async def refused_without_trace(client: TestClient, status: int, body: str, before: dict) -> None:
    assert_clear_4xx(status, body)
    assert await row_counts(client) == before
    await assert_still_up(client)


def _xml(
    openid: str = "oHostile000000000000000001", content: str = "路灯坏了", msg_id: int = 1
) -> str:
    return text_xml(openid, content, msg_id)


# -- signatures and timestamps (plain mode) -----------------------------------------------------
def _now() -> str:
    return str(int(time.time()))


def _signed(timestamp: str, nonce: str = "n0nce") -> dict[str, str]:
    return {
        "timestamp": timestamp,
        "nonce": nonce,
        "signature": signature_of(TOKEN, timestamp, nonce),
    }


SIGNATURE_CASES = [
    pytest.param(lambda: {**_signed(_now()), "signature": "f" * 40}, id="wrong-signature"),
    pytest.param(lambda: {**_signed(_now()), "signature": ""}, id="empty-signature"),
    pytest.param(
        lambda: {k: v for k, v in _signed(_now()).items() if k != "signature"},
        id="missing-signature",
    ),
    pytest.param(lambda: {}, id="no-query-at-all"),
    pytest.param(
        lambda: {k: v for k, v in _signed(_now()).items() if k != "timestamp"},
        id="missing-timestamp",
    ),
    pytest.param(lambda: _signed("not-a-number"), id="garbage-timestamp"),
    pytest.param(lambda: _signed(str(int(time.time()) - 3600)), id="stale-timestamp"),
    pytest.param(lambda: _signed(str(int(time.time()) + 3600)), id="future-timestamp"),
    pytest.param(lambda: _signed("9" * 40), id="huge-timestamp"),
    pytest.param(lambda: _signed("-1"), id="negative-timestamp"),
    pytest.param(
        lambda: {**_signed(_now()), "signature": signature_of("wrongtoken", _now(), "n0nce")},
        id="signed-with-another-token",
    ),
    pytest.param(
        lambda: {**_signed(_now()), "signature": _signed(_now())["signature"][:-1]},
        id="truncated-signature",
    ),
]


@pytest.mark.parametrize("make_query", SIGNATURE_CASES)
async def test_forged_or_stale_signatures_are_refused(shared, make_query) -> None:  # type: ignore[no-untyped-def]
    client = shared["plain"]
    before = await row_counts(client)
    response = await client.post("/wechat", params=make_query(), data=_xml())
    await refused_without_trace(client, response.status, await response.text(), before)


async def test_replayed_message_is_recorded_once(shared) -> None:  # type: ignore[no-untyped-def]
    client = shared["accepted"]
    openid = _openid("replay")
    wechat = FakeWeChat(client, mode="plain")
    xml = _xml(openid, msg_id=77)
    query = wechat.query()
    before = await row_counts(client)
    first = await wechat.post_raw(xml, query)
    again = await wechat.post_raw(xml, query)
    assert first.status == 200 and again.status == 200
    await _settled(client)
    assert await _count_in(client, openid) == 1
    # the counts see the write (on either backend), and only one inbound row was added
    assert (await row_counts(client))["message"] - before["message"] in (1, 2)
    await assert_still_up(client)


async def _count_in(client: TestClient, openid: str) -> int:
    async with client.server.app[keys.DATABASE].engine.connect() as conn:
        result = await conn.execute(
            text(
                "SELECT count(*) FROM message JOIN resident ON resident.id = message.resident_id"
                " WHERE message.direction = 'in' AND resident.openid = :o"
            ),
            {"o": openid},
        )
        return int(result.scalar_one())


# -- ciphertexts (safe mode) ----------------------------------------------------------------------
def _raw_encrypt(plain: bytes, *, pad: bytes | None = None) -> str:
    """AES-256-CBC like WeChat, with a padding of our choosing (None: correct PKCS#7/32)."""
    key = base64.b64decode(AES_KEY + "=")
    if pad is None:
        amount = 32 - len(plain) % 32
        pad = bytes([amount]) * amount
    data = plain + pad
    data += b"\0" * (-len(data) % 16)
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(data) + encryptor.finalize()).decode()


def _framed(xml: str, appid: str = APPID, *, length: int | None = None) -> bytes:
    body = xml.encode()
    size = len(body) if length is None else length
    return os.urandom(16) + struct.pack(">I", size) + body + appid.encode()


def _sealed(encrypted: str) -> tuple[str, dict[str, str]]:
    ts, nonce = _now(), "n0nce"
    query = {
        "timestamp": ts,
        "nonce": nonce,
        "signature": signature_of(TOKEN, ts, nonce),
        "encrypt_type": "aes",
        "msg_signature": signature_of(TOKEN, ts, nonce, encrypted),
    }
    body = f"<xml><ToUserName><![CDATA[gh_minyi]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    return body, query


def _good_cipher() -> str:
    return _raw_encrypt(_framed(_xml()))


CIPHER_CASES = [
    pytest.param(
        lambda: _sealed(_raw_encrypt(_framed(_xml(), "wxsomebodyelse00"))), id="wrong-appid"
    ),
    pytest.param(lambda: _sealed(_raw_encrypt(_framed(_xml(), ""))), id="empty-appid"),
    pytest.param(
        lambda: _sealed(_raw_encrypt(_framed(_xml()), pad=b"\x00" * 16)), id="zero-padding"
    ),
    pytest.param(
        lambda: _sealed(_raw_encrypt(_framed(_xml()), pad=b"\x41" * 16)), id="padding-over-32"
    ),
    pytest.param(
        lambda: _sealed(_raw_encrypt(_framed(_xml()), pad=b"\x05\x04\x03")),
        id="inconsistent-padding",
    ),
    pytest.param(lambda: _sealed(_good_cipher()[:-7]), id="truncated-base64"),
    pytest.param(lambda: _sealed(_good_cipher()[:24]), id="truncated-to-one-block"),
    pytest.param(lambda: _sealed("!!!not base64 at all!!!"), id="not-base64"),
    pytest.param(lambda: _sealed(""), id="empty-encrypt"),
    pytest.param(lambda: _sealed(base64.b64encode(b"x" * 33).decode()), id="not-block-aligned"),
    pytest.param(
        lambda: _sealed(_raw_encrypt(_framed(_xml(), length=10**6))), id="length-past-end"
    ),
    pytest.param(lambda: _sealed(_raw_encrypt(_framed(_xml(), length=0))), id="length-zero"),
    pytest.param(
        lambda: _sealed(_raw_encrypt(_framed("not xml <<<"))), id="ciphertext-hides-garbage"
    ),
    pytest.param(
        lambda: _sealed(
            _raw_encrypt(
                _framed(
                    '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
                    "<xml><Content>&e;</Content></xml>"
                )
            )
        ),
        id="ciphertext-hides-entity",
    ),
    pytest.param(
        lambda: (lambda b, q: (b, {**q, "msg_signature": "0" * 40}))(*_sealed(_good_cipher())),
        id="bad-msg-signature",
    ),
    pytest.param(
        lambda: (lambda b, q: (b, {k: v for k, v in q.items() if k != "msg_signature"}))(
            *_sealed(_good_cipher())
        ),
        id="missing-msg-signature",
    ),
    pytest.param(lambda: (_xml(), _signed(_now())), id="plaintext-in-safe-mode"),
    pytest.param(
        lambda: (
            "<xml><ToUserName>gh</ToUserName></xml>",
            {**_signed(_now()), "encrypt_type": "aes", "msg_signature": "0" * 40},
        ),
        id="no-encrypt-element",
    ),
]


@pytest.mark.parametrize("make_request", CIPHER_CASES)
async def test_broken_ciphertexts_are_refused(shared, make_request) -> None:  # type: ignore[no-untyped-def]
    client = shared["safe"]
    before = await row_counts(client)
    body, query = make_request()
    response = await client.post("/wechat", params=query, data=body)
    await refused_without_trace(client, response.status, await response.text(), before)


# -- dangerous or malformed bodies (plain mode, correctly signed) -------------------------------
MSG = (
    "<xml><ToUserName><![CDATA[gh_minyi]]></ToUserName>"
    "<FromUserName><![CDATA[oHostile000000000000000001]]></FromUserName>"
    "<CreateTime>1714036504</CreateTime><MsgType><![CDATA[text]]></MsgType>"
    "<Content><![CDATA[hi]]></Content><MsgId>5</MsgId></xml>"
)

BODY_CASES = [
    pytest.param(
        '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
        + MSG.replace("<![CDATA[hi]]>", "&c;"),
        id="entity-expansion",
    ),
    pytest.param(
        '<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        + MSG.replace("<![CDATA[hi]]>", "&x;"),
        id="external-entity",
    ),
    pytest.param(
        '<!DOCTYPE xml [<!ENTITY % p SYSTEM "http://127.0.0.1:1/evil.dtd"> %p;]>' + MSG,
        id="parameter-entity",
    ),
    pytest.param(
        '<!DOCTYPE xml SYSTEM "http://127.0.0.1:1/x.dtd">' + MSG,
        id="external-dtd",
    ),
    pytest.param("<html><body>hi</body></html>", id="wrong-root"),
    pytest.param('{"MsgType": "text"}', id="json-body"),
    pytest.param("", id="empty-body"),
    pytest.param("<xml>" * 5000 + "</xml>" * 5000, id="deep-nesting"),
    pytest.param(MSG[:-10], id="unclosed-xml"),
    pytest.param(MSG.replace("<MsgType><![CDATA[text]]></MsgType>", ""), id="missing-msgtype"),
    pytest.param(
        MSG.replace("<FromUserName><![CDATA[oHostile000000000000000001]]></FromUserName>", ""),
        id="missing-fromusername",
    ),
    pytest.param(
        MSG.replace(
            "<FromUserName><![CDATA[oHostile000000000000000001]]>", "<FromUserName><![CDATA[]]>"
        ),
        id="empty-fromusername",
    ),
    pytest.param(
        MSG.replace("oHostile000000000000000001", "o" * 5000),
        id="huge-fromusername",
    ),
    pytest.param(MSG.replace("<![CDATA[hi]]>", "<![CDATA[never closed"), id="unclosed-cdata"),
    pytest.param(MSG.replace("<![CDATA[hi]]>", "<![CDATA[a\x00b]]>"), id="nul-in-content"),
    pytest.param(
        MSG.replace("<![CDATA[hi]]>", "<![CDATA[\x01\x02\x1b[31m]]>"), id="control-chars"
    ),
]


@pytest.mark.parametrize("body", BODY_CASES)
async def test_malformed_bodies_are_refused(shared, body: str) -> None:  # type: ignore[no-untyped-def]
    client = shared["plain"]
    before = await row_counts(client)
    response = await client.post("/wechat", params=_signed(_now()), data=body.encode())
    await refused_without_trace(client, response.status, await response.text(), before)


RAW_CASES = [
    pytest.param(b"<xml>\xff\xfe\xfa</xml>", id="invalid-utf8"),
    pytest.param(MSG.replace("hi", "h\xe9").encode("latin-1"), id="latin1-body"),
    pytest.param(b"\x00" * 1000, id="nul-bytes"),
    pytest.param(b"<xml>" + b"A" * (10 * 1024 * 1024) + b"</xml>", id="10MB-body"),
]


@pytest.mark.parametrize("body", RAW_CASES)
async def test_raw_byte_bodies_are_refused(shared, body: bytes) -> None:  # type: ignore[no-untyped-def]
    client = shared["plain"]
    before = await row_counts(client)
    response = await client.post("/wechat", params=_signed(_now()), data=body)
    await refused_without_trace(client, response.status, await response.text(), before)


# -- WeChat-shaped messages with nasty contents: answered, recorded once --------------------------
CONTENT_CASES = [
    pytest.param("]]><xml><MsgType>event</MsgType></xml>", id="cdata-terminator"),
    pytest.param("路" * 20_000, id="20000-chars"),
    pytest.param("😀🏚️🚧👵🏻" * 50, id="emoji"),
    pytest.param("'; DROP TABLE message; --", id="sql-drop"),
    pytest.param("1' OR '1'='1", id="sql-or"),
    pytest.param("<b>粗体</b><img src=x onerror=alert(1)>", id="html"),
    pytest.param("<script>alert('xss')</script>", id="script"),
    pytest.param("../../../../etc/passwd", id="path-traversal-text"),
    pytest.param("%s%s%s%n{0}{__class__}", id="format-strings"),
    pytest.param("\u202e\u200b\ufeff零宽字符", id="bidi-and-zero-width"),
    pytest.param("\t\r\n  ", id="whitespace-only"),
]


@pytest.mark.parametrize("content", CONTENT_CASES)
async def test_nasty_text_is_answered_and_recorded_once(
    shared, content: str, request: pytest.FixtureRequest
) -> None:  # type: ignore[no-untyped-def]
    client = shared["accepted"]
    openid = _openid(request.node.name)
    before = await row_counts(client)
    posted = await FakeWeChat(client, mode="plain").post(_xml(openid, content, msg_id=9))
    assert posted.status == 200, posted.body[:300]
    await _settled(client)
    assert await _count_in(client, openid) == 1
    assert (await row_counts(client))["message"] > before["message"]
    await assert_still_up(client)


def _media_xml(kind: str, media_id: str, openid: str) -> str:
    extra = {
        "image": "<PicUrl><![CDATA[http://127.0.0.1:1/x.jpg]]></PicUrl>",
        "voice": "<Format><![CDATA[amr]]></Format>",
        "video": "<ThumbMediaId><![CDATA[../thumb]]></ThumbMediaId>",
    }[kind]
    return (
        "<xml><ToUserName><![CDATA[gh_minyi]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>1714036504</CreateTime><MsgType><![CDATA[{kind}]]></MsgType>{extra}"
        f"<MediaId><![CDATA[{media_id}]]></MediaId><MsgId>11</MsgId></xml>"
    )


async def answered_or_refused(
    client: TestClient, body: str | bytes, openid: str, before: dict[str, int]
) -> None:
    """A WeChat-shaped request with odd fields: either answered (200, recorded once) or
    refused (a clear 4xx, nothing written); never a 5xx."""
    response = await client.post("/wechat", params=_signed(_now()), data=body)
    text_ = await response.text()
    assert response.status < 500, text_[:300]
    await _settled(client)
    if response.status != 200:
        assert_clear_4xx(response.status, text_)
        assert await row_counts(client) == before
    else:
        assert await _count_in(client, openid) == 1
    await assert_still_up(client)


MEDIA_CASES = [
    pytest.param("image", "../../../../etc/passwd", id="image-dotdot"),
    pytest.param("image", "/etc/shadow", id="image-absolute"),
    pytest.param("voice", "..%2f..%2fetc%2fpasswd", id="voice-encoded-dotdot"),
    pytest.param("video", "C:\\Windows\\win.ini", id="video-windows-path"),
    pytest.param("image", "a\x00b", id="image-nul-in-id"),
    pytest.param("image", "m" * 5_000, id="image-huge-media-id"),
]


@pytest.mark.parametrize(("kind", "media_id"), MEDIA_CASES)
async def test_path_like_media_ids_never_crash(
    shared, kind: str, media_id: str, request: pytest.FixtureRequest
) -> None:  # type: ignore[no-untyped-def]
    client = shared["accepted"]
    openid = _openid(request.node.name)
    before = await row_counts(client)
    await answered_or_refused(client, _media_xml(kind, media_id, openid), openid, before)


def _odd(openid: str, **fields: str | None) -> str:
    """A text message with some fields replaced (None drops the field)."""
    values: dict[str, str | None] = {
        "ToUserName": "<![CDATA[gh_minyi]]>",
        "FromUserName": f"<![CDATA[{openid}]]>",
        "CreateTime": "1714036504",
        "MsgType": "<![CDATA[text]]>",
        "Content": "<![CDATA[hi]]>",
        "MsgId": "5",
    }
    values.update(fields)
    inner = "".join(f"<{k}>{v}</{k}>" for k, v in values.items() if v is not None)
    return f"<xml>{inner}</xml>"


ODD_FIELDS = [
    pytest.param({"MsgType": "hologram"}, id="unknown-msgtype"),
    pytest.param({"MsgType": "TEXT"}, id="uppercase-msgtype"),
    pytest.param({"MsgType": "event"}, id="event-without-event-field"),
    pytest.param({"Content": None}, id="missing-content"),
    pytest.param({"MsgType": "x" * 300}, id="long-msgtype"),
    pytest.param({"MsgId": "9999999999999999999"}, id="msgid-past-int8"),
    pytest.param({"MsgId": "9" * 40}, id="msgid-40-digits"),
    pytest.param({"MsgId": "-1"}, id="msgid-negative"),
    pytest.param({"MsgId": "²"}, id="msgid-superscript-digit"),
    pytest.param({"MsgId": "١٢٣"}, id="msgid-arabic-indic-digits"),
    pytest.param(
        {"MsgType": "event", "Event": "TEMPLATESENDJOBFINISH", "MsgID": "²"},
        id="job-msgid-superscript",
    ),
    pytest.param({"MsgId": "x" * 500}, id="msgid-500-chars"),
    pytest.param({"CreateTime": "9" * 40}, id="createtime-40-digits"),
    pytest.param({"CreateTime": "-99999999999"}, id="createtime-negative"),
    pytest.param({"CreateTime": "yesterday"}, id="createtime-garbage"),
    pytest.param(
        {"MsgType": "event", "Event": "x" * 300, "EventKey": "k" * 5_000, "Content": None},
        id="event-huge-name-and-key",
    ),
    pytest.param(
        {"MsgType": "event", "Event": "subscribe", "EventKey": "qrscene_" + "9" * 40},
        id="subscribe-huge-scene",
    ),
    pytest.param(
        {"MsgType": "event", "Event": "LOCATION", "Latitude": "1e400", "Longitude": "nan"},
        id="location-event-odd-numbers",
    ),
    pytest.param(
        {
            "MsgType": "location",
            "Location_X": "1e400",
            "Location_Y": "-inf",
            "Scale": "9" * 30,
            "Label": "<![CDATA[" + "路" * 5_000 + "]]>",
            "Content": None,
        },
        id="location-odd-numbers",
    ),
    pytest.param({"Content": "<![CDATA[a&#xD800;b]]>"}, id="surrogate-char-ref-in-cdata"),
    pytest.param({"Content": "a&#xD800;b"}, id="surrogate-char-ref"),
    pytest.param({"Content": "a&#xFFFE;b"}, id="noncharacter-ref"),
    pytest.param({"Content": "\U0010ffff\ufffd"}, id="max-code-point"),
]


@pytest.mark.parametrize("fields", ODD_FIELDS)
async def test_odd_fields_get_a_wechat_answer_or_a_clear_refusal(
    shared, fields: dict[str, str | None], request: pytest.FixtureRequest
) -> None:  # type: ignore[no-untyped-def]
    client = shared["accepted"]
    openid = _openid(request.node.name)
    before = await row_counts(client)
    await answered_or_refused(client, _odd(openid, **fields).encode(), openid, before)


# -- HTTP methods and content types --------------------------------------------------------------
@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
async def test_wrong_methods_get_405(shared, method: str) -> None:  # type: ignore[no-untyped-def]
    client = shared["plain"]
    before = await row_counts(client)
    response = await client.request(method, "/wechat", params=_signed(_now()), data=MSG)
    assert response.status == 405
    assert await row_counts(client) == before
    await assert_still_up(client)


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        pytest.param("application/json", '{"xml": {"MsgType": "text"}}', id="json"),
        pytest.param("application/x-www-form-urlencoded", "MsgType=text&Content=hi", id="form"),
        pytest.param(
            "multipart/form-data; boundary=xx", "--xx\r\n\r\nhi\r\n--xx--", id="multipart"
        ),
    ],
)
async def test_wrong_content_types_are_refused(shared, content_type: str, body: str) -> None:  # type: ignore[no-untyped-def]
    client = shared["plain"]
    before = await row_counts(client)
    response = await client.post(
        "/wechat", params=_signed(_now()), data=body, headers={"Content-Type": content_type}
    )
    await refused_without_trace(client, response.status, await response.text(), before)


@pytest.mark.parametrize(
    "echostr",
    [
        pytest.param("", id="empty-echostr"),
        pytest.param("<script>alert(1)</script>\n", id="script-echostr"),
        pytest.param("x" * 10_000, id="huge-echostr"),
    ],
)
async def test_url_verification_refuses_odd_echostr(shared, echostr: str) -> None:  # type: ignore[no-untyped-def]
    client = shared["plain"]
    ts, nonce = "1714036504", "1514711492"
    query = {
        "timestamp": ts,
        "nonce": nonce,
        "signature": signature_of(TOKEN, ts, nonce),
        "echostr": echostr,
    }
    response = await client.get("/wechat", params=query)
    assert_clear_4xx(response.status, await response.text())
    await assert_still_up(client)
