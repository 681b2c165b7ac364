"""The statistics services a web process shares: figures, hot issues, public records, and the
cache in front of the public ones. Built once per process by handlers (setup_public)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.slips.workflow import Workflow, load_workflow
from bot.stats.cache import TTLCache, WatermarkCache
from bot.stats.clusters import HotIssues
from bot.stats.labels import Labels
from bot.stats.public import PublicSlips
from bot.stats.queries import Statistics
from bot.stats.watermark import slip_watermark
from bot.storage import Database
from bot.storage.types import utcnow

# How old public figures and lists may be (seconds); the public pages say so. A change to any
# slip drops them all at once sooner (PUBLIC_CHECK), so that the pages agree with each other.
PUBLIC_TTL = 300.0
# How often a web process reads the slips' watermark (seconds): see bot/stats/cache.py. In a
# city slips change every few seconds, so this is also how often a page is computed again
# while visitors keep asking: not every second, as the year's figures take about 2 s at a
# million slips (docs/benchmarks.md); pages agree with each other within this time.
PUBLIC_CHECK = 30.0
# Dashboard figures: a short cache so that a page, its charts and an export agree and a
# reload storm does not rerun every query.
DASHBOARD_TTL = 30.0


@dataclass
class StatsServices:
    stats: Statistics
    hot: HotIssues
    public: PublicSlips
    labels: Labels
    workflow: Workflow
    tz: ZoneInfo
    public_cache: WatermarkCache
    dashboard_cache: TTLCache

    @classmethod
    def build(
        cls,
        db: Database,
        *,
        labels: Labels,
        tz: ZoneInfo,
        workflow: Workflow | None = None,
        clock: Callable[[], datetime] = utcnow,
        public_ttl: float = PUBLIC_TTL,
        public_check: float = PUBLIC_CHECK,
        dashboard_ttl: float = DASHBOARD_TTL,
    ) -> StatsServices:
        workflow = workflow or load_workflow()
        kw = {"workflow": workflow, "labels": labels, "tz": tz, "clock": clock}
        return cls(
            stats=Statistics(db, **kw),
            hot=HotIssues(db, **kw),
            public=PublicSlips(db, **kw),
            labels=labels,
            workflow=workflow,
            tz=tz,
            public_cache=WatermarkCache(public_ttl, lambda: slip_watermark(db),
                                        check_every=public_check),
            dashboard_cache=TTLCache(dashboard_ttl, max_entries=256),
        )

    def now(self) -> datetime:
        return self.stats.clock()
