"""Migrations on first use: the shipped Alembic environment, head revisions, upgrading.

An up-to-date database costs one ``SELECT version_num FROM alembic_version``;
alembic is imported only when a migration is due. Concurrent first opens are
safe: the upgrade runs in one write transaction (``BEGIN IMMEDIATE`` on SQLite,
an advisory lock on PostgreSQL) and re-checks the version inside it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import exc
from sqlalchemy.engine import Connection

from narrator.errors import StateError
from narrator.state.gateway import Gateway
from narrator.state.revisions import CURRENT_REVISIONS_SQL, head_revisions, migrations_dir

__all__ = ["current_revisions", "head_revisions", "migrate", "migrations_dir"]


def current_revisions(conn: Connection) -> frozenset[str] | None:
    """Revisions recorded in ``alembic_version``; None when the table does not exist."""
    try:
        with conn.begin_nested() if conn.in_transaction() else _no_tx():
            rows = conn.exec_driver_sql(CURRENT_REVISIONS_SQL).fetchall()
    except exc.DBAPIError:
        return None
    return frozenset(str(r[0]) for r in rows)


@contextmanager
def _no_tx() -> Iterator[None]:
    yield


def _run_alembic(conn: Connection) -> list[str]:
    # alembic is imported only when a migration is due: it costs ~100 ms at start-up
    from alembic import command
    from alembic.config import Config as AlembicConfig
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    config = AlembicConfig()
    config.set_main_option("script_location", str(migrations_dir()))
    config.attributes["connection"] = conn
    try:
        script = ScriptDirectory.from_config(config)
        before = set(MigrationContext.configure(conn).get_current_heads())
        command.upgrade(config, "heads")
    except CommandError as error:
        detail = str(error).strip().splitlines()[0] if str(error).strip() else "unknown"
        raise StateError(
            f"cannot migrate the database: {detail}",
            hint="the database may come from a newer narrator; upgrade narrator "
            "(pip install -U narrator-workflows) or point --database at another file",
        ) from None
    applied: list[str] = []
    for rev in script.walk_revisions("base", "heads"):
        if rev.revision in before:
            break
        applied.append(rev.revision)
    return applied[::-1]


def migrate(gateway: Gateway, *, force: bool = False) -> list[str]:
    """Bring the schema to the head revision; the revisions applied (often none)."""
    heads = head_revisions()
    if not force:
        current = gateway.read(current_revisions)
        if current == heads:
            return []

    def upgrade(conn: Connection) -> list[str]:
        if gateway.is_postgres:
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7270617472)")
        if current_revisions(conn) == heads:
            return []  # another process migrated while we waited for the lock
        return _run_alembic(conn)

    return gateway.write(upgrade)
