"""Scrubbing free text before the public sees it (the /public pages and Open311).

Public records never carry a name, phone number, openid or house number. Structured fields are
simply left out; free text that must be shown (a department's result summary) goes through
`scrub()`, which replaces:

- e-mail addresses, openid-like and other long letter-digit tokens, identity card numbers;
- phone-like numbers: seven or more digits, with or without spaces or dashes, +86 or not;
- house numbers: digits (or Chinese numerals, or a letter) followed by 号/栋/幢/座/单元/室/
  楼/层/户/弄 — the unit stays ("*栋*单元*室") so the sentence still reads; dates ("3月5号")
  and metro lines ("1号线") are kept; dashed room numbers ("3-2-502") go too, dates do not;
  a bare room number right after a masked unit goes as well ("2单元301门口" → "*单元*门口",
  "5号楼1203" → "*号楼*"), but not a time ("*号10点"); the road name always stays;
- people: a surname with up to two more characters before a title (王建国先生 → 某先生),
  "联系人：张三"-style labels, a surname and name before 反映/投诉/来电 (某某反映) or after
  居民/业主/联系/告知/与… where the name ends the phrase (已联系居民王秀英（… → 居民某某（…), or
  after a house number ("301室王建国（…" → "*室某某（…");
- any `known` strings (the resident's own nickname, staff names) wherever they appear.

It is a filter on top of leaving fields out, not a licence to publish descriptions: the
resident's own words are never shown publicly.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "***"

# The commonest Chinese surnames (about 90 % of the population), single characters.
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏"
    "吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万"
    "钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝"
    "包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾"
    "尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬"
    "师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
_TITLES = (
    "先生|女士|小姐|师傅|阿姨|大爷|大妈|大姐|大哥|老师|同志|经理|主任|老板|书记|警官|医生|律师"
    "|爷爷|奶奶|叔叔|婆婆|姐|哥|某"
)
_CN_NUM = "一二三四五六七八九十百千零〇两"

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_ID_CARD = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_TOKEN = re.compile(r"(?<![A-Za-z0-9_-])(?=[A-Za-z0-9_-]*\d)(?=[A-Za-z0-9_-]*[A-Za-z])"
                    r"[A-Za-z0-9_-]{12,}(?![A-Za-z0-9_-])")
_PHONE = re.compile(r"(?<![\d])(?:\+?86[\s-]?)?\d(?:[\s-]?\d){6,}(?![\d])")
_DASHED = re.compile(r"(?<![\d-])\d{1,4}(?:-\d{1,5}){1,3}(?![\d-])")
_DATE = re.compile(r"^\d{4}-\d{1,2}(?:-\d{1,2})?$")
_DATE_RUN = re.compile(r"^(?:19|20)\d{2}-\d{1,2}-\d{1,2}$")
_HOUSE = re.compile(
    r"(?<!月)(?:\d+|[A-Za-z])\s*(号楼|号院|号|栋|幢|座|单元|室|楼|层|户|弄)(?!线)"
)
_HOUSE_CN = re.compile(rf"[{_CN_NUM}]+(号楼|号院|栋|幢|单元|室)")
# digits left straight after a unit already masked: the room ("*单元301", "*号楼1203")
_ROOM_AFTER = re.compile(
    r"(\*(?:号楼|号院|号|栋|幢|座|单元|楼|层))(\s*)(?:\d{1,5}|[A-Za-z]\d{1,5})"
    r"(?![\d:：.点时分秒年月日天周个次元人名辆米%])"
)
_TITLED = re.compile(rf"[{SURNAMES}][\u4e00-\u9fff]{{0,2}}?({_TITLES})")
_LABELLED = re.compile(
    r"(联系人|姓名|反映人|投诉人|来电人|当事人|承办人|经办人|负责人|居民|业主|住户)[:：]\s*"
    r"[\u4e00-\u9fff]{2,4}"
)
_BEFORE_VERB = re.compile(rf"[{SURNAMES}][\u4e00-\u9fff]{{1,2}}(?=(反映|投诉|来电))")
# A name straight after the word for who they are or what was done with them, with no colon
# ("已联系居民王秀英（电话…）", "与业主李强沟通"): a surname and one or two characters that
# end where the sentence breaks or a plain word follows, so "居民张贴告示" stays.
_ROLE_WORDS = "居民|市民|村民|业主|住户|租户|户主|当事人|反映人|投诉人|来电人|老人"
# what a name never ends with, but a place or an office does ("向阳路", "与江北城街道")
_NOT_A_NAME_END = "路街道桥村镇区巷园苑城湾坝沟门站口局所队办委会司厂店馆院校场处部科铺库间房"
_AFTER_ROLE = re.compile(
    rf"(?:(?P<who>{_ROLE_WORDS}|联系了?|联系上|告知|通知|回访了?|约见|走访了?)"
    rf"(?P<name>[{SURNAMES}][\u4e00-\u9fff]{{1,2}}?)(?<![{_NOT_A_NAME_END}])"
    r"(?=[（(，,。；;、：:！!\s]|$|家|的|等|本人|及其|沟通|协商|说明|解释|反映|表示|同意|确认|签字)"
    # 与/和/向 only before a word of talking to someone: "与李强沟通", not "向阳路"
    rf"|(?P<with>与|和|向)(?P<name2>[{SURNAMES}][\u4e00-\u9fff]{{1,2}}?)"
    rf"(?<![{_NOT_A_NAME_END}])(?=沟通|协商|说明|解释|核实|联系|确认|了解))"
)

# A name straight after a house number already masked: who lives there ("9栋2单元301室王建国
# （电话…）" → "*栋*单元*室某某（电话***）"), ending where the sentence breaks.
_AFTER_HOUSE = re.compile(
    rf"(\*(?:号楼|号院|号|栋|幢|座|单元|室|楼|层|户)\*?)(?P<name>[{SURNAMES}][\u4e00-\u9fff]{{1,2}}?)"
    rf"(?<![{_NOT_A_NAME_END}])(?=[（(，,。；;、：:！!\s]|$|家|本人|等人|反映|表示|同意|确认)"
)


def _house(match: re.Match[str]) -> str:
    return "*" + match.group(1)


def _phone(match: re.Match[str]) -> str:
    return match.group(0) if _DATE_RUN.match(match.group(0)) else MASK


def _dashed(match: re.Match[str]) -> str:
    return match.group(0) if _DATE.match(match.group(0)) else MASK


def scrub(text: str | None, known: Iterable[str | None] = ()) -> str:
    """`text` with every personal detail replaced (see the module docstring)."""
    if not text:
        return ""
    out = text
    for value in sorted({k.strip() for k in known if k and len(k.strip()) >= 2}, key=len,
                        reverse=True):
        out = out.replace(value, MASK)
    out = _EMAIL.sub(MASK, out)
    out = _ID_CARD.sub(MASK, out)
    out = _TOKEN.sub(MASK, out)
    out = _PHONE.sub(_phone, out)
    out = _DASHED.sub(_dashed, out)
    out = _HOUSE.sub(_house, out)
    out = _HOUSE_CN.sub(_house, out)
    out = _ROOM_AFTER.sub(r"\1\2*", out)
    out = _LABELLED.sub(lambda m: m.group(1) + "：某某", out)
    out = _TITLED.sub(lambda m: "某" + m.group(1) if m.group(1) != "某" else "某", out)
    out = _BEFORE_VERB.sub("某某", out)
    out = _AFTER_ROLE.sub(lambda m: (m.group("who") or m.group("with")) + "某某", out)
    out = _AFTER_HOUSE.sub(lambda m: m.group(1) + "某某", out)
    return out


def summary(text: str | None, known: Iterable[str | None] = (), limit: int = 140) -> str:
    """A scrubbed, shortened result for lists (scrubbed first, so no secret is cut in half)."""
    clean = " ".join(scrub(text, known).split())
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"


def round_coordinate(value: float | None, places: int = 2) -> float | None:
    """Coordinates to about a kilometre (0.01°): the area, never the door."""
    return None if value is None else round(value, places)
