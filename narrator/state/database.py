"""Opening a database: engine settings, migrations on first use, error translation.

The one place where sqlalchemy and driver exceptions become narrator errors
(:func:`translate`). Writes go through :meth:`Gateway.write`, which on SQLite
starts ``BEGIN IMMEDIATE`` (so a read-then-write transaction never fails to
upgrade its lock) and retries a bounded number of times if the busy timeout
still runs out — callers never see "database is locked".
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.engine import Connection, Engine

from narrator.errors import NarratorError, StateError
from narrator.state.base import Retention, utcnow

T = TypeVar("T")

BUSY_TIMEOUT_MS = 30_000
WRITE_ATTEMPTS = 8
_POSTGRES_HINT = (
    "pip install 'narrator-workflows[postgres]' (it brings psycopg, the PostgreSQL driver)"
)


def normalise_url(url: str) -> str:
    """``postgres://`` and ``postgresql://`` mean psycopg 3, the driver narrator ships with."""
    for plain in ("postgres://", "postgresql://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain) :]
    return url


def _redact(url: str) -> str:
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)


def translate(error: BaseException, url: str) -> NarratorError:
    """A foreign (sqlalchemy / driver) error as a StateError that ends with the fix."""
    where = _redact(url)
    text = str(getattr(error, "orig", None) or error).strip().splitlines()[0:1]
    detail = text[0] if text else type(error).__name__
    if isinstance(error, NarratorError):
        return error
    if isinstance(error, ModuleNotFoundError | exc.NoSuchModuleError) and (
        "psycopg" in str(error) or "postgres" in str(error)
    ):
        return StateError(f"the PostgreSQL driver is not installed ({detail})", hint=_POSTGRES_HINT)
    if isinstance(error, exc.ArgumentError | exc.NoSuchModuleError):
        return StateError(
            f"cannot use database URL {where!r}: {detail}",
            hint="use sqlite:///path/narrator.db or postgresql+psycopg://user:pass@host/db",
        )
    if isinstance(error, exc.OperationalError | exc.InterfaceError):
        lowered = detail.lower()
        if "readonly" in lowered or "read-only" in lowered:
            return StateError(
                f"database {where} is read-only: {detail}",
                hint="make the database file and its directory writable (SQLite writes "
                "-wal and -shm files beside it), or pass --database with a writable one",
            )
        if "unable to open database file" in lowered:
            return StateError(
                f"cannot open SQLite database {where}: {detail}",
                hint="check that the directory exists and is writable, or pass --database",
            )
        if "locked" in lowered or "busy" in lowered:
            return StateError(
                f"database {where} stayed busy: {detail}",
                hint="another process holds a long write; retry, or stop the other writer",
            )
        if any(w in lowered for w in ("connect", "refused", "resolve", "timeout", "host")):
            return StateError(
                f"cannot reach the database server at {where}: {detail}",
                hint="start the server or fix --database / NARRATOR_DATABASE_URL / "
                "[database] url in narrator.toml",
            )
        if "password" in lowered or "authentication" in lowered:
            return StateError(
                f"the database server at {where} refused the login: {detail}",
                hint="fix the user and password in the database URL",
            )
        if "does not exist" in lowered:
            return StateError(
                f"database problem at {where}: {detail}",
                hint="create the database first (createdb NAME), or fix the URL",
            )
    if isinstance(error, exc.ProgrammingError | exc.OperationalError) and (
        "no such table" in detail or "does not exist" in detail
    ):
        return StateError(
            f"the database at {where} is missing narrator's tables: {detail}",
            hint="run: narrator db upgrade",
        )
    return StateError(f"database error at {where}: {detail}", hint="see the message above")


# ----------------------------------------------------------------------------- migrations


@cache
def migrations_dir() -> Path:
    """Where the Alembic environment ships: inside the package (``narrator/migrations``).

    Found through :mod:`importlib.resources`, so a wheel, ``pip install --user``
    or pipx install finds it exactly like a checkout does.
    """
    from importlib.resources import files

    path = Path(str(files("narrator.migrations")))
    if not (path / "env.py").is_file() or not (path / "versions").is_dir():
        raise StateError(
            f"narrator's database migrations are missing from its installation ({path})",
            hint="reinstall narrator (pip install --force-reinstall narrator-workflows)",
        )
    return path


@cache
def head_revisions() -> frozenset[str]:
    """Head revision ids, read from the migration files with a regex (no alembic import)."""
    revisions: dict[str, tuple[str, ...]] = {}
    for path in migrations_dir().glob("versions/*.py"):
        source = path.read_text(encoding="utf-8")
        rev = re.search(r"^revision(?:\s*:\s*[^=]+)?\s*=\s*['\"]([^'\"]+)['\"]", source, re.M)
        down = re.search(r"^down_revision(?:\s*:\s*[^=]+)?\s*=\s*(.+)$", source, re.M)
        if rev is None:
            continue
        parents = tuple(re.findall(r"['\"]([^'\"]+)['\"]", down.group(1))) if down else ()
        revisions[rev.group(1)] = parents
    referenced = {p for parents in revisions.values() for p in parents}
    return frozenset(set(revisions) - referenced)


