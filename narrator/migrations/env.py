"""Alembic environment for narrator.

Called two ways: by ``narrator.state.database`` with an open connection in
``config.attributes["connection"]`` (the usual path, on first use and by
``narrator db upgrade``), or by Alembic's CLI, which connects to
``$NARRATOR_DATABASE_URL`` or ``sqlalchemy.url`` from alembic.ini.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine

from narrator.state.tables import metadata  # every table narrator has

config = context.config
target_metadata = metadata


def run_offline() -> None:
    url = os.environ.get("NARRATOR_DATABASE_URL") or config.get_main_option("sqlalchemy.url")
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = os.environ.get("NARRATOR_DATABASE_URL") or config.get_main_option("sqlalchemy.url")
    assert url, "set NARRATOR_DATABASE_URL or sqlalchemy.url"
    engine = create_engine(url)
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
