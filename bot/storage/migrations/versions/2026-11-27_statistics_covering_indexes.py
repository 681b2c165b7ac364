"""statistics: covering indexes that cover again, and one for changed verdicts

Revision ID: stats0002
Revises: stats0001
Create Date: 2026-11-27 09:00:00

At 1,000,000 slips PostgreSQL read the whole slip and slip_event heaps for every statistics
query: the slip counts had come to read `openid` (a survey nobody answered) and the survey
answers `seq` (an answer changed later), neither in the covering indexes, so a parallel
sequential scan beat the index. Both are now included, and the few answers that replace an
earlier one get a small partial index of their own, by slip, for the anti-join: it read every
answer of the range to find them, or, for one department (whose row count PostgreSQL cannot
estimate), looked each answer's slip up in the full event index. Total of 180 days
1.15-1.29 s -> 0.50-0.68 s, one department's 1.09-1.16 s -> 0.78-0.98 s (docs/benchmarks.md).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "stats0002"
down_revision = "stats0001"
branch_labels = None
depends_on = None

STATS_COLUMNS = [
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
]
SURVEY = "action = 'survey'"
REPLACES_PG = "action = 'survey' AND ((data ->> 'replaces'))::varchar IS NOT NULL"
REPLACES_SQLITE = "action = 'survey' AND json_extract(data, '$.\"replaces\"') IS NOT NULL"


def _slip_accepted(include: list[str]) -> None:
    op.create_index("ix_stats_slip_accepted", "slip", ["accepted_at"], unique=False,
                    postgresql_include=include)


def _survey(include: list[str]) -> None:
    op.create_index("ix_stats_survey", "slip_event", ["at"], unique=False,
                    postgresql_include=include, postgresql_where=sa.text(SURVEY),
                    sqlite_where=sa.text(SURVEY))


def upgrade() -> None:
    op.drop_index("ix_stats_slip_accepted", table_name="slip")
    _slip_accepted([*STATS_COLUMNS, "openid"])
    op.drop_index("ix_stats_survey", table_name="slip_event")
    _survey(["slip_id", "seq", "data"])
    op.create_index("ix_stats_survey_replaces", "slip_event", ["slip_id"], unique=False,
                    postgresql_include=["at", "data"],
                    postgresql_where=sa.text(REPLACES_PG),
                    sqlite_where=sa.text(REPLACES_SQLITE))


def downgrade() -> None:
    op.drop_index("ix_stats_survey_replaces", table_name="slip_event")
    op.drop_index("ix_stats_survey", table_name="slip_event")
    _survey(["slip_id", "data"])
    op.drop_index("ix_stats_slip_accepted", table_name="slip")
    _slip_accepted(STATS_COLUMNS)
