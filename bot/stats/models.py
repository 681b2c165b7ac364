"""Indexes for the statistics (migration branch `stats`; the tables belong to bot/slips).

- ix_stats_slip_accepted: every statistics query reads the slips accepted in a date range and
  only these columns, so on PostgreSQL the range is an index-only scan (no heap) at a million
  slips. SQLite gets the plain index on accepted_at.
- ix_stats_survey: the resident's verdicts are `survey` events; a partial index on their time,
  holding their slip, sequence number and data, lets the survey query read only the answers
  given since the range began (a slip is surveyed after it is accepted) without touching the
  event heap.
- ix_stats_survey_words: the answers that say more than a verdict, by time, for the list of
  what residents said (群众评价原话): it reads them alone, newest first;
  ix_stats_survey_words_merged: those of merged residents, whose department (the kept
  slip's) the list for one department looks up apart.
- ix_stats_survey_replaces: the few answers that change an earlier one (data.replaces), which
  the survey query leaves out by an anti-join; by slip, so that the anti-join is cheap whether
  PostgreSQL hashes them all or looks each answer's slip up (it does for one department,
  whose answers it cannot estimate).

A column a statistics query reads and these indexes lack sends PostgreSQL back to a sequential
scan of the whole table (at 1,000,000 slips: `openid` and `seq` did, twice the time;
migration stats0002). tests/bot/stats checks the plans.
"""

from __future__ import annotations

from sqlalchemy import Index, text

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
    "openid",  # a survey that nobody answered (yet) needs someone to have been asked
)

slip_accepted = Index(
    "ix_stats_slip_accepted",
    Slip.__table__.c.accepted_at,
    postgresql_include=list(STATS_COLUMNS),
)

survey_events = Index(
    "ix_stats_survey",
    SlipEvent.__table__.c.at,
    postgresql_include=["slip_id", "seq", "data"],
    postgresql_where=SlipEvent.__table__.c.action == "survey",
    sqlite_where=SlipEvent.__table__.c.action == "survey",
)

replacing_answers = Index(
    "ix_stats_survey_replaces",
    SlipEvent.__table__.c.slip_id,
    postgresql_include=["at", "data"],
    postgresql_where=text("action = 'survey' AND ((data ->> 'replaces'))::varchar IS NOT NULL"),
    sqlite_where=text("action = 'survey' AND json_extract(data, '$.\"replaces\"') IS NOT NULL"),
)

answers_with_words = Index(
    "ix_stats_survey_words",
    SlipEvent.__table__.c.at,
    postgresql_include=["slip_id"],
    postgresql_where=text("action = 'survey' AND note IS NOT NULL"),
    sqlite_where=text("action = 'survey' AND note IS NOT NULL"),
)

merged_answers_with_words = Index(
    "ix_stats_survey_words_merged",
    SlipEvent.__table__.c.at,
    postgresql_include=["slip_id"],
    postgresql_where=text("action = 'survey' AND note IS NOT NULL"
                          " AND ((data ->> 'kept'))::varchar IS NOT NULL"),
    sqlite_where=text("action = 'survey' AND note IS NOT NULL"
                      " AND json_extract(data, '$.\"kept\"') IS NOT NULL"),
)
