"""State writes on SQLite's own driver (``sqlite3``): a whole batch per statement.

``set_many`` and ``import_entries`` on SQLite first copy their rows into a per-connection
TEMP table (plain ``executemany`` inserts: no index, no conflict clause, cheap), then run
one statement that writes every history row (each reading its key's live value before
the upsert, exactly as the portable path does) and one that upserts every state row.
Row-by-row ``INSERT … SELECT`` and upserts paid a statement start (cursors, statement
journal) per row, which was most of the write cost; one JSON parameter walked with
``json_each`` cost as much again in ``json_extract`` (benchmarks/state_scale.py, issue 14).
The TEMP table lives in the caller's transaction: a rollback empties it too. Batches of
fewer than :data:`SMALL` rows (a single ``set``: the engine's hot path) go row by row.
Timestamps are integer microseconds (``tables.Timestamp``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

_BATCH = "temp.narrator_write_batch"
_COLUMNS = "key, value, run_id, act, created_at, updated_at, expires_at, metadata, version"
_CREATE = (
    "CREATE TEMP TABLE IF NOT EXISTS narrator_write_batch (key TEXT NOT NULL, value TEXT, "
    "run_id TEXT, act TEXT, created_at INTEGER, updated_at INTEGER, expires_at INTEGER, "
    "metadata TEXT, version INTEGER)"
)

# the portable path's upsert (see StateRows._state_upsert) as SQL: an expired row starts
# over (version 1, new created_at), a live one keeps created_at and bumps its version
_ON_CONFLICT = (
    "ON CONFLICT (key) DO UPDATE SET "
    "value = excluded.value, updated_at = excluded.updated_at, "
    "expires_at = excluded.expires_at, metadata = excluded.metadata, "
    "created_at = CASE WHEN state.expires_at IS NOT NULL "
    "AND state.expires_at <= excluded.updated_at THEN excluded.created_at "
    "ELSE state.created_at END, "
    "version = CASE WHEN state.expires_at IS NOT NULL "
    "AND state.expires_at <= excluded.updated_at THEN excluded.version "
    "ELSE state.version + 1 END"
)


# Fewer rows than this go row by row (two statements, no TEMP table): a single set() is
# the engine's hot path, and the batch's extra statements only pay off past a few rows.
SMALL = 32

# one history row per key, row by row: 'update' with the live value before, or 'create'.
# Parameters: after, run_id, act, changed_at, key, now.
_ROW_HISTORY = (
    "INSERT INTO state_history (key, op, before, after, run_id, act, changed_at) "
    "SELECT k.key, CASE WHEN s.key IS NULL THEN 'create' ELSE 'update' END, s.value, "
    "k.after, k.run_id, k.act, k.at "
    "FROM (SELECT ? AS after, ? AS run_id, ? AS act, ? AS at, ? AS key) AS k "
    "LEFT JOIN state AS s ON s.key = k.key "
    "AND (s.expires_at IS NULL OR s.expires_at > ?)"
)
_ROW_UPSERT = (
    "INSERT INTO state (key, value, created_at, updated_at, expires_at, metadata, version) "
    "VALUES (?, ?, ?, ?, ?, ?, 1) " + _ON_CONFLICT
)


def _history(run_act: str) -> str:
    """One history row per batch row, in batch order: 'update' with the live value
    before, or 'create'. Parameters: (run_id, act when ``run_act`` has them,) changed_at,
    now."""
    return (
        "INSERT INTO state_history (key, op, before, after, run_id, act, changed_at) "
        "SELECT b.key, CASE WHEN s.key IS NULL THEN 'create' ELSE 'update' END, "
        f"s.value, b.value, {run_act}, ? FROM {_BATCH} AS b "
        "LEFT JOIN state AS s ON s.key = b.key "
        "AND (s.expires_at IS NULL OR s.expires_at > ?) ORDER BY b.rowid"
    )


# set_many: one run_id and act for the whole batch, as parameters
_HISTORY = _history("?, ?")
# import_entries: each row carries its own run_id and act
_HISTORY_EACH = _history("b.run_id, b.act")

# set_many's upsert. Parameters: created_at, updated_at, expires_at, metadata.
# (WHERE true: SQLite's upsert-after-SELECT syntax.)
_UPSERT = (
    "INSERT INTO state (key, value, created_at, updated_at, expires_at, metadata, version) "
    f"SELECT key, value, ?, ?, ?, ?, 1 FROM {_BATCH} WHERE true ORDER BY rowid " + _ON_CONFLICT
)

# import_entries' upsert: the exported row as it was, its version bumped past a live
# row's. Parameter: now.
_IMPORT = (
    "INSERT INTO state (key, value, created_at, updated_at, expires_at, metadata, version) "
    "SELECT key, value, created_at, updated_at, expires_at, metadata, version "
    f"FROM {_BATCH} WHERE true ORDER BY rowid "
    "ON CONFLICT (key) DO UPDATE SET "
    "value = excluded.value, created_at = excluded.created_at, "
    "updated_at = excluded.updated_at, expires_at = excluded.expires_at, "
    "metadata = excluded.metadata, "
    "version = CASE WHEN state.expires_at IS NOT NULL AND state.expires_at <= ? "
    "THEN excluded.version ELSE max(excluded.version, state.version + 1) END"
)


def _fill(raw: Any, columns: str, rows: Sequence[tuple[Any, ...]]) -> None:
    raw.execute(_CREATE)
    raw.execute(f"DELETE FROM {_BATCH}")
    marks = ", ".join("?" * len(rows[0]))
    raw.executemany(f"INSERT INTO {_BATCH} ({columns}) VALUES ({marks})", rows)


def write_rows(
    raw: Any,
    rows: Sequence[tuple[str, str]],
    at: int,
    until: int | None,
    run_act: tuple[str | None, str | None],
    meta_text: str | None,
) -> None:
    """History rows, then upserts, for ``rows`` of (key, JSON text), all written at ``at``."""
    if len(rows) < SMALL:
        run_id, act = run_act
        raw.executemany(_ROW_HISTORY, [(t, run_id, act, at, k, at) for k, t in rows])
        raw.executemany(_ROW_UPSERT, [(k, t, at, at, until, meta_text) for k, t in rows])
        return
    _fill(raw, "key, value", rows)
    raw.execute(_HISTORY, (*run_act, at, at))
    raw.execute(_UPSERT, (at, at, until, meta_text))
    raw.execute(f"DELETE FROM {_BATCH}")


ImportRow = tuple[str, str, str | None, str | None, int, int, int | None, str | None, int]


def import_rows(raw: Any, rows: Sequence[ImportRow], at: int) -> None:
    """History rows, then upserts, for exported rows (key, value, run_id, act, created_at,
    updated_at, expires_at, metadata, version), written at ``at``."""
    _fill(raw, _COLUMNS, rows)
    raw.execute(_HISTORY_EACH, (at, at))
    raw.execute(_IMPORT, (at,))
    raw.execute(f"DELETE FROM {_BATCH}")
