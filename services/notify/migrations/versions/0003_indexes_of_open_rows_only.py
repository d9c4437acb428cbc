"""outbox and notifications: index the rows still to be handled only

Revision ID: 9b3f5d7a1c42
Revises: e98b2c647895
Create Date: 2026-11-27 19:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.migrations import outbox_index_of_every_row, outbox_index_of_unpublished_rows_only

revision: str = "9b3f5d7a1c42"
down_revision: str | None = "e98b2c647895"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# As they were written here (a revision keeps its meaning when the code moves on).
OPEN_NOTIFICATION = sa.text("status IN ('pending', 'held', 'retrying')")
SENDING_NOTIFICATION = sa.text("status = 'sending'")


def upgrade() -> None:
    outbox_index_of_unpublished_rows_only()
    op.drop_index("ix_notifications_due", table_name="notifications")
    op.create_index(
        "ix_notifications_open",
        "notifications",
        ["due_at", "id"],
        postgresql_where=OPEN_NOTIFICATION,
        sqlite_where=OPEN_NOTIFICATION,
    )
    op.create_index(
        "ix_notifications_sending",
        "notifications",
        ["sending_since"],
        postgresql_where=SENDING_NOTIFICATION,
        sqlite_where=SENDING_NOTIFICATION,
    )


def downgrade() -> None:
    op.drop_index("ix_notifications_sending", table_name="notifications")
    op.drop_index("ix_notifications_open", table_name="notifications")
    op.create_index("ix_notifications_due", "notifications", ["status", "due_at"])
    outbox_index_of_every_row()
