"""WeChat's side of the server protocol: sign, encrypt and post messages, read the replies."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from wechatpy.crypto import PrpCrypto, WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException
from wechatpy.utils import random_string, to_text

from bot.simulator.config import SimulatorConfig
from bot.simulator.messages import cdata, parse_xml, render_xml

UNAVAILABLE_NOTICE = "该公众号暂时无法提供服务，请稍后再试"


def sign(*parts: str) -> str:
    """WeChat's signature: SHA-1 hex of the sorted strings concatenated."""
    return hashlib.sha1("".join(sorted(str(p) for p in parts)).encode()).hexdigest()


class _FixedPrpCrypto(PrpCrypto):
    """PrpCrypto with a chosen 16-byte random prefix, to reproduce published vectors."""

    def __init__(self, key: bytes, prefix: str) -> None:
        super().__init__(key)
        self._prefix = prefix

    def get_random_string(self) -> str:
        return self._prefix


@dataclass(frozen=True)
class SignedRequest:
    """One POST exactly as WeChat would send it: query string and body."""

    query: dict[str, str]
    body: str


@dataclass
class PostResult:
    """What came back from the webhook for one message (after WeChat's retries).

    `status` is None when no attempt got an answer in time. `reply_xml` is the plaintext
    reply (decrypted when it came in an envelope) or None for `success`/empty/unreadable;
    `reply` is that XML as a dict (MsgType, Content, ...). `error` says, in a sentence,
    why WeChat would show the resident "该公众号暂时无法提供服务" (None when all is well).
    """

    status: int | None
    body: str
    reply_xml: str | None
    reply: dict[str, Any] | None
    attempts: int
    elapsed: float
    error: str | None = None
    request: SignedRequest | None = field(default=None, repr=False)

    @property
    def timed_out(self) -> bool:
        return self.status is None

    @property
    def ok(self) -> bool:
        return self.error is None


_FROM_USER = re.compile(
    r"<FromUserName>\s*(?:<!\[CDATA\[(.*?)\]\]>|([^<]*))\s*</FromUserName>", re.DOTALL
)


def _openid_of(xml: str) -> str:
    """The sender's openid (FromUserName), found cheaply: the peer is also a load generator."""
    match = _FROM_USER.search(xml)
    return (match.group(1) or match.group(2) or "").strip() if match else ""


def _initial_msg_id() -> int:
    # Real MsgIds are 64-bit and look like 6054768590064713728; stay below 2**63.
    return 6_000_000_000_000_000_000 + random.randrange(10**17)


