"""Indexes for the statistics (migration branch `stats`; the tables belong to bot/slips).

- ix_stats_slip_accepted: every statistics query reads the slips accepted in a date range and
  only these columns, so on PostgreSQL the range is an index-only scan (no heap) at a million
  slips. SQLite gets the plain index on accepted_at.
- ix_stats_survey: the resident's verdicts are `survey` events; a partial index on their time,
  holding their slip and data, lets the survey query read only the answers given since the
  range began (a slip is surveyed after it is accepted) without touching the event heap.
"""

from __future__ import annotations

from sqlalchemy import Index

from bot.slips.models import Slip, SlipEvent

STATS_COLUMNS = (
    "id",
    "lead_department",
    "street",
    "community",
    "category_top",
    "status",
    "signed_at",
    "response_due_at",
    "resolved_at",
    "due_at",
    "alert_red_at",
    "reopen_count",
    "satisfaction",
)

slip_accepted = Index(
    "ix_stats_slip_accepted",
    Slip.__table__.c.accepted_at,
    postgresql_include=list(STATS_COLUMNS),
)

survey_events = Index(
    "ix_stats_survey",
    SlipEvent.__table__.c.at,
    postgresql_include=["slip_id", "data"],
    postgresql_where=SlipEvent.__table__.c.action == "survey",
    sqlite_where=SlipEvent.__table__.c.action == "survey",
)
