"""Understanding a message: intent and entities, from knowledge/intents.yaml and faq.yaml.

`Nlu.parse(text)` returns Rasa's parse data shape ({"text", "intent", "entities",
"intent_ranking"}) plus three hints the policy uses: `report_like` (the text describes a
problem), `question_like`, and `correction` (the slot a correction is about).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dialogs.entities import SPOKEN_DIGITS, EntityExtractor, spoken_digits
from dialogs.faq import Faq
from dialogs.files import INTENTS_FILE, DialogDataError, read_mapping, regex, str_list
from dialogs.ports import Places
from dialogs.text import bare, cjk_count, normalize, without_emoji_codes

FALLBACK = "nlu_fallback"
REPORT = "report"
NEW_REPORT = "new_report"
FAQ = "faq"
CORRECT = "correct"
ABUSE = "abuse"
# report words that say only that nobody acts, not what the problem is
_NO_PROBLEM_IN_ITSELF = ("没人管", "莫得人管", "没得人管")

_PHONE_LEAD = r"[，,；;\s]*(?:(?:我的?|本人|联系)?(?:电话|手机|号码|联系方式|手机号|电话号码|座机)(?:是|为)?[:：]?\s*)?(?:\+?86)?"
_SURVEY_NUMERALS = {"1": "满意", "2": "基本满意", "3": "不满意",
                    "一": "满意", "二": "基本满意", "三": "不满意"}
# "1", "3 没解决", "1，已解决"; not "1号楼…", "3栋", "12号"
_SURVEY_DIGIT = re.compile(r"^([123])(?![0-9a-z号栋幢楼单元层室期座区组巷路街点月日年个天])")
# a digit as written or spoken out (entities.SPOKEN_DIGITS)
_DIGIT_FORMS = {d: "[" + d + "".join(c for c, v in SPOKEN_DIGITS.items() if v == d) + "]"
                for d in "0123456789"}
# what may follow a lead marker and belongs to it: "我要反映一下", "我要投诉个事"
_AFTER_MARKER = re.compile(
    r"^\s*(?:一下子?|一下儿|(?:一)?[个件](?=问题|事|情况))?(?:问题|事情|事儿|事|情况)?")
# "不是路灯，是红绿灯坏了" / "是红绿灯不是路灯": the word to replace and its replacement
_NOT_THIS_BUT = re.compile(r"^不是(?P<old>.+?)[，,、；;\s]*(?:而)?是(?P<new>.+)$")
_THIS_NOT = re.compile(r"^是?(?P<new>.+?)[，,、；;\s]*(?:而)?不是(?P<old>.+?)$")
_ABOUT = re.compile(r"(?:的)?(?:问题|事情|事儿|事)$")
_PREDICATE = re.compile(r"[了着过坏漏堵吵臭脏乱塌裂掉丢倒没不]")
_ASIDE = 6  # characters before a new-report marker that may be an aside ("等一哈，")
_CLAUSES = re.compile(r"[，,。！!？?；;\n、]+|\s+")
# a yes and more in one message ("是的 已经有人盖上了"): the words after the yes
_YES_LEAD = re.compile(r"^\s*(?:(?:是的|对的|好的|要得|可以|没问题|没错|确认|就这样)[，,。.！!~～\s]*"
                       r"|(?:是|对|好|嗯+|行)[，,。.！!~～\s]+)(?P<rest>[^不别没].*)$")
_COURTESY_CHARS = 12  # "就是这样 麻烦你们了": what may follow a yes and say nothing new
# a form that is one short word said again and again ("抱拳抱拳抱拳" from "🙏🙏🙏")
_REPEATED = re.compile(r"([^0-9]{1,4}?)\1+")  # never digits: "333" is no "3"
_DETAIL_CHARS = 30  # an address detail sent on its own is short
# an address part said to be wrong: "不是8栋", "8栋改成9栋"
_WRONG_BEFORE = ("不是在", "不是")
_WRONG_AFTER = ("改成", "改为", "换成", "换为", "应该是")
# what else a correction of an address part may say ("不对不对 是9栋不是8栋", "地址错了，在3单元")
_CORRECTION_WORDS = ("不是", "应该", "其实", "是在", "就在", "是", "在", "地址", "地点", "位置",
                     "门牌", "写", "说", "的", "哈", "哦")
_UNIT_NUMBER = re.compile(r"^(?:[0-9a-z]+|[一二三四五六七八九十百千零〇幺]+)")
_DETAIL_LEAD = re.compile(r"^(?:就是在|就在|是在|在|是)")
# a greeting that opens a report ("你好 我妈八十多了…", "领导好！"): not part of the problem
_GREETING_LEAD = re.compile(
    r"^\s*(?:(?:你们?好|您们?好|大家好|领导们?好|领导你们好|同志你?好|老师好|喂|哈喽|hello|hi|嗨|"
    r"早上好|上午好|下午好|晚上好|师傅你?好?|领导|同志|老师|工作人员|客服)+[呀啊哈]?"
    r"(?:在吗|在不在|有人吗)?[?？，,。.！!~～\s]+)+")
# what opens a report before the problem: "我跟你说", "是这样的", who the resident is
# ("我是石马河那边的住户", "我是鲤鱼池小区的业主": the place is read from the whole message)
_INTRO_LEAD = re.compile(
    r"^\s*(?:(?:我(?:跟|给|和)你们?(?:说|讲)(?:一下|哈|嘛)?|(?:事情)?是这样(?:的|子)?|你们?看(?:一下|哈|嘛)?|"
    r"(?:我)?想?(?:请)?问(?:一)?下|(?:我)?想问个事|那个|这个|"
    r"我是[^，,。.！!？?\s]{1,14}?(?:的)?(?:老?住户|居民|业主|租户|市民|老人|退休职工|家长)(?:哈|嘛|哦)?)"
    r"[，,。.！!~～\s]+)+")
# "我是五里店的 …": where the resident is from, said before the problem (kept out of its
# description when it names a place; the place itself is read from the whole message)
_FROM_LEAD = re.compile(r"^\s*我是([^，,。.！!？?\s]{2,12}?)(?:这边|那边|那里|这里|那块)?的"
                        r"[，,。.！!~～\s]+")
# what a vague place may be said with: "就在我们小区里", "是在我家楼下这边"
_VAGUE_LEAD = re.compile(r"^(?:就是在|就是|就在|是在|在|是|就)")
_VAGUE_TAIL = re.compile(r"(?:里面|里头|里|这里|那里|这边|那边|这儿|那儿|上|的)+$")
_ANNOUNCE_CHARS = 20  # a message that only announces a complaint is short
_CHASE_CHARS = 40  # a longer message tells more than the chase: it is taken as it is
_EVASION_CHARS = 16  # an evasion is short; a longer answer says more than that
# intents a message that only announces a complaint may have been read as ("喂 你好 我想问个事")
_MAY_ANNOUNCE = frozenset({FALLBACK, REPORT, "greet", "help", "chitchat"})
_QUESTION = re.compile(r"[?？]|吗|么|怎|如何|多久|多长|什么|哪|几点|能不能|可不可以|有没有|是否")


@dataclass(frozen=True, slots=True)
class PlaceRevision:
    """The place of a draft after a message about it: a part corrected ("是9栋不是8栋":
    `wrong` 8栋, `right` 9栋) or a detail added ("3号附近 农业银行门口")."""

    text: str
    wrong: str | None = None
    right: str | None = None


@dataclass(frozen=True, slots=True)
class IntentRule:
    name: str
    exact: frozenset[str]
    keywords: tuple[str, ...]
    contains: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...]
    examples: tuple[str, ...]
    # entity kinds that keep a keyword or `contains` match from counting ("建新北路12号谢谢
    # 你们" is a place, not thanks)
    not_with: frozenset[str] = frozenset()


def _without_clauses(text: str, clauses: list[str]) -> str:
    """``text`` with ``clauses`` taken out and the punctuation between what is left tidied;
    unchanged when nothing would be left."""
    kept = text
    for clause in clauses:
        kept = kept.replace(clause, "", 1)
    kept = re.sub(r"[，,、；;。.！!\s]{2,}", "，", kept)
    return kept.strip(" ，,、；;。.！!") or text


class Nlu:
    def __init__(self, data: dict[str, Any], faq: Faq, entities: EntityExtractor,
                 source: Path = INTENTS_FILE) -> None:
        self.faq = faq
        self.entities = entities
        self.short_message = int(data.get("short_message") or 12)
        self.fillers = tuple(str_list(source, "fillers", data.get("fillers")))
        raw = data.get("intents")
        if not isinstance(raw, list) or not raw:
            raise DialogDataError(source, "intents", "must be a non-empty list")
        self.rules: list[IntentRule] = []
        for index, item in enumerate(raw):
            where = f"intents[{index}]"
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                raise DialogDataError(source, where, "needs a name")

            def words(key: str, item: dict[str, Any] = item, where: str = where) -> list[str]:
                return str_list(source, f"{where}.{key}", item.get(key))

            self.rules.append(
                IntentRule(
                    name=item["name"],
                    exact=frozenset(bare(w) for w in words("exact")),
                    keywords=tuple(normalize(w) for w in words("keywords")),
                    contains=tuple(normalize(w) for w in words("contains")),
                    patterns=tuple(
                        regex(source, f"{where}.patterns[{i}]", p)
                        for i, p in enumerate(item.get("patterns") or [])
                    ),
                    examples=tuple(words("examples")),
                    not_with=frozenset(words("not_with")),
                )
            )
        self.correction_markers = tuple(
            normalize(w) for w in str_list(source, "correction_markers",
                                           data.get("correction_markers"))
        )
        targets = data.get("correction_targets") or {}
        self.correction_targets = {
            slot: tuple(normalize(w) for w in str_list(source, f"correction_targets.{slot}", ws))
            for slot, ws in targets.items()
        }
        self.addition_markers = tuple(sorted(
            (normalize(w) for w in str_list(source, "addition_markers",
                                            data.get("addition_markers"))),
            key=len, reverse=True))
        self.new_report_markers = tuple(
            normalize(w) for w in str_list(source, "new_report_markers",
                                           data.get("new_report_markers"))
        )
        self.second_problem_markers = tuple(sorted(
            (normalize(w) for w in str_list(source, "second_problem_markers",
                                            data.get("second_problem_markers"))),
            key=len, reverse=True))
        self.request_markers = frozenset(
            normalize(w) for w in str_list(source, "request_markers",
                                           data.get("request_markers"))
        )
        self.phone_declines = tuple(
            normalize(w) for w in str_list(source, "phone_declines", data.get("phone_declines"))
        )
        self.phone_in_wechat = tuple(
            normalize(w) for w in str_list(source, "phone_in_wechat", data.get("phone_in_wechat"))
        )
        self.phone_refusals = tuple(
            normalize(w) for w in str_list(source, "phone_refusals", data.get("phone_refusals"))
        )
        self.unknowns = tuple(
            normalize(w) for w in str_list(source, "unknowns", data.get("unknowns"))
        )
        self.place_refusals = frozenset(
            bare(w) for w in str_list(source, "place_refusals", data.get("place_refusals"))
        )
        self.same_place_words = frozenset(
            bare(w) for w in str_list(source, "same_place_words", data.get("same_place_words"))
        )
        self.urge_words = tuple(
            normalize(w) for w in str_list(source, "urge_words", data.get("urge_words"))
        )
        self.chase_words = tuple(
            normalize(w) for w in str_list(source, "chase_words", data.get("chase_words"))
        )
        self.area_wide_words = tuple(
            normalize(w) for w in str_list(source, "area_wide_words", data.get("area_wide_words"))
        )
        self.place_fillers = tuple(sorted(
            (normalize(w) for w in str_list(source, "place_fillers", data.get("place_fillers"))),
            key=len, reverse=True))
        self.vague_places = frozenset(
            normalize(w) for w in str_list(source, "vague_places", data.get("vague_places"))
        )
        self.place_evasions = tuple(
            normalize(w) for w in str_list(source, "place_evasions", data.get("place_evasions"))
        )
        self.polite_words = tuple(sorted(
            (normalize(w) for w in str_list(source, "polite_words", data.get("polite_words"))),
            key=len, reverse=True))
        self.contact_words = tuple(
            normalize(w) for w in str_list(source, "contact_words", data.get("contact_words"))
        )
        self.place_both_words = tuple(
            normalize(w) for w in str_list(source, "place_both_words",
                                           data.get("place_both_words"))
        )
        self.acknowledgements = frozenset(
            bare(w) for w in str_list(source, "acknowledgements", data.get("acknowledgements"))
        )
        self.question_words = tuple(
            normalize(w) for w in str_list(source, "question_words", data.get("question_words"))
        )
        self.solved_words = tuple(
            normalize(w) for w in str_list(source, "solved_words", data.get("solved_words"))
        )
        self.unsolved_words = tuple(
            normalize(w) for w in str_list(source, "unsolved_words", data.get("unsolved_words"))
        )
        self.not_needed_words = tuple(
            normalize(w)
            for w in str_list(source, "not_needed_words", data.get("not_needed_words"))
        )
        self.withdraw_exact = frozenset(
            bare(w) for w in str_list(source, "withdraw_exact", data.get("withdraw_exact"))
        )
        self.withdraw_words = tuple(
            normalize(w) for w in str_list(source, "withdraw_words", data.get("withdraw_words"))
        )
        self.rating_words = tuple(
            normalize(w) for w in str_list(source, "rating_words", data.get("rating_words"))
        )
        self.rerate_markers = tuple(
            normalize(w) for w in str_list(source, "rerate_markers", data.get("rerate_markers"))
        )
        self.keep_rating_markers = tuple(
            normalize(w)
            for w in str_list(source, "keep_rating_markers", data.get("keep_rating_markers"))
        )
        survey = data.get("survey_words") or {}
        if not isinstance(survey, dict):
            raise DialogDataError(source, "survey_words", "must map verdicts to word lists")
        self.survey_words = tuple(
            (verdict, tuple(normalize(w) for w in str_list(source, f"survey_words.{key}",
                                                           survey.get(key))))
            for key, verdict in (("unsatisfied", "不满意"), ("basic", "基本满意"),
                                 ("satisfied", "满意"))
        )
        menu = data.get("menu_intents") or {}
        if not isinstance(menu, dict):
            raise DialogDataError(source, "menu_intents", "must map menu keys to intents")
        self.menu_intents = {str(k): str(v) for k, v in menu.items()}
        numbers = data.get("number_menu") or {}
        if not isinstance(numbers, dict):
            raise DialogDataError(source, "number_menu", "must map numbers to intents")
        self.number_menu = {str(k): str(v) for k, v in numbers.items()}
        self.report_min_chars = int(data.get("report_min_chars") or 6)
        self.announce_words = tuple(sorted(
            (normalize(w) for w in str_list(source, "announce_words",
                                            data.get("announce_words"))),
            key=len, reverse=True))
        self.announce_fillers = tuple(sorted(
            (normalize(w) for w in str_list(source, "announce_fillers",
                                            data.get("announce_fillers"))),
            key=len, reverse=True))
        self.where_words = tuple(sorted(
            (normalize(w) for w in str_list(source, "where_words", data.get("where_words"))),
            key=len, reverse=True))
        self.report_keywords = tuple(
            normalize(w) for w in str_list(source, "report_keywords", data.get("report_keywords"))
        )
        # report words that name a subject of policy, not a fault somewhere (户口, 社保)
        self.topic_keywords = frozenset(
            normalize(w) for w in str_list(source, "topic_keywords", data.get("topic_keywords"))
        )

    @classmethod
    def load(cls, places: Places | None = None, path: Path = INTENTS_FILE,
             faq: Faq | None = None, data: dict[str, Any] | None = None) -> Nlu:
        """From knowledge/intents.yaml (`data`: its contents, when already read)."""
        data = data if data is not None else read_mapping(path)
        return cls(data, faq or Faq.load(), EntityExtractor(data.get("entities") or {}, places,
                                                            path), path)

    # -- parsing -------------------------------------------------------------------------
    def parse(self, text: str) -> dict[str, Any]:
        norm = normalize(text)
        entities = self.entities.extract(text) if norm else []
        kinds = {e["entity"] for e in entities}
        name, confidence = self._intent(norm, kinds)
        report_like = self._report_like(norm, kinds)
        if name == FALLBACK and report_like:
            name, confidence = REPORT, 0.6
        if name == ABUSE and self._tells_a_problem(norm, kinds):
            # "你们吃干饭的，楼下下水道堵了一个月了": the problem is what matters
            name, confidence = REPORT, 0.6
        if name in _MAY_ANNOUNCE and self.announces_only(text, entities):
            # "我要反映个事情": a report is coming, as "我要反映" says; not the report itself
            name, confidence, report_like = NEW_REPORT, 0.8, False
        correction = self._correction_target(norm, kinds) if name == CORRECT else None
        if name == FAQ:
            entry = self.faq.match(text)
            if entry is not None:
                entities.append({"entity": "faq", "value": entry.id, "extractor": "minyi"})
        return {
            "text": text,
            "intent": {"name": name, "confidence": confidence},
            "entities": entities,
            "intent_ranking": [{"name": name, "confidence": confidence}],
            "report_like": report_like,
            "question_like": bool(_QUESTION.search(norm)),
            "correction": correction,
        }

    def _intent(self, norm: str, kinds: set[str]) -> tuple[str, float]:
        if not norm:
            return FALLBACK, 1.0
        for candidate in self._bare_forms(norm):
            if not candidate and not _QUESTION.search(norm):
                continue  # "🌹" is not "?" (both are nothing without emoji and punctuation)
            for rule in self.rules:
                if candidate in rule.exact:
                    return rule.name, 1.0
        for rule in self.rules:
            if any(p.search(norm) for p in rule.patterns):
                return rule.name, 0.9
        if kinds & {"slip_number", "slip_number_partial"}:
            return "query_status", 0.95
        if self._has_marker(norm) and self._correction_target(norm, kinds):
            return CORRECT, 0.9
        short = len(norm) <= self.short_message
        # "延期是啥子意思嘛，为啥要延期": dialect question words count, not only 什么/吗/？
        question = _QUESTION.search(norm) is not None or any(
            w in norm for w in self.question_words)
        for rule in self.rules:
            if rule.name == FAQ:
                if (short or question) and self._faq_candidate(norm, kinds):
                    return FAQ, 0.8
                continue
            if rule.not_with & kinds:
                continue
            if any(w in norm for w in rule.contains):
                return rule.name, 0.8
            if short and any(w in norm for w in rule.keywords):
                return rule.name, 0.7
        return FALLBACK, 0.0

    def _faq_candidate(self, norm: str, kinds: set[str]) -> bool:
        """A question about the desk, not a problem with a question mark."""
        return (
            len(norm) <= 30
            and not kinds & {"phone", "slip_number", "place"}
            and not any(w in norm for w in self.report_keywords)
            and self.faq.match(norm) is not None
        )

    def _bare_forms(self, norm: str) -> list[str]:
        form = bare(norm)
        forms = [form]
        repeated = _REPEATED.fullmatch(form)
        if repeated:
            forms.append(repeated.group(1))
        while form and form[-1] in self.fillers and len(form) > 1:
            form = form[:-1]
            forms.append(form)
        return forms

    def _report_like(self, norm: str, kinds: set[str]) -> bool:
        if any(w in norm for w in self.report_keywords):
            return True
        # "幺五八二三四五六七八九零" is a number read out, not words about a problem
        words = spoken_digits(without_emoji_codes(norm))
        return cjk_count(words) >= self.report_min_chars or bool(kinds & {"place", "employer"})

    def _tells_a_problem(self, norm: str, kinds: set[str]) -> bool:
        if kinds & {"place", "phone"}:
            return True
        for word in _NO_PROBLEM_IN_ITSELF:
            norm = norm.replace(word, "")
        return any(w in norm for w in self.report_keywords)

    def _has_marker(self, norm: str) -> bool:
        return any(w in norm for w in self.correction_markers)

    def _correction_target(self, norm: str, kinds: set[str]) -> str | None:
        """The slot a correction is about: the word naming it right before the marker
        ("问题改成…", "地址不对，…"), else its entity, else a word naming it anywhere."""
        for marker in self.correction_markers:
            at = norm.find(marker)
            if at < 0:
                continue
            before = norm[max(0, at - 5):at]
            for slot, words in self.correction_targets.items():
                if any(w in before[-(len(w) + 2):] for w in words):
                    return slot
        for kind, slot in (("phone", "contact_phone"), ("place", "location"),
                           ("employer", "employer"), ("time", "occurred")):
            if kind in kinds:
                return slot
        for slot, words in self.correction_targets.items():
            if any(w in norm for w in words):
                return slot
        return None

    def corrects_description(self, text: str, parse: dict[str, Any], current: str = "") -> bool:
        """ "说错了，不是路灯，是红绿灯坏了": a correction that names no slot and no place or
        phone, but a problem: it is about the description. Without a marker, "不是路灯 是井盖
        丢了" is one too when the `current` description names what it says is wrong."""
        norm = normalize(text)
        kinds = {e.get("entity") for e in parse.get("entities") or []}
        if kinds & {"phone", "place", "employer"} or not self.has_problem_word(text):
            return False
        if self._has_marker(norm):
            return True
        swap = _NOT_THIS_BUT.match(text.strip())
        if swap is None or not current:
            return False
        wrong = (_ABOUT.sub("", swap.group("old").strip(" ，,。.")) or swap.group("old")).strip()
        return cjk_count(wrong) >= 2 and wrong in current  # a word of it, not a lone "我"

    def revise_description(self, old: str, text: str) -> str:
        """The description after a correction of it: "是红绿灯不是路灯" swaps the word in the
        old one ("建新北路12号门口路灯坏了" → "…红绿灯坏了"); otherwise what follows the
        marker replaces it ("问题改成垃圾站的垃圾没人清运了" → "垃圾站的垃圾没人清运了")."""
        rest = self._after_marker(text)
        swap = _NOT_THIS_BUT.match(rest) or _THIS_NOT.match(rest)
        if swap is None:
            return rest.removeprefix("是").strip() or old
        wrong = _ABOUT.sub("", swap.group("old").strip(" ，,。.")) or swap.group("old")
        right = swap.group("new").strip(" ，,。.！!")
        if old and wrong and wrong in old:
            tail = old[old.index(wrong) + len(wrong):]
            # "不是路灯，是红绿灯坏了" on "…路灯坏了": the 坏了 is there already
            for k in range(len(right) - 1, 0, -1):
                if tail.startswith(right[-k:]):
                    return old.replace(wrong, right[:-k], 1)
            if not _PREDICATE.search(right):  # a thing, not what is wrong with it
                return old.replace(wrong, _ABOUT.sub("", right) or right, 1)
        return right or old

    def _after_marker(self, text: str) -> str:
        """ "问题写错了，是下水道堵了" → "是下水道堵了"; "描述改一下：…" → "…"."""
        best = -1
        for marker in self.correction_markers:
            at = text.rfind(marker)
            if at >= 0:
                best = max(best, at + len(marker))
        rest = text[best:] if best >= 0 else text
        rest = re.sub(r"^[了啦哈一下子]*", "", rest)
        return rest.lstrip("，,。.：:；; ").strip()

    def without_addition_marker(self, text: str) -> str:
        """ "补充一下，晚上很危险" → "晚上很危险"."""
        stripped = text.lstrip()
        for marker in self.addition_markers:
            if normalize(stripped[: len(marker) + 2]).startswith(marker):
                rest = stripped[len(marker):].lstrip("，,：:。.；;、 ")
                return rest if len(rest) >= 2 else text
        return text

    # -- small questions the form asks -----------------------------------------------------
    def declines_phone(self, text: str) -> bool:
        norm = normalize(text)
        return any(w in norm for w in self.phone_declines)

    def phone_is_in_wechat(self, text: str) -> bool:
        """"电话就是这个微信的": the number is taken to be the one WeChat knows (we cannot
        see it)."""
        norm = normalize(text)
        return any(w in norm for w in self.phone_in_wechat)

    def is_unknown(self, text: str) -> bool:
        norm = normalize(text)
        return len(norm) <= 10 and any(w in norm for w in self.unknowns) and (
            not self.names_place(text)  # "建新北路不知道几号" still names a place
        )

    def without_unknown_clauses(self, text: str) -> str:
        """``text`` without its clauses that only say the resident does not know ("不知道公司
        名字，就是鱼嘴那个工地" → "就是鱼嘴那个工地")."""
        clauses = [c for c in re.split(r"[，,。.；;！!？?、\s]+", text.strip()) if c]
        kept = [c for c in clauses if not any(w in normalize(c) for w in self.unknowns)]
        return "，".join(kept)

    def refuses_place(self, text: str) -> bool:
        """An answer to the place question that gives none: "不留", "没有", "不想说"."""
        norm = normalize(text)
        if any(form in self.place_refusals for form in self._bare_forms(norm)):
            return True
        return len(norm) <= 8 and not self.names_place(text) and any(
            w in norm for w in self.place_refusals if len(w) >= 2
        )

    def evades_place(self, text: str) -> bool:
        """An answer to the place question that names none and puts the question off:
        "你们自己去看嘛", "就是那里", "问那么多干啥"."""
        norm = normalize(text)
        return len(norm) <= _EVASION_CHARS and any(w in norm for w in self.place_evasions) and (
            not self.names_place(text)
        )

    def says_same_place(self, text: str) -> bool:
        """ "一样", "同一个地方": the place offered (ask.location_same) is this one's too."""
        return any(form in self.same_place_words for form in self._bare_forms(normalize(text)))

    def is_vague_place(self, text: str) -> bool:
        """An answer to the place question that says where only to the resident: "就在我们小区",
        "我家楼下", "在门口" (intents.yaml vague_places)."""
        said = normalize(text).rstrip("。.！!~～ 嘛呀啊哦吧呢哈噻")
        core = _VAGUE_TAIL.sub("", _VAGUE_LEAD.sub("", said))
        return core in self.vague_places or (not core and len(said) <= 4)

    def urges(self, text: str) -> bool:
        """Asks for the open slip to be done sooner: "能不能快点", "麻烦催一下" (urge_words)."""
        norm = normalize(text)
        return any(w in norm for w in self.urge_words)

    def chases_only(self, text: str, entities: list[dict[str, Any]] | None = None) -> bool:
        """ "有没有人管啊 我反映了好多次了 一直没人处理": a chase with nothing of the problem in
        it (no problem word, place or slip number; chase_words)."""
        norm = normalize(text)
        if not any(w in norm for w in self.chase_words) or len(norm) > _CHASE_CHARS:
            return False
        if self.has_problem_word(text):
            return False
        if entities is None:
            entities = self.entities.extract(text)
        return not any(e.get("entity") in ("place", "slip_number", "employer") for e in entities)

    def is_area_wide(self, text: str) -> bool:
        """The problem covers an area, not a spot: "停水", "整个", "到处" (area_wide_words)."""
        norm = normalize(text)
        return any(w in norm for w in self.area_wide_words)

    def place_detail(self, text: str, names: list[str]) -> str:
        """What ``text`` says of a place besides ``names`` (the street's, as matched) and
        words that add nothing ("我住观音桥街道那边" → "")."""
        rest = normalize(text)
        for name in sorted((normalize(n) for n in names), key=len, reverse=True):
            rest = rest.replace(name, " ")
        for word in self.place_fillers:
            rest = rest.replace(word, " ")
        return " ".join(rest.split())

    def unsure_of_place(self, text: str) -> bool:
        """The resident does not, or will not, say where: "不晓得", "不留", "就是那里"."""
        return self.is_unknown(text) or self.refuses_place(text) or self.evades_place(text)

    def without_polite_words(self, text: str) -> str:
        """The place in an answer without the thanks around it: "建新北路12号，谢谢" →
        "建新北路12号", "麻烦了，鲤鱼池小区3栋" → "鲤鱼池小区3栋". Unchanged when nothing else
        is left."""
        kept = text
        for clause in _CLAUSES.split(text):
            if clause.strip() and any(
                form in self.polite_words for form in self._bare_forms(normalize(clause))
            ):
                kept = kept.replace(clause, "", 1)
        kept = re.sub(r"[，,、；;。.！!\s]{2,}", "，", kept).strip(" ，,、；;。.！!~～")
        # said without a comma: "建新北路12号谢谢你们"
        changed = True
        while changed:
            changed = False
            bare_tail = kept.rstrip("".join(self.fillers) + "！!~～。.")
            for word in self.polite_words:
                if bare_tail.endswith(word) and cjk_count(bare_tail[: -len(word)]) >= 2:
                    kept = bare_tail[: -len(word)].rstrip(" ，,、；;。.！!")
                    changed = True
                    break
        return kept or text

    def names_place(self, text: str) -> bool:
        """The text names somewhere: a road, an estate, a known place, or "楼下"/"旁边"."""
        if any(e["entity"] == "place" for e in self.entities.extract(text)):
            return True
        return self.entities.has_relative_place_word(text)

    def _contact_clauses(self, text: str) -> tuple[list[str], list[str]]:
        """The clauses of ``text`` (between punctuation or spaces): those about the resident
        (phone, contact, name) that name no place, and the others."""
        about_them: list[str] = []
        rest: list[str] = []
        for clause in _CLAUSES.split(text):
            if not clause.strip():
                continue
            norm = normalize(clause)
            if any(w in norm for w in self.contact_words) and not self.names_place(clause):
                about_them.append(clause)
            else:
                rest.append(clause)
        return about_them, rest

    def without_contact_clauses(self, text: str) -> str:
        """The place in an answer without what it says about the resident: "建新北路12号，不留
        电话" → "建新北路12号", "老菜场背后 我姓王" → "老菜场背后". Unchanged when nothing else
        is left."""
        about_them, rest = self._contact_clauses(text)
        return _without_clauses(text, about_them) if rest else text

    def declines_phone_aside(self, text: str) -> bool:
        """A clause of ``text`` turns down giving a phone in so many words ("…，不留电话",
        "电话就不留了"), besides something else: the phone need not be asked for."""
        about_them, rest = self._contact_clauses(text)
        return bool(rest) and any(
            self.declines_phone(c) and any(w in normalize(c) for w in ("电话", "手机", "号码"))
            for c in about_them)

    def refuses_phone_aside(self, text: str) -> bool:
        """A report says, in a clause of its own, that the resident will not leave a phone
        ("路灯坏了一个星期了，我不留电话", "…，匿名反映"): outright refusals only, so that "我不知道
        物业的电话" in a report is not read as one."""
        if not any(w in normalize(text) for w in self.phone_refusals):
            return False  # most reports (checked first: the clauses need entity extraction)
        about_them, rest = self._contact_clauses(text)
        return bool(rest) and any(
            any(w in normalize(c) for w in self.phone_refusals) for c in about_them)

    def without_phone_refusal(self, text: str) -> str:
        """A report without the clause that turns down a phone ("路灯坏了一个星期了，我不留电话"
        → "路灯坏了一个星期了"): the refusal is recorded as no phone, not as part of the problem
        staff read. A wish to stay anonymous ("匿名反映") names no phone and stays: staff must
        see it. Unchanged when nothing else is left."""
        if not any(w in normalize(text) for w in self.phone_refusals):
            return text
        about_them, rest = self._contact_clauses(text)
        refusals = [c for c in about_them
                    if any(w in normalize(c) for w in self.phone_refusals)
                    and any(w in normalize(c) for w in ("电话", "手机", "号码"))]
        return _without_clauses(text, refusals) if rest else text

    def says_both(self, text: str) -> bool:
        """ "两处都有": both of the places just named."""
        norm = normalize(text)
        return any(w in norm for w in self.place_both_words)

    def acknowledges(self, text: str) -> bool:
        """ "好的", "知道了": the resident agrees or heard what was said, and answers nothing."""
        forms = self._bare_forms(normalize(text))
        return any(f in self.acknowledgements for f in forms) or any(
            f in rule.exact for rule in self.rules if rule.name == "confirm" for f in forms)

    def is_question(self, text: str) -> bool:
        norm = normalize(text)
        return bool(_QUESTION.search(norm)) or any(w in norm for w in self.question_words)

    def asks_meaning(self, text: str) -> bool:
        """ "撤回是什么意思", "签收是啥子": a question about a word of the desk's own, answered
        from faq.yaml before anything else is made of the word."""
        return self.faq.explaining(text) is not None

    def has_problem_word(self, text: str) -> bool:
        norm = normalize(text)
        return any(w in norm for w in self.report_keywords)

    def is_plain_question(self, text: str) -> bool:
        """A question with no problem in it ("办身份证要带啥子", "公积金怎么提取", "请问户口迁
        移要带什么材料": a subject of policy is no problem at a place): a consultation, which
        needs no place."""
        if not self.is_question(text):
            return False
        norm = normalize(text)
        return not any(w in norm for w in self.report_keywords if w not in self.topic_keywords)

    def solved(self, text: str) -> bool | None:
        """True/False when a survey answer says whether the problem was solved."""
        norm = normalize(text)
        if any(w in norm for w in self.unsolved_words):
            return False
        if any(w in norm for w in self.solved_words):
            return True
        return None

    def says_not_needed(self, text: str) -> bool:
        """"已解决，不用办了", "撤回": the resident no longer needs a slip handled."""
        norm = normalize(text)
        return any(w in norm for w in self.not_needed_words) or self.says_solved_already(text)

    def calls_off(self, text: str) -> bool:
        """ "算了 不要你们管了", "取消", "我不反映了": the resident may want their open slip
        withdrawn (the chat asks to confirm)."""
        forms = self._bare_forms(normalize(text))
        return self.says_not_needed(text) or any(f in self.withdraw_exact for f in forms)

    @staticmethod
    def yes_and_more(text: str) -> str | None:
        """ "是的 已经有人盖上了" → "已经有人盖上了": a yes that goes on to say more; None when
        the message is not one ("是不是…", "对不起…", a bare "是")."""
        found = _YES_LEAD.match(text)
        rest = found.group("rest").strip() if found else ""
        return rest or None

    def says_yes(self, text: str, parse: dict[str, Any]) -> bool:
        """A yes to the question just asked: "是" (the confirm intent), or a yes that goes on
        ("是的 已经有人盖上了")."""
        return parse["intent"]["name"] == "confirm" or self.yes_and_more(text) is not None

    def confirms_politely(self, text: str, parse: dict[str, Any]) -> bool:
        """ "对的 就是这样 麻烦你们了", "确认，谢谢": a yes to the summary with only courtesy
        after it (no problem word, place, phone or time: those are more to the report)."""
        rest = self.yes_and_more(text)
        if rest is None or parse.get("entities"):
            return False
        return not self.has_problem_word(rest) and cjk_count(rest) <= _COURTESY_CHARS

    def says_withdraw(self, text: str) -> bool:
        """"撤回 JB…": the resident withdraws the slip named with it."""
        norm = normalize(text)
        return any(w in norm for w in self.withdraw_words)

    def says_solved_already(self, text: str) -> bool:
        """"路灯已经修好了，不用办了": solved, and nothing asked for."""
        norm = normalize(text)
        return self.solved(text) is True and any(w in norm for w in ("不用", "不需要", "不必"))

    def survey_verdict(self, text: str) -> tuple[str | None, bool]:
        """A survey answer read from everyday words: (满意 | 基本满意 | 不满意 | None, whether
        the resident said it outright — a menu number or a satisfaction word — rather than
        only that the problem is still there). The negative forms are tried first, so the
        满意 in 不满意 / 不太满意 / 不咋个满意 is never read as satisfied."""
        norm = normalize(text)
        digit = _SURVEY_DIGIT.match(norm)
        numeral = digit.group(1) if digit else bare(norm)
        if numeral in _SURVEY_NUMERALS:
            return _SURVEY_NUMERALS[numeral], True
        for verdict, words in self.survey_words:
            if any(w in norm for w in words):
                if verdict != "不满意" and self.solved(text) is False:
                    # "一般般吧，打扫了两天又脏了": not solved, whatever word came first
                    return "不满意", True
                return verdict, True
        if self.solved(text) is False:
            return "不满意", False
        return None, False

    def rates(self, text: str) -> bool:
        """The message rates the handling in so many words: a menu number ("1", "3 又脏了")
        or a satisfaction word (满意, 不满意, 基本满意…), not thanks or praise alone."""
        norm = normalize(text)
        return bool(_SURVEY_DIGIT.match(norm)) or bare(norm) in _SURVEY_NUMERALS or (
            any(w in norm for w in self.rating_words))

    def rerates(self, text: str) -> bool:
        """A verdict that changes one given lately: said as a rating ("3", "其实挺满意的") or
        with a word that changes it ("改成基本满意", "还是给个差评"); "谢谢你们哈" is thanks."""
        norm = normalize(text)
        return self.rates(text) or any(w in norm for w in self.rerate_markers)

    def bare_rating(self, text: str) -> bool:
        """Only a menu number ("1", "3。", "二") with nothing said besides: days after a
        rating it may answer something else, or be typed by mistake."""
        return bare(normalize(text)) in _SURVEY_NUMERALS

    def keeps_rating(self, text: str, intent: str | None = None) -> bool:
        """ "不改", "打错了", or a plain "不是" (`intent` deny, no verdict in it): the answer to
        "如果现在不满意，请说说…" that the rating given before stands."""
        norm = normalize(text)
        if any(w in norm for w in self.keep_rating_markers):
            return True
        return intent == "deny" and self.survey_verdict(text)[0] is None

    def without_phones(self, text: str, parse: dict[str, Any]) -> str:
        """The text with its phone numbers (and a "电话：" before them) taken out: the
        number has its own field and should not sit in a description staff may publish."""
        for entity in parse.get("entities") or []:
            if entity.get("entity") != "phone":
                continue
            digits = re.sub(r"\D", "", str(entity["value"]))
            number = r"[\s\-()（）转]*".join(_DIGIT_FORMS[d] for d in digits)
            text = re.sub(_PHONE_LEAD + number + r"[，,。.；;\s]*", "，", text)
        return re.sub(r"[，,]{2,}", "，", text).strip(" ，,；;。")

    def without_lead_marker(self, text: str, *, keep_request: bool = False) -> str:
        """ "另外，公厕没人打扫" → "公厕没人打扫", "等一哈，还有个事，我们小区停水两天了" →
        "我们小区停水两天了" (the marker is about the chat, not the problem).
        `keep_request`: a marker that says what kind of request it is stays ("我要举报，…",
        the description of a slip); only an aside before it goes."""
        stripped = text.lstrip()
        for marker in sorted(self.new_report_markers, key=len, reverse=True):
            at = stripped.find(marker)
            # at the start, or after a short aside ("等一哈，", "对了，")
            if at < 0 or at > _ASIDE or (at and stripped[at - 1] not in "，,。.！!、 "):
                continue
            rest = _AFTER_MARKER.sub("", stripped[at + len(marker):]).lstrip("，,：:。.；;、 ")
            if len(rest) < 2:
                return text
            if keep_request and marker in self.request_markers:
                return stripped[at:]
            return rest
        return text

    @staticmethod
    def without_greeting(text: str) -> str:
        """ "你好 我妈八十多了一个人住…" → "我妈八十多了一个人住…": the greeting is for the chat,
        not part of the problem staff read; so are the words that only lead into it ("喂 我跟
        你说 …", "我是石马河那边的住户 …"). Unchanged when little else is left."""
        rest = _INTRO_LEAD.sub("", _GREETING_LEAD.sub("", text, count=1), count=1)
        if len(normalize(rest)) < 4:
            rest = _GREETING_LEAD.sub("", text, count=1)
        return rest if len(normalize(rest)) >= 2 and rest != text else text

    def without_where_from(self, text: str) -> str:
        """ "我是五里店的 我们那里的公共厕所好脏" → "我们那里的公共厕所好脏": only when what
        follows 我是 names a place ("我是开出租车的 …" stays: it says who is complaining)."""
        found = _FROM_LEAD.match(text)
        if found is None or not self.names_place(found.group(1)):
            return text
        rest = text[found.end():]
        return rest if len(normalize(rest)) >= 4 else text

    def says_only_where(self, text: str) -> bool:
        """"鲤鱼池小区3栋", "我们那个楼": where, and nothing about what is wrong there (no
        problem word, no question, nothing left once the places and `where_words` are out)."""
        if self.has_problem_word(text) or self.is_question(text):
            return False
        places = sorted((e for e in self.entities.extract(text) if e.get("entity") == "place"),
                        key=lambda e: -int(e.get("start") or 0))
        for place in places:
            text = text[: int(place["start"])] + " " + text[int(place["end"]):]
        said = normalize(text)
        for word in self.where_words:
            said = said.replace(word, "")
        return cjk_count(said) == 0 and not re.search(r"[a-z]", said)

    def request_marker_of(self, text: str) -> str | None:
        """The words of a message that only says what kind of request follows ("我要举报",
        "举报！", "我想投诉"), to start its description; None for one that does not say
        ("我要反映")."""
        form = self._bare_forms(normalize(text))[-1]
        for marker in sorted(self.request_markers, key=len, reverse=True):
            verb = marker.removeprefix("我要")
            if marker in form:
                return marker
            if verb and verb in form:
                return form if form.startswith("我") else marker
        return None

    def announces_only(self, text: str, entities: list[dict[str, Any]] | None = None) -> bool:
        """ "我要反映个事情", "有个事情要反映", "喂 你好 我想问个事": the message says a complaint
        is coming and nothing about it (no problem word, no place, no other words once the
        words that announce, the fillers and the clauses about the resident — "莫得电话 我用的
        老年机" — are taken out). Its description is still to be asked for."""
        norm = normalize(text)
        if not any(w in norm for w in self.announce_words):
            return False  # most messages: no word that announces (checked first, it is cheap)
        if entities is None:
            entities = self.entities.extract(text)
        if any(e.get("entity") in ("place", "slip_number", "employer") for e in entities):
            return False
        about_them, rest = self._contact_clauses(self.without_phones(text, {"entities": entities}))
        said = normalize("".join(rest))
        if not said or len(said) > _ANNOUNCE_CHARS or self.has_problem_word(said):
            return False
        if not any(w in said for w in self.announce_words):
            return False
        for word in (*self.announce_words, *self.announce_fillers):
            said = said.replace(word, "")
        return cjk_count(said) == 0 and not re.search(r"[0-9a-z]", said)

    def revise_place(self, old: str, text: str, entities: list[dict[str, Any]]
                     ) -> PlaceRevision | None:
        """A message that is only about a part of the draft's place ``old``, or None: a
        correction of an address part ("不对不对 是9栋不是8栋" on "鲤鱼池小区8栋门口" →
        "鲤鱼池小区9栋门口"; "9栋" alone too), or a detail that extends it ("3号附近 农业银行
        门口" on "建新东路" → "建新东路3号附近 农业银行门口"). A message naming a place of its
        own ("鲤鱼池小区3栋") is not one: it replaces the place as before."""
        norm = normalize(text)
        if not old.strip() or not norm or len(norm) > _DETAIL_CHARS:
            return None
        if self.has_problem_word(text) or self.is_question(text) or self.unsure_of_place(text):
            return None
        for entity in entities:
            if entity.get("entity") == "place" and cjk_count(
                    self.entities.without_units(normalize(str(entity.get("value") or "")))) >= 2:
                return None
        units = self.entities.units(norm)
        wrong = [u for u in units
                 if norm[:u.start()].endswith(_WRONG_BEFORE) or norm[u.end():].startswith(
                     _WRONG_AFTER)]
        right = [u.group(0) for u in units if u not in wrong]
        if wrong or self._has_marker(norm):
            rest = norm
            for word in (*(u.group(0) for u in units), *self.correction_markers,
                         *_CORRECTION_WORDS, *self.fillers):
                rest = rest.replace(word, "")
            if cjk_count(rest):
                return None  # a correction of something else ("问题不对，…")
            if len(right) > 1 and not wrong:
                return self._place_parts(old, right)  # "地址错了，是4栋2单元"
            if len(right) != 1:
                return None
            return self._place_part(old, right[0], wrong[0].group(0) if wrong else None)
        if not units and not (self.entities.has_relative_place_word(text)
                              and cjk_count(norm) >= 3):
            return None
        if units and not cjk_count(
                _DETAIL_LEAD.sub("", self.entities.without_units(norm).replace("的", ""))):
            # "9栋" alone, after "…8栋…": that part said again, differently
            kinds = {_unit_kind(u.group(0)) for u in self.entities.units(normalize(old))}
            if len(right) == 1 and _unit_kind(right[0]) in kinds:
                return self._place_part(old, right[0], None)
            if len(right) > 1 and any(_unit_kind(r) in kinds for r in right):
                # "(是)4栋2单元" after "…3栋2单元", "12号3单元" after "…12号"
                return self._place_parts(old, right)
        about_them, rest_clauses = self._contact_clauses(text)
        if not rest_clauses:
            return None
        detail = _DETAIL_LEAD.sub("", self.without_polite_words(
            self.without_contact_clauses(text)).strip(" ，,。.；;、")).strip()
        if not detail or normalize(detail) in normalize(old):
            return None
        return PlaceRevision(f"{old}{detail}")

    def _place_parts(self, old: str, rights: list[str]) -> PlaceRevision | None:
        """``old`` with each part of the kind of one of ``rights`` made that one ("鲤鱼池小区3
        栋2单元" + "4栋", "2单元" → "鲤鱼池小区4栋2单元"); None when a part is not clear."""
        text = old
        for right in rights:
            if right in normalize(text):
                continue  # said again as it was ("2单元")
            revision = self._place_part(text, right, None)
            if revision is None:
                return None
            text = revision.text
        return PlaceRevision(text, None, None)

    def _place_part(self, old: str, right: str, wrong: str | None) -> PlaceRevision | None:
        """``old`` with its part of the kind of ``right`` (栋, 单元, 号…) made ``right``."""
        kind = _unit_kind(right)
        if wrong is None:
            same = [u.group(0) for u in self.entities.units(normalize(old))
                    if _unit_kind(u.group(0)) == kind]
            wrong = same[0] if len(same) == 1 else None
        if wrong and wrong in old:
            return PlaceRevision(old.replace(wrong, right, 1), wrong, right)
        if wrong and wrong in normalize(old):
            return PlaceRevision(normalize(old).replace(wrong, right, 1), wrong, right)
        if any(_unit_kind(u.group(0)) == kind for u in self.entities.units(normalize(old))):
            return None  # which of its parts is meant is not clear
        return PlaceRevision(f"{old}{right}", wrong, right)

    def second_problem(self, text: str) -> str | None:
        """ "还有个事，我们小区停水两天了" while another report is being taken: the other
        problem's text, or None when the message is not one."""
        rest = self.without_lead_marker(text)
        if rest == text or not (self.has_problem_word(rest)
                                or cjk_count(rest) >= self.report_min_chars):
            return None
        return rest

    def split_problems(self, text: str) -> tuple[str, str] | None:
        """A report that tells a second problem after the first, in so many words ("建新北路12
        号停水三天了，还有一个问题，门口路灯坏了一个月"): the first problem's text and the
        second's (from its marker), or None. Both must be a problem of their own."""
        for marker in self.second_problem_markers:
            at = text.find(marker)
            if at <= 0 or text[at - 1] not in "，,。.！!；;、 \n":
                continue
            first = text[:at].rstrip("，,。.！!；;、 \n")
            rest = _AFTER_MARKER.sub("", text[at + len(marker):]).lstrip("，,：:。.；;、 ")
            if all(self.has_problem_word(part) or cjk_count(part) >= self.report_min_chars
                   for part in (first, rest)):
                return first, text[at:]
        return None

    def has_new_report_marker(self, text: str) -> bool:
        norm = normalize(text)
        return any(w in norm for w in self.new_report_markers)

    def intent_examples(self) -> dict[str, tuple[str, ...]]:
        return {rule.name: rule.examples for rule in self.rules if rule.examples}


def _unit_kind(unit: str) -> str:
    """ "8栋" → "栋", "三单元" → "单元"."""
    return _UNIT_NUMBER.sub("", unit)
