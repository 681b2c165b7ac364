"""Signatures, AES envelopes and reply rendering against the published vectors."""

from __future__ import annotations

import base64

import pytest
from wechatpy.crypto import PrpCrypto

from bot.wechat.protocol import (
    Envelope,
    ProtocolError,
    check_url_signature,
    parse_xml,
    read_message,
    signature_of,
    text_reply,
)
from tests.conftest import fixture_path


@pytest.mark.parametrize(
    ("token", "timestamp", "nonce", "signature"),
    [
        ("AAAAA", "1714036504", "1514711492", "f464b24fc39322e44b38aa78f5edd27bd1441696"),  # U1
        ("AAAAA", "1714037059", "486452656", "899cf89e464efb63f54ddac96b0a0a235f53aa78"),  # U2
        ("test_token", "1409304348", "xxxxxx", "35398750b5022af380db6b35addf4f9c8cca01da"),  # U3
        ("pamtest", "1409304348", "xxxxxx", "76480565cbe296026c53aaacd1ad523a1ddba24f"),  # U3
    ],
)
def test_url_signature_vectors(token: str, timestamp: str, nonce: str, signature: str) -> None:
    assert signature_of(token, timestamp, nonce) == signature
    check_url_signature(
        token, {"signature": signature, "timestamp": timestamp, "nonce": nonce}, max_skew=0
    )


def test_wrong_or_missing_signature_is_refused() -> None:
    query = {"signature": "0" * 40, "timestamp": "1714036504", "nonce": "1514711492"}
    with pytest.raises(ProtocolError) as caught:
        check_url_signature("AAAAA", query, max_skew=0)
    assert caught.value.status == 403
    with pytest.raises(ProtocolError):
        check_url_signature("AAAAA", {"timestamp": "1", "nonce": "2"}, max_skew=0)


def test_stale_timestamp_is_refused() -> None:
    sig = signature_of("AAAAA", "1714036504", "1514711492")
    query = {"signature": sig, "timestamp": "1714036504", "nonce": "1514711492"}
    with pytest.raises(ProtocolError, match="stale"):
        check_url_signature("AAAAA", query, max_skew=300, now=1714036504 + 301)
    check_url_signature("AAAAA", query, max_skew=300, now=1714036504 + 299)


def _expected(name: str) -> dict:
    return parse_xml(fixture_path(name).read_text(encoding="utf-8"))


def test_compatible_mode_official_vector() -> None:  # C1
    envelope = Envelope(
        "spamtest", "wx2c2769f8efd9abc2", ["abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"]
    )
    body = parse_xml(fixture_path("encrypted_compat_mode_text.xml").read_text(encoding="utf-8"))
    plain, index = envelope.open(
        body["Encrypt"], "5d197aaffba7e9b25a30732f161a50dee96bd5fa", "1409735669", "1320562132"
    )
    assert index == 0
    assert parse_xml(plain) == _expected("encrypted_compat_mode_text.expected_plaintext.xml")


def test_safe_mode_wechatpy_vector() -> None:  # C2
    envelope = Envelope(
        "123456", "wx49f0ab532d5d035a", ["kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"]
    )
    body = parse_xml(fixture_path("encrypted_safe_mode_text_wechatpy_vector.xml").read_text())
    plain, _ = envelope.open(
        body["Encrypt"], "74d92dfeb87ba7c714f89d98870ae5eb62dff26d", "1411525903", "461056294"
    )
    message, fields = read_message(plain)
    assert fields == _expected("encrypted_safe_mode_text_wechatpy_vector.expected_plaintext.xml")
    assert message.source == "messense" and message.content == "test"


def test_safe_mode_generated_vector() -> None:  # C4
    envelope = Envelope(
        "pamtest", "wxb11529c136998cb6", ["abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"]
    )
    body = parse_xml(fixture_path("encrypted_safe_mode_text_generated.xml").read_text())
    plain, _ = envelope.open(
        body["Encrypt"], "7624d4d5f0385bc83d390fbb9d5bd6c4e99d3c91", "1409304348", "xxxxxx"
    )
    assert parse_xml(plain) == _expected("msg_text.xml")


def test_deterministic_encryption_vector(monkeypatch: pytest.MonkeyPatch) -> None:  # C3
    key = base64.b64decode("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG=")
    crypto = PrpCrypto(key)
    monkeypatch.setattr(crypto, "get_random_string", lambda: "aaaabbbbccccdddd")
    encrypted = crypto.encrypt("我是中文abcd123", "wxb11529c136998cb6").decode()
    assert encrypted == (
        "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="
    )
    assert signature_of("pamtest", "1409304348", "xxxxxx", encrypted) == (
        "82c962d39941aa48552f90ef55aa323dc620cc10"
    )
    envelope = Envelope(
        "pamtest", "wxb11529c136998cb6", ["abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"]
    )
    assert envelope.open(
        encrypted, "82c962d39941aa48552f90ef55aa323dc620cc10", "1409304348", "xxxxxx"
    )[0] == ("我是中文abcd123")


KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
OTHER_KEY = "ZYXWVUTSRQPONMLKJIHGFEDCBAzyxwvutsrqponmlkj"


def _sealed(text: str, appid: str = "wxours", key: str = KEY) -> str:
    return PrpCrypto(base64.b64decode(key + "=")).encrypt(text, appid).decode()


