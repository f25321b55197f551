"""Alembic environment of the read model: the SQLModel metadata of store/models.py.

`store.db.create_schema` runs the migrations on a connection it passes in
`config.attributes["connection"]`; the `alembic` command line connects to the database of
the settings.
"""

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import store.models  # noqa: F401  (registers the tables)
from runtime.settings import get_settings
from store.db import make_engine

target_metadata = SQLModel.metadata


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # ALTER by table copy there
    )
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    if context.is_offline_mode():  # `alembic upgrade head --sql`: the SQL, not run
        context.configure(url=get_settings().resolved_database_url, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run(connection)
        return
    engine = make_engine(get_settings().resolved_database_url)
    try:
        with engine.begin() as connection:
            run(connection)
    finally:
        engine.dispose()


main()
