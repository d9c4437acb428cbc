"""volunteer_profiles: the day a paused profile resumes by itself

Revision ID: 7e2a9c4b1d63
Revises: 09458c02d2e9
Create Date: 2026-12-02 16:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7e2a9c4b1d63"
down_revision: str | None = "09458c02d2e9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("volunteer_profiles") as batch:
        batch.add_column(sa.Column("paused_until", sa.Date(), nullable=True))
    op.create_index(
        "ix_volunteer_profiles_paused_until",
        "volunteer_profiles",
        ["paused_until"],
        postgresql_where=sa.text("paused_until IS NOT NULL"),
        sqlite_where=sa.text("paused_until IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_volunteer_profiles_paused_until", table_name="volunteer_profiles")
    with op.batch_alter_table("volunteer_profiles") as batch:
        batch.drop_column("paused_until")
