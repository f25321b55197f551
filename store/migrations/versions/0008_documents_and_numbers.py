"""documents, case numbers and certificates

`case` gains `number` (CQ-20261201-000042, unique once allocated; store/case_numbers.py),
allocated from the per-day counters of `case_number_day`. `document` lists the uploaded
materials (their content sealed in the document store, documents/), `certificate` the issued
outputs verifiable at /verify/{code} (receipts/).

Revision ID: 0008
Revises: 0007
Created: 2026-12-07 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import store.models

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _string(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    # plain ALTER and an index, on SQLite too: a batch copy of `case` would drop a table its
    # items reference (foreign keys are on), and SQLite adds no UNIQUE column in place
    op.add_column("case", sa.Column("number", _string(32), nullable=True))
    op.create_index(op.f("ix_case_number"), "case", ["number"], unique=True)
    op.create_table(
        "case_number_day",
        sa.Column("place", _string(8), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("place", "day"),
    )
    op.create_table(
        "document",
        sa.Column("id", _string(36), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("sha256", _string(64), nullable=False),
        sa.Column("content_type", _string(32), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("name", sa.JSON(), nullable=False),  # sealed (store/sealed.py)
        sa.Column("created_at", store.models.AwareDateTime(timezone=True), nullable=False),
        sa.Column("case_id", _string(64), nullable=True),
        sa.Column("item", _string(64), nullable=True),
        sa.Column("material", _string(64), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.ForeignKeyConstraint(["owner_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_document_case_id"), "document", ["case_id"])
    op.create_index(op.f("ix_document_owner_id"), "document", ["owner_id"])
    op.create_index(op.f("ix_document_sha256"), "document", ["sha256"])
    op.create_table(
        "certificate",
        sa.Column("code", _string(32), nullable=False),
        sa.Column("case_id", _string(64), nullable=False),
        sa.Column("item", _string(64), nullable=False),
        sa.Column("output", _string(64), nullable=False),
        sa.Column("department", _string(64), nullable=False),
        sa.Column("issued_at", store.models.AwareDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", store.models.AwareDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.PrimaryKeyConstraint("code"),
        sa.UniqueConstraint("case_id", "item", "output"),
    )
    op.create_index(op.f("ix_certificate_case_id"), "certificate", ["case_id"])


def downgrade() -> None:
    op.drop_table("certificate")
    op.drop_table("document")
    op.drop_table("case_number_day")
    op.drop_index(op.f("ix_case_number"), table_name="case")
    op.drop_column("case", "number")  # SQLite 3.35+ drops a column in place
