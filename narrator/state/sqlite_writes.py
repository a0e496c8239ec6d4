"""State writes on SQLite's own driver (``sqlite3``): a whole batch per statement.

``set_many`` and ``import_entries`` on SQLite send their rows as one JSON array
parameter and let ``json_each`` walk it inside SQLite: one statement writes every
history row (each reading its key's live value before the upsert, exactly as the
portable path does), one more upserts every state row. Row-by-row ``executemany``
paid a statement reset and a statement journal per row, which was most of the
write cost (benchmarks/state_scale.py, issue 14). Timestamps are integer
microseconds (``tables.Timestamp``).

Rows go out in slices of :data:`BATCH` so no parameter grows past SQLite's
length limit; every slice runs in the caller's transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

BATCH = 20_000  # rows per JSON parameter: well under SQLite's 1 GB string limit

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


def _at(index: int) -> str:
    return f"json_extract(j.value, '$[{index}]')"


def _history(run_act: str) -> str:
    """One history row per element [key, after, ...], in array order: 'update' with the
    live value before, or 'create'. Parameters: (run_id, act when ``run_act`` has them,)
    changed_at, the array, now."""
    return (
        "INSERT INTO state_history (key, op, before, after, run_id, act, changed_at) "
        f"SELECT {_at(0)}, CASE WHEN s.key IS NULL THEN 'create' ELSE 'update' END, "
        f"s.value, {_at(1)}, {run_act}, ? "
        f"FROM json_each(?) AS j LEFT JOIN state AS s ON s.key = {_at(0)} "
        "AND (s.expires_at IS NULL OR s.expires_at > ?) ORDER BY j.key"
    )


# set_many: one run_id and act for the batch, as parameters (extracting them per element
# cost as much as the rest of the statement)
_HISTORY = _history("?, ?")
# import_entries: each element carries its own run_id and act
_HISTORY_EACH = _history(f"{_at(2)}, {_at(3)}")

# set_many's upsert of elements [key, value]. Parameters: created_at, updated_at,
# expires_at, metadata, the array. (WHERE true: SQLite's upsert-after-SELECT syntax.)
_UPSERT = (
    "INSERT INTO state (key, value, created_at, updated_at, expires_at, metadata, version) "
    f"SELECT {_at(0)}, {_at(1)}, ?, ?, ?, ?, 1 FROM json_each(?) AS j "
    "WHERE true ORDER BY j.key " + _ON_CONFLICT
)

# import_entries' upsert of elements [key, value, run_id, act, created_at, updated_at,
# expires_at, metadata, version]: the exported row as it was, its version bumped past a
# live row's. Parameters: the array, now.
_IMPORT = (
    "INSERT INTO state (key, value, created_at, updated_at, expires_at, metadata, version) "
    f"SELECT {_at(0)}, {_at(1)}, {_at(4)}, {_at(5)}, {_at(6)}, {_at(7)}, {_at(8)} "
    "FROM json_each(?) AS j WHERE true ORDER BY j.key "
    "ON CONFLICT (key) DO UPDATE SET "
    "value = excluded.value, created_at = excluded.created_at, "
    "updated_at = excluded.updated_at, expires_at = excluded.expires_at, "
    "metadata = excluded.metadata, "
    "version = CASE WHEN state.expires_at IS NOT NULL AND state.expires_at <= ? "
    "THEN excluded.version ELSE max(excluded.version, state.version + 1) END"
)


def _slices(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), BATCH):
        yield items[start : start + BATCH]


def write_rows(
    raw: Any,
    rows: Sequence[tuple[str, str]],
    at: int,
    until: int | None,
    run_act: tuple[str | None, str | None],
    meta_text: str | None,
) -> None:
    """History rows, then upserts, for ``rows`` of (key, JSON text), all written at ``at``."""
    dumps = json.dumps
    for part in _slices(rows):
        array = dumps(part)
        raw.execute(_HISTORY, (*run_act, at, array, at))
        raw.execute(_UPSERT, (at, at, until, meta_text, array))


ImportRow = tuple[str, str, str | None, str | None, int, int, int | None, str | None, int]


def import_rows(raw: Any, rows: Sequence[ImportRow], at: int) -> None:
    """History rows, then upserts, for exported rows (key, value, run_id, act, created_at,
    updated_at, expires_at, metadata, version), written at ``at``."""
    dumps = json.dumps
    for part in _slices(rows):
        array = dumps(part)
        raw.execute(_HISTORY_EACH, (at, array, at))
        raw.execute(_IMPORT, (array, at))