def current_revisions(conn: Connection) -> frozenset[str] | None:
    """Revisions recorded in ``alembic_version``; None when the table does not exist."""
    try:
        with conn.begin_nested() if conn.in_transaction() else _no_tx():
            rows = conn.exec_driver_sql("SELECT version_num FROM alembic_version").fetchall()
    except exc.DBAPIError:
        return None
    return frozenset(str(r[0]) for r in rows)


@contextmanager
def _no_tx() -> Iterator[None]:
    yield


def _run_alembic(conn: Connection) -> list[str]:
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


# ----------------------------------------------------------------------------- engine


def _sqlite_setup(engine: Engine) -> None:
    file_db = engine.url.database not in (None, "", ":memory:")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # narrator emits BEGIN itself (see _on_begin)
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if file_db:
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # straight to the driver: a full SQLAlchemy execution per BEGIN was 12% of a run
        raw = conn.connection.driver_connection
        assert raw is not None
        raw.execute(
            "BEGIN IMMEDIATE" if conn.get_execution_options().get("narrator_write") else "BEGIN"
        )


def _postgres_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        from psycopg.types.string import TextLoader

        # json columns come back as their text; the repository parses them.
        dbapi_conn.adapters.register_loader("json", TextLoader)


def create_engine(url: str) -> Engine:
    """An engine with narrator's settings for SQLite (WAL, busy timeout) or PostgreSQL."""
    url = normalise_url(url)
    try:
        parsed = sa.engine.make_url(url)
        if parsed.get_backend_name() == "sqlite":
            engine = sa.create_engine(parsed, connect_args={"check_same_thread": False})
            _sqlite_setup(engine)
        elif parsed.get_backend_name() == "postgresql":
            engine = sa.create_engine(parsed, pool_pre_ping=True)
            _postgres_setup(engine)
        else:
            engine = sa.create_engine(parsed)
    except (exc.SQLAlchemyError, ModuleNotFoundError, ImportError) as error:
        raise translate(error, url) from None
    return engine


def _is_busy(error: BaseException) -> bool:
    return isinstance(error, exc.OperationalError) and any(
        w in str(error.orig).lower() for w in ("locked", "busy")
    )


