"""The server-message protocol: signatures, AES envelopes, safe XML parsing, replies.

wechatpy does the parsing, the cipher and the reply rendering; this module adds what it leaves
out: constant-time signature checks, a timestamp window, key rotation, strict errors, and
making text safe to put inside CDATA.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any
from xml.parsers.expat import ExpatError

import xmltodict
from wechatpy import parse_message
from wechatpy.crypto import PrpCrypto
from wechatpy.messages import BaseMessage
from wechatpy.replies import TextReply


class ProtocolError(Exception):
    """A request WeChat would never send. `status` is the HTTP status to answer with."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


def signature_of(*parts: str) -> str:
    """SHA-1 of the sorted, concatenated strings (WeChat's signature scheme)."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def signature_matches(expected: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(expected.encode(), given.lower().encode())


def check_url_signature(
    token: str, query: dict[str, str], *, max_skew: int, now: float | None = None
) -> None:
    """The plain `signature` every GET and POST carries, and a timestamp near our clock."""
    timestamp, nonce = query.get("timestamp"), query.get("nonce")
    if not timestamp or not nonce or not query.get("signature"):
        raise ProtocolError("missing signature, timestamp or nonce", 403)
    if not signature_matches(signature_of(token, timestamp, nonce), query.get("signature")):
        raise ProtocolError("bad signature", 403)
    _check_timestamp(timestamp, max_skew, now)


def _check_timestamp(timestamp: str, max_skew: int, now: float | None) -> None:
    if not timestamp.isdigit() or len(timestamp) > 12:
        raise ProtocolError("bad timestamp", 403)
    if max_skew and abs((now if now is not None else time.time()) - int(timestamp)) > max_skew:
        raise ProtocolError("stale timestamp", 403)


def parse_xml(text: str) -> dict[str, Any]:
    """The `<xml>` root as a dict; entity declarations, other roots and junk are refused."""
    start = text.find("<xml")
    prolog = text if start < 0 else text[:start]  # user text inside <xml> may say anything
    if "<!DOCTYPE" in prolog.upper() or "<!ENTITY" in prolog.upper():
        raise ProtocolError("document type declarations are refused")
    try:
        doc = xmltodict.parse(text, disable_entities=True)
    except (ExpatError, ValueError) as exc:
        raise ProtocolError(f"malformed XML: {exc}") from None
    root = doc.get("xml") if isinstance(doc, dict) else None
    if not isinstance(root, dict):
        raise ProtocolError("XML root must be <xml> with fields")
    return root


class Envelope:
    """AES envelopes with our AppID, the current key and, during rotation, the previous one."""

    def __init__(self, token: str, appid: str, aes_keys: list[str]) -> None:
        if not aes_keys:
            raise ValueError("no EncodingAESKey configured")
        import base64

        self._token = token
        self._appid = appid
        self._ciphers = [PrpCrypto(base64.b64decode(key + "=")) for key in aes_keys]

    def open(
        self, encrypted: str, msg_signature: str | None, timestamp: str, nonce: str
    ) -> tuple[str, int]:
        """Check `msg_signature` and decrypt. Returns the plaintext XML and the key index used."""
        if not signature_matches(
            signature_of(self._token, timestamp, nonce, encrypted), msg_signature
        ):
            raise ProtocolError("bad msg_signature", 403)
        failure = ProtocolError("cannot decrypt")
        for index, cipher in enumerate(self._ciphers):
            try:
                return self._decrypt(cipher, encrypted), index
            except ProtocolError as exc:
                failure = exc
        raise failure

    def _decrypt(self, cipher: PrpCrypto, encrypted: str) -> str:
        import base64
        import binascii
        import struct

        try:
            raw = base64.b64decode(encrypted, validate=True)
        except (binascii.Error, ValueError):
            raise ProtocolError("Encrypt is not base64") from None
        if not raw or len(raw) % 32:
            raise ProtocolError("ciphertext length is not a multiple of the block size")
        try:
            plain = cipher.cipher.decrypt(raw)
        except ValueError:
            raise ProtocolError("cannot decrypt") from None
        pad = plain[-1]
        if not 1 <= pad <= 32 or plain[-pad:] != bytes([pad]) * pad:
            raise ProtocolError("bad padding (wrong key?)")
        content = plain[16:-pad]
        if len(content) < 4:
            raise ProtocolError("truncated ciphertext")
        (length,) = struct.unpack(">I", content[:4])
        if length > len(content) - 4:
            raise ProtocolError("bad length in ciphertext")
        appid = content[4 + length :]
        if not hmac.compare_digest(appid, self._appid.encode()):
            raise ProtocolError("wrong AppID in ciphertext", 403)
        try:
            return content[4 : 4 + length].decode("utf-8")
        except UnicodeDecodeError:
            raise ProtocolError("message is not UTF-8") from None

    def seal(self, plaintext_xml: str, nonce: str | None = None, key_index: int = 0) -> str:
        """Encrypt a reply into WeChat's envelope, signed with `MsgSignature`."""
        nonce = nonce or secrets.token_hex(8)
        timestamp = str(int(time.time()))
        encrypted = self._ciphers[key_index].encrypt(plaintext_xml, self._appid).decode()
        signature = signature_of(self._token, timestamp, nonce, encrypted)
        return (
            "<xml>\n"
            f"<Encrypt><![CDATA[{encrypted}]]></Encrypt>\n"
            f"<MsgSignature><![CDATA[{signature}]]></MsgSignature>\n"
            f"<TimeStamp>{timestamp}</TimeStamp>\n"
            f"<Nonce><![CDATA[{_cdata_safe(nonce)}]]></Nonce>\n"
            "</xml>"
        )


