"""organisations and offers: address, structured opening hours, edited and retired

Revision ID: 4c1d7a9e3b20
Revises: 8f3b0d5c2e74
Create Date: 2026-12-02 19:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "4c1d7a9e3b20"
down_revision: str | None = "8f3b0d5c2e74"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organisations") as batch:
        batch.add_column(sa.Column("address", sa.String(length=300), nullable=True))
        batch.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("offers") as batch:
        batch.add_column(
            sa.Column("opening_hours", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("offers") as batch:
        batch.drop_column("retired_at")
        batch.drop_column("updated_at")
        batch.drop_column("opening_hours")
    with op.batch_alter_table("organisations") as batch:
        batch.drop_column("retired_at")
        batch.drop_column("updated_at")
        batch.drop_column("address")
