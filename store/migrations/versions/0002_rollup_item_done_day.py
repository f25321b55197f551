"""rollup_item_done_day for /metrics; drop the item indexes /metrics read before

The new table starts empty: a database that held ended cases needs `onego rebuild-rollups`
once after this upgrade (docs/deployment.md).

Revision ID: 0002
Revises: 0001
Created: 2026-11-29 05:29:38.057731
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rollup_item_done_day",
        sa.Column("grain", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("department", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("item", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("mode", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("bucket", sa.Integer(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("elapsed_days", sa.Float(), nullable=False),
        sa.Column("breached", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("grain", "day", "department", "item", "mode", "bucket"),
        sqlite_with_rowid=False,
    )
    # /metrics read these two; it reads the rollups now and no other query uses them
    op.drop_index("ix_case_item_breached", table_name="case_item")
    op.drop_index("ix_case_item_metrics", table_name="case_item")


def downgrade() -> None:
    op.create_index(
        "ix_case_item_metrics",
        "case_item",
        ["status", "department", "item", "mode", "elapsed_days"],
        unique=False,
    )
    op.create_index(
        "ix_case_item_breached",
        "case_item",
        ["department", "item"],
        unique=False,
        sqlite_where=sa.text("breached = 1"),
        postgresql_where=sa.text("breached"),
    )
    op.drop_table("rollup_item_done_day")