def read_message(text: str) -> tuple[BaseMessage, dict[str, Any]]:
    """wechatpy's message/event object for a plaintext message, plus its raw fields."""
    fields = parse_xml(text)
    if not isinstance(fields.get("MsgType"), str) or not fields["MsgType"]:
        raise ProtocolError("missing MsgType")
    sender = fields.get("FromUserName")
    if not isinstance(sender, str) or not sender:
        raise ProtocolError("missing FromUserName")
    if not _OPENID.fullmatch(sender):  # openids are 28 URL-safe characters
        raise ProtocolError("malformed FromUserName")
    for name, value in fields.items():
        if isinstance(value, list) and name not in ("List", "SendPicsInfo"):
            raise ProtocolError(f"repeated field {name}")
    for name in ("MsgId", "MsgID"):  # WeChat's are ASCII digits ("²".isdigit() is True too)
        value = fields.get(name)
        if value not in (None, "") and not (isinstance(value, str) and _MSG_ID.fullmatch(value)):
            raise ProtocolError(f"malformed {name}")
    try:
        return parse_message(text), fields
    except (KeyError, ValueError, TypeError, AttributeError, ExpatError) as exc:
        raise ProtocolError(f"cannot read message: {exc}") from None


_OPENID = re.compile(r"[A-Za-z0-9_\-]{1,64}")
_MSG_ID = re.compile(r"[0-9]{1,64}")

# Characters XML 1.0 cannot carry at all; WeChat clients never send them.
_INVALID_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _cdata_safe(text: str) -> str:
    return _INVALID_XML_CHARS.sub("", text).replace("]]>", "]]]]><![CDATA[>")


def text_reply(message: BaseMessage, content: str) -> str:
    """A passive text reply to `message`; any text is made safe for CDATA first."""
    reply = TextReply(message=message, content=_cdata_safe(content))
    reply.source = _cdata_safe(str(reply.source))
    reply.target = _cdata_safe(str(reply.target))
    return reply.render()


@dataclass(frozen=True, slots=True)
class Inbound:
    """A verified, decrypted message plus what the webhook needs to answer it."""

    message: BaseMessage
    fields: dict[str, Any]
    encrypted: bool
    key_index: int
    nonce: str

    @property
    def openid(self) -> str:
        return str(self.message.source)

    @property
    def dedupe_key(self) -> str:
        """FromUserName+MsgId for messages; FromUserName+CreateTime+Event(+EventKey) for events.

        Job-finish events carry a MsgID of the job, not of the event, so events always use the
        event form."""
        msg = self.message
        if msg.type == "event":
            event = self.fields.get("Event") or ""
            key = self.fields.get("EventKey") or ""
            if not isinstance(key, str):
                key = ""
            job = self.fields.get("MsgID")
            if isinstance(job, str) and job:  # job-finish events: one per job, not per second
                key = f"{key}:{job}"
            return f"{msg.source}:e:{self.fields.get('CreateTime')}:{event}:{key}"[:200]
        msg_id = self.fields.get("MsgId") or self.fields.get("MsgID")
        if msg_id:
            return f"{msg.source}:m:{msg_id}"[:200]
        return f"{msg.source}:t:{self.fields.get('CreateTime')}:{msg.type}"[:200]
