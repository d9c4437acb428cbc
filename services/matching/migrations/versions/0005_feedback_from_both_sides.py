"""requests: feedback from both sides (the requester's when, the volunteer's score, comment, when)

Revision ID: 5e1f7a9c3b60
Revises: 3c9e5b7d1a24
Create Date: 2026-12-02 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "5e1f7a9c3b60"
down_revision: str | None = "3c9e5b7d1a24"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        batch.add_column(
            sa.Column("requester_feedback_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("volunteer_score", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("volunteer_comment", sa.Text(), nullable=True))
        batch.add_column(
            sa.Column("volunteer_feedback_at", sa.DateTime(timezone=True), nullable=True)
        )
    # Feedback given before: the score and comment were the requester's when they came with
    # it (a volunteer's went there too, but cannot be told apart now).
    op.execute(
        "UPDATE requests SET requester_feedback_at = completed_at "
        "WHERE score IS NOT NULL OR comment IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        batch.drop_column("volunteer_feedback_at")
        batch.drop_column("volunteer_comment")
        batch.drop_column("volunteer_score")
        batch.drop_column("requester_feedback_at")
