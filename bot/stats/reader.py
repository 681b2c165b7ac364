"""What every statistics reader holds: the database, the workflow, labels, time zone, clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.slips.workflow import Workflow
from bot.stats.labels import Labels
from bot.storage import Database
from bot.storage.types import utcnow


class SlipReader:
    def __init__(
        self,
        db: Database,
        *,
        workflow: Workflow,
        labels: Labels,
        tz: ZoneInfo,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.workflow = workflow
        self.labels = labels
        self.tz = tz
        self.clock = clock