def _open(envelope: Envelope, encrypted: str) -> str:
    return envelope.open(encrypted, signature_of("tok", "1", "n", encrypted), "1", "n")[0]


def test_wrong_appid_in_ciphertext_is_rejected() -> None:
    envelope = Envelope("tok", "wxours", [KEY])
    with pytest.raises(ProtocolError, match="AppID"):
        _open(envelope, _sealed("<xml/>", appid="wxtheirs"))


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda s: s[:-8], id="truncated-base64"),
        pytest.param(lambda s: "!!" + s, id="not-base64"),
        pytest.param(
            lambda s: base64.b64encode(base64.b64decode(s)[:-32]).decode(), id="short-block"
        ),
        pytest.param(lambda s: base64.b64encode(b"\x00" * 48).decode(), id="odd-length"),
        pytest.param(lambda s: "", id="empty"),
    ],
)
def test_broken_ciphertext_is_a_clear_error(mangle) -> None:  # type: ignore[no-untyped-def]
    envelope = Envelope("tok", "wxours", [KEY])
    with pytest.raises(ProtocolError):
        _open(envelope, mangle(_sealed("<xml><A>1</A></xml>")))


def test_wrong_key_gives_bad_padding_or_appid_not_a_crash() -> None:
    envelope = Envelope("tok", "wxours", [OTHER_KEY])
    with pytest.raises(ProtocolError):
        _open(envelope, _sealed("<xml><A>1</A></xml>"))


def test_previous_key_still_opens_during_rotation_and_reply_uses_it() -> None:
    envelope = Envelope("tok", "wxours", [OTHER_KEY, KEY])
    encrypted = _sealed("<xml><A>1</A></xml>")
    plain, index = envelope.open(encrypted, signature_of("tok", "1", "n", encrypted), "1", "n")
    assert plain == "<xml><A>1</A></xml>" and index == 1
    sealed = parse_xml(envelope.seal("<xml><B>2</B></xml>", key_index=index))
    old_only = Envelope("tok", "wxours", [KEY])
    assert old_only.open(
        sealed["Encrypt"], sealed["MsgSignature"], sealed["TimeStamp"], sealed["Nonce"]
    )[0] == ("<xml><B>2</B></xml>")


def test_msg_signature_not_signature_guards_the_body() -> None:
    envelope = Envelope("tok", "wxours", [KEY])
    encrypted = _sealed("<xml/>")
    with pytest.raises(ProtocolError, match="msg_signature"):
        envelope.open(encrypted, signature_of("tok", "1", "n"), "1", "n")


@pytest.mark.parametrize(
    "name",
    [
        "attack_billion_laughs.xml",
        "attack_external_entity.xml",
        "attack_not_xml.txt",
        "attack_wrong_root.xml",
    ],
)
def test_hostile_documents_are_refused(name: str) -> None:
    with pytest.raises(ProtocolError):
        read_message(fixture_path(name).read_text(encoding="utf-8", errors="replace"))


@pytest.mark.parametrize("msg_id", ["²", "١٢٣", "-1", "12a"])
def test_a_msgid_that_is_not_ascii_digits_is_refused(msg_id: str) -> None:
    """str.isdigit() accepts "²", which int() refuses: the webhook answered 503 (tests/hostile)."""
    text = fixture_path("msg_text.xml").read_text()
    fields = parse_xml(text)
    assert read_message(text)[1]["MsgId"] == fields["MsgId"]
    with pytest.raises(ProtocolError, match="MsgId"):
        read_message(text.replace(f"<MsgId>{fields['MsgId']}</MsgId>", f"<MsgId>{msg_id}</MsgId>"))


def test_reply_survives_cdata_terminator_and_control_characters() -> None:
    message, _ = read_message(fixture_path("msg_text.xml").read_text())
    nasty = "路灯]]><script>alert(1)</script>\x00\x07坏了"
    rendered = text_reply(message, nasty)
    fields = parse_xml(rendered)
    assert fields["Content"] == "路灯]]><script>alert(1)</script>坏了"
    assert fields["ToUserName"] == "fromUser"


def test_reply_matches_wechatpy_rendering_of_the_fixture() -> None:
    expected = parse_xml(fixture_path("reply_text_rendered_by_wechatpy.xml").read_text())
    message, _ = read_message(fixture_path("msg_text.xml").read_text())
    ours = parse_xml(text_reply(message, expected["Content"]))
    assert {k: v for k, v in ours.items() if k != "CreateTime"} == {
        k: v for k, v in expected.items() if k != "CreateTime"
    }


def test_two_job_finish_events_in_one_second_are_not_duplicates() -> None:
    from bot.wechat.protocol import Inbound

    xml = fixture_path("event_TEMPLATESENDJOBFINISH_success.xml").read_text()
    first, fields = read_message(xml)
    other_xml = xml.replace(str(fields["MsgID"]), str(int(fields["MsgID"]) + 1))
    second, other_fields = read_message(other_xml)
    key_one = Inbound(first, fields, False, 0, "n").dedupe_key
    key_two = Inbound(second, other_fields, False, 0, "n").dedupe_key
    assert key_one != key_two
    assert key_one == Inbound(first, fields, False, 0, "n2").dedupe_key  # a retry still matches
