"""coordinator tasks: what a member without e-mail is to be told, passed on by a coordinator

Revision ID: 7a3e5c9d1b42
Revises: 4c1d8e2f6a90
Create Date: 2026-12-02 19:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7a3e5c9d1b42"
down_revision: str | None = "4c1d8e2f6a90"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "coordinator_tasks",
        sa.Column("task_id", sa.String(length=40), nullable=False),
        sa.Column("notification_id", sa.String(length=40), nullable=False),
        sa.Column("member_id", sa.String(length=40), nullable=False),
        sa.Column("template", sa.String(length=40), nullable=False),
        sa.Column("request_id", sa.String(length=40), nullable=True),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("neighbourhood", sa.String(length=12), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_by", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("task_id"),
        sa.UniqueConstraint("notification_id"),
    )
    op.create_index(
        op.f("ix_coordinator_tasks_member_id"), "coordinator_tasks", ["member_id"], unique=False
    )
    op.create_table(
        "coordinator_task_holders",
        sa.Column("task_id", sa.String(length=40), nullable=False),
        sa.Column("coordinator_id", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("task_id", "coordinator_id"),
    )
    op.create_index(
        op.f("ix_coordinator_task_holders_coordinator_id"),
        "coordinator_task_holders",
        ["coordinator_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_coordinator_task_holders_coordinator_id"), table_name="coordinator_task_holders"
    )
    op.drop_table("coordinator_task_holders")
    op.drop_index(op.f("ix_coordinator_tasks_member_id"), table_name="coordinator_tasks")
    op.drop_table("coordinator_tasks")
