"""SQL conditions for listing slips: the actor's scope, the console filters, free-text search."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import Text

from bot.slips.actor import Actor
from bot.slips.models import Slip, SlipDepartment
from bot.slips.views import SlipFilter
from bot.slips.workflow import Workflow

ALL_SEEING = frozenset({"dispatcher", "supervisor", "admin"})
_NUMBER = re.compile(r"^[A-Za-z]{1,8}\d{8,}$")
_PHONE = re.compile(r"^\+?\d{7,15}$")
# The last digits of a slip number ("0017", "2026112500017") or of a phone number ("5678").
_TAIL = re.compile(r"^\d{4,15}$")


def bigrams(text: str) -> list[str]:
    """The search grams of `text`, as the minyi_bigrams() SQL function makes them."""
    lowered = "".join(c.lower() if c.isascii() else c for c in text)
    grams = {lowered[i : i + 2] for i in range(len(lowered) - 1)}
    return sorted(g for g in grams if not any(c.isspace() for c in g))


def scope_condition(actor: Actor, dialect: str = "sqlite") -> ColumnElement[bool]:
    """Which slips the actor may see. A handler: the lead department's slips (its own index)
    or those it co-handles (slip_department). On PostgreSQL the co-handled ids come as
    ANY(ARRAY(subquery)) so the planner can OR and AND them with other bitmap index scans
    (the search index), which `IN (subquery)` inside an OR would prevent."""
    if actor.kind == "system":
        return true()
    if actor.kind == "resident":
        return Slip.openid == actor.id
    if actor.role in ALL_SEEING:
        return true()
    if actor.role == "handler" and actor.department:
        if dialect == "postgresql":
            co = text(
                "slip.id = ANY(ARRAY(SELECT slip_department.slip_id FROM slip_department "
                "WHERE slip_department.department = :scope_department "
                "AND slip_department.role = '协办'))"
            ).bindparams(scope_department=actor.department)
        else:
            co = Slip.id.in_(select(SlipDepartment.slip_id).where(
                SlipDepartment.department == actor.department, SlipDepartment.role == "协办"
            ))
        return or_(Slip.lead_department == actor.department, co)
    return false()


def filter_conditions(
    f: SlipFilter, workflow: Workflow, *, now: datetime, tz: ZoneInfo, dialect: str
) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if f.status:
        codes = (f.status,) if isinstance(f.status, str) else tuple(f.status)
        expanded: list[str] = []
        for code in codes:
            if code == "open":
                expanded.extend(workflow.open_states)
            elif code == "closed":
                expanded.extend(workflow.closed_states)
            else:
                expanded.append(code)
        conds.append(Slip.status.in_(expanded))
    if f.department:
        conds.append(Slip.lead_department == f.department)
    if f.urgency:
        conds.append(Slip.urgency == f.urgency)
    if f.area:
        conds.append(or_(Slip.street == f.area, Slip.community == f.area))
    if f.category:
        conds.append(Slip.category_top == f.category)
    if f.date_from:
        conds.append(Slip.created_at >= datetime.combine(f.date_from, time(0), tzinfo=tz))
    if f.date_to:
        end = datetime.combine(f.date_to + timedelta(days=1), time(0), tzinfo=tz)
        conds.append(Slip.created_at < end)
    if f.supervised is not None:
        conds.append(Slip.supervised.is_(f.supervised))
    if f.queue:
        conds.append(and_(Slip.status == "accepted", Slip.lead_department.is_(None)))
    if f.light:
        conds.append(light_condition(f.light, now))
    return conds


def queue_order() -> tuple[Any, ...]:
    """The dispatcher's queue: 特急 first, then 紧急, then the rest; within each, the response
    deadline that runs out first (then the oldest)."""
    rank = case((Slip.urgency == "特急", 0), (Slip.urgency == "紧急", 1), else_=2)
    return (rank, Slip.response_due_at.asc().nulls_last(), Slip.created_at, Slip.id)


def search_terms(q: str | None) -> list[str]:
    """The words of a free-text query (at most five; every one must match)."""
    return (q or "").split()[:5]


def text_conditions(
    terms: list[str], dialect: str, entity: Any = Slip, *, indexed: bool = True
) -> list[ColumnElement[bool]]:
    """One condition per word. `indexed` adds the bigram index lookup on PostgreSQL (for
    a scan over the whole table); without it the words are matched with LIKE only (for a
    small set of rows already at hand)."""
    return [_term_condition(t, dialect, entity, indexed) for t in terms]


def light_condition(light: str, now: datetime) -> ColumnElement[bool]:
    """Open slips by light (closed slips have no alert times)."""
    if light == "red":
        return Slip.alert_red_at <= now
    if light == "yellow":
        return and_(Slip.alert_yellow_at <= now, Slip.alert_red_at > now)
    if light == "green":
        return Slip.alert_yellow_at > now
    return false()


def _term_condition(term: str, dialect: str, entity: Any, indexed: bool) -> ColumnElement[bool]:
    pattern = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    if dialect == "postgresql":
        text_match = or_(
            entity.description.ilike(pattern, escape="\\"),
            entity.location_text.ilike(pattern, escape="\\"),
        )
        grams = bigrams(term)
        if grams and indexed:
            lookup = func.minyi_bigrams(entity.description, entity.location_text).op("@>")(
                cast(literal(grams, ARRAY(Text)), ARRAY(Text))
            )
            text_match = and_(text_match, lookup)
    else:
        text_match = or_(
            entity.description.like(pattern, escape="\\"),
            entity.location_text.like(pattern, escape="\\"),
        )
    # The number tests first: PostgreSQL checks the ORs of each row the indexes found in the
    # order written, and minyi_bigrams() costs about 0.1 ms a row. Written after them (and
    # after the LIKEs), a slip found by its number's last digits never computes it: "00017"
    # (1,100 slips of 1,000,000) 111 -> 9 ms, its count 93 -> 4 ms.
    alternatives = []
    if _NUMBER.match(term):
        alternatives.append(entity.number == term.upper())
    if _PHONE.match(term):
        alternatives.append(entity.phone == term)
    if _TAIL.match(term):
        alternatives += [_ends_with(entity.number, term, dialect),
                         _ends_with(entity.phone, term, dialect)]
    return or_(*alternatives, text_match)


def _ends_with(column: Any, digits: str, dialect: str) -> ColumnElement[bool]:
    """`column` ends with `digits` (a tail of a slip or phone number: digits only, so nothing
    to escape). On PostgreSQL through the reversed-value indexes of migration slips0006."""
    if dialect == "postgresql":
        return func.reverse(column).like(digits[::-1] + "%")
    return column.like("%" + digits)
