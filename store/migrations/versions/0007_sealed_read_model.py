"""personal fields of the read model sealed at rest; retention

The columns keep their JSON type (store/sealed.py stores a sealed value as a JSON string of
base64 text), so no table is rebuilt: every row's value is sealed in place with the key ring
of the process (the settings' DATA_KEYS or data_dir/keys.json), and opened again on downgrade.
`case.erased_at` records when retention erased a case's personal data (store/retention.py).

Revision ID: 0007
Revises: 0006
Created: 2026-12-01 20:45:00
"""

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import store.models
from store.sealed import is_sealed, open_value, seal_value

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column): every column of the read model that holds form values or what identifies
# a person (store/models.py, the SealedJSON columns)
SEALED = (
    ("case", "form"),
    ("case_item", "outputs"),
    ("case_item", "supplement"),
    ("case_event", "detail"),
    ("notification", "text"),
    ("simulated_issue", "outputs"),
)
BATCH = 500


def _rewrite(change: Callable[[Any, str], Any], wanted: Callable[[Any], bool]) -> None:
    connection = op.get_bind()
    for name, column in SEALED:
        table = sa.table(name, sa.column("id"), sa.column(column, sa.JSON(none_as_null=True)))
        place = f"{name}.{column}"
        last = None
        while True:  # in batches of ids, so a large read model is not held in memory
            query = sa.select(table.c.id, table.c[column]).order_by(table.c.id).limit(BATCH)
            if last is not None:
                query = query.where(table.c.id > last)
            rows = connection.execute(query).all()
            if not rows:
                break
            last = rows[-1][0]
            for row_id, value in rows:
                if value is not None and wanted(value):
                    connection.execute(
                        table.update()
                        .where(table.c.id == row_id)
                        .values({column: change(value, place)})
                    )


def upgrade() -> None:
    # plain ALTERs, on SQLite too: a batch copy of `case` would drop a table its items
    # reference (foreign keys are on)
    op.add_column(
        "case", sa.Column("erased_at", store.models.AwareDateTime(timezone=True), nullable=True)
    )
    _rewrite(seal_value, lambda value: not is_sealed(value))


def downgrade() -> None:
    _rewrite(open_value, is_sealed)
    op.drop_column("case", "erased_at")  # SQLite 3.35+ drops a column in place
