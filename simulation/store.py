"""The run's own tables, next to the read model in the run's database.

`sim_run` keeps what the run was (scenario, seed, configuration, clocks); `sim_baseline`
keeps each case's one-by-one days as drawn. They have their own metadata, so the
application's schema never sees them; the report reads them with the read model's tables.
"""

from typing import Any

from sqlalchemy import JSON, Column, Float, Integer, MetaData, String, Table, insert, select
from sqlalchemy.engine import Engine

METADATA = MetaData()
RUN = Table(
    "sim_run",
    METADATA,
    Column("key", String(64), primary_key=True),
    Column("value", JSON, nullable=False),
)
BASELINE = Table(
    "sim_baseline",
    METADATA,
    Column("case_id", String(64), primary_key=True),
    Column("position", Integer, nullable=False),  # arrival order
    Column("days", Float, nullable=False),
    Column("items", JSON, nullable=False),  # item -> [processing, visit]
)


def create(engine: Engine) -> None:
    METADATA.create_all(engine)


def put(engine: Engine, **values: Any) -> None:
    """Set run facts (JSON values), replacing earlier ones of the same key."""
    with engine.begin() as connection:
        for key, value in values.items():
            connection.execute(RUN.delete().where(RUN.c.key == key))
            connection.execute(insert(RUN).values(key=key, value=value))


def facts(engine: Engine) -> dict[str, Any]:
    with engine.connect() as connection:
        return dict(connection.execute(select(RUN.c.key, RUN.c.value)).all())


def add_baselines(engine: Engine, rows: list[dict[str, Any]]) -> None:
    if rows:
        with engine.begin() as connection:
            connection.execute(insert(BASELINE), rows)


def baselines(engine: Engine) -> dict[str, float]:
    """case id -> one-by-one working days as drawn."""
    with engine.connect() as connection:
        return dict(connection.execute(select(BASELINE.c.case_id, BASELINE.c.days)).all())
