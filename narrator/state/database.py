"""An open database: the repositories composed on one :class:`~narrator.state.gateway.Gateway`.

Nothing here talks SQL: engine settings, transactions, busy retry and error
translation live in :mod:`narrator.state.gateway`, migrations in
:mod:`narrator.state.migrate`, each repository in its own module.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from contextlib import AbstractContextManager, suppress
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine, make_url

from narrator.errors import NarratorError
from narrator.state.base import Retention, utcnow
from narrator.state.blobs import SqlBlobs
from narrator.state.gateway import Gateway, create_engine, normalise_url, redact, translate
from narrator.state.journal import SqlRunJournal
from narrator.state.ledger import UsageLedger
from narrator.state.locks import LockStore
from narrator.state.migrate import migrate as run_migrations
from narrator.state.sql import SqlStateRepository

if TYPE_CHECKING:
    from narrator.state.content import SqlContent
    from narrator.state.schedules import ScheduleStore

__all__ = ["Database", "open_database", "sqlite_path"]


class Database:  # satisfies narrator.protocols.Database (tests/state/test_protocols.py)
    """An open database: ``state``, ``journal``, ``blobs``, ``ledger``, ``schedules``, ``locks``,
    ``content``."""

    def __init__(
        self,
        url: str,
        engine: Engine,
        *,
        clock: Callable[[], datetime] = utcnow,
        retention: Retention | None = None,
    ) -> None:
        self.url = url
        self.engine = engine
        self.gateway = Gateway(engine, url, clock)
        self.state = SqlStateRepository(self.gateway, retention=retention)
        self.journal = SqlRunJournal(self.gateway)
        self.blobs = SqlBlobs(self.gateway)
        self.ledger = UsageLedger(self.gateway)  # daily model budgets of every process
        self.locks = LockStore(self.gateway)

    @cached_property
    def schedules(self) -> ScheduleStore:
        """Schedules and slot claims (the worker, ``narrator schedule``)."""
        # imported on first use: it brings croniter and dateutil, which `state list` never needs
        from narrator.state.schedules import ScheduleStore

        return ScheduleStore(self.gateway)

    @cached_property
    def content(self) -> SqlContent:
        """Content tables (``content_rows``), in the same transactions as state."""
        from narrator.state.content import SqlContent

        return SqlContent(self.gateway)

    def unit_of_work(self) -> AbstractContextManager[None]:
        """Commit every state and journal write inside the block together."""
        return self.gateway.unit_of_work()

    def hold(self) -> AbstractContextManager[None]:
        """One connection for this thread's reads and writes inside the block (a run)."""
        return self.gateway.hold()

    def upgrade(self) -> list[str]:
        """Apply pending migrations; the revision ids applied (empty when up to date)."""
        return run_migrations(self.gateway)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Database({redact(self.url)!r})"


def open_database(
    url: str,
    *,
    migrate: bool = True,
    clock: Callable[[], datetime] = utcnow,
    retention: Retention | None = None,
) -> Database:
    """Open the database at ``url`` and (unless ``migrate=False``) migrate it on first use.

    An up-to-date database costs one ``SELECT`` on ``alembic_version``; alembic is
    imported only when a migration is due. A SQLite file that does not exist yet is
    built aside and linked into place whole (:func:`_create_sqlite_file`), so two
    processes opening it at once never see (or delete) a half-made file.
    """
    url = normalise_url(url)
    engine = create_engine(url)
    path = sqlite_path(engine)
    if migrate and path is not None and not path.exists():
        engine.dispose()
        _create_sqlite_file(url, path, clock)
        engine = create_engine(url)
    database = Database(url, engine, clock=clock, retention=retention)
    if migrate:
        try:
            database.upgrade()
        except BaseException as error:
            engine.dispose()
            if isinstance(error, Exception) and not isinstance(error, NarratorError):
                raise translate(error, url) from None
            raise
    return database


def sqlite_path(engine: Engine) -> Path | None:
    """The file of a SQLite database (None for memory, a ``file:`` URI name such as
    ``sqlite:///file:narrator.db?mode=ro&uri=true``, or another engine)."""
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return None
    if str(engine.url.query.get("uri", "")).lower() in ("true", "1"):
        return None  # SQLite reads the name as a URI; it is opened as it is, never created
    return Path(str(engine.url.database))


def _create_sqlite_file(url: str, path: Path, clock: Callable[[], datetime]) -> None:
    """Build a new SQLite database beside ``path`` (WAL, every migration), then hard-link
    it to ``path``, which fails if another process got there first: then its file is
    used and this one thrown away. A failed build leaves nothing behind, and never
    touches ``path``, which another process may be using (issue 10's trials once saw a
    failed open delete the file the other run had just created)."""
    _remove_dead_spares(path)
    spare = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.new")
    engine = create_engine(str(make_url(url).set(database=str(spare))))
    try:
        try:
            # messages name the user's file, not the spare one
            Database(url, engine, clock=clock).upgrade()
        except Exception as error:
            raise translate(error, url) from None
        finally:
            engine.dispose()  # the last connection checkpoints the WAL into the file
        _checkpointed(spare)
        try:
            os.link(spare, path)
        except FileExistsError:
            pass  # another process created it first; its file is as good as ours
        except OSError:
            # a file system without hard links: a rename, which a racing creator could
            # overwrite with its own equally new file (nothing is written yet)
            if not path.exists():
                os.replace(spare, path)
    finally:
        for suffix in ("", "-wal", "-shm", "-journal"):
            with suppress(OSError):
                Path(str(spare) + suffix).unlink()


def _checkpointed(path: Path) -> None:
    """Make sure everything written to ``path`` is in the file itself, not its WAL: only
    the file is linked into place (the last close did it; this is cheap insurance)."""
    import sqlite3

    wal = Path(str(path) + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        connection = sqlite3.connect(str(path))
        try:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            connection.close()


def _remove_dead_spares(path: Path) -> None:
    """Spares that a process killed while building ``path`` left behind (``kill -9`` in
    its first open): removed when their process is gone. Only the spares' own names are
    touched, so another process's build in progress is left alone."""
    from narrator.leases import pid_alive

    prefix = f".{path.name}."
    with suppress(OSError):
        for entry in path.parent.iterdir():
            name = entry.name
            if not name.startswith(prefix) or ".new" not in name:
                continue
            pid = name[len(prefix) :].split("-", 1)[0]
            if pid.isdigit() and not pid_alive(int(pid)):
                with suppress(OSError):
                    entry.unlink()
