"""volunteer profiles: which reminder about the certificate of conduct went out

Revision ID: 5d2e8b1f4a63
Revises: 4c1d7a9e3b20
Create Date: 2026-12-03 10:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5d2e8b1f4a63"
down_revision: str | None = "4c1d7a9e3b20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("volunteer_profiles") as batch:
        batch.add_column(sa.Column("certificate_notice", sa.String(length=10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("volunteer_profiles") as batch:
        batch.drop_column("certificate_notice")
