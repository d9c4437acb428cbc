"""preferences: the local time of a coordinator's daily digest

Revision ID: 4c1d8e2f6a90
Revises: 4c1d2e8f6a90
Create Date: 2026-12-02 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "4c1d8e2f6a90"
down_revision: str | None = "4c1d2e8f6a90"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("preferences") as batch:
        batch.add_column(sa.Column("digest_time", sa.String(5), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("preferences") as batch:
        batch.drop_column("digest_time")
