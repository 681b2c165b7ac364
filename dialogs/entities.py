"""Entities in a resident's message: slip numbers, phones, times, places, employers.

Every pattern and word list comes from knowledge/intents.yaml (`entities`). Entities are
Rasa-shaped dicts ({"entity", "value", "start", "end", "extractor"}) with offsets into the
normalised text. Found spans are masked before the next kind is searched, so a phone number is
never read as a time or a house number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dialogs.files import INTENTS_FILE, DialogDataError, read_mapping, regex, str_list
from dialogs.ports import PlaceLike, Places
from dialogs.text import normalize

EXTRACTOR = "minyi"
MASK = "#"


def _entity(kind: str, value: Any, start: int, end: int, **extra: Any) -> dict[str, Any]:
    return {"entity": kind, "value": value, "start": start, "end": end, "extractor": EXTRACTOR,
            **extra}


# Digits as a voice transcription spells them out ("幺三八…"): a run this long is a number.
SPOKEN_DIGITS = {"零": "0", "〇": "0", "洞": "0", "幺": "1", "一": "1", "二": "2", "两": "2",
                 "三": "3", "四": "4", "五": "5", "六": "6", "七": "7", "八": "8", "九": "9"}
_SPOKEN_RUN = re.compile(f"[{''.join(SPOKEN_DIGITS)}0-9]{{7,}}")
# a count of time ("一个月", "两年"), which a rate word after it makes a price or rate
_DURATION = re.compile(
    r"^(?:[0-9]+|[一二两三四五六七八九十几半]+|十几|二十几|好几)多?个?"
    r"(?:天|日|周|星期|礼拜|月|年|小时|钟头)$")


def spoken_digits(norm: str) -> str:
    """ "我电话是幺三八幺二三四五六七八" → "我电话是13812345678" (same length: offsets hold)."""
    return _SPOKEN_RUN.sub(
        lambda m: "".join(SPOKEN_DIGITS.get(c, c) for c in m.group(0)), norm)


_LIST_MARKS = "，,、；;。. "


def _within(area: Any, place: Any) -> bool:
    """``area`` is a street (or town) and ``place`` lies in it."""
    if area is None or place is None or not getattr(area, "inside", False):
        return False
    data, inner = area.to_dict(), place.to_dict()
    return bool(data.get("street_code")) and not data.get("community_code") and (
        inner.get("street_code") == data["street_code"]) and getattr(area, "kind", "street") in (
        "street", "code")


def _narrower(first: Any, second: Any) -> Any:
    return second if second is not None else first


def _mask(text: str, start: int, end: int) -> str:
    return text[:start] + MASK * (end - start) + text[end:]


@dataclass(frozen=True)
class PlaceRules:
    road_suffixes: tuple[str, ...]
    estate_suffixes: tuple[str, ...]
    not_after_road: tuple[str, ...]
    not_after_estate: tuple[str, ...]
    generic_names: frozenset[str]
    unit: re.Pattern[str]
    relative_words: tuple[str, ...]
    name_breaks: tuple[str, ...]
    stop_chars: frozenset[str]
    name_max: int
    name_min: int
    list_words: tuple[str, ...] = ()
    between_words: tuple[str, ...] = ()
    landmark_suffixes: tuple[str, ...] = ()
    landmark_max: int = 8


class EntityExtractor:
    def __init__(self, config: dict[str, Any], places: Places | None = None,
                 source: Path = INTENTS_FILE) -> None:
        def section(name: str) -> dict[str, Any]:
            value = config.get(name)
            if not isinstance(value, dict):
                raise DialogDataError(source, f"entities.{name}", "missing section")
            return value

        slip, phone, time, place, employer = (
            section(n) for n in ("slip_number", "phone", "time", "place", "employer")
        )
        self._places = places
        self._slip = regex(source, "entities.slip_number.pattern", slip.get("pattern"))
        self._slip_prefix = str(slip.get("prefix") or "JB")
        self._slip_partial = (regex(source, "entities.slip_number.partial", slip["partial"])
                              if slip.get("partial") else None)
        self._mobile = regex(source, "entities.phone.mobile", phone.get("mobile"))
        self._landline = regex(source, "entities.phone.landline", phone.get("landline"))
        self._local = regex(source, "entities.phone.local", phone.get("local"))
        self._local_alone = (regex(source, "entities.phone.local_alone", phone["local_alone"])
                             if phone.get("local_alone") else None)
        self._area_code = str(phone.get("default_area_code") or "")
        words = sorted(str_list(source, "entities.time.words", time.get("words")), key=len,
                       reverse=True)
        patterns = [regex(source, f"entities.time.patterns[{i}]", p)
                    for i, p in enumerate(time.get("patterns") or [])]
        self._time = re.compile("|".join([*(p.pattern for p in patterns),
                                          *(re.escape(w) for w in words)]))
        self._not_times = tuple(normalize(w) for w in str_list(
            source, "entities.time.not_times", time.get("not_times")))
        self._rate_after = tuple(normalize(w) for w in str_list(
            source, "entities.time.rate_after", time.get("rate_after")))

        def words_of(name: str) -> tuple[str, ...]:
            return tuple(sorted(str_list(source, f"entities.place.{name}", place.get(name)),
                                key=len, reverse=True))

        self._place = PlaceRules(
            road_suffixes=words_of("road_suffixes"),
            estate_suffixes=words_of("estate_suffixes"),
            not_after_road=words_of("not_after_road"),
            not_after_estate=words_of("not_after_estate"),
            generic_names=frozenset(words_of("generic_names")),
            unit=regex(source, "entities.place.unit_pattern", place.get("unit_pattern")),
            relative_words=words_of("relative_words"),
            name_breaks=words_of("name_breaks"),
            stop_chars=frozenset(str(place.get("stop_chars") or "")),
            name_max=int(place.get("name_max") or 6),
            name_min=int(place.get("name_min") or 2),
            list_words=words_of("list_words"),
            between_words=words_of("between_words"),
            landmark_suffixes=words_of("landmark_suffixes"),
            landmark_max=int(place.get("landmark_max") or 8),
        )
        self._employer_suffixes = tuple(sorted(
            str_list(source, "entities.employer.suffixes", employer.get("suffixes")),
            key=len, reverse=True))
        self._employer_max = int(employer.get("name_max") or 16)
        self._employer_min = int(employer.get("name_min") or 2)
        self._employer_stops = frozenset("在的是给了个我被欠跟和那这家去到从让把说找帮替为们你他她")

    @classmethod
    def load(cls, places: Places | None = None, path: Path = INTENTS_FILE) -> EntityExtractor:
        data = read_mapping(path)
        return cls(data.get("entities") or {}, places, path)

    # -- public --------------------------------------------------------------------------
    def extract(self, text: str) -> list[dict[str, Any]]:
        norm, work, found = self._masked(text)
        for finder in (self._place_entities, self._employers):
            found.extend(finder(work, norm))
        return sorted(found, key=lambda e: (e["start"], e["entity"]))

    def _masked(self, text: str) -> tuple[str, str, list[dict[str, Any]]]:
        """The normalised text, the same with slip numbers, phones and times masked, and those
        entities."""
        norm = spoken_digits(normalize(text))
        found: list[dict[str, Any]] = []
        work = norm
        for finder in (self._slip_numbers, self._phones, self._times):
            for entity in finder(work):
                found.append(entity)
                work = _mask(work, entity["start"], entity["end"])
        return norm, work, found

    def several_places(self, text: str) -> list[str]:
        """The places of an answer that names two or more separate ones ("观音桥还有寸滩",
        "建新北路和洋河路"), in order; [] for one place. One place may take several names:
        an area and an address in it ("观音桥建新北路12号", "观音桥，建新北路12号"), or the stretch
        or crossing between two ("建新北路和洋河路之间", "建新北路与洋河路交叉口")."""
        norm, work, _ = self._masked(text)
        if self._places is None:
            return []
        spans: list[tuple[int, int, Any]] = []
        for place in self._places.find_all(work.replace(MASK, "，"), elsewhere=True):
            name = normalize(place.text)
            at = work.find(name) if name else -1
            if at >= 0:
                spans.append((at, at + len(name), place))
        spans += [(s, e, None) for s, e, score, _ in self._generic_places(work) if score >= 2]
        spans.sort(key=lambda s: (s[0], -(s[1] - s[0])))
        groups: list[tuple[int, int, Any]] = []
        for start, end, place in spans:
            if groups and start < groups[-1][1]:  # inside (or across) the one before
                last = groups[-1]
                groups[-1] = (last[0], max(last[1], end), last[2] or place)
                continue
            if groups and self._same_place(work[groups[-1][1]:start], groups[-1][2], place):
                last = groups[-1]
                groups[-1] = (last[0], end, _narrower(last[2], place))
                continue
            groups.append((start, end, place))
        if len(groups) < 2:
            return []
        after_first = work[groups[0][1]:]
        if any(w in after_first for w in self._place.between_words):
            return []
        names = list(dict.fromkeys(norm[start:end] for start, end, _ in groups))
        # one place said twice ("观音桥的路灯坏了，观音桥这边好黑") is one place
        return names if len(names) >= 2 else []

    def _same_place(self, gap: str, before: Any, after: Any) -> bool:
        """Two names with ``gap`` between them name one place: nothing or 的 between them, a
        house number, a relative word ("北城天街旁边的…"), other words ("从…到…"), or a comma
        between a street and a place in it. Names joined by a list word (和, 还有…) are two."""
        if gap in ("", "的") or self._is_filler(gap) or self._is_relative_gap(gap):
            return True
        words = gap.strip(_LIST_MARKS)
        if any(w in words for w in self._place.list_words):
            return False
        if not words:  # only a comma: "观音桥，建新北路12号" is one place, "观音桥，寸滩" two
            return _within(before, after) or _within(after, before)
        return True

    def phone_of(self, text: str) -> str | None:
        """The first phone number in `text`, normalised (13812345678 / 023-67891234)."""
        found = self._phones(spoken_digits(normalize(text)))
        return found[0]["value"] if found else None

    def has_relative_place_word(self, text: str) -> bool:
        """Words like 楼下, 旁边, 门口 that say where, even with no named place."""
        norm = normalize(text)
        return any(w in norm for w in self._place.relative_words)

    def units(self, norm: str) -> list[re.Match[str]]:
        """The parts of an address in normalised text: "3号", "8栋", "2单元", "五楼"."""
        return list(self._place.unit.finditer(norm))

    def without_units(self, norm: str) -> str:
        """Normalised text without its address parts and relative words ("3号附近" → "")."""
        rest = self._place.unit.sub("", norm)
        for word in self._place.relative_words:
            rest = rest.replace(word, "")
        return rest

    # -- kinds ---------------------------------------------------------------------------
    def _slip_numbers(self, text: str) -> list[dict[str, Any]]:
        """Slip numbers: the pattern's groups are its date (with JB, or without) and its
        sequence; the number is the prefix and their digits."""
        found = [_entity("slip_number",
                         self._slip_prefix + "".join(g for g in m.groups() if g),
                         m.start(), m.end()) for m in self._slip.finditer(text)]
        if not found and self._slip_partial is not None:
            found = [_entity("slip_number_partial", m.group(0), m.start(), m.end())
                     for m in self._slip_partial.finditer(text)]
        return found

    def _phones(self, text: str) -> list[dict[str, Any]]:
        out = []
        for m in self._mobile.finditer(text):
            out.append(_entity("phone", re.sub(r"\D", "", m.group(1)), m.start(), m.end()))
            text = _mask(text, m.start(), m.end())
        for m in self._landline.finditer(text):
            area = m.group(1) or m.group(2)
            number = re.sub(r"\D", "", m.group(3))
            value = f"{area}-{number}" + (f"转{m.group(4)}" if m.group(4) else "")
            out.append(_entity("phone", value, m.start(), m.end()))
            text = _mask(text, m.start(), m.end())
        local: list[re.Match[str]] = list(self._local.finditer(text))
        if not out and not local and self._local_alone is not None:
            # a local number sent alone ("67891234"), with nothing it could be a count of
            alone = self._local_alone.match(text)
            local = [alone] if alone else []
        for m in local:
            number = re.sub(r"\D", "", m.group(1))
            value = f"{self._area_code}-{number}" if self._area_code else number
            out.append(_entity("phone", value, m.start(1), m.end(1)))
        return out

    def _times(self, text: str) -> list[dict[str, Any]]:
        # "三天两头坏": an idiom with a time word in it says no time
        idioms = [(m.start(), m.end()) for w in self._not_times if w in text
                  for m in re.finditer(re.escape(w), text)]
        out = []
        for m in self._time.finditer(text):
            if not m.group(0) or MASK in m.group(0):
                continue
            if any(s < m.end() and m.start() < e for s, e in idioms):
                continue
            if _DURATION.match(m.group(0)) and (
                text.startswith(self._rate_after, m.end()) or text[m.end():m.end() + 1].isdigit()
            ):
                continue  # "一个月收三百", "一个月300": a rate
            out.append(_entity("time", m.group(0), m.start(), m.end()))
        return out

    # -- places --------------------------------------------------------------------------
    def _place_entities(self, work: str, norm: str) -> list[dict[str, Any]]:
        spans: list[tuple[int, int, int, PlaceLike | None]] = []  # start, end, score, place
        # every name the gazetteer knows, whole ("五里店街道江北嘴社区" must not lose its 五里
        # to the walk back from 街道, which stops at 里, as in "在家里"); the best one scores
        # most and carries the area. One scan of the text for both.
        # Another district's place ("解放碑") is a place too, with no area of ours, when the
        # text names none of ours: the form tells the resident whose it is.
        named = (self._places.find_all(work.replace(MASK, "，"), elsewhere=True)
                 if self._places else [])
        ours = [p for p in named if p.inside]
        known = self._places.best_of(ours) if self._places else None
        for place in ours or named:
            name = normalize(place.text)
            at = work.find(name) if name else -1
            if at < 0:
                continue
            if known is not None and name == normalize(known.text):
                spans.append((at, at + len(name), 3, known))
            else:
                spans.append((at, at + len(name), 2 if ours else 3, None))
        spans.extend(self._generic_places(work))
        if not spans:
            return []
        merged = self._merge(sorted(spans, key=lambda s: s[0]), work)
        if not merged:  # only a bare "3栋": too weak to be a place
            return []
        start, end, score, place = max(merged, key=lambda s: (s[2], s[1] - s[0], -s[0]))
        end = self._extend(work, end)
        extra: dict[str, Any] = {"confidence_entity": min(1.0, score / 3)}
        if place is not None:
            extra["additional_info"] = place.to_dict()
        return [_entity("place", norm[start:end], start, end, **extra)]

    def _generic_places(self, work: str) -> list[tuple[int, int, int, PlaceLike | None]]:
        rules = self._place
        out: list[tuple[int, int, int, PlaceLike | None]] = []
        for suffixes, not_after, score in (
            (rules.road_suffixes, rules.not_after_road, 2),
            (rules.estate_suffixes, rules.not_after_estate, 2),
        ):
            taken: set[int] = set()
            for suffix in suffixes:
                if suffix not in work:  # most are absent: skip the pattern machinery
                    continue
                for m in re.finditer(re.escape(suffix), work):
                    end = m.end()
                    if m.start() in taken or any(work.startswith(w, end) for w in not_after):
                        continue
                    start = self._name_start(work, m.start())
                    name = work[start : m.start()]
                    if len(name) < rules.name_min or name in rules.generic_names:
                        continue
                    taken.update(range(m.start(), end))
                    out.append((start, end, score, None))
        for m in rules.unit.finditer(work):  # "3栋2单元" alone is a (weak) place
            out.append((m.start(), m.end(), 1, None))
        return out

    def _name_start(self, text: str, end: int) -> int:
        start = end
        while (
            start > 0
            and end - start < self._place.name_max
            and text[start - 1] not in self._place.stop_chars
            and text[start - 1] != MASK
            and (text[start - 1].isalnum())
        ):
            start -= 1
        # "地址改成建新北路": the name starts after the words that lead up to it
        # (a word may straddle where the walk stopped: "换成" in "位置换成观音桥步行街")
        window = max(0, start - 3)
        name = text[window:end]
        for word in self._place.name_breaks:
            at = name.rfind(word)
            if at >= 0:
                start = max(start, window + at + len(word))
        return start

    def _merge(self, spans: list[tuple[int, int, int, PlaceLike | None]], work: str
               ) -> list[tuple[int, int, int, PlaceLike | None]]:
        merged: list[tuple[int, int, int, PlaceLike | None]] = []
        for start, end, score, place in spans:
            if merged:
                p_start, p_end, p_score, p_place = merged[-1]
                gap = work[p_end:start] if start > p_end else ""
                if start <= p_end or gap in ("的", "和", "与") or self._is_filler(gap) or (
                    self._is_relative_gap(gap)
                ):
                    merged[-1] = (p_start, max(p_end, end), p_score + score,
                                  p_place or place)
                    continue
            merged.append((start, end, score, place))
        # a bare unit ("3栋") next to nothing else is too weak to count as a place
        return [s for s in merged if s[2] >= 2] or []

    def _is_filler(self, gap: str) -> bool:
        return bool(gap) and (self._place.unit.fullmatch(gap) is not None)

    def _is_relative_gap(self, gap: str) -> bool:
        """ "北城天街旁边的华新街社区": a relative word (and 的) between two places joins them."""
        gap = gap.removesuffix("的")
        return bool(gap) and gap in self._place.relative_words

    def _extend(self, work: str, end: int) -> int:
        """Swallow house numbers and words like 门口 that follow the place."""
        rules = self._place
        while True:
            m = rules.unit.match(work, end)
            if m:
                end = m.end()
                continue
            # "12号楼下": the unit took the 楼 of 楼下; the 下 still says where
            word = next((w for w in rules.relative_words
                         if len(w) > 1 and w[0] == work[end - 1]
                         and work.startswith(w[1:], end)), None)
            if word:
                end += len(word) - 1
                continue
            if work.startswith("的", end) and any(
                work.startswith(w, end + 1) for w in rules.relative_words
            ):
                end += 1
            word = next((w for w in rules.relative_words if work.startswith(w, end)), None)
            if word:
                end += len(word)
                continue
            landmark = self._landmark_after(work, end)
            if landmark:
                end = landmark
                continue
            return end

    def _landmark_after(self, work: str, end: int) -> int | None:
        """ "建新东路农业银行门口": the end of a shop or bank named right after the place (and
        the 的 before it), or None."""
        rules = self._place
        at = end + 1 if work.startswith("的", end) else end
        window = work[at : at + rules.landmark_max + 3]
        best = None
        for suffix in rules.landmark_suffixes:
            found = window.find(suffix)
            if found < 0 or found + len(suffix) > rules.landmark_max:
                continue
            name = window[:found]
            if not all("\u4e00" <= ch <= "\u9fff" for ch in name) or (
                    name and any(ch in rules.stop_chars for ch in name)):
                continue
            stop = at + found + len(suffix)
            best = stop if best is None else min(best, stop)
        return best

    # -- employers -----------------------------------------------------------------------
    def _employers(self, work: str, norm: str) -> list[dict[str, Any]]:
        for suffix in self._employer_suffixes:
            if suffix not in work:
                continue
            for m in re.finditer(re.escape(suffix), work):
                start = m.start()
                while (
                    start > 0
                    and m.start() - start < self._employer_max
                    and work[start - 1] not in self._employer_stops
                    and work[start - 1].isalnum()
                ):
                    start -= 1
                if m.start() - start >= self._employer_min:
                    return [_entity("employer", norm[start : m.end()], start, m.end())]
        return []
