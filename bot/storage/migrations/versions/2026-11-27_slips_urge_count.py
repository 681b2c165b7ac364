"""slips urge count

Revision ID: slips0007
Revises: slips0006
Create Date: 2026-11-27 12:00:00

A resident's 催办 ("能不能快点", "麻烦催一下") is an action of its own on the slip: the count
shows in the staff's lists beside the slip, without reading its events.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "slips0007"
down_revision = "slips0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("slip", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("urge_count", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("slip", schema=None) as batch_op:
        batch_op.drop_column("urge_count")
