"""account links: the new address a link to confirm a change of e-mail address stands for

Revision ID: 5d9f1b3e8a27
Revises: 3b8e5d2c7f61
Create Date: 2026-12-02 16:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5d9f1b3e8a27"
down_revision: str | None = "3b8e5d2c7f61"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("account_links") as batch:
        batch.add_column(sa.Column("new_email", sa.String(length=320), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("account_links") as batch:
        batch.drop_column("new_email")
