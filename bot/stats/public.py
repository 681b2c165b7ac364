"""Slips as the public may see them (the /public pages and Open311): anonymised records.

A public record has the number, category, street, dates, status, lead department, a scrubbed
result summary and coordinates rounded to about a kilometre. Never the description, location
text, name, phone, openid or house number (see bot/stats/anonymise.py).

Left out of public lists altogether: reports (举报) and the classes that protect the person
(纪检监察, 政法: whistle-blowing, crime, family disputes), withdrawn slips (the resident took
them back) and duplicates merged into another slip. They still count in the statistics.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select

from bot.slips.models import Slip
from bot.stats.anonymise import round_coordinate, summary
from bot.stats.reader import SlipReader
from bot.stats.sql import local_bounds

PRIVATE_CATEGORIES = ("纪检监察", "政法")
PRIVATE_REQUEST_TYPES = ("举报",)
HIDDEN_STATES = ("withdrawn", "merged")
# A 特急 slip is about a person in danger (someone on a roof, a fall, violence, a gas leak at
# home): counted in every figure, never listed or shown one by one.
PRIVATE_URGENCIES = ("特急",)


@dataclass(frozen=True)
class PublicSlip:
    number: str
    category: tuple[str, ...]  # first level, then the finer classes
    street: str | None  # street name
    department: str | None  # lead department name
    status: str  # the resident's coarse label (已受理 / 办理中 / 已办结 …)
    is_open: bool
    accepted_at: datetime
    updated_at: datetime
    due_at: datetime | None
    resolved_at: datetime | None
    result: str  # scrubbed summary ("" while being handled)
    satisfaction: str | None  # 满意 / 基本满意 / 不满意 / 未评价
    lat: float | None  # rounded
    lon: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "category": list(self.category),
            "street": self.street,
            "department": self.department,
            "status": self.status,
            "open": self.is_open,
            "accepted_at": self.accepted_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "due_at": self.due_at.isoformat() if self.due_at else None,
            "resolved_at": self.resolved_at.isoformat() if self.resolved_at else None,
            "result": self.result,
            "satisfaction": self.satisfaction,
        }


@dataclass(frozen=True)
class PublicQuery:
    numbers: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    street: str | None = None
    department: str | None = None
    status: str | None = None  # "open" | "closed"
    date_from: date | None = None  # local dates, on acceptance
    date_to: date | None = None
    since: datetime | None = None  # instants, on acceptance (Open311 start_date/end_date)
    until: datetime | None = None


@dataclass(frozen=True)
class PublicPage:
    items: list[PublicSlip]
    page: int
    per_page: int
    has_next: bool


_COLUMNS = (
    Slip.id, Slip.number, Slip.category, Slip.category_top, Slip.street, Slip.lead_department,
    Slip.lead_department_name, Slip.status, Slip.accepted_at, Slip.updated_at, Slip.due_at,
    Slip.resolved_at, Slip.result, Slip.satisfaction, Slip.lat, Slip.lon, Slip.openid,
    Slip.phone,
)


class PublicSlips(SlipReader):
    def visible(self) -> list[ColumnElement[bool]]:
        """What may be published at all."""
        return [
            Slip.status.not_in(HIDDEN_STATES),
            or_(Slip.category_top.is_(None), Slip.category_top.not_in(PRIVATE_CATEGORIES)),
            or_(Slip.request_type.is_(None), Slip.request_type.not_in(PRIVATE_REQUEST_TYPES)),
            or_(Slip.urgency.is_(None), Slip.urgency.not_in(PRIVATE_URGENCIES)),
        ]

    def conditions(self, q: PublicQuery) -> list[ColumnElement[bool]]:
        conds = self.visible()
        if q.numbers:
            conds.append(Slip.number.in_([n.strip().upper() for n in q.numbers]))
        if q.categories:
            conds.append(Slip.category_top.in_(q.categories))
        if q.street:
            conds.append(Slip.street.in_(self.labels.street_values(q.street)))
        if q.department:
            conds.append(Slip.lead_department == q.department)
        if q.status == "open":
            conds.append(Slip.status.in_(self.workflow.open_states))
        elif q.status == "closed":
            conds.append(Slip.status.in_(self.workflow.closed_states))
        lo, hi = local_bounds(q.date_from, q.date_to, self.tz)
        if lo is not None:
            conds.append(Slip.accepted_at >= lo)
        if hi is not None:
            conds.append(Slip.accepted_at < hi)
        if q.since is not None:
            conds.append(Slip.accepted_at >= q.since)
        if q.until is not None:
            conds.append(Slip.accepted_at <= q.until)
        return conds

    async def page(self, q: PublicQuery, *, page: int = 1, per_page: int = 20) -> PublicPage:
        """Newest first. No total count (a million-row count is not worth it): has_next."""
        page = max(1, page)
        stmt = (
            select(*_COLUMNS)
            .where(and_(*self.conditions(q)))
            .order_by(Slip.accepted_at.desc(), Slip.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page + 1)
        )
        async with self.db.connect() as conn:
            rows = (await conn.execute(stmt)).all()
        items = [self._record(r) for r in rows[:per_page]]
        return PublicPage(items=items, page=page, per_page=per_page,
                          has_next=len(rows) > per_page)

    async def get(self, number: str) -> PublicSlip | None:
        found = await self.page(PublicQuery(numbers=(number,)), per_page=1)
        return found.items[0] if found.items else None

    def _record(self, r: Any) -> PublicSlip:
        state = self.workflow.states.get(r.status)
        is_open = state.is_open if state else False
        category: Sequence[str] = r.category or ([r.category_top] if r.category_top else [])
        department = None
        if r.lead_department:
            department = self.labels.departments.get(r.lead_department) or r.lead_department_name
        return PublicSlip(
            number=r.number,
            category=tuple(str(c) for c in category),
            street=self.labels.street(r.street) if r.street else None,
            department=department,
            status=state.resident if state else r.status,
            is_open=is_open,
            accepted_at=r.accepted_at,
            updated_at=r.updated_at,
            due_at=r.due_at,
            resolved_at=r.resolved_at,
            result="" if is_open else summary(r.result, known=(r.openid, r.phone)),
            satisfaction=r.satisfaction,
            lat=round_coordinate(r.lat),
            lon=round_coordinate(r.lon),
        )
