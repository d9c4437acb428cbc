"""outbox: index unpublished rows only

Revision ID: 7a2d4c6e8f10
Revises: f8f3c2fef56e
Create Date: 2026-11-27 19:30:00.000000
"""

from collections.abc import Sequence

from shared.migrations import outbox_index_of_every_row, outbox_index_of_unpublished_rows_only

revision: str = "7a2d4c6e8f10"
down_revision: str | None = "f8f3c2fef56e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    outbox_index_of_unpublished_rows_only()


def downgrade() -> None:
    outbox_index_of_every_row()
