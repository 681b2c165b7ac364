"""Fetching a page of slips, newest first, fast at a million rows.

Without free text the filters map onto (column, created_at) indexes and the page is an index
walk. Free text is the hard case: a common word matches tens of thousands of slips (the
bigram index finds them at once, but sorting them all by date means fetching every row),
while a rare one matches a handful (walking the date index would read the whole table). So a
search first looks at the newest `window` slips that pass the other filters and matches the
words there with LIKE (bounded work: enough for the first pages of any common word); only
when that window cannot fill the page does it ask the bigram index for the older matches
(few, or the window would have filled the page). The two parts are disjoint and each is in
date order, so their concatenation is exactly the ordered result.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.slips.models import Slip
from bot.slips.query import text_conditions

ORDER = (Slip.created_at.desc(), Slip.id.desc())


async def page_rows(
    session: AsyncSession,
    base: list[ColumnElement[bool]],
    terms: list[str],
    *,
    dialect: str,
    offset: int,
    limit: int,
    window: int,
    order: tuple[Any, ...] | None = None,
) -> list[Slip]:
    """`order`: another order than newest first, for small sets only (the dispatcher's
    queue): the words are then matched with the bigram index in one query."""
    if order is not None:
        query = (select(Slip).where(*base, *text_conditions(terms, dialect)).order_by(*order)
                 .offset(offset).limit(limit))
        return list((await session.execute(query)).scalars())
    if not terms:
        query = select(Slip).where(*base).order_by(*ORDER).offset(offset).limit(limit)
        return list((await session.execute(query)).scalars())
    need = offset + limit
    recent = select(Slip).where(*base).order_by(*ORDER).limit(window).subquery()
    newest = aliased(Slip, recent)
    found = list((await session.execute(
        select(newest)
        .where(*text_conditions(terms, dialect, newest, indexed=False))
        .order_by(newest.created_at.desc(), newest.id.desc())
        .limit(need)
    )).scalars())
    if len(found) >= need:
        return found[offset:need]
    edge = (await session.execute(
        select(Slip.created_at, Slip.id).where(*base).order_by(*ORDER).offset(window - 1).limit(1)
    )).first()
    if edge is None:  # the window held every slip that passes the filters
        return found[offset:]
    older = list((await session.execute(
        select(Slip)
        .where(*base, *text_conditions(terms, dialect),
               tuple_(Slip.created_at, Slip.id) < tuple_(edge.created_at, edge.id))
        .order_by(*ORDER)
        .offset(max(0, offset - len(found)))
        .limit(need - max(offset, len(found)))
    )).scalars())
    return found[offset:] + older


async def count_rows(
    session: AsyncSession, conds: list[ColumnElement[bool]], cap: int
) -> tuple[int, bool]:
    """(matching slips, exact?) counting at most `cap` + 1 rows."""
    inner = select(Slip.id).where(*conds).limit(cap + 1).subquery()
    total = int((await session.execute(select(func.count()).select_from(inner))).scalar_one())
    return min(total, cap), total <= cap
