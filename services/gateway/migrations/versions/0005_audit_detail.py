"""audit log: what a change to a cooperative changed (field names and new values, no people)

Revision ID: 6e1a4c8d2b95
Revises: 5d9f1b3e8a27
Create Date: 2026-12-03 11:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6e1a4c8d2b95"
down_revision: str | None = "5d9f1b3e8a27"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("detail", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("detail")
