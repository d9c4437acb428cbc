"""outbox: index unpublished rows only

Revision ID: 3c1e5a7d9b20
Revises: f5112fbf9640
Create Date: 2026-11-27 19:30:00.000000
"""

from collections.abc import Sequence

from shared.migrations import outbox_index_of_every_row, outbox_index_of_unpublished_rows_only

revision: str = "3c1e5a7d9b20"
down_revision: str | None = "f5112fbf9640"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    outbox_index_of_unpublished_rows_only()


def downgrade() -> None:
    outbox_index_of_every_row()
