"""WeChat message XML as WeChat writes it, and short readable renderings for the chat log."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import xmltodict

# Characters XML 1.0 cannot carry; WeChat never sends them, so neither do we.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def cdata(text: str) -> str:
    """Wrap text in CDATA the way a careful XML writer does: `]]>` is split, not dropped."""
    text = _XML_INVALID.sub("", text)
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _element(name: str, value: Any) -> str:
    if isinstance(value, Mapping):
        inner = "\n".join(_element(k, v) for k, v in value.items() if v is not None)
        return f"<{name}>\n{inner}\n</{name}>"
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, int | float):
        return f"<{name}>{value}</{name}>"
    return f"<{name}>{cdata(str(value))}</{name}>"


def render_xml(fields: Iterable[tuple[str, Any]]) -> str:
    """Render `(name, value)` pairs as a WeChat `<xml>` document.

    Strings become CDATA, numbers stay bare (as WeChat writes CreateTime, MsgId, Location_X),
    mappings become nested elements and None values are left out.
    """
    body = "\n".join(_element(name, value) for name, value in fields if value is not None)
    return f"<xml>\n{body}\n</xml>"


def parse_xml(text: str) -> dict[str, Any]:
    """Parse a WeChat XML document (entities refused) and return the children of `<xml>`."""
    root = xmltodict.parse(text)
    if not isinstance(root, dict) or "xml" not in root:
        raise ValueError("root element is not <xml>")
    inner = root["xml"]
    return dict(inner) if isinstance(inner, Mapping) else {}


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def describe_incoming(msg: Mapping[str, Any]) -> str:
    """What the resident did, in a line or two of Chinese for the chat log."""
    kind = _text(msg.get("MsgType"))
    if kind == "text":
        return _text(msg.get("Content"))
    if kind == "image":
        return "[图片]"
    if kind == "voice":
        recognition = msg.get("Recognition")
        return f"[语音] {recognition}" if recognition else "[语音]"
    if kind in ("video", "shortvideo"):
        return "[小视频]" if kind == "shortvideo" else "[视频]"
    if kind == "location":
        label = _text(msg.get("Label"))
        return f"[位置] {label} ({msg.get('Location_X')}, {msg.get('Location_Y')})".replace(
            "  ", " "
        )
    if kind == "link":
        return f"[链接] {_text(msg.get('Title'))}"
    if kind == "event":
        event = _text(msg.get("Event"))
        key = _text(msg.get("EventKey"))
        names = {
            "subscribe": "[关注公众号]",
            "unsubscribe": "[取消关注]",
            "CLICK": f"[点击菜单] {key}",
            "VIEW": f"[打开菜单链接] {key}",
            "SCAN": f"[扫码] {key}",
            "LOCATION": "[上报位置]",
        }
        return names.get(event, f"[事件] {event} {key}".strip())
    return f"[{kind or '未知消息'}]"


def _articles_text(articles: Iterable[Mapping[str, Any]]) -> str:
    lines = []
    for article in articles:
        title = _text(article.get("title") or article.get("Title"))
        description = _text(article.get("description") or article.get("Description"))
        url = _text(article.get("url") or article.get("Url"))
        lines.append("\n".join(part for part in (title, description, url) if part))
    return "\n\n".join(lines)


def describe_reply(reply: Mapping[str, Any]) -> str:
    """A passive reply (parsed reply XML) as the resident would read it."""
    kind = _text(reply.get("MsgType"))
    if kind == "text":
        return _text(reply.get("Content"))
    if kind == "news":
        articles = (reply.get("Articles") or {}).get("item") or []
        if isinstance(articles, Mapping):
            articles = [articles]
        return _articles_text(articles)
    if kind == "transfer_customer_service":
        return "[转人工客服]"
    labels = {"image": "[图片]", "voice": "[语音]", "video": "[视频]", "music": "[音乐]"}
    return labels.get(kind, f"[{kind or '未知回复'}]")


def describe_custom(payload: Mapping[str, Any]) -> str:
    """A customer-service message (custom/send body) as the resident would read it."""
    kind = _text(payload.get("msgtype"))
    body = payload.get(kind) if isinstance(payload.get(kind), Mapping) else {}
    if kind == "text":
        return _text(body.get("content"))
    if kind == "news":
        return _articles_text(body.get("articles") or [])
    if kind == "msgmenu":
        items = [_text(item.get("content")) for item in body.get("list") or []]
        parts = [_text(body.get("head_content")), *items, _text(body.get("tail_content"))]
        return "\n".join(part for part in parts if part)
    labels = {
        "image": "[图片]",
        "voice": "[语音]",
        "video": "[视频]",
        "music": "[音乐]",
        "mpnews": "[图文]",
        "miniprogrampage": "[小程序]",
        "wxcard": "[卡券]",
    }
    return labels.get(kind, f"[{kind}]")


def describe_template(payload: Mapping[str, Any]) -> str:
    """A template or subscription message: its data fields, one per line, in order."""
    data = payload.get("data")
    if not isinstance(data, Mapping):
        return ""
    lines = []
    for key, field in data.items():
        value = field.get("value") if isinstance(field, Mapping) else field
        if value is None or value == "":
            continue
        lines.append(_text(value) if key in ("first", "remark") else f"{key}：{value}")
    return "\n".join(lines)
