"""statistics: the survey answers that say something

Revision ID: stats0003
Revises: stats0002
Create Date: 2026-11-27 16:00:00

The dashboard lists what residents said with their ratings (群众评价原话, newest first). Few
answers say more than a verdict: a partial index of those, by time, lets the list read them
alone instead of walking every answer of the range back from the newest and fetching each
from the event heap to see whether it has words.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "stats0003"
down_revision = "stats0002"
branch_labels = None
depends_on = None

WITH_WORDS = "action = 'survey' AND note IS NOT NULL"


def upgrade() -> None:
    op.create_index("ix_stats_survey_words", "slip_event", ["at"], unique=False,
                    postgresql_include=["slip_id"], postgresql_where=sa.text(WITH_WORDS),
                    sqlite_where=sa.text(WITH_WORDS))


def downgrade() -> None:
    op.drop_index("ix_stats_survey_words", table_name="slip_event")