class WeChatPeer:
    """Posts resident messages to the webhook the way WeChat's servers do.

    Usable without the simulator app (tests, benchmarks): give it the config and an
    aiohttp session. Message ids come from one counter per peer, so they never repeat.
    """

    def __init__(
        self,
        config: SimulatorConfig,
        session: aiohttp.ClientSession,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self._session = session
        self._clock = clock
        self._crypto = (
            WeChatCrypto(config.token, config.aes_key, config.appid) if config.aes_key else None
        )
        self._msg_ids = itertools.count(_initial_msg_id())

    # -- message builders -------------------------------------------------------------------

    def next_msg_id(self) -> int:
        return next(self._msg_ids)

    def _head(self, openid: str, msg_type: str, create_time: int | None) -> list[tuple[str, Any]]:
        return [
            ("ToUserName", self.config.account_id),
            ("FromUserName", openid),
            ("CreateTime", int(self._clock()) if create_time is None else int(create_time)),
            ("MsgType", msg_type),
        ]

    def _message(
        self,
        openid: str,
        msg_type: str,
        fields: list[tuple[str, Any]],
        msg_id: int | None,
        create_time: int | None,
    ) -> str:
        msg_id = self.next_msg_id() if msg_id is None else msg_id
        return render_xml([*self._head(openid, msg_type, create_time), *fields, ("MsgId", msg_id)])

    def text_xml(
        self,
        openid: str,
        content: str,
        *,
        msg_id: int | None = None,
        create_time: int | None = None,
    ) -> str:
        return self._message(openid, "text", [("Content", content)], msg_id, create_time)

    def image_xml(
        self,
        openid: str,
        media_id: str,
        pic_url: str,
        *,
        msg_id: int | None = None,
        create_time: int | None = None,
    ) -> str:
        fields = [("PicUrl", pic_url), ("MediaId", media_id)]
        return self._message(openid, "image", fields, msg_id, create_time)

    def voice_xml(
        self,
        openid: str,
        media_id: str,
        *,
        recognition: str | None = None,
        format: str = "amr",
        msg_id: int | None = None,
        create_time: int | None = None,
    ) -> str:
        """A voice note; `recognition=None` leaves the element out, "" sends it empty."""
        fields = [("MediaId", media_id), ("Format", format), ("Recognition", recognition)]
        return self._message(openid, "voice", fields, msg_id, create_time)

    def video_xml(
        self,
        openid: str,
        media_id: str,
        thumb_media_id: str,
        *,
        short: bool = False,
        msg_id: int | None = None,
        create_time: int | None = None,
    ) -> str:
        fields = [("MediaId", media_id), ("ThumbMediaId", thumb_media_id)]
        kind = "shortvideo" if short else "video"
        return self._message(openid, kind, fields, msg_id, create_time)

    def location_xml(
        self,
        openid: str,
        lat: float,
        lon: float,
        *,
        scale: int = 15,
        label: str = "",
        msg_id: int | None = None,
        create_time: int | None = None,
    ) -> str:
        fields = [
            ("Location_X", float(lat)),
            ("Location_Y", float(lon)),
            ("Scale", int(scale)),
            ("Label", label),
        ]
        return self._message(openid, "location", fields, msg_id, create_time)

    def link_xml(
        self,
        openid: str,
        title: str,
        description: str,
        url: str,
        *,
        msg_id: int | None = None,
        create_time: int | None = None,
    ) -> str:
        fields = [("Title", title), ("Description", description), ("Url", url)]
        return self._message(openid, "link", fields, msg_id, create_time)

    def event_xml(
        self,
        openid: str,
        event: str,
        *,
        event_key: str | None = None,
        extra: Mapping[str, Any] | None = None,
        create_time: int | None = None,
    ) -> str:
        """An event (no MsgId). `extra` adds fields such as Ticket, Latitude, MsgID, Status."""
        fields = [
            *self._head(openid, "event", create_time),
            ("Event", event),
            ("EventKey", event_key),
            *(extra or {}).items(),
        ]
        return render_xml(fields)

    # -- signing and encryption -------------------------------------------------------------

    def encrypt(self, plaintext_xml: str, *, random_prefix: str | None = None) -> str:
        """The base64 ciphertext WeChat puts in <Encrypt> (AES-256-CBC, PKCS#7/32, AppID)."""
        if self._crypto is None:
            raise ValueError("no aes_key configured: this peer can only post in plain mode")
        prefix = random_prefix if random_prefix is not None else random_string(16)
        crypto = _FixedPrpCrypto(self._crypto.key, prefix)
        return to_text(crypto.encrypt(plaintext_xml, self.config.appid))

    def decrypt(self, ciphertext: str) -> str:
        if self._crypto is None:
            raise ValueError("no aes_key configured")
        return PrpCrypto(self._crypto.key).decrypt(ciphertext, self.config.appid)

    def build_request(
        self,
        plaintext_xml: str,
        *,
        timestamp: str | int | None = None,
        nonce: str | None = None,
        random_prefix: str | None = None,
    ) -> SignedRequest:
        """Query and body for one message, in the configured encryption mode."""
        timestamp = str(int(self._clock()) if timestamp is None else timestamp)
        nonce = nonce if nonce is not None else str(random.randrange(10**8, 10**10))
        query = {
            "signature": sign(self.config.token, timestamp, nonce),
            "timestamp": timestamp,
            "nonce": nonce,
        }
        openid = _openid_of(plaintext_xml)
        if openid:
            query["openid"] = openid
        if self.config.encryption == "plain":
            return SignedRequest(query, plaintext_xml)
        encrypted = self.encrypt(plaintext_xml, random_prefix=random_prefix)
        query["encrypt_type"] = "aes"
        query["msg_signature"] = sign(self.config.token, timestamp, nonce, encrypted)
        element = f"<Encrypt>{cdata(encrypted)}</Encrypt>"
        if self.config.encryption == "compatible":
            head, _, _ = plaintext_xml.rstrip().rpartition("</xml>")
            return SignedRequest(query, f"{head}{element}\n</xml>")
        body = (
            f"<xml>\n<ToUserName>{cdata(self.config.account_id)}</ToUserName>\n{element}\n</xml>\n"
        )
        return SignedRequest(query, body)

    # -- talking to the webhook -------------------------------------------------------------

    async def post(
        self,
        plaintext_xml: str,
        *,
        retry: bool = True,
        timestamp: str | int | None = None,
        nonce: str | None = None,
    ) -> PostResult:
        """Post one message like WeChat: wait `reply_timeout`, then re-post the same request
        (same body, same MsgId) up to `retries` more times; decrypt and check the reply."""
        request = self.build_request(plaintext_xml, timestamp=timestamp, nonce=nonce)
        openid = _openid_of(plaintext_xml)
        limit = 1 + (self.config.retries if retry else 0)
        timeout = aiohttp.ClientTimeout(total=self.config.reply_timeout)
        started = time.monotonic()
        attempts = 0
        failure = ""
        while attempts < limit:
            attempts += 1
            try:
                async with self._session.post(
                    self.config.webhook_url,
                    params=request.query,
                    data=request.body.encode(),
                    headers={"Content-Type": "text/xml"},
                    timeout=timeout,
                ) as response:
                    status = response.status
                    body = await response.text(encoding="utf-8", errors="replace")
            except TimeoutError:
                failure = f"no answer within {self.config.reply_timeout:g} s"
                continue
            except aiohttp.ClientError as exc:
                failure = f"could not reach the webhook ({type(exc).__name__})"
                continue
            reply_xml, reply, error = self.read_reply(status, body, openid=openid)
            return PostResult(
                status,
                body,
                reply_xml,
                reply,
                attempts,
                time.monotonic() - started,
                error,
                request,
            )
        return PostResult(
            None,
            "",
            None,
            None,
            attempts,
            time.monotonic() - started,
            f"{failure}, {attempts} attempt(s)",
            request,
        )

    def read_reply(
        self, status: int, body: str, *, openid: str = ""
    ) -> tuple[str | None, dict[str, Any] | None, str | None]:
        """Check a webhook answer as WeChat would: (plaintext reply XML, reply dict, error)."""
        if status != 200:
            return None, None, f"HTTP {status}"
        stripped = body.strip()
        if stripped in ("", "success"):
            return None, None, None
        try:
            outer = parse_xml(stripped)
        except Exception:
            return None, None, "reply is not WeChat XML"
        errors: list[str] = []
        reply_xml = stripped
        if "Encrypt" in outer:
            if self._crypto is None:
                return None, None, "encrypted reply but the account is in plain mode"
            encrypted = str(outer.get("Encrypt") or "")
            expected = sign(
                self.config.token,
                str(outer.get("TimeStamp") or ""),
                str(outer.get("Nonce") or ""),
                encrypted,
            )
            if not hmac.compare_digest(expected, str(outer.get("MsgSignature") or "")):
                return None, None, "reply envelope MsgSignature does not match"
            try:
                reply_xml = self.decrypt(encrypted)
            except InvalidAppIdException:
                return None, None, "reply was encrypted for another AppID"
            except Exception:
                return None, None, "reply envelope does not decrypt"
            try:
                inner = parse_xml(reply_xml)
            except Exception:
                return reply_xml, None, "decrypted reply is not WeChat XML"
        else:
            inner = outer
            if self.config.encryption == "safe":
                errors.append("safe mode needs an encrypted reply")
        if not inner.get("MsgType"):
            errors.append("reply has no MsgType")
        if openid and inner.get("ToUserName") != openid:
            errors.append("reply ToUserName is not the resident's openid")
        if inner.get("FromUserName") != self.config.account_id:
            errors.append("reply FromUserName is not the account id")
        return reply_xml, inner, "; ".join(errors) or None

    async def verify_url(self, echostr: str | None = None) -> bool:
        """The GET WeChat sends when the server URL is saved; True if echostr came back."""
        timestamp = str(int(self._clock()))
        nonce = str(random.randrange(10**8, 10**10))
        echostr = echostr or str(random.randrange(10**18, 10**19))
        query = {
            "signature": sign(self.config.token, timestamp, nonce),
            "timestamp": timestamp,
            "nonce": nonce,
            "echostr": echostr,
        }
        timeout = aiohttp.ClientTimeout(total=self.config.reply_timeout)
        async with self._session.get(
            self.config.webhook_url, params=query, timeout=timeout
        ) as response:
            return response.status == 200 and (await response.text()) == echostr
