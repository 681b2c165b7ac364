"""statistics indexes (bot/stats/models.py)

Revision ID: stats0001
Revises: 0001 (needs slips0001)
Create Date: 2026-11-25 20:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "stats0001"
down_revision = "0001"
branch_labels = ("stats",)
depends_on = ("slips0001",)  # the indexes are on the slip tables

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


def upgrade() -> None:
    op.create_index(
        "ix_stats_slip_accepted",
        "slip",
        ["accepted_at"],
        unique=False,
        postgresql_include=STATS_COLUMNS,
    )
    op.create_index(
        "ix_stats_survey",
        "slip_event",
        ["at"],
        unique=False,
        postgresql_include=["slip_id", "data"],
        postgresql_where=sa.text("action = 'survey'"),
        sqlite_where=sa.text("action = 'survey'"),
    )


def downgrade() -> None:
    op.drop_index("ix_stats_survey", table_name="slip_event")
    op.drop_index("ix_stats_slip_accepted", table_name="slip")