class Gateway:
    """Connections, transactions and the clock, shared by the repository and the journal.

    Besides SQLAlchemy's errors it catches the driver's own (the SQLite hot paths
    call ``sqlite3`` directly), wraps them as SQLAlchemy would, and so retries a
    busy database and translates every failure the same way.
    """

    def __init__(self, engine: Engine, url: str, clock: Callable[[], datetime] = utcnow) -> None:
        self.engine = engine
        self.url = url
        self.clock = clock
        self.is_sqlite = engine.dialect.name == "sqlite"
        self.is_postgres = engine.dialect.name == "postgresql"
        self._local = threading.local()  # the connection of an open unit of work, per thread
        driver_error = getattr(engine.dialect.dbapi, "Error", None)
        self._driver_error: type[Exception] | None = (
            driver_error if isinstance(driver_error, type) else None
        )
        self._errors: tuple[type[Exception], ...] = (exc.SQLAlchemyError,) + (
            (self._driver_error,) if self._driver_error is not None else ()
        )

    def _wrapped(self, error: BaseException) -> BaseException:
        """A driver's own error as the SQLAlchemy error it would have raised."""
        if isinstance(error, exc.SQLAlchemyError) or self._driver_error is None:
            return error
        return exc.DBAPIError.instance(None, None, error, self._driver_error)

    def _joined(self) -> Connection | None:
        conn: Connection | None = getattr(self._local, "conn", None)
        return conn

    @contextmanager
    def unit_of_work(self) -> Iterator[None]:
        """One write transaction for every read and write of this thread inside the block.

        The executor wraps the end of an act in it — captures, ``output_var`` and
        the journal row commit together (all or nothing, and one commit instead
        of several). Keep platform and model I/O outside: the block holds the
        database's write lock. Nested blocks join the outer one.
        """
        if self._joined() is not None:
            yield
            return
        try:
            with self.engine.connect() as conn:
                if self.is_sqlite:
                    conn.execution_options(narrator_write=True)
                with conn.begin():
                    self._local.conn = conn
                    try:
                        yield
                    finally:
                        self._local.conn = None
        except self._errors as error:
            raise translate(self._wrapped(error), self.url) from None

    def read(self, fn: Callable[[Connection], T]) -> T:
        joined = self._joined()
        if joined is not None:
            return fn(joined)
        try:
            with self.engine.connect() as conn:
                return fn(conn)
        except self._errors as error:
            raise translate(self._wrapped(error), self.url) from None

    def write(self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn`` in one write transaction (all or nothing), retrying a busy database."""
        joined = self._joined()
        if joined is not None:
            return fn(joined)
        delay = 0.01
        for attempt in range(WRITE_ATTEMPTS):
            try:
                with self.engine.connect() as conn:
                    if self.is_sqlite:
                        conn.execution_options(narrator_write=True)
                    with conn.begin():
                        return fn(conn)
            except self._errors as caught:
                error = self._wrapped(caught)
                if not _is_busy(error) or attempt == WRITE_ATTEMPTS - 1:
                    raise translate(error, self.url) from None
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
        raise AssertionError("unreachable")  # pragma: no cover

    def migrate(self, *, force: bool = False) -> list[str]:
        """Bring the schema to the head revision; the revisions applied (often none)."""
        heads = head_revisions()
        if not force:
            current = self.read(current_revisions)
            if current == heads:
                return []

        def upgrade(conn: Connection) -> list[str]:
            if self.is_postgres:
                conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7270617472)")
            if current_revisions(conn) == heads:
                return []  # another process migrated while we waited for the lock
            return _run_alembic(conn)

        return self.write(upgrade)


class Blobs:
    """Named JSON documents (the sandbox persists its emulated guild here)."""

    def __init__(self, gateway: Gateway) -> None:
        self._gw = gateway

    def get(self, name: str) -> Any:
        from narrator.state.keys import load_value
        from narrator.state.tables import blobs

        stmt = sa.select(blobs.c.value).where(blobs.c.name == name)
        return load_value(self._gw.read(lambda c: c.execute(stmt).scalar()))

    def put(self, name: str, value: Any) -> None:
        from narrator.state.keys import dump_value
        from narrator.state.sql import upsert
        from narrator.state.tables import blobs

        text = dump_value(name, value)
        now = self._gw.clock()
        stmt = upsert(self._gw, blobs, ["name"], {"name": name, "value": text, "updated_at": now})
        self._gw.write(lambda c: c.execute(stmt))


class Database:
    """An open database: ``state`` (repository), ``journal`` (runs), ``blobs``, ``locks``."""

    def __init__(
        self,
        url: str,
        engine: Engine,
        *,
        clock: Callable[[], datetime] = utcnow,
        retention: Retention | None = None,
    ) -> None:
        from narrator.state.journal import SqlRunJournal
        from narrator.state.locks import LockStore
        from narrator.state.sql import SqlStateRepository

        self.url = url
        self.engine = engine
        self.gateway = Gateway(engine, url, clock)
        self.state = SqlStateRepository(self.gateway, retention=retention)
        self.journal = SqlRunJournal(self.gateway)
        self.blobs = Blobs(self.gateway)
        self.locks = LockStore(self.gateway)

    def unit_of_work(self) -> AbstractContextManager[None]:
        """Commit every state and journal write inside the block together."""
        return self.gateway.unit_of_work()

    def upgrade(self) -> list[str]:
        """Apply pending migrations; the revision ids applied (empty when up to date)."""
        return self.gateway.migrate()

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Database({_redact(self.url)!r})"


def open_database(
    url: str,
    *,
    migrate: bool = True,
    clock: Callable[[], datetime] = utcnow,
    retention: Retention | None = None,
) -> Database:
    """Open the database at ``url`` and (unless ``migrate=False``) migrate it on first use.

    An up-to-date database costs one ``SELECT`` on ``alembic_version``; alembic is
    imported only when a migration is due.
    """
    url = normalise_url(url)
    engine = create_engine(url)
    created = _new_sqlite_file(engine)
    database = Database(url, engine, clock=clock, retention=retention)
    if migrate:
        try:
            database.upgrade()
        except BaseException as error:
            engine.dispose()
            if created is not None:
                _remove_sqlite_files(created)
            if isinstance(error, Exception) and not isinstance(error, NarratorError):
                raise translate(error, url) from None
            raise
    return database


def sqlite_path(engine: Engine) -> Path | None:
    """The file of a SQLite database (None for memory or another engine)."""
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return None
    return Path(str(engine.url.database))


def _new_sqlite_file(engine: Engine) -> Path | None:
    """The SQLite file this open is about to create, or None when it exists already."""
    path = sqlite_path(engine)
    return path if path is not None and not path.exists() else None


def _remove_sqlite_files(path: Path) -> None:
    """A failed first open leaves nothing behind: the file and its WAL companions."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        with suppress(OSError):
            Path(str(path) + suffix).unlink()
