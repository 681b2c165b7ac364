"""Small text helpers shared by the NLU and the actions."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")

_SPACE = re.compile(r"[\s\u200b\u200c\u200d\ufeff]+")
# Punctuation, symbols and emoji: dropped before an exact intent match.
_PUNCT = re.compile(r"[^\w\u4e00-\u9fff]+")
_CJK = re.compile(r"[\u4e00-\u9fff]")
# Emoji that say something, written the way WeChat writes its own ("[强]" is the thumbs-up
# in the emoji panel; older clients send "/:strong"): one form for each, so the word lists
# need only that one. Other emoji are left alone (and dropped by `bare`).
_EMOJI_FORMS = {
    "/:strong": "[强]", "\U0001f44d": "[强]", "[thumbsup]": "[强]",
    "/:weak": "[弱]", "\U0001f44e": "[弱]", "[thumbsdown]": "[弱]",
    "/:ok": "[ok]", "\U0001f44c": "[ok]",
    # folded hands and clapping: thanks, as WeChat's own [抱拳] and [鼓掌]
    "\U0001f64f": "[抱拳]", "\U0001f44f": "[鼓掌]",
}
_EMOJI = re.compile("|".join(re.escape(k) for k in sorted(_EMOJI_FORMS, key=len, reverse=True)))


def normalize(text: str) -> str:
    """Full-width to ASCII (NFKC), lower case, no whitespace, emoji in WeChat's own form
    ("👍" and "/:strong" are "[强]"). Offsets into this form are what entity spans refer to."""
    plain = _SPACE.sub("", unicodedata.normalize("NFKC", text).lower())
    return _EMOJI.sub(lambda m: _EMOJI_FORMS[m.group(0)], plain)


# WeChat's emoji in their bracket form ("[抱拳]", "[好的]", "[微笑]"): not words
_BRACKET_EMOJI = re.compile(r"\[[^\[\]]{1,8}\]")


def without_emoji_codes(text: str) -> str:
    """``text`` without WeChat's bracketed emoji codes ("1 [好的]" → "1 ")."""
    return _BRACKET_EMOJI.sub("", text)


def bare(text: str) -> str:
    """`normalize` without punctuation and emoji: the form exact intent matches use."""
    return _PUNCT.sub("", normalize(text)).replace("_", "")


def told_again(text: str, description: str) -> bool:
    """``text`` tells the problem again (one holds the other), not something more about it."""
    said, told = bare(text), bare(description)
    return bool(said and told) and (said in told or told in said)


def cjk_count(text: str) -> int:
    return len(_CJK.findall(text))


def link_note(title: object, url: object) -> str:
    """A shared link as a line of text: "群众发来的链接：标题 https://…" ('' for nothing)."""
    shown = " ".join(part for part in (str(title or "").strip(), str(url or "").strip()) if part)
    return f"群众发来的链接：{shown}" if shown else ""


def mask_phone(phone: str) -> str:
    """138****1234; landlines keep the area code and the last four digits."""
    digits = re.sub(r"\D", "", phone)
    if len(digits) == 11 and digits.startswith("1"):
        return f"{digits[:3]}****{digits[-4:]}"
    if "-" in phone:
        area, _, rest = phone.partition("-")
        return f"{area}-****{rest[-4:]}" if len(rest) > 4 else phone
    return f"****{digits[-4:]}" if len(digits) > 4 else "****"


def local_time(moment: datetime) -> str:
    """11月27日 18:00 (China time); naive datetimes are taken as UTC."""
    if moment.tzinfo is None:
        from datetime import UTC

        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(LOCAL_TZ)
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def local_date(moment: datetime) -> str:
    """11月27日 (China time); naive datetimes are taken as UTC."""
    return local_time(moment).split(" ")[0]


def shorten(text: str, limit: int = 24) -> str:
    text = _SPACE.sub(" ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


_SENTENCE_END = "。！？!?；;…"
_CLAUSE_END = "，,、：: "


def cut_at_sentence(text: str, limit: int) -> str:
    """The text up to `limit` characters, ended at the last whole sentence (or clause) that
    fits, never mid-phrase; the full text when it fits. No ellipsis is added."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    for ends in (_SENTENCE_END, _CLAUSE_END):
        at = max(head.rfind(c) for c in ends)
        if at >= limit // 2:
            return head[: at + 1].rstrip(_CLAUSE_END)
    return head
