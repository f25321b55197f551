"""sign-in security (token version, lockout, TOTP, disabled users)

Revision ID: 0006
Revises: 0005
Created: 2026-12-01 20:45:00

`user` gains `token_version` (bumped to end older tokens), `disabled` (users are disabled,
never deleted), `totp_sealed` (the TOTP secret sealed with the key ring) and
`totp_last_step` (a code is used once); the table
`sign_in_throttle` counts failed sign-ins per account name and per client address.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import store.models

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("token_version", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("disabled", sa.Boolean(), server_default=sa.text("false"), nullable=False)
        )
        batch_op.add_column(sa.Column("totp_sealed", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("totp_last_step", sa.Integer(), nullable=True))
    op.create_table(
        "sign_in_throttle",
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure", store.models.AwareDateTime(timezone=True), nullable=False),
        sa.Column("locked_until", store.models.AwareDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("kind", "key"),
    )


def downgrade() -> None:
    op.drop_table("sign_in_throttle")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("totp_last_step")
        batch_op.drop_column("totp_sealed")
        batch_op.drop_column("disabled")
        batch_op.drop_column("token_version")
