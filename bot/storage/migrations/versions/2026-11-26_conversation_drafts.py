"""conversation drafts (bot/storage/drafts.py)

Revision ID: conversations0001
Revises: 0001
Create Date: 2026-11-26 20:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.storage.types

revision = "conversations0001"
down_revision = "0001"
branch_labels = ("conversations",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conversation_draft",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("state", bot.storage.types.JSONType(), nullable=False),
        sa.Column("updated_at", bot.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_conversation_draft")),
    )


def downgrade() -> None:
    op.drop_table("conversation_draft")
