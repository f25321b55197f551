"""sign-in security (token version, lockout, TOTP, disabled users)

Revision ID: 0006
Revises: 0005
Created: 2026-12-01 20:45:00
"""

from collections.abc import Sequence

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
