"""Hot issues (普遍性): clusters of similar slips, so a department can fix the cause once
(未诉先办) and close the linked slips together. A cluster is made by the slip service when staff
link or merge slips (slip.cluster_id → slip_cluster)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import aliased

from bot.slips.models import Slip, SlipCluster
from bot.stats.filters import StatsFilter
from bot.stats.reader import SlipReader
from bot.stats.sql import local_bounds, reading


@dataclass(frozen=True)
class ClusterSummary:
    id: int
    label: str
    size: int
    open: int
    overdue_now: int
    first_at: datetime
    last_at: datetime
    streets: list[str] = field(default_factory=list)  # names, most slips first
    departments: list[str] = field(default_factory=list)  # names, most slips first
    department_codes: list[str] = field(default_factory=list)
    top_category: str | None = None


@dataclass(frozen=True)
class ClusterMember:
    id: int
    number: str
    status: str
    status_label: str
    is_open: bool
    overdue: bool
    street: str
    community: str | None
    department_code: str | None
    department: str
    category: str | None
    description: str  # staff only: the console is behind a login
    accepted_at: datetime
    due_at: datetime | None
    result: str | None


class HotIssues(SlipReader):
    async def clusters(
        self,
        f: StatsFilter,
        *,
        open_only: bool = True,
        min_size: int = 2,
        limit: int = 50,
    ) -> list[ClusterSummary]:
        """Clusters with at least `min_size` slips accepted in the filter's range (and, with
        open_only, at least one still open), largest open count first. A department filter
        keeps the clusters in which that department leads at least one slip."""
        now = self.clock()
        open_states = self.workflow.open_states
        conds = self._conditions(f)
        n_open = func.count().filter(Slip.status.in_(open_states))
        q = (
            select(
                Slip.cluster_id,
                func.count().label("size"),
                n_open.label("open"),
                func.count().filter(and_(Slip.status.in_(open_states), Slip.alert_red_at <= now))
                .label("overdue"),
                func.min(Slip.accepted_at).label("first_at"),
                func.max(Slip.accepted_at).label("last_at"),
            )
            .where(Slip.cluster_id.is_not(None), *conds)
            .group_by(Slip.cluster_id)
            .having(func.count() >= min_size)
            .order_by(n_open.desc(), func.count().desc(), func.max(Slip.accepted_at).desc())
            .limit(limit)
        )
        if open_only:
            q = q.having(n_open > 0)
        if f.department:
            other = aliased(Slip)
            q = q.where(Slip.cluster_id.in_(
                select(other.cluster_id).where(other.lead_department == f.department,
                                               other.cluster_id.is_not(None))
            ))
        async with reading(self.db) as conn:
            rows = (await conn.execute(q)).all()
            ids = [r.cluster_id for r in rows]
            if not ids:
                return []
            labels = dict((await conn.execute(
                select(SlipCluster.id, SlipCluster.label).where(SlipCluster.id.in_(ids))
            )).all())
            parts = (await conn.execute(
                select(Slip.cluster_id, Slip.street, Slip.lead_department, Slip.category_top)
                .where(Slip.cluster_id.in_(ids), *conds)
            )).all()
        streets: dict[int, Counter[str]] = defaultdict(Counter)
        departments: dict[int, Counter[str]] = defaultdict(Counter)
        categories: dict[int, Counter[str]] = defaultdict(Counter)
        for p in parts:
            if p.street:
                streets[p.cluster_id][self.labels.street(p.street)] += 1
            if p.lead_department:
                departments[p.cluster_id][p.lead_department] += 1
            if p.category_top:
                categories[p.cluster_id][p.category_top] += 1
        out = []
        for r in rows:
            codes = [code for code, _ in departments[r.cluster_id].most_common()]
            top = categories[r.cluster_id].most_common(1)
            out.append(ClusterSummary(
                id=r.cluster_id,
                label=labels.get(r.cluster_id) or f"同类诉求 {r.cluster_id}",
                size=r.size,
                open=r.open,
                overdue_now=r.overdue,
                first_at=r.first_at,
                last_at=r.last_at,
                streets=[name for name, _ in streets[r.cluster_id].most_common()],
                departments=[self.labels.department(code) for code in codes],
                department_codes=codes,
                top_category=top[0][0] if top else None,
            ))
        return out

    async def cluster(self, cluster_id: int) -> tuple[str, list[ClusterMember]] | None:
        """The cluster's label and every slip in it (oldest first), or None."""
        now = self.clock()
        async with reading(self.db) as conn:
            label = (await conn.execute(
                select(SlipCluster.label).where(SlipCluster.id == cluster_id)
            )).first()
            if label is None:
                return None
            rows = (await conn.execute(
                select(Slip.id, Slip.number, Slip.status, Slip.street, Slip.community,
                       Slip.lead_department, Slip.category_top, Slip.description,
                       Slip.accepted_at, Slip.due_at, Slip.result, Slip.alert_red_at)
                .where(Slip.cluster_id == cluster_id)
                .order_by(Slip.accepted_at, Slip.id)
            )).all()
        members = []
        for r in rows:
            state = self.workflow.states.get(r.status)
            is_open = state.is_open if state else False
            members.append(ClusterMember(
                id=r.id,
                number=r.number,
                status=r.status,
                status_label=state.label if state else r.status,
                is_open=is_open,
                overdue=is_open and r.alert_red_at is not None and r.alert_red_at <= now,
                street=self.labels.street(r.street),
                community=r.community,
                department_code=r.lead_department,
                department=self.labels.department(r.lead_department),
                category=r.category_top,
                description=r.description,
                accepted_at=r.accepted_at,
                due_at=r.due_at,
                result=r.result,
            ))
        return (label[0] or f"同类诉求 {cluster_id}"), members

    def _conditions(self, f: StatsFilter) -> list[ColumnElement[bool]]:
        lo, hi = local_bounds(f.date_from, f.date_to, self.tz)
        conds: list[ColumnElement[bool]] = []
        if lo is not None:
            conds.append(Slip.accepted_at >= lo)
        if hi is not None:
            conds.append(Slip.accepted_at < hi)
        if f.street:
            conds.append(Slip.street.in_(self.labels.street_values(f.street)))
        if f.category:
            conds.append(Slip.category_top == f.category)
        return conds
