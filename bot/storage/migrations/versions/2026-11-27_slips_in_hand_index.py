"""slips in hand index

Revision ID: slips0005
Revises: slips0004
Create Date: 2026-11-27 10:00:00

The handler's workbench lists their department's signed slips (已签收, 办理中) nearest
deadline first: a small partial index in that order, like the other workbench queues.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "slips0005"
down_revision = "slips0004"
branch_labels = None
depends_on = None

IN_HAND = "status IN ('signed', 'in_progress')"


def upgrade() -> None:
    with op.batch_alter_table("slip", schema=None) as batch_op:
        batch_op.create_index(
            "ix_slip_in_hand",
            ["lead_department", "due_at"],
            unique=False,
            postgresql_where=sa.text(IN_HAND),
            sqlite_where=sa.text(IN_HAND),
        )


def downgrade() -> None:
    with op.batch_alter_table("slip", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_slip_in_hand",
            postgresql_where=sa.text(IN_HAND),
            sqlite_where=sa.text(IN_HAND),
        )
