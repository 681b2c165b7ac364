"""slips: search by the tail of a slip number or a phone number

Revision ID: slips0006
Revises: slips0005
Create Date: 2026-11-27 11:00:00

A resident on the phone reads out "单号尾号 0017" or staff know only "手机尾号 5678": the
console finds slips by the last digits of their number or phone. On PostgreSQL the tails are
looked up as the prefix of the reversed value (LIKE '7100%' on reverse(number) can use a
btree with text_pattern_ops; LIKE '%0017' on number cannot). SQLite scans, as it does for
every text search.
"""

from __future__ import annotations

from alembic import op

revision = "slips0006"
down_revision = "slips0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for column in ("number", "phone"):
            op.execute(
                f"CREATE INDEX IF NOT EXISTS ix_slip_{column}_tail ON slip "
                f"(reverse({column}) text_pattern_ops)"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for column in ("number", "phone"):
            op.execute(f"DROP INDEX IF EXISTS ix_slip_{column}_tail")
