"""What the conversation layer needs from the rest of Minyi, as small Protocols.

Dialogs never import `bot/`: the composition root injects a `SlipDesk` (bot/slips/desk.py
adapts the slip service to it), a `Classifier` (knowledge.triage) and `Places` (the gazetteer).
The value types below are what crosses the port; adapters build them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True, slots=True, kw_only=True)
class SlipDraft:
    """Everything the resident told us, ready to become a 民意交办单.

    `idempotency_key` is the dedupe key of the message that confirmed the draft: issuing the
    same draft twice (a WeChat retry, a crash between issuing and saving the conversation)
    must return the slip issued the first time, never a second one.
    """

    openid: str
    description: str
    idempotency_key: str
    location_text: str | None = None
    area: dict[str, Any] | None = None  # a Place as a dict (street/community codes and names)
    lat: float | None = None
    lon: float | None = None
    phone: str | None = None
    occurred_text: str | None = None  # "昨晚", "三天了", "11月20日"
    media: list[dict[str, str]] = field(default_factory=list)  # {"type": image|voice, "media_id"}
    triage: dict[str, Any] | None = None  # TriageResult.to_dict(); the service computes it if None
    employer: str | None = None  # wage and labour disputes: the employer instead of an address
    # what triage classifies: the resident's own words, without the links they shared (a shared
    # article's title is not their complaint); None: the description
    triage_text: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class IssuedSlip:
    number: str
    departments: list[str]  # names, lead first
    lead: str
    response_due_at: datetime | None
    due_at: datetime | None
    status_label: str  # the resident's coarse label, e.g. 已受理 / 已派单
    low_confidence: bool = False
    advice: str | None = None
    # 特急 / 紧急 / 一般 as the service classified it; None: the chat uses its own triage
    urgency: str | None = None
    # the resident's own slip, finished lately, that this one seems to repeat (and when it was
    # done): they are told staff know the problem came back
    earlier: str | None = None
    earlier_resolved_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SlipStatus:
    number: str
    status: str  # the resident's label
    updated_at: datetime | None = None
    due_at: datetime | None = None
    last_staff_reply: str | None = None
    summary: str | None = None  # a short form of the description, for lists
    lead: str | None = None  # the lead department's name (the desk's while none is assigned)
    is_open: bool | None = None  # still being worked on (a reopened slip is open again)
    urgency: str | None = None  # 特急 / 紧急 / 一般 (the triage's, or as staff changed it)
    # the response (签收 and contact) deadline: hours for 特急/紧急, restarted on 重办
    response_due_at: datetime | None = None
    signed_at: datetime | None = None  # when the lead department signed it (None: not yet)
    # whether the slip has a phone number to call the resident on (None: unknown); without
    # one, staff answer in the chat and the resident is never promised a call
    has_phone: bool | None = None
    reopen_count: int = 0  # how often it was reopened (重办), by a resident or by staff
    lead_phone: str | None = None  # the lead department's public phone, if the catalogue has one
    # 已归档: its file is closed for good; its rating can no longer be given or changed
    final: bool = False
    # where it is (the resident's words) and its street/community, as the slip has them
    place: str | None = None
    area: dict[str, Any] | None = None


class SlipDesk(Protocol):
    """The slip service as the conversation sees it (bot/slips/desk.py implements it)."""

    async def issue(self, draft: SlipDraft) -> IssuedSlip: ...

    async def slips_of(self, openid: str, limit: int = 5) -> list[SlipStatus]: ...

    async def status(self, number: str, openid: str) -> SlipStatus | None:
        """Only the resident's own slips; None for anyone else's or an unknown number."""
        ...

    async def add_followup(
        self,
        openid: str,
        number: str,
        text: str | None,
        media: list[dict[str, str]],
        details: dict[str, str] | None = None,
    ) -> None:
        """`details`: location_text, street, community, phone found in the message; the slip
        takes each one it lacks (an emergency slip issued before the resident said where)."""
        ...

    async def urge(self, openid: str, number: str, text: str | None) -> tuple[SlipStatus, bool]:
        """The resident asks for the slip to be done sooner (催办): recorded with their words,
        its lead department told; (status, True). Within a few hours of the last urge
        counted (the policy's urge_gap_hours) the words are added as a 补充 instead: (status,
        False). LookupError / ValueError when it is not theirs or closed."""
        ...

    async def open_slip_of(self, openid: str) -> SlipStatus | None:
        """The newest slip of this resident that is still open (for follow-ups)."""
        ...

    async def awaiting_survey(self, openid: str) -> SlipStatus | None:
        """The newest slip waiting for the resident's verdict."""
        ...

    async def record_survey(
        self,
        openid: str,
        number: str,
        verdict: str,  # 满意 | 基本满意 | 不满意
        solved: bool | None,
        reason: str | None,
    ) -> SlipStatus: ...

    async def withdraw(self, openid: str, number: str, reason: str | None) -> SlipStatus:
        """The resident withdraws their own open slip (its department is told). LookupError
        for a slip that is not theirs, ValueError when it can no longer be withdrawn."""
        ...

    async def known_phone(self, openid: str) -> str | None: ...

    async def remember_phone(self, openid: str, phone: str) -> None: ...


class Classified(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


class Classifier(Protocol):
    """knowledge.triage.Triage: `to_dict()` is the `minyi classify` JSON (category, urgency,
    departments, advice, …)."""

    def classify(self, text: str, *, area: Any = None, now: datetime | None = None) -> Classified:
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Place:
    """Where a problem is, as far as the city's gazetteer can tell."""

    text: str  # what matched, or the label of a shared location
    street: str | None = None  # 街道/镇 name
    street_code: str | None = None
    community: str | None = None
    community_code: str | None = None
    lat: float | None = None
    lon: float | None = None
    confidence: float = 1.0
    inside: bool = True  # False: a shared location outside the district, or `elsewhere`
    district: str | None = None  # a place of another district (Places.elsewhere): its name
    kind: str = ""  # street / community / landmark / location ("": not known)

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "street": self.street,
            "street_code": self.street_code,
            "community": self.community,
            "community_code": self.community_code,
            "lat": self.lat,
            "lon": self.lon,
            "confidence": self.confidence,
            "inside": self.inside,
        }


class PlaceLike(Protocol):
    """A Place, or anything with its fields (knowledge.gazetteer.AreaMatch)."""

    @property
    def text(self) -> str: ...
    @property
    def inside(self) -> bool: ...
    def to_dict(self) -> dict[str, Any]: ...


class Places(Protocol):
    """Resolves place names and coordinates to the street office that handles them
    (knowledge.gazetteer.Gazetteer)."""

    def find(self, text: str) -> PlaceLike | None: ...

    def find_all(self, text: str, *, elsewhere: bool = False) -> list[Any]:
        """Every place named, in order; `elsewhere`: other districts' too (inside False)."""
        ...

    def elsewhere(self, text: str) -> PlaceLike | None:
        """A place of another district the text names ("解放碑": 渝中区, in `district`) when
        it names none of ours and not our district itself; else None."""
        ...

    def best_of(self, matches: list[Any]) -> PlaceLike | None: ...

    def near(self, lat: float, lon: float) -> PlaceLike | None: ...
