"""The gateway to the database: engine settings, transactions, busy retry, error translation.

Every repository (state, journal, blobs, ledger, schedules, locks) talks to the
database through one :class:`Gateway`; this module imports none of them.

* :func:`translate` is the one place where sqlalchemy and driver exceptions
  become narrator errors that end with the fix.
* :meth:`Gateway.write` runs a function in one write transaction: on SQLite it
  starts ``BEGIN IMMEDIATE`` (so a read-then-write transaction never fails to
  upgrade its lock) and retries a bounded number of times if the busy timeout
  still runs out — callers never see "database is locked".
* :meth:`Gateway.driver` runs a function on the driver's own connection
  (sqlite3) inside the same transactions: the SQLite hot paths are translated
  and retried like every other statement.
* :meth:`Gateway.hold` pins one connection to the calling thread for a block
  (a run): its reads, writes and units of work skip the pool's checkout and
  check-in (and PostgreSQL's pre-ping); every read and write still ends its
  own transaction, so nothing is held between statements.
* :func:`upsert` builds ``INSERT ... ON CONFLICT DO UPDATE`` for either engine.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection, Engine

from narrator.errors import NarratorError, StateError
from narrator.state.base import utcnow

__all__ = [
    "BUSY_TIMEOUT_MS",
    "WRITE_ATTEMPTS",
    "Gateway",
    "create_engine",
    "driver_connection",
    "normalise_url",
    "redact",
    "translate",
    "upsert",
]

T = TypeVar("T")

BUSY_TIMEOUT_MS = 30_000
WRITE_ATTEMPTS = 8
_WRITE = "narrator_write"  # set in Connection.info while a write transaction begins
_AUTOCOMMIT = "narrator_autocommit"  # a held PostgreSQL connection: reads outside transactions
_POSTGRES_HINT = (
    "pip install 'narrator-workflows[postgres]' (it brings psycopg, the PostgreSQL driver)"
)


def normalise_url(url: str) -> str:
    """``postgres://`` and ``postgresql://`` mean psycopg 3, the driver narrator ships with."""
    for plain in ("postgres://", "postgresql://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain) :]
    return url


def redact(url: str) -> str:
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)


def translate(error: BaseException, url: str) -> NarratorError:
    """A foreign (sqlalchemy / driver) error as a StateError that ends with the fix."""
    where = redact(url)
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
        raw.execute("BEGIN IMMEDIATE" if conn.info.get(_WRITE) else "BEGIN")


def _postgres_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        from psycopg.types.string import TextLoader

        # json columns come back as their text; the repository parses them.
        dbapi_conn.adapters.register_loader("json", TextLoader)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # a held connection is in autocommit, so a read is one round trip (no BEGIN and
        # ROLLBACK around it); its write transactions begin here, explicitly
        info = conn.info
        if info.get(_AUTOCOMMIT) and info.get(_WRITE):
            driver_connection(conn).execute("BEGIN")


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


def driver_connection(conn: Connection) -> Any:
    """The driver's own connection (sqlite3) under ``conn``, inside its transaction."""
    raw = conn.connection.driver_connection
    assert raw is not None
    return raw


def upsert(
    gateway: Gateway, table: sa.Table, keys: Sequence[str], values: Mapping[str, Any] | None = None
) -> Any:
    """``INSERT ... ON CONFLICT (keys) DO UPDATE`` every other column from the new row."""
    stmt = gateway.insert(table)
    if values is not None:
        stmt = stmt.values(**values)
    updates = {c.name: stmt.excluded[c.name] for c in table.c if c.name not in keys}
    return stmt.on_conflict_do_update(index_elements=list(keys), set_=updates)


