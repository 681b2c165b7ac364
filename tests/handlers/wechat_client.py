"""Signs (and encrypts) requests like WeChat does, for webhook tests."""

from __future__ import annotations

import base64
import re
import time
import uuid
from dataclasses import dataclass

from aiohttp.test_utils import TestClient
from wechatpy.crypto import PrpCrypto

from bot.wechat.protocol import Envelope, parse_xml, signature_of
from tests.conftest import AES_KEY, APPID, TOKEN


@dataclass
class Posted:
    status: int
    body: str
    reply: dict | None  # the decrypted reply's fields, None for `success`


class FakeWeChat:
    def __init__(
        self,
        client: TestClient,
        *,
        mode: str = "safe",
        token: str = TOKEN,
        appid: str = APPID,
        aes_key: str = AES_KEY,
    ) -> None:
        self.client = client
        self.mode = mode
        self.token = token
        self.appid = appid
        self.aes_key = aes_key

    def query(self, *, timestamp: str | None = None, nonce: str | None = None) -> dict[str, str]:
        timestamp = timestamp or str(int(time.time()))
        nonce = nonce or uuid.uuid4().hex[:10]
        return {
            "timestamp": timestamp,
            "nonce": nonce,
            "signature": signature_of(self.token, timestamp, nonce),
        }

    def wrap(
        self, xml: str, query: dict[str, str], *, appid: str | None = None
    ) -> tuple[str, dict[str, str]]:
        if self.mode == "plain":
            return xml, query
        encrypted = (
            PrpCrypto(base64.b64decode(self.aes_key + "="))
            .encrypt(xml, appid or self.appid)
            .decode()
        )
        query = {
            **query,
            "encrypt_type": "aes",
            "msg_signature": signature_of(
                self.token, query["timestamp"], query["nonce"], encrypted
            ),
        }
        if self.mode == "compatible":
            body = xml.replace("</xml>", f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>")
        else:
            found = re.search(r"<ToUserName><!\[CDATA\[(.*?)\]\]></ToUserName>", xml)
            to_user = found.group(1) if found else "gh_test"
            body = f"<xml><ToUserName><![CDATA[{to_user}]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
        return body, query

    async def post(self, xml: str, **kwargs: str) -> Posted:
        body, query = self.wrap(xml, self.query(**kwargs))
        return await self.post_raw(body, query)

    async def post_raw(self, body: str | bytes, query: dict[str, str]) -> Posted:
        response = await self.client.post("/wechat", params=query, data=body)
        text = await response.text()
        return Posted(
            response.status, text, self.open_reply(text) if response.status == 200 else None
        )

    def open_reply(self, text: str) -> dict | None:
        if text in ("success", ""):
            return None
        fields = parse_xml(text)
        if "Encrypt" in fields:
            envelope = Envelope(self.token, self.appid, [self.aes_key])
            assert (
                signature_of(self.token, fields["TimeStamp"], fields["Nonce"], fields["Encrypt"])
                == fields["MsgSignature"]
            )
            plain, _ = envelope.open(
                fields["Encrypt"], fields["MsgSignature"], fields["TimeStamp"], fields["Nonce"]
            )
            return parse_xml(plain)
        return fields


def text_xml(openid: str, content: str, msg_id: int | str, *, to: str = "gh_minyi") -> str:
    content = content.replace("]]>", "]]]]><![CDATA[>")
    return (
        f"<xml><ToUserName><![CDATA[{to}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )
