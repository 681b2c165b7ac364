"""Similar slips (普遍性): the open-slip source triage matches against, clustering a new slip
with the open slips triage found similar, and the resident's own finished slip a new one
repeats (the problem came back)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.slips.models import Slip, SlipCluster
from bot.storage import Database
from bot.storage.types import utcnow
from knowledge.ports import OpenSlip
from knowledge.similarity import Vector

OPEN_STATES = ("accepted", "dispatched", "signed", "in_progress")


class OpenSlipCache:
    """knowledge.ports.RecentOpenSlips over the slip table: the open slips of the last
    `window_days`, kept in memory because triage asks synchronously. `refresh()` reloads
    them (call it at start and every few minutes: other processes issue slips too); `add()`
    records a slip issued by this process at once."""

    def __init__(
        self, db: Database, *, window_days: int = 30, clock: Callable[[], datetime] = utcnow,
        open_states: tuple[str, ...] = OPEN_STATES,
    ) -> None:
        self._db = db
        self._open_states = open_states
        self._window = timedelta(days=window_days)
        self._clock = clock
        self._slips: dict[str, OpenSlip] = {}
        self._areas: dict[str, tuple[str | None, str | None]] = {}
        self._lock = threading.Lock()

    async def refresh(self) -> int:
        since = self._clock() - self._window
        async with self._db.session() as session:
            rows = (await session.execute(
                select(Slip.number, Slip.description, Slip.area, Slip.created_at)
                .where(Slip.status.in_(self._open_states), Slip.created_at >= since)
            )).all()
        slips, areas = {}, {}
        for number, text, area, created_at in rows:
            slips[number], areas[number] = _open_slip(number, text, area, created_at)
        with self._lock:
            self._slips, self._areas = slips, areas
        return len(slips)

    def add(self, number: str, text: str, area: dict[str, Any] | None, created_at: datetime
            ) -> None:
        slip, codes = _open_slip(number, text, area, created_at)
        with self._lock:
            self._slips[number], self._areas[number] = slip, codes

    def recent_open_slips(self, area_code: str | None, since: datetime) -> Iterable[OpenSlip]:
        with self._lock:
            items = list(self._slips.items())
            areas = dict(self._areas)
        for number, slip in items:
            if slip.created_at < since:
                continue
            if area_code is None or area_code in areas[number]:
                yield slip


def _open_slip(
    number: str, text: str, area: dict[str, Any] | None, created_at: datetime
) -> tuple[OpenSlip, tuple[str | None, str | None]]:
    area = area or {}
    street, community = area.get("street_code"), area.get("community_code")
    return OpenSlip(number, own_words(text), community or street, created_at), (street, community)


# The line a shared link adds to a description (dialogs/text.py link_note): staff read it, but
# triage compares residents' own words, as it classifies them (two complaints that share a
# popular article are not the same problem).
LINK_LINE = "群众发来的链接："


def own_words(description: str) -> str:
    """The description without the lines of links the resident shared."""
    if LINK_LINE not in description:
        return description
    return "\n".join(line for line in description.split("\n") if not line.startswith(LINK_LINE))


async def cluster_with_similar(
    session: AsyncSession, slip: Slip, triage: dict[str, Any], *, min_score: float,
    open_states: tuple[str, ...] = OPEN_STATES,
) -> dict[str, Any]:
    """Put a new slip in the cluster of the most similar open slip triage found (creating the
    cluster when that slip has none). Returns what goes into the first event's data. The
    other slip's row changes only in cluster_id (no workflow column, no version bump)."""
    found = [(s.get("key"), float(s.get("score") or 0)) for s in triage.get("similar") or []
             if isinstance(s, dict)]
    found = [(k, score) for k, score in found if isinstance(k, str) and score >= min_score]
    if not found:
        return {}
    numbers = [k for k, _ in sorted(found, key=lambda f: -f[1])]
    rows = {n: (i, c) for n, i, c in (await session.execute(
        select(Slip.number, Slip.id, Slip.cluster_id)
        .where(Slip.number.in_(numbers), Slip.status.in_(open_states))
    )).all()}
    best = next((n for n in numbers if n in rows), None)
    if best is None:
        return {"similar": numbers}
    other_id, cluster_id = rows[best]
    if cluster_id is None:
        cluster = SlipCluster(label=slip.description[:200], created_at=slip.created_at)
        session.add(cluster)
        await session.flush()
        cluster_id = cluster.id
        await session.execute(
            update(Slip).where(Slip.id == other_id, Slip.cluster_id.is_(None))
            .values(cluster_id=cluster_id).execution_options(synchronize_session=False)
        )
    slip.cluster_id = cluster_id
    return {"similar": numbers, "cluster_id": cluster_id}


FINISHED_STATES = ("resolved", "awaiting_survey", "rated", "archived")
AGAIN_DAYS = 30  # a problem the same resident reports again within this long after it was done
AGAIN_LOOKED_AT = 10  # of their slips finished in that time, the newest this many are compared


async def earlier_alike(
    session: AsyncSession, slip: Slip, compared: Callable[[str], tuple[str, frozenset[str]]],
    *, now: datetime, min_score: float, topic_floor: float,
) -> dict[str, Any]:
    """The resident's own slip finished in the last AGAIN_DAYS that says the same thing as the
    new one ("楼下的垃圾桶又满了 没人收" after "小区垃圾好几天没人收了"): staff see that the
    problem came back. `compared`: knowledge.triage.Triage.compared (the text without place
    names, and the routing rules it fires), scored as the open-slip search scores. Returns what
    goes into the first event's data: {"earlier": {"number", "resolved_at", "score"}} or {}."""
    if not slip.openid:
        return {}
    rows = (await session.execute(
        select(Slip.number, Slip.description, Slip.resolved_at)
        .where(Slip.openid == slip.openid, Slip.id != slip.id,
               Slip.status.in_(FINISHED_STATES),
               Slip.resolved_at >= now - timedelta(days=AGAIN_DAYS))
        .order_by(Slip.resolved_at.desc(), Slip.id.desc()).limit(AGAIN_LOOKED_AT)
    )).all()
    if not rows:
        return {}
    query = Vector.of(*compared(slip.description or ""))
    for number, description, resolved_at in rows:
        score = query.score(Vector.of(*compared(description or "")), topic_floor)
        if score >= min_score:
            return {"earlier": {"number": number, "resolved_at": resolved_at.isoformat(),
                                "score": round(score, 3)}}
    return {}


def earlier_in(data: Any) -> dict[str, Any] | None:
    """The earlier slip an accept event's data names (earlier_alike): {"number", "resolved_at"
    (ISO text, or None)}; None when it names none."""
    earlier = data.get("earlier") if isinstance(data, dict) else None
    if not isinstance(earlier, dict) or not earlier.get("number"):
        return None
    at = earlier.get("resolved_at")
    return {"number": str(earlier["number"]), "resolved_at": at if isinstance(at, str) else None}
