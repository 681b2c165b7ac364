"""media copies (bot/media): residents' photos and voice notes saved before WeChat deletes them

Revision ID: media0001
Revises: 0001
Create Date: 2026-11-26 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.storage.types

revision = "media0001"
down_revision = "0001"
branch_labels = ("media",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "media_copy",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("media_id", sa.String(length=256), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column(
            "next_attempt_at", bot.storage.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("locked_until", bot.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("locked_by", sa.String(length=64), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("content_type", sa.String(length=64), nullable=True),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("created_at", bot.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("stored_at", bot.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_copy")),
        sa.UniqueConstraint("media_id", name=op.f("uq_media_copy_media_id")),
    )
    with op.batch_alter_table("media_copy", schema=None) as batch_op:
        batch_op.create_index("ix_media_copy_due", ["status", "next_attempt_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("media_copy", schema=None) as batch_op:
        batch_op.drop_index("ix_media_copy_due")
    op.drop_table("media_copy")
