"""login failures: slowing failed log-ins down per pair, address and client

Revision ID: 7c2f3a9d1e40
Revises: 1dd1521f499c
Create Date: 2026-12-01 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c2f3a9d1e40"
down_revision: str | None = "1dd1521f499c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_failures",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    # The old log-in counters named e-mail addresses in the clear; they are no longer read.
    op.execute("DELETE FROM rate_limits WHERE bucket LIKE 'login%'")


def downgrade() -> None:
    op.drop_table("login_failures")
