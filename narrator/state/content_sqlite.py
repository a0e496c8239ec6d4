"""The SQLite hot paths of :mod:`narrator.state.content`: the same SQL, on the driver.

Storing an act's items and reading rows into a prompt are the two paths a
pipeline runs all day. On SQLite they skip SQLAlchemy's per-row work (result
processors, ``Row`` attribute access) and its per-call statement building:

* :func:`compiled` compiles a selection once per distinct query (keyed by its
  ``repr``, which tells ``1`` from ``True`` and ``1.0``) into SQL text and the
  values of its bound parameters, already converted by their types;
* :func:`sqlite_rows` runs it on the ``sqlite3`` connection and builds rows
  straight from the tuples;
* :func:`sqlite_insert` inserts items one ``INSERT`` each, ids from ``lastrowid``.

Both run inside :meth:`Gateway.driver`, so transactions, the unit of work, busy
retries and error translation are the ones every statement gets.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import datetime
from threading import Lock
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from narrator.content.model import ContentRow
from narrator.state.tables import content_rows, from_micros, to_micros

__all__ = [
    "ROW_COLUMNS",
    "compiled",
    "row_from_tuple",
    "sqlite_insert",
    "sqlite_known_hashes",
    "sqlite_rows",
]

# the columns a ContentRow is read from, in this order
ROW_COLUMNS = [
    content_rows.c[name]
    for name in (
        "id",
        "table_name",
        "fields",
        "status",
        "narrative",
        "run_id",
        "act",
        "model",
        "created_at",
        "updated_at",
        "content_hash",
        "message_id",
        "claimed_by",
    )
]
_CACHE_SIZE = 256
_cache: OrderedDict[str, tuple[str, tuple[Any, ...]]] = OrderedDict()
_cache_lock = Lock()


def row_from_tuple(row: Sequence[Any], when: Any = from_micros) -> ContentRow:
    """A ContentRow from a tuple of :data:`ROW_COLUMNS` (times as SQLite microseconds)."""
    fields = row[2]
    return ContentRow(
        table=row[1],
        id=int(row[0]),
        fields=json.loads(fields) if isinstance(fields, str | bytes) else fields,
        status=row[3],
        narrative=row[4],
        run_id=row[5],
        act=row[6],
        model=row[7],
        created_at=row[8] if isinstance(row[8], datetime) else when(row[8]),
        updated_at=row[9] if isinstance(row[9], datetime) else when(row[9]),
        content_hash=row[10],
        message_id=row[11],
        claimed_by=row[12],
    )


def compiled(
    key: str, build: Callable[[], sa.Select[Any]], dialect: Dialect
) -> tuple[str, tuple[Any, ...]]:
    """SQL text and converted parameter values of the statement ``build`` makes,
    built and compiled once per ``key`` (a query's ``repr``: it tells 1 from True)."""
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit
    done = build().compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    params = done.construct_params()
    processors: dict[str, Any] = getattr(done, "_bind_processors", {})
    values = []
    for name in done.positiontup or ():
        value = params[name]
        process = processors.get(name)
        values.append(process(value) if process is not None else value)
    result = (str(done.string), tuple(values))
    with _cache_lock:
        _cache[key] = result
        if len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return result


def sqlite_rows(raw: Any, sql: str, params: tuple[Any, ...]) -> list[ContentRow]:
    """Rows of a compiled selection of :data:`ROW_COLUMNS`, built straight from the tuples.

    Times are converted once per distinct value: the rows of one insert share
    ``created_at``, and a row's ``updated_at`` is often its ``created_at``."""
    loads, make = json.loads, ContentRow
    times: dict[int, datetime] = {}

    def when(micros: int) -> datetime:
        found = times.get(micros)
        if found is None:
            found = times[micros] = from_micros(micros)
        return found

    return [
        make(
            table, row_id, loads(fields), status, narr, run, act, model, when(c), when(u), h, m, cb
        )
        for row_id, table, fields, status, narr, run, act, model, c, u, h, m, cb in raw.execute(
            sql, params
        )
    ]


def sqlite_known_hashes(raw: Any, table: str, hashes: Sequence[str]) -> set[str]:
    """Which of ``hashes`` the table holds already (``dedupe = "hash"``), 500 per probe."""
    known: set[str] = set()
    unique = sorted(set(hashes))
    for start in range(0, len(unique), 500):
        chunk = unique[start : start + 500]
        marks = ",".join("?" * len(chunk))
        sql = (
            "SELECT content_hash FROM content_rows WHERE table_name = ? "
            f"AND content_hash IN ({marks})"
        )
        known.update(r[0] for r in raw.execute(sql, (table, *chunk)))
    return known


_INSERT = (
    "INSERT INTO content_rows (table_name, fields, status, narrative, run_id, act, model, "
    "content_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def sqlite_insert(raw: Any, rows: list[tuple[Any, ...]], now: datetime) -> list[int]:
    """Insert ``(table, fields_text, status, narrative, run_id, act, model, hash)`` tuples;
    their new ids, in order."""
    micros = to_micros(now)
    ids = []
    cursor = raw.cursor()
    try:
        for row in rows:
            cursor.execute(_INSERT, (*row, micros, micros))
            ids.append(int(cursor.lastrowid))
    finally:
        cursor.close()
    return ids
