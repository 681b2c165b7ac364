"""The statistics as SQL (SQLAlchemy Core, GROUP BY with FILTER): one query over the slips, one
over the survey answers (audit events), merged by group. Runs on PostgreSQL and SQLite.

Survey answers are counted from the `survey` events, not from the slip row: a 不满意 reopens the
slip and the row forgets the verdict, the event keeps it (definitions: bot/stats/measures.py).

A resident whose slip was merged into another (合并办理) rates the handling of that kept slip:
their answer (and their 未评价) counts for the kept slip's lead department, the one that did the
work, not for their own slip's (a duplicate merged from the dispatcher's queue has none); by
street, category and period it counts with their own slip, as their slip is counted there.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    exists,
    func,
    literal_column,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.orm import aliased

from bot.slips.models import Slip, SlipEvent
from bot.stats.filters import Dimension, StatsFilter
from bot.stats.measures import StatsRow
from bot.stats.reader import SlipReader
from bot.stats.sql import (
    Period,
    bucket,
    bucket_key,
    bucket_keys,
    hours_between,
    local_bounds,
    median,
    next_bucket,
    reading,
)

GONE = ("withdrawn", "merged")  # closed without being handled: no deadline is owed
SATISFIED = ("满意", "基本满意")
VERDICTS = ("满意", "基本满意", "不满意")
NOT_RATED = "未评价"
EMERGENCIES = ("特急", "紧急")  # the urgencies the dashboard counts on their own
# a later survey answer on the same slip (one that changes an earlier one)
_Later = aliased(SlipEvent)
# the slip a merged duplicate went into (its lead department is credited with the verdict)
_Kept = aliased(Slip)
_TOTAL = literal_column("'total'")  # the key of the grand total (no GROUP BY)


@dataclass(frozen=True)
class HotSpot:
    street: str | None  # street code (or the stored value)
    street_label: str
    community: str | None
    received: int
    open: int
    overdue_now: int
    top_category: str | None
    top_category_count: int
    street_received: int = 0  # the whole street's, as in the table by street


@dataclass(frozen=True)
class Emergency:
    """特急 or 紧急 slips: those being handled now (whenever accepted) and those accepted in
    the period, each with how many are past their response (签收) limit."""

    urgency: str
    open: int = 0  # still being handled now
    open_late: int = 0  # of those: not signed, and the response limit has passed
    received: int = 0  # accepted in the period
    received_late: int = 0  # of those: not signed in time (late, or unsigned past the limit)


@dataclass(frozen=True)
class SurveyWords:
    """What a resident said with a rating: the reason of a 不满意, a comment beside a 满意."""

    number: str  # the slip whose handling was rated (for a merged resident: the kept one)
    at: datetime
    verdict: str
    words: str
    department: str  # the lead department's name, whose handling was rated
    category: str | None


class Statistics(SlipReader):
    """The statistics of the slip tables. Stateless apart from its handles: cheap to build."""

    # -- public API ---------------------------------------------------------------------------
    async def table(
        self, by: Dimension, f: StatsFilter, *, period: Period = "month"
    ) -> list[StatsRow]:
        """One row per group, in a stable order (periods by date, others by received, desc)."""
        return (await self.tables((by,), f, period=period))[by]

    async def tables(
        self, dims: Sequence[Dimension], f: StatsFilter, *, period: Period = "month"
    ) -> dict[Dimension, list[StatsRow]]:
        """Several groupings of the same slips at once. On PostgreSQL one pass over the slips
        with GROUPING SETS (a dashboard's five tables cost about one); SQLite has no grouping
        sets and runs one grouping after the other."""
        if self.db.dialect != "postgresql" and len(dims) > 1:
            return {d: await self.table(d, f, period=period) for d in dims}
        grouping = self._grouping(dims, period)
        # the merged residents' answers and 未评价 count for the kept slip's lead department
        answers = self._grouping(dims, period, department=_answer_department())
        merged = self._grouping(dims, period, department=_Kept.lead_department)
        now = self.clock()
        lo, _ = local_bounds(f.date_from, f.date_to, self.tz)
        conds = self._conditions(f)
        queries = (
            self._slip_query(grouping, conds, now),
            self._survey_query(answers, self._answer_conditions(f), lo),
            self._median_query(grouping, conds),
            self._merged_unanswered_query(merged, self._conditions(f, _Kept.lead_department)),
        )
        if self.db.dialect == "postgresql":
            # four connections at once: the server works on them in parallel (and the
            # counts, free of the ordered-set median, can use parallel workers too)
            slip_rows, survey_rows, median_rows, merged_rows = await asyncio.gather(
                *(self._all(q) for q in queries))
        else:
            async with reading(self.db) as conn:
                slip_rows, survey_rows, median_rows, merged_rows = [
                    (await conn.execute(q)).all() for q in queries]
        slips = grouping.split(slip_rows)
        surveys = answers.split(survey_rows)
        medians = grouping.split(median_rows)
        unrated = merged.split(merged_rows)
        out = {d: self._rows(d, slips[d], surveys[d], medians[d], unrated[d]) for d in dims}
        if "period" in out:
            out["period"] = self._every_period(out["period"], f, period, now)
        return out

    def _every_period(self, rows: list[StatsRow], f: StatsFilter, period: Period,
                      now: datetime) -> list[StatsRow]:
        """The trend with a zero row for each period without slips, so that a time axis is
        true (11-02, 11-03, 11-04, not 11-02 then 11-05 as if the next day). From the range's
        first period to its last, but not past today: the future is not zero, it has not
        happened yet."""
        have = {row.key: row for row in rows}
        found = sorted(key for key in have if key)
        first = f.date_from or (date.fromisoformat(found[0]) if found else None)
        last = min(f.date_to, self._today(now)) if f.date_to else (
            date.fromisoformat(found[-1]) if found else None)
        if first is None or last is None:
            return rows
        keys = set(bucket_keys(first, last, period)) | set(found)
        filled = [have.get(key) or StatsRow(key=key, label=key) for key in sorted(keys)]
        return [_partial(row, period, first, last) for row in filled] + [
            row for row in rows if not row.key]

    def _today(self, now: datetime) -> date:
        return now.astimezone(self.tz).date()

    def _rows(self, by: Dimension, slips: dict[Any, Any], surveys: dict[Any, Any],
              medians: dict[Any, Any], unrated: dict[Any, Any]) -> list[StatsRow]:
        """One row per group. A department may have answers (merged residents rating a slip
        it handled) and none of its own slips in the range: it has a row all the same."""
        rows: list[StatsRow] = []
        for key in dict.fromkeys([*slips, *surveys, *unrated]):
            r = slips.get(key, _NO_SLIPS)
            s = surveys.get(key)
            m = medians.get(key)
            u = unrated.get(key)
            rows.append(StatsRow(
                key=bucket_key(key) if by == "period" else None if key is None else str(key),
                label=self._label(by, key),
                received=r.received,
                response_due=r.response_due,
                responded_on_time=r.responded_on_time,
                completion_due=r.completion_due,
                closed_on_time=r.closed_on_time,
                resolved=r.resolved,
                overdue_now=r.overdue_now,
                reopened=r.reopened,
                reopen_base=r.reopen_base,
                unanswered=r.unanswered + (u.unanswered if u else 0),
                answered=s.answered if s else 0,
                satisfied=s.satisfied if s else 0,
                very_satisfied=s.very_satisfied if s else 0,
                solved=s.solved if s else 0,
                median_hours=_float(m.median) if m is not None else None,
            ))
        if by == "period":
            rows.sort(key=lambda row: row.key or "")
        else:
            rows.sort(key=lambda row: (-row.received, row.label))
        return rows

    async def total(self, f: StatsFilter) -> StatsRow:
        rows = await self.table("total", f)
        return replace(rows[0], key=None, label="合计") if rows else StatsRow(key=None, label="合计")

    async def hot_spots(self, f: StatsFilter, *, limit: int = 20) -> list[HotSpot]:
        """Streets and communities with the most slips, with what is open and overdue now and
        their most frequent category. Counted as the table by street counts (the same slips
        and filters, withdrawn and merged ones included), only finer: a street's communities
        add up to its row there (`street_received`), a street's slips without a community
        forming a row of their own."""
        now = self.clock()
        open_states = self.workflow.open_states
        street = self._street_key()
        q = (
            select(
                street.label("street"),
                Slip.community,
                Slip.category_top,
                func.count().label("received"),
                func.count().filter(Slip.status.in_(open_states)).label("open"),
                func.count().filter(self._overdue(now)).label("overdue"),
            )
            .where(*self._conditions(f))
            .group_by(street, Slip.community, Slip.category_top)
        )
        async with reading(self.db) as conn:
            rows = (await conn.execute(q)).all()
        spots: dict[tuple[str | None, str | None], dict[str, Any]] = {}
        for r in rows:
            spot = spots.setdefault((r.street, r.community), {
                "received": 0, "open": 0, "overdue": 0, "top": None, "top_n": 0})
            spot["received"] += r.received
            spot["open"] += r.open
            spot["overdue"] += r.overdue
            if r.received > spot["top_n"] or (
                r.received == spot["top_n"] and (r.category_top or "") < (spot["top"] or "")
            ):
                spot["top"], spot["top_n"] = r.category_top, r.received
        streets: dict[str | None, int] = {}
        for (street_value, _), v in spots.items():
            streets[street_value] = streets.get(street_value, 0) + v["received"]
        out = [
            HotSpot(
                street=street_value,
                street_label=self.labels.street(street_value),
                community=community,
                received=v["received"],
                open=v["open"],
                overdue_now=v["overdue"],
                top_category=v["top"],
                top_category_count=v["top_n"],
                street_received=streets[street_value],
            )
            for (street_value, community), v in spots.items()
        ]
        out.sort(key=lambda s: (-s.received, -s.open, s.street_label, s.community or ""))
        return out[:limit]

    async def survey_words(self, f: StatsFilter, *, limit: int = 20) -> list[SurveyWords]:
        """What residents said with their ratings, newest first: the answers the 满意率 counts
        (the same slips and department, `_answer_conditions`) that say more than a verdict.
        An answer changed later is listed too: what was said stays said."""
        verdict = SlipEvent.data["verdict"].as_string()
        kept = SlipEvent.data["kept"].as_string()
        lo, _ = local_bounds(f.date_from, f.date_to, self.tz)

        def newest(*conds: ColumnElement[bool]) -> Select[Any]:
            q = (
                select(func.coalesce(kept, Slip.number).label("number"), SlipEvent.at,
                       SlipEvent.id, verdict.label("verdict"), SlipEvent.note,
                       _answer_department().label("department"), Slip.category_top)
                .select_from(SlipEvent)
                .join(Slip, Slip.id == SlipEvent.slip_id)
                .where(SlipEvent.action == "survey", SlipEvent.note.is_not(None),
                       SlipEvent.note != "", *conds)
                .order_by(SlipEvent.at.desc(), SlipEvent.id.desc())
                .limit(limit)
            )
            # surveyed after accepted: an index range
            return q.where(SlipEvent.at >= lo) if lo is not None else q

        if f.department:
            # A merged resident's answer counts for the kept slip's department, which
            # PostgreSQL cannot estimate: asked together, it read every answer with words of
            # the range (340 ms at a million slips). The department's own answers and the
            # merged residents' are asked apart, each newest first from its own index. Only
            # a merged slip's answers have data.kept, so "not merged or no kept" is "no kept"
            # in terms PostgreSQL can estimate.
            base = self._conditions(replace(f, department=None))
            own = newest(*base, Slip.lead_department == f.department,
                         or_(Slip.status != "merged", kept.is_(None)))
            merged = newest(*base, kept.is_not(None), _answer_department() == f.department)
            rows = sorted([*await self._all(own), *await self._all(merged)],
                          key=lambda r: (r.at, r.id), reverse=True)[:limit]
        else:
            rows = await self._all(newest(*self._conditions(f)))
        return [
            SurveyWords(number=r.number, at=r.at, verdict=r.verdict or "", words=r.note,
                        department=self.labels.department(r.department),
                        category=r.category_top)
            for r in rows
        ]

    async def emergencies(self, f: StatsFilter) -> list[Emergency]:
        """特急 and 紧急 (only the one the filter asks for, none for 一般): open now with the
        filter's department, street and category whenever they were accepted, and accepted in
        the period. Late: as 响应率 counts it (signed after the limit, or the limit passed
        unsigned, withdrawn and merged ones not owed); for the open ones, those waiting to be
        signed past their limit. One pass over the urgency index."""
        wanted = [u for u in EMERGENCIES if f.urgency in (None, u)]
        if not wanted:
            return []
        now = self.clock()
        lo, hi = local_bounds(f.date_from, f.date_to, self.tz)
        bounds = [Slip.accepted_at >= lo] if lo is not None else []
        if hi is not None:
            bounds.append(Slip.accepted_at < hi)
        in_period = and_(*bounds) if bounds else true()
        is_open = Slip.status.in_(self.workflow.open_states)
        signed = Slip.signed_at.is_not(None)
        unsigned_late = and_(Slip.signed_at.is_(None), Slip.response_due_at <= now)
        late = or_(and_(signed, Slip.signed_at > Slip.response_due_at),
                   and_(unsigned_late, Slip.status.not_in(GONE)))
        q = (
            select(
                Slip.urgency,
                func.count().filter(is_open).label("open"),
                func.count().filter(and_(is_open, unsigned_late)).label("open_late"),
                func.count().filter(in_period).label("received"),
                func.count().filter(and_(in_period, late)).label("received_late"),
            )
            .where(Slip.urgency.in_(wanted), or_(is_open, in_period),
                   *self._conditions(replace(f, date_from=None, date_to=None)))
            .group_by(Slip.urgency)
        )
        async with reading(self.db) as conn:
            found = {r.urgency: r for r in (await conn.execute(q)).all()}
        return [
            Emergency(u, found[u].open, found[u].open_late, found[u].received,
                      found[u].received_late) if u in found else Emergency(u)
            for u in wanted
        ]

    # -- query building -----------------------------------------------------------------------
    def _grouping(self, dims: Sequence[Dimension], period: Period, *,
                  department: ColumnElement[Any] | None = None) -> _Grouping:
        return _Grouping(tuple(dims), tuple(self._key(d, period, department) for d in dims),
                         sets=len(dims) > 1)

    def _key(self, by: Dimension, period: Period,
             department: ColumnElement[Any] | None = None) -> ColumnElement[Any]:
        """The grouping key; `department`: what stands for the department (by default the
        slip's lead department)."""
        if by == "department":
            return Slip.lead_department if department is None else department
        if by == "street":
            return self._street_key()
        if by == "category":
            return Slip.category_top
        if by == "period":
            return bucket(Slip.accepted_at, period, dialect=self.db.dialect, tz=self.tz)
        if by == "total":
            return _TOTAL
        raise ValueError(f"unknown dimension {by!r}")

    def _street_key(self) -> ColumnElement[Any]:
        """The street code, whether the row holds the code or the name."""
        names = {name: code for code, name in self.labels.streets.items()}
        if not names:
            return Slip.street
        return case(names, value=Slip.street, else_=Slip.street)

    def _conditions(self, f: StatsFilter, department: ColumnElement[Any] | None = None
                    ) -> list[ColumnElement[bool]]:
        """The filter as conditions on the slips; `department`: what the department filter
        applies to (by default the slip's lead department)."""
        lo, hi = local_bounds(f.date_from, f.date_to, self.tz)
        conds: list[ColumnElement[bool]] = []
        if lo is not None:
            conds.append(Slip.accepted_at >= lo)
        if hi is not None:
            conds.append(Slip.accepted_at < hi)
        if f.department:
            conds.append((Slip.lead_department if department is None else department)
                         == f.department)
        if f.street:
            conds.append(Slip.street.in_(self.labels.street_values(f.street)))
        if f.category:
            conds.append(Slip.category_top == f.category)
        if f.urgency:
            conds.append(Slip.urgency == f.urgency)
        return conds or [true()]

    def _answer_conditions(self, f: StatsFilter) -> list[ColumnElement[bool]]:
        """The filter for the survey answers, the department read as the one an answer counts
        for. Before that exact test, a condition the slip index answers keeps only the slips
        that can hold such an answer: the department's own, and merged ones (whose answers are
        about the slip they went into), not every slip of the range."""
        conds = self._conditions(replace(f, department=None))
        if f.department:
            conds += [or_(Slip.lead_department == f.department, Slip.status == "merged"),
                      _answer_department() == f.department]
        return conds

    def _overdue(self, now: datetime) -> ColumnElement[bool]:
        return and_(Slip.status.in_(self.workflow.open_states), Slip.alert_red_at <= now)

    def _slip_query(
        self, grouping: _Grouping, conds: Sequence[ColumnElement[bool]], now: datetime
    ) -> Select[Any]:
        open_states = self.workflow.open_states
        signed = Slip.signed_at.is_not(None)
        resolved = Slip.resolved_at.is_not(None)
        columns: list[Any] = [
            *grouping.head(),
            func.count().label("received"),
            func.count().filter(or_(
                signed,
                and_(Slip.response_due_at <= now, Slip.status.not_in(GONE)),
            )).label("response_due"),
            func.count().filter(and_(signed, Slip.signed_at <= Slip.response_due_at))
            .label("responded_on_time"),
            func.count().filter(or_(
                resolved,
                and_(Slip.due_at <= now, Slip.status.in_(open_states)),
            )).label("completion_due"),
            func.count().filter(and_(resolved, Slip.resolved_at <= Slip.due_at))
            .label("closed_on_time"),
            func.count().filter(resolved).label("resolved"),
            func.count().filter(self._overdue(now)).label("overdue_now"),
            func.count().filter(Slip.reopen_count > 0).label("reopened"),
            func.count().filter(or_(resolved, Slip.reopen_count > 0)).label("reopen_base"),
            # a survey its own resident did not answer (yet): a slip entered by staff has
            # nobody to ask; a merged resident's 未评价 is about the slip theirs went into
            # (_merged_unanswered_query)
            func.count().filter(and_(Slip.openid.is_not(None), or_(
                Slip.status == "awaiting_survey",
                and_(Slip.satisfaction == NOT_RATED, Slip.status != "merged"),
            ))).label("unanswered"),
        ]
        return grouping.apply(select(*columns).where(*conds))

    def _survey_query(
        self, grouping: _Grouping, conds: Sequence[ColumnElement[bool]],
        since: datetime | None,
    ) -> Select[Any]:
        """The answers to the surveys of the slips. A slip is surveyed after it is accepted,
        so with a range only the answers given since its start are read (an index range)."""
        verdict = SlipEvent.data["verdict"].as_string()
        said = SlipEvent.data["solved"].as_boolean()
        replaces = _Later.data["replaces"]
        # The answers that replace another: only those that replace something (the hash of
        # the anti-join holds these few, not every answer), and, with a range, only those
        # given since its start (a replacement comes after the answer it replaces). At
        # 1,000,000 slips this took the 180-day answers from 1.1 s to 0.65 s.
        later = [_Later.slip_id == SlipEvent.slip_id, _Later.action == "survey",
                 replaces.as_string().is_not(None), replaces.as_integer() == SlipEvent.seq]
        if since is not None:
            later.append(_Later.at >= since)
        solved = or_(
            said == True,  # noqa: E712  (SQL, not Python truthiness)
            and_(said.is_(None), verdict.in_(SATISFIED)),
        )
        q = (
            select(
                *grouping.head(),
                func.count().filter(verdict.in_(VERDICTS)).label("answered"),
                func.count().filter(verdict.in_(SATISFIED)).label("satisfied"),
                func.count().filter(verdict == "满意").label("very_satisfied"),
                func.count().filter(solved).label("solved"),
            )
            .select_from(SlipEvent)
            .join(Slip, Slip.id == SlipEvent.slip_id)
            # (the verdict test sits in the FILTERs: in WHERE, PostgreSQL cannot estimate it
            # and picks a nested loop over every answer)
            .where(SlipEvent.action == "survey", *conds,
                   # a verdict the resident changed afterwards counts as the new one only
                   # (bot/slips/effects.py marks the change with the answer it replaces)
                   ~exists().where(*later))
        )
        if since is not None:
            q = q.where(SlipEvent.at >= since)
        return grouping.apply(q)

    def _merged_unanswered_query(
        self, grouping: _Grouping, conds: Sequence[ColumnElement[bool]]
    ) -> Select[Any]:
        """The merged residents who did not answer the survey of the slip theirs went into
        (未评价 on their own slip, which stays merged), grouped with the kept slip's lead
        department. Few rows: the merged slips of the range."""
        return grouping.apply(
            select(*grouping.head(), func.count().label("unanswered"))
            .select_from(Slip)
            .join(_Kept, _Kept.id == Slip.merged_into_id)
            # (merged_into_id IS NOT NULL, implied by the join, lets PostgreSQL read only the
            # merged slips' entries of its index: without it, at 1,000,000 slips it merge-
            # joined over the whole index, 1.2 s instead of 57 ms for 180 days)
            .where(Slip.merged_into_id.is_not(None), Slip.status == "merged",
                   Slip.satisfaction == NOT_RATED, Slip.openid.is_not(None), *conds)
        )

    def _median_query(
        self, grouping: _Grouping, conds: Sequence[ColumnElement[bool]]
    ) -> Select[Any]:
        """The exact median handling time per group: percentile_cont on PostgreSQL; on SQLite
        (no ordered-set aggregates) the durations ranked in each group, averaging the middle
        one or two."""
        duration = hours_between(Slip.accepted_at, Slip.resolved_at, dialect=self.db.dialect)
        done = Slip.resolved_at.is_not(None)
        if self.db.dialect == "postgresql":
            return grouping.apply(
                select(*grouping.head(), median(duration).label("median")).where(done, *conds))
        key = grouping.keys[0]
        part = None if _is_total(key) else key
        ranked = (
            select(
                key.label("key"),
                duration.label("d"),
                func.row_number().over(partition_by=part, order_by=duration).label("rn"),
                func.count().over(partition_by=part).label("n"),
            )
            .where(done, *conds)
            .subquery()
        )
        return (
            select(ranked.c.key, func.avg(ranked.c.d).label("median"))
            .where(or_(ranked.c.rn == (ranked.c.n + 1) // 2, ranked.c.rn == (ranked.c.n + 2) // 2))
            .group_by(ranked.c.key)
        )

    async def _all(self, q: Select[Any]) -> list[Any]:
        async with reading(self.db) as conn:
            return list((await conn.execute(q)).all())

    def _label(self, by: Dimension, key: Any) -> str:
        if by == "department":
            return self.labels.department(key)
        if by == "street":
            return self.labels.street(key)
        if by == "category":
            return self.labels.category(key)
        if by == "total":
            return "合计"
        return bucket_key(key) or ""


@dataclass(frozen=True)
class _Grouping:
    """How a query groups: by one key (selected as "key"), or by several at once with
    GROUPING SETS (keys selected as k0, k1, … with the grouping() mask as "g"; the grand
    total is the empty set)."""

    dims: tuple[Dimension, ...]
    keys: tuple[ColumnElement[Any], ...]
    sets: bool

    @property
    def _real(self) -> list[ColumnElement[Any]]:
        return [k for k in self.keys if not _is_total(k)]

    def head(self) -> list[Any]:
        if not self.sets:
            return [self.keys[0].label("key")]
        real = self._real
        return [*(k.label(f"k{i}") for i, k in enumerate(real)),
                func.grouping(*real).label("g")]

    def apply(self, q: Select[Any]) -> Select[Any]:
        if not self.sets:
            return _grouped(q, self.keys[0])
        sets = [tuple_(k) for k in self._real]
        if any(_is_total(k) for k in self.keys):
            sets.append(tuple_())
        return q.group_by(func.grouping_sets(*sets))

    def split(self, rows: Sequence[Any]) -> dict[Dimension, dict[Any, Any]]:
        """The rows of each dimension, by their key."""
        if not self.sets:
            return {self.dims[0]: {r.key: r for r in rows}}
        real_dims = [d for d, k in zip(self.dims, self.keys, strict=True) if not _is_total(k)]
        n = len(real_dims)
        full = (1 << n) - 1
        out: dict[Dimension, dict[Any, Any]] = {d: {} for d in self.dims}
        for r in rows:
            if r.g == full:  # grouped by nothing: the grand total
                out["total"]["total"] = r
                continue
            i = n - (full ^ r.g).bit_length()  # grouping(): the first key is the high bit
            out[real_dims[i]][r._mapping[f"k{i}"]] = r
        return out


def _answer_department() -> ColumnElement[Any]:
    """The department a survey answer counts for: the lead department of the slip whose
    handling it rates. A merged resident's answer names the kept slip (data.kept, written by
    bot/slips/effects.py); it is looked up only for those (a subquery in a CASE branch, by the
    unique number), so the other answers are read from the index as before."""
    kept = SlipEvent.data["kept"].as_string()
    handled_by = select(_Kept.lead_department).where(_Kept.number == kept).scalar_subquery()
    return case((kept.is_not(None), handled_by), else_=Slip.lead_department)


@dataclass(frozen=True)
class _NoSlips:
    """The slip counts of a group that has answers but no slips of its own in the range."""

    received: int = 0
    response_due: int = 0
    responded_on_time: int = 0
    completion_due: int = 0
    closed_on_time: int = 0
    resolved: int = 0
    overdue_now: int = 0
    reopened: int = 0
    reopen_base: int = 0
    unanswered: int = 0


_NO_SLIPS = _NoSlips()


_UNIT = {"week": "周", "month": "月"}


def _partial(row: StatsRow, period: Period, first: date, last: date) -> StatsRow:
    """A week or month the range cuts (or today ends) is labelled with the days it covers: a
    trend's last bar of three days is not a bad week."""
    if period not in _UNIT:
        return row
    start = date.fromisoformat(row.key or "")
    end = next_bucket(start, period) - timedelta(days=1)
    covered_from, covered_to = max(start, first), min(end, last)
    if (covered_from, covered_to) == (start, end) or covered_from > covered_to:
        return row
    return replace(
        row,
        label=f"{row.key}（不满一{_UNIT[period]}：{covered_from:%m-%d} 至 {covered_to:%m-%d}）",
        covers=f"{covered_from.isoformat()}/{covered_to.isoformat()}",
    )


def _is_total(key: ColumnElement[Any]) -> bool:
    return key is _TOTAL


def _grouped(q: Select[Any], key: ColumnElement[Any]) -> Select[Any]:
    """GROUP BY the key, or no GROUP BY at all for the grand total (one row even when no
    slip matches)."""
    return q if _is_total(key) else q.group_by(key)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)
