"""role auditor: reads the audit trail (docs/security.md)

Revision ID: 0004
Revises: 0003
Created: 2026-12-01 20:45:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # SQLite keeps the role as text without a check; PostgreSQL has a native enum type.
    # PostgreSQL 12+ adds an enum value inside a transaction (create_schema runs every
    # migration in one); the value cannot be used before that transaction commits.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TYPE role ADD VALUE IF NOT EXISTS 'auditor'")


def downgrade() -> None:
    # PostgreSQL cannot drop a value from an enum type; an unused value is harmless.
    pass
