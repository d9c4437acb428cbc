"""notifications: the correlation id of the work that caused each message, so that sending it
is logged (and announced) under that id

Revision ID: 9c4e2a7b5d13
Revises: 2f8b6d4a9c17
Create Date: 2026-12-04 05:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9c4e2a7b5d13"
down_revision: str | None = "2f8b6d4a9c17"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("correlation_id", sa.String(40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("correlation_id")