class Gateway:
    """Connections, transactions and the clock, shared by every repository.

    Besides SQLAlchemy's errors it catches the driver's own (the SQLite hot paths
    call ``sqlite3`` directly through :meth:`driver`), wraps them as SQLAlchemy
    would, and so retries a busy database and translates every failure the same way.
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

    def insert(self, table: sa.Table) -> Any:
        """The dialect's INSERT (with ``on_conflict_do_*``): PostgreSQL's or SQLite's."""
        if self.is_postgres:  # imported here: the dialect is a tenth of sqlalchemy's import
            from sqlalchemy.dialects import postgresql

            return postgresql.insert(table)
        return sqlite.insert(table)

    def _wrapped(self, error: BaseException) -> BaseException:
        """A driver's own error as the SQLAlchemy error it would have raised."""
        if isinstance(error, exc.SQLAlchemyError) or self._driver_error is None:
            return error
        return exc.DBAPIError.instance(None, None, error, self._driver_error)

    def _joined(self) -> Connection | None:
        conn: Connection | None = getattr(self._local, "conn", None)
        return conn

    def _begin_write(self, conn: Connection) -> Any:
        """``conn.begin()``: on SQLite as ``BEGIN IMMEDIATE`` (see ``_sqlite_setup``), on a
        held PostgreSQL connection an explicit ``BEGIN`` (``_postgres_setup``)."""
        info = conn.info
        info[_WRITE] = True
        try:
            return conn.begin()
        finally:
            del info[_WRITE]

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Pin one connection to this thread for the block: every read, write and unit
        of work of this thread inside it uses that connection instead of a pool checkout.

        A run holds one (:func:`narrator.runtime.open_runtime`): four checkouts per act
        were more of an act's time than SQLite itself, and on PostgreSQL each checkout
        also pinged the server (``pool_pre_ping``); the held connection is pinged once,
        when the block starts, and on PostgreSQL reads in autocommit (one round trip a
        query; writes ``BEGIN`` explicitly). Each read still ends its transaction before
        returning (no stale snapshot, no read lock kept between statements), each write
        commits, and a write still retries a busy database. After a database error the held
        connection is put back and a fresh one is taken on next use. Other threads
        (the lease renewer, the ledger's) keep using the pool. Nested blocks join.
        """
        if getattr(self._local, "holding", False):
            yield
            return
        self._local.holding = True
        try:
            yield
        finally:
            self._local.holding = False
            self._drop_held()

    def _held(self) -> Connection | None:
        """This thread's held connection (taken now if the block has none yet), or None."""
        if not getattr(self._local, "holding", False):
            return None
        conn: Connection | None = getattr(self._local, "held", None)
        if conn is None:
            conn = self._local.held = self.engine.connect()
            if self.is_postgres:  # reads autocommit; writes BEGIN explicitly
                driver_connection(conn).autocommit = True
                conn.info[_AUTOCOMMIT] = True
        return conn

    def _drop_held(self) -> None:
        """Give the held connection back to the pool (its reset rolls back anything open)."""
        conn: Connection | None = getattr(self._local, "held", None)
        self._local.held = None
        if conn is None:
            return
        try:
            if not conn.invalidated and conn.info.pop(_AUTOCOMMIT, None):
                raw = driver_connection(conn)
                raw.rollback()  # a write an error cut short
                raw.autocommit = False  # as the pool hands connections out
            conn.close()
        except self._errors:
            conn.invalidate()
            conn.close()

    def _end_read(self, held: Connection) -> None:
        """End a read on the held connection: no snapshot or read lock kept after it."""
        if held.in_transaction():
            try:
                held.rollback()
            except self._errors:
                self._drop_held()
                raise

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
            held = self._held()
            if held is not None:
                try:
                    with self._begin_write(held):
                        self._local.conn = held
                        try:
                            yield
                        finally:
                            self._local.conn = None
                except self._errors:
                    self._drop_held()
                    raise
                return
            with self.engine.connect() as conn, self._begin_write(conn):
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
            held = self._held()
            if held is not None:
                try:
                    result = fn(held)
                except self._errors:
                    self._drop_held()
                    raise
                except BaseException:
                    self._end_read(held)
                    raise
                self._end_read(held)
                return result
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
                held = self._held()
                if held is not None:
                    try:
                        with self._begin_write(held):
                            return fn(held)
                    except self._errors:
                        self._drop_held()
                        raise
                with self.engine.connect() as conn, self._begin_write(conn):
                    return fn(conn)
            except self._errors as caught:
                error = self._wrapped(caught)
                if not _is_busy(error) or attempt == WRITE_ATTEMPTS - 1:
                    raise translate(error, self.url) from None
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
        raise AssertionError("unreachable")  # pragma: no cover

    def driver(self, fn: Callable[[Any], T], *, write: bool = False) -> T:
        """Run ``fn`` on the driver's own connection, in a read (or ``write``) transaction.

        The SQLite hot paths use it to skip SQLAlchemy's per-row processing; the
        transaction, the joined unit of work, the busy retry and the error
        translation are the same as for every other statement.
        """
        run = self.write if write else self.read
        return run(lambda conn: fn(driver_connection(conn)))
