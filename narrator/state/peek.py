"""Read-only verbs straight from a SQLite file, without SQLAlchemy (issue 14: start-up time).

``state get``, ``state list`` and ``runs list`` read through here when the database is a SQLite
file that exists and is at the head revision: one stdlib ``sqlite3`` connection,
one read transaction, and the same SQL and row decoding as the SQL repository's
SQLite hot paths (:mod:`narrator.state.sqlite_reads`; runs decode as the
journal's, :mod:`narrator.state.run_rows`). Anything else answers
None and the caller opens the full :class:`~narrator.state.database.Database`,
which creates, migrates, retries and translates errors exactly as before: no file
yet, a migration due, PostgreSQL, a URL with options, any driver error (busy,
unreadable, not a database).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from datetime import datetime
from types import SimpleNamespace
from typing import TypeVar
from urllib.parse import quote

from narrator.protocols import RunRecord, StateEntry
from narrator.state.base import check_prefix, utcnow
from narrator.state.keys import validate_key
from narrator.state.revisions import CURRENT_REVISIONS_SQL, head_revisions
from narrator.state.run_rows import RUN_COLUMNS, run_record
from narrator.state.sqlite_reads import from_micros, sqlite_entries, sqlite_prefix, to_micros

__all__ = ["Reader", "peek", "sqlite_file"]

T = TypeVar("T")

_PLAIN_SQLITE = "sqlite:///"

# SqlRunJournal.list_runs' statement on SQLite: newest first, without their acts
_LIST_RUNS = (
    f"SELECT {', '.join(RUN_COLUMNS)} FROM runs ORDER BY started_at DESC, run_id DESC LIMIT ?"
)
_RUN_TIMES = frozenset({"started_at", "finished_at", "lease_expires_at"})


class Reader:
    """The reads a verb may make, on a connection inside one read transaction."""

    def __init__(self, raw: sqlite3.Connection, now: datetime) -> None:
        self._raw = raw
        self._now = to_micros(now)

    def get_entry(self, key: str) -> StateEntry | None:
        validate_key(key)  # as SqlStateRepository.get_entry: bad input fails the same way
        return sqlite_entries(self._raw, [key], self._now).get(key)

    def list_prefix(self, prefix: str) -> list[StateEntry]:
        check_prefix(prefix)
        return sqlite_prefix(self._raw, prefix, self._now)

    def list_runs(self, limit: int) -> list[RunRecord]:
        """As ``SqlRunJournal.list_runs(limit)``: newest first, without their acts."""
        found = []
        for row in self._raw.execute(_LIST_RUNS, (limit,)):
            values = {
                name: from_micros(value) if name in _RUN_TIMES and value is not None else value
                for name, value in zip(RUN_COLUMNS, row, strict=True)
            }
            found.append(run_record(SimpleNamespace(**values)))
        return found


def sqlite_file(url: str) -> str | None:
    """The file of a plain ``sqlite:///PATH`` URL; None for anything this module leaves alone
    (another engine or driver, query options, memory, ``file:`` URIs, %-escapes)."""
    if not url.startswith(_PLAIN_SQLITE):
        return None
    path = url[len(_PLAIN_SQLITE) :]
    if not path or path == ":memory:" or path.startswith("file:") or any(c in path for c in "?%"):
        return None
    return path


def peek(
    url: str, read: Callable[[Reader], T | None], *, clock: Callable[[], datetime] = utcnow
) -> T | None:
    """``read``'s answer from the SQLite file at ``url``; None when the full database must
    answer instead (see the module docstring) — also when ``read`` itself answers None."""
    path = sqlite_file(url)
    if path is None or not os.path.isfile(path):
        return None
    try:  # mode=rw: never creates the file (the full path does that, and migrates it)
        raw = sqlite3.connect(f"file:{quote(path)}?mode=rw", uri=True, isolation_level=None)
    except sqlite3.Error:
        return None
    try:
        raw.execute("BEGIN")
        current = frozenset(str(row[0]) for row in raw.execute(CURRENT_REVISIONS_SQL))
        if current != head_revisions():
            return None  # a migration is due: the full path applies it
        return read(Reader(raw, clock()))
    except sqlite3.Error:
        return None
    finally:
        raw.close()
