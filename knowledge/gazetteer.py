"""Gazetteer: finds the street, town or community a complaint is about.

From free text ("建新北路12号", "观音桥那边", "鱼嘴镇") it returns the area record with a confidence;
from a WeChat location message (lat/lon) the nearest known point's street. A place of another
district of the city ("解放碑" → 渝中区) is told apart (`elsewhere`), never taken for ours. All
names come from the pack's areas.yaml, so another city only replaces that file.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from knowledge.matching import KeywordSet, Prescan, normalize
from knowledge.records import Areas

_SPECIFIC = {"street": 0, "landmark": 1, "community": 2}
_NUMBER_AFTER = re.compile(r"[0-9一二三四五六七八九十百]+(号|栋|幢|单元|楼|弄|附|巷)")
_VAGUE_AFTER = re.compile(r"(那边|那一带|一带|附近|周边|那块|那头|那儿|那里)")
# An estate or building the gazetteer does not know, named before its kind word: "那个红土地小区"
# → 红土地. The name starts after a word that cannot be part of it (那个, 在, 住, 的 …) and is 2-5
# characters; a description ("拆迁安置小区", "老旧小区") is not a name.
_ESTATE = re.compile(
    r"(?:^|(?<=[个在住是的到于和跟与近旁边面对])|(?<=那个)|(?<=这个))"
    r"([\u4e00-\u9fff]{2,5}?)(?=小区|花园|家园|新村|公寓|大厦|名苑|雅苑|苑|山庄|新城|广场|商场|大楼)")
_NOT_A_NAME = re.compile(r"安置|还建|拆迁|保障|公租|廉租|老旧|商品|整个|附近|周边|我们|你们|他们|"
                         r"这个|那个|哪个|什么|高档|新建|在建|开放|封闭|物业")


@dataclass(frozen=True)
class AreaMatch:
    """Where a complaint is. Field names match dialogs.ports.Place (to_dict gives its dict)."""

    text: str  # what matched in the message, or the label of a code / location
    street: str | None = None
    street_code: str | None = None
    community: str | None = None
    community_code: str | None = None
    lat: float | None = None
    lon: float | None = None
    confidence: float = 1.0
    inside: bool = True  # False: a shared location outside the district, or `elsewhere`
    kind: str = "street"  # street / community / landmark / location / code / elsewhere
    district: str | None = None  # kind "elsewhere": the other district the place is in
    # other names in the message that lie in another street ("华新街街道 嘉陵公园旁边": the park
    # is not in 华新街): why the confidence is lower, for staff to check
    contradicted_by: tuple[str, ...] = ()

    @property
    def code(self) -> str | None:
        """The most specific area code known (community, else street)."""
        return self.community_code or self.street_code

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "street": self.street,
            "street_code": self.street_code,
            "community": self.community,
            "community_code": self.community_code,
            "lat": self.lat,
            "lon": self.lon,
            "confidence": round(self.confidence, 3),
            "inside": self.inside,
            **({"contradicted_by": list(self.contradicted_by)} if self.contradicted_by else {}),
        }


@dataclass(frozen=True)
class _Entry:
    kind: str  # street / community / landmark / not_here / elsewhere
    street: str | None
    community: str | None
    lat: float | None
    lon: float | None
    confidence: float
    district: str | None = None  # elsewhere: the other district's name


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6371.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


class Gazetteer:
    """Place names and coordinates of one city's areas."""

    def __init__(self, areas: Areas) -> None:
        self.areas = areas
        self._streets = {s.code: s for s in areas.streets}
        self._communities = {c.code: c for c in areas.communities}
        entries: list[tuple[str, _Entry]] = []
        for s in areas.streets:
            entries.append((s.name, _Entry("street", s.code, None, s.lat, s.lon, 0.95)))
            entries += [(a, _Entry("street", s.code, None, s.lat, s.lon, 0.85)) for a in s.aliases]
        for c in areas.communities:
            entry = _Entry("community", c.street, c.code, c.lat, c.lon, 0.95)
            entries.append((c.name, entry))
            entries += [(a, _Entry("community", c.street, c.code, c.lat, c.lon, 0.85))
                        for a in c.aliases]
        for lm in areas.landmarks:
            conf = 0.9 * lm.confidence
            entries += [(name, _Entry("landmark", lm.street, lm.community, lm.lat, lm.lon, conf))
                        for name in (lm.name, *lm.aliases)]
        entries += [(w, _Entry("not_here", None, None, None, None, 0.0)) for w in areas.not_here]
        for other in areas.other_districts:
            entry = _Entry("elsewhere", None, None, None, None, 0.0, other.name)
            entries += [(w, entry) for w in (other.name, *other.aliases)]
            entries += [(w, entry) for place in other.places for w in place]
        self._ours = tuple(normalize(w) for w in (areas.district.name, *areas.district.aliases))
        self._names: KeywordSet[_Entry] = KeywordSet(entries)
        # Points for nearest-street lookups: every street, community and landmark with coordinates.
        self._points: list[tuple[float, float, str, str | None]] = [
            (s.lat, s.lon, s.code, None) for s in areas.streets
        ]
        self._points += [(c.lat, c.lon, c.street, c.code) for c in areas.communities
                         if c.lat is not None and c.lon is not None]
        self._points += [(lm.lat, lm.lon, lm.street, lm.community) for lm in areas.landmarks
                         if lm.lat is not None and lm.lon is not None]

    # -- text ----------------------------------------------------------------------------------
    @property
    def keyword_sets(self) -> tuple[KeywordSet[Any], ...]:
        return (self._names,)

    def find_all(self, text: str, *, normalized: bool = False,
                 scan: Prescan | None = None, elsewhere: bool = False) -> list[AreaMatch]:
        """Every area named in ``text``, in order of appearance (overlaps resolved longest-first).

        ``normalized``: ``text`` is already normalised (knowledge.matching.normalize).
        ``elsewhere``: also the places of other districts named (``inside`` False, kind
        "elsewhere", ``district`` set); `best_of` never picks them.
        """
        norm = text if normalized else normalize(text)
        out: list[AreaMatch] = []
        seen: set[tuple[str | None, str | None, str]] = set()
        for hit in self._resolve(norm, scan):
            e = hit.payload
            if e.kind == "elsewhere":
                if elsewhere and (hit.word, e.district, e.kind) not in seen:
                    seen.add((hit.word, e.district, e.kind))
                    out.append(AreaMatch(text=hit.word, confidence=0.0, inside=False,
                                         kind="elsewhere", district=e.district))
                continue
            key = (e.street, e.community, e.kind)
            if key in seen:
                continue
            seen.add(key)
            conf = e.confidence
            tail = norm[hit.end:hit.end + 6]
            if _NUMBER_AFTER.match(tail):
                conf = min(0.99, conf + 0.05)
            elif _VAGUE_AFTER.match(tail):
                conf = max(0.05, conf - 0.1)
            out.append(self._match(hit.word, e.kind, e.street, e.community, e.lat, e.lon, conf))
        return out

    def elsewhere(self, text: str, *, normalized: bool = False,
                  scan: Prescan | None = None) -> AreaMatch | None:
        """The place of another district that ``text`` names ("解放碑门口" → 解放碑, 渝中区), or
        None: also when ``text`` names a place of ours as well (ours wins), or our district
        itself ("江北区的…": the resident says it is ours). Of several, the longest name."""
        norm = text if normalized else normalize(text)
        if any(w in norm for w in self._ours):
            return None
        hits = self._resolve(norm, scan)
        if any(h.payload.kind != "elsewhere" for h in hits):
            return None
        if not hits:
            return None
        best = max(hits, key=lambda h: (h.end - h.start, -h.start))
        return AreaMatch(text=best.word, confidence=0.0, inside=False, kind="elsewhere",
                         district=best.payload.district)

    def _resolve(self, norm: str, scan: Prescan | None) -> list[Any]:
        """The names in ``norm`` that count, in order: none inside a not_here name; of names
        that overlap, the longer ("石门大桥北" is 石门大桥, not the 桥北 community), and ours
        before another district's of the same length."""
        hits = self._names.find(norm, scan)
        blocked = [h for h in hits if h.payload.kind == "not_here"]
        hits = [h for h in hits if h.payload.kind != "not_here" and not any(
            b.start <= h.start and h.end <= b.end for b in blocked)]
        # another district's name inside one of ours, or the same name: ours
        # ("江北嘴中央公园" is not 渝北's 中央公园)
        ours = [h for h in hits if h.payload.kind != "elsewhere"]
        hits = [h for h in hits if h.payload.kind != "elsewhere" or not any(
            o.start <= h.start and h.end <= o.end for o in ours)]
        chosen: list = []
        for h in sorted(hits, key=lambda h: (-(h.end - h.start), h.start,
                                             h.payload.kind == "elsewhere")):
            if not any(h.start < o.end and o.start < h.end for o in chosen):
                chosen.append(h)
        return sorted(chosen, key=lambda h: h.start)

    def name_spans(self, norm: str, scan: Prescan | None = None) -> list[tuple[int, int]]:
        """Where normalised ``norm`` names a place: the gazetteer's names (ours and other
        districts') and unknown estates named before their kind word ("红土地小区" → 红土地).
        A topic keyword inside one ("土地" in 红土地) says nothing about the complaint."""
        spans = [(h.start, h.end) for h in self._resolve(norm, scan)]
        for m in _ESTATE.finditer(norm):
            if not _NOT_A_NAME.search(m.group(1)):
                spans.append(m.span(1))
        return sorted(spans)

    def find(self, text: str, *, normalized: bool = False,
             scan: Prescan | None = None) -> AreaMatch | None:
        """The best area named in ``text``, or None.

        The most specific and most confident name wins; names that agree on the street raise
        the confidence, names that point to different streets lower it.
        """
        return self.best_of(self.find_all(text, normalized=normalized, scan=scan))

    @staticmethod
    def best_of(matches: list[AreaMatch]) -> AreaMatch | None:
        """The best of `find_all`'s matches, as `find` picks it (for a caller that needs all
        of them and the best without scanning the text twice)."""
        matches = [m for m in matches if m.kind != "elsewhere"]
        if not matches:
            return None
        streets = {m.street_code for m in matches if m.kind == "street"}

        def score(m: AreaMatch) -> tuple[float, int]:
            # a community or landmark in the street also named ("观音桥街道 嘉陵一村") says
            # more than the street's name: it wins over it
            agrees = m.kind != "street" and m.street_code in streets
            return (m.confidence + 0.05 * _SPECIFIC.get(m.kind, 0) + (0.1 if agrees else 0.0),
                    -matches.index(m))

        best = max(matches, key=score)
        others = [m for m in matches if m is not best]
        conf = best.confidence
        elsewhere = tuple(dict.fromkeys(m.text for m in others
                                        if m.street_code != best.street_code))
        if elsewhere:
            conf *= 0.8
        elif others:
            conf = min(0.99, conf + 0.05)
        changes: dict[str, Any] = {"confidence": conf, "contradicted_by": elsewhere}
        if best.community is None:
            # "红旗河沟 嘉陵一村": the landmark says where, the estate of the same street
            # beside it which 社区 handles it
            estate = next((m for m in others if m.community
                           and m.street_code == best.street_code), None)
            if estate is not None:
                changes.update(community=estate.community,
                               community_code=estate.community_code)
        return _replace(best, **changes)

    # -- codes and coordinates -----------------------------------------------------------------
    def resolve(self, code: str) -> AreaMatch | None:
        """The area with this street or community code."""
        if code in self._streets:
            s = self._streets[code]
            return self._match(s.name, "code", s.code, None, s.lat, s.lon, 1.0)
        if code in self._communities:
            c = self._communities[code]
            return self._match(c.name, "code", c.street, c.code, c.lat, c.lon, 1.0)
        return None

    def near(self, lat: float, lon: float) -> AreaMatch:
        """The street (and community, when the nearest point has one) of a shared location.

        Farther than the district's ``max_distance_km`` from every known point: ``inside`` is
        False and no street is given.
        """
        label = f"{lat:.5f},{lon:.5f}"
        best = min(self._points, key=lambda p: haversine_km(lat, lon, p[0], p[1]))
        distance = haversine_km(lat, lon, best[0], best[1])
        if distance > self.areas.district.max_distance_km:
            return AreaMatch(text=label, lat=lat, lon=lon, confidence=0.0, inside=False,
                             kind="location")
        conf = max(0.3, 0.9 - 0.15 * distance)
        match = self._match(label, "location", best[2], best[3], lat, lon, conf)
        return match

    def from_mapping(self, data: Mapping[str, Any]) -> AreaMatch | None:
        """An area from a Place-like dict (street_code / community_code / lat / lon)."""
        code = data.get("community_code") or data.get("street_code")
        found = self.resolve(code) if code else None
        if found is None and data.get("lat") is not None and data.get("lon") is not None:
            found = self.near(float(data["lat"]), float(data["lon"]))
        if found is None:
            return None
        return _replace(found, text=str(data.get("text") or found.text),
                        confidence=float(data.get("confidence", found.confidence)))

    def _match(self, text: str, kind: str, street: str | None, community: str | None,
               lat: float | None, lon: float | None, conf: float) -> AreaMatch:
        s = self._streets.get(street) if street else None
        c = self._communities.get(community) if community else None
        if lat is None and c is not None and c.lat is not None:
            lat, lon = c.lat, c.lon
        if lat is None and s is not None:
            lat, lon = s.lat, s.lon
        return AreaMatch(
            text=text,
            street=s.name if s else None,
            street_code=s.code if s else None,
            community=c.name if c else None,
            community_code=c.code if c else None,
            lat=lat,
            lon=lon,
            confidence=round(conf, 3),
            inside=True,
            kind=kind,
        )


def _replace(match: AreaMatch, **changes: Any) -> AreaMatch:
    data = {**match.__dict__, **changes}
    if "confidence" in changes:
        data["confidence"] = round(float(changes["confidence"]), 3)
    return AreaMatch(**data)
