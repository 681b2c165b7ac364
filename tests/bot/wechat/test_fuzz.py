"""Property-based fuzzing of the webhook's parsing: whatever arrives, the only way out is a
`ProtocolError` (a clear 4xx) or a parsed message — never another exception."""

from __future__ import annotations

import base64

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.wechat.protocol import (
    Envelope,
    ProtocolError,
    parse_xml,
    read_message,
    signature_of,
    text_reply,
)

KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
FIELDS = [
    "ToUserName",
    "FromUserName",
    "CreateTime",
    "MsgType",
    "Content",
    "MsgId",
    "Event",
    "EventKey",
    "Recognition",
    "Location_X",
    "Label",
    "MediaId",
]
MSG_TYPES = [
    "text",
    "image",
    "voice",
    "video",
    "shortvideo",
    "location",
    "link",
    "event",
    "",
    "TEXT",
    "file",
    "<",
    "miniprogrampage",
]

texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60)


@st.composite
def wechat_like_xml(draw: st.DrawFn) -> str:
    parts = []
    for name in draw(st.lists(st.sampled_from(FIELDS), max_size=10)):
        value = draw(st.one_of(texts, st.sampled_from(MSG_TYPES), st.integers().map(str)))
        if draw(st.booleans()):
            parts.append(f"<{name}><![CDATA[{value}]]></{name}>")
        else:
            parts.append(f"<{name}>{value}</{name}>")
    root = draw(st.sampled_from(["xml", "xml", "xml", "a", "XML"]))
    return f"<{root}>{''.join(parts)}</{root}>"


def _cdata_clean(value: str) -> str:
    import re

    return re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", "", value)


def _parses_or_refuses(document: str) -> None:
    try:
        message, fields = read_message(document)
    except ProtocolError as exc:
        assert 400 <= exc.status < 500
        return
    assert fields["FromUserName"]
    # Whatever we parsed, a reply to it renders as XML we can read back.
    reply = parse_xml(text_reply(message, "已收到]]>\x00"))
    assert reply["Content"] == "已收到]]>"
    assert reply["ToUserName"] == _cdata_clean(fields["FromUserName"])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(wechat_like_xml())
def test_wechat_shaped_documents(document: str) -> None:
    _parses_or_refuses(document)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_text(document: str) -> None:
    _parses_or_refuses(document)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_ciphertext(blob: bytes) -> None:
    envelope = Envelope("tok", "wxours", [KEY])
    encrypted = base64.b64encode(blob).decode()
    try:
        envelope.open(encrypted, signature_of("tok", "1", "n", encrypted), "1", "n")
    except ProtocolError as exc:
        assert 400 <= exc.status < 500


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=120))
def test_arbitrary_encrypt_field(value: str) -> None:
    envelope = Envelope("tok", "wxours", [KEY])
    try:
        envelope.open(value, signature_of("tok", "1", "n", value), "1", "n")
    except ProtocolError as exc:
        assert 400 <= exc.status < 500
