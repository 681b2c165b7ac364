"""`GET/POST /wechat`: verify, decrypt, parse, then hand over to the inbox.

Anything WeChat would never send gets a 4xx with a one-line reason; nothing malformed reaches
the inbox, and nothing here raises a 500.
"""

from __future__ import annotations

import logging

from aiohttp import web

from bot.wechat.protocol import (
    Envelope,
    Inbound,
    ProtocolError,
    check_url_signature,
    parse_xml,
    read_message,
    text_reply,
)
from handlers import keys

log = logging.getLogger(__name__)

ENVELOPE: web.AppKey[Envelope | None] = web.AppKey("envelope")

routes = web.RouteTableDef()


def _envelope(app: web.Application) -> Envelope | None:
    settings = app[keys.SETTINGS].wechat
    aes_keys = [k for k in (settings.aes_key, settings.previous_aes_key) if k]
    if not aes_keys:
        return None
    return Envelope(settings.token, settings.appid, aes_keys)


def setup(app: web.Application) -> None:
    app[ENVELOPE] = _envelope(app)
    app.router.add_get("/wechat", verify_url)
    app.router.add_post("/wechat", receive)


async def verify_url(request: web.Request) -> web.Response:
    """WeChat's URL check: echo `echostr` when the signature is ours (never encrypted for
    official accounts)."""
    settings = request.app[keys.SETTINGS].wechat
    query = dict(request.query)
    try:
        check_url_signature(settings.token, query, max_skew=0)
    except ProtocolError as exc:
        return _refuse(request, exc)
    echostr = query.get("echostr", "")
    if not echostr or len(echostr) > 128 or not echostr.isprintable():
        return web.Response(status=400, text="bad echostr")
    return web.Response(text=echostr, content_type="text/plain")


async def receive(request: web.Request) -> web.Response:
    app = request.app
    settings = app[keys.SETTINGS].wechat
    try:
        inbound = await _read(request)
    except ProtocolError as exc:
        return _refuse(request, exc)
    try:
        reply = await app[keys.INBOX].answer(inbound)
    except Exception:
        # The database or the stores failed mid-message: nothing was recorded as answered,
        # so the same message can be processed when it comes again.
        log.exception("could not answer a WeChat message")
        app[keys.METRICS].refused.labels("503").inc()
        return web.Response(status=503, text="temporarily unavailable", content_type="text/plain")
    if not reply:
        return web.Response(text="success", content_type="text/plain")
    body = text_reply(inbound.message, reply)
    if inbound.encrypted or settings.encryption == "safe":
        envelope = app[ENVELOPE]
        if envelope is not None:
            body = envelope.seal(body, key_index=inbound.key_index)
    return web.Response(text=body, content_type="application/xml")


async def _read(request: web.Request) -> Inbound:
    settings = request.app[keys.SETTINGS].wechat
    query = dict(request.query)
    check_url_signature(settings.token, query, max_skew=settings.max_clock_skew_seconds)
    if request.content_length is not None and request.content_length > settings.max_body_bytes:
        raise ProtocolError("body too large", 413)
    raw = await _read_limited(request, settings.max_body_bytes)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError("body is not UTF-8") from None
    if not text.strip():
        raise ProtocolError("empty body")
    encrypt_type = query.get("encrypt_type", "raw")
    if encrypt_type == "aes":
        envelope = request.app[ENVELOPE]
        if envelope is None or settings.encryption == "plain":
            raise ProtocolError("encrypted message but no EncodingAESKey configured", 400)
        outer = parse_xml(text)
        encrypted = outer.get("Encrypt")
        if not isinstance(encrypted, str) or not encrypted:
            raise ProtocolError("missing Encrypt")
        plaintext, key_index = envelope.open(
            encrypted, query.get("msg_signature"), query["timestamp"], query["nonce"]
        )
        message, fields = read_message(plaintext)
        return Inbound(message, fields, True, key_index, query["nonce"])
    if encrypt_type != "raw":
        raise ProtocolError("unknown encrypt_type")
    if settings.encryption == "safe":
        raise ProtocolError("plaintext messages are refused in safe mode", 403)
    message, fields = read_message(text)
    return Inbound(message, fields, False, 0, query["nonce"])


async def _read_limited(request: web.Request, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(65536):
        size += len(chunk)
        if size > limit:
            raise ProtocolError("body too large", 413)
        chunks.append(chunk)
    return b"".join(chunks)


def _refuse(request: web.Request, exc: ProtocolError) -> web.Response:
    log.info("refused %s %s: %s", request.method, request.path, exc.reason)
    request.app[keys.METRICS].refused.labels(str(exc.status)).inc()
    return web.Response(status=exc.status, text=exc.reason, content_type="text/plain")
