"""candidates: a volunteer whose neighbourhood is not known (only the district) is a candidate
too, found from the district

Revision ID: 8d2b6f4a1c35
Revises: 5e1f7a9c3b60
Create Date: 2026-12-04 05:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8d2b6f4a1c35"
down_revision: str | None = "5e1f7a9c3b60"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("candidates") as batch:
        batch.alter_column("neighbourhood", existing_type=sa.String(12), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM candidates WHERE neighbourhood IS NULL")
    with op.batch_alter_table("candidates") as batch:
        batch.alter_column("neighbourhood", existing_type=sa.String(12), nullable=False)
