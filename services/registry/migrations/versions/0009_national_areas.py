"""areas of the whole country: the CBS classification year of an area, and per PC4 the
district and neighbourhood of the national table with their estimated shares

Revision ID: 6a3f9c2e7b14
Revises: 5d2e8b1f4a63
Create Date: 2026-12-04 04:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6a3f9c2e7b14"
down_revision: str | None = "5d2e8b1f4a63"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POSTCODE_COLUMNS = (
    ("district_code", sa.String(length=10)),
    ("district_share", sa.Float()),
    ("district_reliability", sa.String(length=6)),
    ("neighbourhood_code", sa.String(length=10)),
    ("neighbourhood_share", sa.Float()),
    ("municipality_share", sa.Float()),
)


def upgrade() -> None:
    with op.batch_alter_table("areas") as batch:
        batch.add_column(sa.Column("cbs_year", sa.Integer(), nullable=True))
    with op.batch_alter_table("postcodes") as batch:
        for name, kind in POSTCODE_COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("postcodes") as batch:
        for name, _ in reversed(POSTCODE_COLUMNS):
            batch.drop_column(name)
    with op.batch_alter_table("areas") as batch:
        batch.drop_column("cbs_year")
