"""The throughput baseline: the least a WeChat webhook can do with aiohttp + wechatpy.

Checks the signature, decrypts (safe/compatible mode), parses, answers text with a TextReply
echo (anything else with `success`), encrypts the reply. No storage, no dedupe, no dialog.

    python -m bench.echo_server --port 8090 --token T --appid wx... --aes-key <43 chars>
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.messages import BaseMessage
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature

from bot.cli import new_event_loop

# What a webhook does with a parsed text message: the reply's text, or None for `success`.
Handle = Callable[[web.Request, BaseMessage], Awaitable[str | None]]


def create_webhook_app(
    token: str, appid: str, aes_key: str | None, handle: Handle
) -> web.Application:
    """A WeChat webhook at /wechat: signature, decryption, parsing and an encrypted TextReply
    around `handle` (bench/floor_server.py adds its storage there)."""
    crypto = WeChatCrypto(token, aes_key, appid) if aes_key else None

    async def verify(request: web.Request) -> web.Response:
        query = request.query
        try:
            check_signature(
                token,
                query.get("signature", ""),
                query.get("timestamp", ""),
                query.get("nonce", ""),
            )
        except InvalidSignatureException:
            return web.Response(status=403, text="bad signature")
        return web.Response(text=query.get("echostr", ""))

    async def receive(request: web.Request) -> web.Response:
        query = request.query
        timestamp, nonce = query.get("timestamp", ""), query.get("nonce", "")
        body = await request.text()
        encrypted = query.get("encrypt_type") == "aes"
        try:
            check_signature(token, query.get("signature", ""), timestamp, nonce)
            if encrypted:
                if crypto is None:
                    return web.Response(status=400, text="not configured for encryption")
                body = crypto.decrypt_message(
                    body, query.get("msg_signature", ""), timestamp, nonce
                )
            message = parse_message(body)
        except (InvalidSignatureException, InvalidAppIdException):
            return web.Response(status=403, text="bad signature")
        except Exception:
            return web.Response(status=400, text="bad message")
        if message is None or message.type != "text":
            return web.Response(text="success")
        text = await handle(request, message)
        if text is None:
            return web.Response(text="success")
        reply = TextReply(content=text, message=message).render()
        if encrypted:
            reply = crypto.encrypt_message(reply, nonce, str(int(time.time())))
        return web.Response(text=reply, content_type="application/xml")

    app = web.Application()
    app.router.add_get("/wechat", verify)
    app.router.add_post("/wechat", receive)
    return app


async def _echo(_request: web.Request, message: BaseMessage) -> str:
    return message.content


def create_echo_app(token: str, appid: str, aes_key: str | None) -> web.Application:
    return create_webhook_app(token, appid, aes_key, _echo)


def main() -> None:
    parser = argparse.ArgumentParser(description="minimal aiohttp + wechatpy echo webhook")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--token", required=True)
    parser.add_argument("--appid", required=True)
    parser.add_argument("--aes-key", default=None, help="EncodingAESKey; omit for plain mode")
    args = parser.parse_args()
    web.run_app(
        create_echo_app(args.token, args.appid, args.aes_key),
        host=args.host,
        port=args.port,
        access_log=None,
        print=None,
        loop=new_event_loop(),
    )


if __name__ == "__main__":
    main()
