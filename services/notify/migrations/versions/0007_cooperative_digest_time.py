"""cooperative_channels: the local time of the daily digest of a cooperative's coordinators

Revision ID: 2f8b6d4a9c17
Revises: 7a3e5c9d1b42
Create Date: 2026-12-03 10:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2f8b6d4a9c17"
down_revision: str | None = "7a3e5c9d1b42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cooperative_channels") as batch:
        batch.add_column(sa.Column("digest_time", sa.String(5), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cooperative_channels") as batch:
        batch.drop_column("digest_time")
