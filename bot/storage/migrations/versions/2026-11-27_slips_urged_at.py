"""slips urged at

Revision ID: slips0008
Revises: slips0007
Create Date: 2026-11-27 15:00:00

The time of the last 催办 counted on a slip: another within the policy's urge_gap_hours is a
补充, not a second urge. It lives on the slip (not in the resident's conversation, which an
idle reset forgets) and a 重办 clears it with the count.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "slips0008"
down_revision = "slips0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("slip", schema=None) as batch_op:
        batch_op.add_column(sa.Column("urged_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("slip", schema=None) as batch_op:
        batch_op.drop_column("urged_at")
