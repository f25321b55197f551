"""simulated_issue.ready_at: simulated back-ends that issue later

Revision ID: 0003
Revises: 0002
Created: 2026-11-29 08:38:24.058543
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import store.models

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("simulated_issue", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("ready_at", store.models.AwareDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("simulated_issue", schema=None) as batch_op:
        batch_op.drop_column("ready_at")
