"""request_keys: a client's Idempotency-Key per requester

Revision ID: 3c9e5b7d1a24
Revises: 7a2d4c6e8f10
Create Date: 2026-12-02 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3c9e5b7d1a24"
down_revision: str | None = "7a2d4c6e8f10"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "request_keys",
        sa.Column("requester_id", sa.String(length=40), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("request_id", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("requester_id", "idempotency_key"),
    )


def downgrade() -> None:
    op.drop_table("request_keys")
