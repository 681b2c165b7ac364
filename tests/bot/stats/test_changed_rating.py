"""A rating the resident changes within its survey round ("改成满意" a while after "基本满意")
replaces the first one in the 满意率; it is not a second answer (fifth product review: the public
page showed "2/5 次评价" after one resident changed their mind)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.slips.models import Slip, SlipEvent
from bot.stats.filters import StatsFilter
from bot.stats.queries import Statistics
from bot.storage import Database
from tests.bot.stats.dataset import B, march


async def change(db: Database, number: str, verdict: str) -> None:
    """A later survey answer on the slip, marked as bot/slips/effects.py marks a change."""
    async with db.session() as session:
        slip = (await session.execute(select(Slip).where(Slip.number == number))).scalar_one()
        last = (await session.execute(
            select(SlipEvent).where(SlipEvent.slip_id == slip.id)
            .order_by(SlipEvent.seq.desc()).limit(1))).scalar_one()
        session.add(SlipEvent(
            slip_id=slip.id, seq=last.seq + 1, action="survey", actor_kind="resident",
            actor_id="oAbCdEfGhIjKlMnOpQrStUvWx01", actor_name="居民",
            at=last.at + timedelta(hours=1), from_status="rated", to_status="rated", note=None,
            data={"verdict": verdict, "solved": None, "replaces": last.seq},
            prev_hash="0" * 64, hash=f"{slip.id:063d}x",
        ))


async def test_a_changed_rating_replaces_the_first(stats: Statistics, db: Database) -> None:
    before = await stats.total(StatsFilter(**march(), department=B))
    assert (before.answered, before.satisfied) == (1, 1)
    await change(db, "JB2026030800001", "不满意")
    after = await stats.total(StatsFilter(**march(), department=B))
    assert (after.answered, after.satisfied, after.very_satisfied) == (1, 0, 0)
    await change(db, "JB2026030800001", "基本满意")
    again = await stats.total(StatsFilter(**march(), department=B))
    assert (again.answered, again.satisfied, again.very_satisfied) == (1, 1, 0)
