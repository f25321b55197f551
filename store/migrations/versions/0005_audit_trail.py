"""append-only audit trail with an SM3 hash chain

Revision ID: 0005
Revises: 0004
Created: 2026-12-01 20:45:00
"""

from collections.abc import Sequence

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
