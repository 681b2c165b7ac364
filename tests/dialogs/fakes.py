"""In-memory stand-ins for the dialog ports: a slip desk, a triage and a gazetteer.

The real adapters (bot.slips.desk, knowledge.triage, knowledge.gazetteer) are exercised by the
webhook tests; these keep the pure dialog tests fast and independent of the knowledge pack.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from dialogs.ports import IssuedSlip, Place, SlipDraft, SlipStatus

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 10:00 in Chongqing, a Wednesday
OPEN = ("已受理", "已派单", "办理中")


@dataclass
class FakeSlip:
    number: str
    draft: SlipDraft
    status: str = "已派单"
    due_at: datetime = NOW + timedelta(days=7)
    last_staff_reply: str | None = None
    followups: list[tuple[str | None, list[dict[str, str]]]] = field(default_factory=list)
    urges: list[str | None] = field(default_factory=list)
    details: list[dict[str, str]] = field(default_factory=list)
    surveys: list[tuple[str, bool | None, str | None]] = field(default_factory=list)
    withdrawn: str | None = None
    urgency: str | None = None  # the draft's triage's, unless a test sets it
    response_due_at: datetime | None = NOW + timedelta(hours=24)
    signed_at: datetime | None = None
    reopen_count: int = 0

    def view(self) -> SlipStatus:
        return SlipStatus(number=self.number, status=self.status, updated_at=NOW,
                          due_at=self.due_at, last_staff_reply=self.last_staff_reply,
                          summary=self.draft.description[:20], lead="区城市管理局",
                          is_open=self.status in (*OPEN, "重办"),
                          urgency=self.urgency or (self.draft.triage or {}).get("urgency"),
                          response_due_at=self.response_due_at, signed_at=self.signed_at,
                          has_phone=bool(self.draft.phone), reopen_count=self.reopen_count,
                          final=self.status == "已归档",
                          place=self.draft.location_text, area=self.draft.area)


class FakeDesk:
    """A SlipDesk that keeps slips in a dict; `fail_next` makes the next issue() raise."""

    def __init__(self) -> None:
        self.slips: dict[str, FakeSlip] = {}
        self.reopen_limit = 2  # as knowledge/workflow.yaml: later 不满意 are only recorded
        self.by_key: dict[str, str] = {}
        self.phones: dict[str, str] = {}
        self.issue_calls = 0
        self.fail_next = False
        # what the slip service's own triage says of the whole report (None: nothing)
        self.urgency: str | None = None
        self.advice: str | None = None
        # False: the slip was urged a short while ago (the policy's urge_gap_hours), so an urge
        # is added as a 补充 instead of counted
        self.urge_counts = True

    async def issue(self, draft: SlipDraft) -> IssuedSlip:
        self.issue_calls += 1
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("database down")
        number = self.by_key.get(draft.idempotency_key)
        if number is None:
            number = f"JB20261125{len(self.slips) + 1:05d}"
            self.slips[number] = FakeSlip(number, draft)
            self.by_key[draft.idempotency_key] = number
        slip = self.slips[number]
        urgent = (slip.draft.triage or {}).get("urgency") == "特急"
        return IssuedSlip(
            number=number,
            departments=["区城市管理局", "观音桥街道办事处"],
            lead="区城市管理局",
            response_due_at=NOW + timedelta(hours=2 if urgent else 24),
            due_at=slip.due_at,
            status_label="已派单",
            urgency=self.urgency,
            advice=self.advice,
        )

    async def slips_of(self, openid: str, limit: int = 5) -> list[SlipStatus]:
        mine = [s for s in self.slips.values() if s.draft.openid == openid]
        return [s.view() for s in reversed(mine)][:limit]

    async def status(self, number: str, openid: str) -> SlipStatus | None:
        slip = self.slips.get(number)
        return slip.view() if slip and slip.draft.openid == openid else None

    async def add_followup(self, openid: str, number: str, text: str | None,
                           media: list[dict[str, str]],
                           details: dict[str, str] | None = None) -> None:
        self.slips[number].followups.append((text, list(media)))
        self.slips[number].details.append(dict(details or {}))

    async def urge(self, openid: str, number: str, text: str | None
                   ) -> tuple[SlipStatus, bool]:
        slip = self.slips.get(number)
        if slip is None or slip.draft.openid != openid:
            raise LookupError(number)
        if slip.status not in (*OPEN, "重办"):
            raise ValueError("这张交办单现在不能这样操作")
        if not self.urge_counts:
            slip.followups.append((text, []))
            return slip.view(), False
        slip.urges.append(text)
        return slip.view(), True

    async def withdraw(self, openid: str, number: str, reason: str | None) -> SlipStatus:
        slip = self.slips.get(number)
        if slip is None or slip.draft.openid != openid:
            raise LookupError(f"没有找到您的交办单 {number}")
        if slip.status not in OPEN:
            raise ValueError(f"这张交办单{slip.status}，不能撤回了")
        slip.status = "已撤销"
        slip.withdrawn = reason
        return slip.view()

    async def open_slip_of(self, openid: str) -> SlipStatus | None:
        mine = [s for s in self.slips.values() if s.draft.openid == openid and s.status in OPEN]
        return mine[-1].view() if mine else None

    async def awaiting_survey(self, openid: str) -> SlipStatus | None:
        mine = [s for s in self.slips.values()
                if s.draft.openid == openid and s.status == "待评价"]
        return mine[-1].view() if mine else None

    async def record_survey(self, openid: str, number: str, verdict: str, solved: bool | None,
                            reason: str | None) -> SlipStatus:
        slip = self.slips[number]
        if slip.status == "已归档":
            raise ValueError("这张交办单已归档，不能评价")
        slip.surveys.append((verdict, solved, reason))
        reopens = sum(1 for v, _, _ in slip.surveys[:-1] if v == "不满意")
        if verdict == "不满意" and reopens < self.reopen_limit:
            slip.status, slip.due_at = "重办", slip.due_at + timedelta(days=5)
            slip.reopen_count += 1
            slip.signed_at = None  # both clocks restart: to be signed again
            slip.response_due_at = NOW + timedelta(hours=2 if slip.urgency == "特急" else 24)
        else:
            slip.status = "已评价"
        return slip.view()

    async def known_phone(self, openid: str) -> str | None:
        return self.phones.get(openid)

    async def remember_phone(self, openid: str, phone: str) -> None:
        self.phones[openid] = phone

    # test helpers
    def close(self, number: str) -> None:
        self.slips[number].status = "待评价"

    def archive(self, number: str) -> None:
        self.slips[number].status = "已归档"

    def of(self, openid: str) -> list[FakeSlip]:
        return [s for s in self.slips.values() if s.draft.openid == openid]


@dataclass
class FakeResult:
    data: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return dict(self.data)


DANGER = ("着火", "起火", "煤气泄漏", "燃气泄漏", "漏气", "有人受伤", "触电", "困在电梯")


class FakeTriage:
    """Keyword triage: danger words → 特急; wage words → 劳动和社会保障."""

    def classify(self, text: str, *, area: Any = None, now: datetime | None = None) -> FakeResult:
        urgent = any(w in text for w in DANGER)
        wage = any(w in text for w in ("工资", "欠薪", "工钱"))
        question = text.startswith("咨询") or "怎么申请" in text
        return FakeResult({
            "category": ["劳动和社会保障"] if wage or question else ["城乡建设", "市政设施"],
            "request_type": "咨询" if question else "投诉",
            "urgency": "特急" if urgent else "一般",
            "advice": "请立即拨打119报警！人员先撤离到安全地方。" if urgent else "我们会尽快办理。",
            "departments": [{"name": "区城市管理局", "code": "CG", "role": "主办", "level": "区"}],
            "low_confidence": False,
        })


PLACES = {
    "建新北路": Place(text="建新北路", street="观音桥街道", street_code="GYQ"),
    "鲤鱼池": Place(text="鲤鱼池", street="观音桥街道", street_code="GYQ", community="鲤鱼池社区",
                    community_code="GYQ-LYC"),
    "观音桥": Place(text="观音桥", street="观音桥街道", street_code="GYQ"),
    "寸滩": Place(text="寸滩", street="寸滩街道", street_code="CT"),
    "洋河路": Place(text="洋河路", street="观音桥街道", street_code="GYQ"),
}
# places of other districts (the gazetteer's other_districts)
ELSEWHERE = {
    "解放碑": Place(text="解放碑", inside=False, district="渝中区"),
    "南坪": Place(text="南坪", inside=False, district="南岸区"),
    "渝北区": Place(text="渝北区", inside=False, district="渝北区"),
}


class FakePlaces:
    def find(self, text: str) -> Place | None:
        return self.best_of(self.find_all(text))

    def find_all(self, text: str, *, elsewhere: bool = False) -> list[Place]:
        found = [(text.find(name), p) for name, p in PLACES.items() if name in text]
        if elsewhere:
            found += [(text.find(name), p) for name, p in ELSEWHERE.items() if name in text]
        return [p for _, p in sorted(found, key=lambda f: f[0])]

    def best_of(self, matches: list[Place]) -> Place | None:
        ours = [m for m in matches if m.inside]
        return ours[0] if ours else None

    def elsewhere(self, text: str) -> Place | None:
        if "江北区" in text or self.find_all(text):
            return None
        return next((p for name, p in ELSEWHERE.items() if name in text), None)

    def near(self, lat: float, lon: float) -> Place | None:
        if 29.4 < lat < 29.8 and 106.3 < lon < 106.9:
            return Place(text=f"{lat:.5f},{lon:.5f}", street="观音桥街道", street_code="GYQ",
                         lat=lat, lon=lon)
        return replace(Place(text=f"{lat:.5f},{lon:.5f}"), inside=False, lat=lat, lon=lon)
