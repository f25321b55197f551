"""drafts of the unified form

`draft` keeps an applicant's unfinished form (the raw answers sealed, store/sealed.py), one
per applicant and scenario, until it is submitted or replaced (web/drafts.py).

Revision ID: 0009
Revises: 0008
Created: 2026-12-07 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import store.models

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _string(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "draft",
        sa.Column("id", _string(36), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("scenario", _string(64), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),  # sealed (store/sealed.py)
        sa.Column("updated_at", store.models.AwareDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("owner_id", "scenario"),
    )
    op.create_index(op.f("ix_draft_owner_id"), "draft", ["owner_id"])


def downgrade() -> None:
    op.drop_table("draft")
