"""State reads on SQLite's own driver (``sqlite3``): the SQL and the row decoding, no SQLAlchemy.

The SQL repository's hot bulk reads (:mod:`narrator.state.sql`, through the
gateway's transaction) and the read-only CLI verbs (:mod:`narrator.state.peek`,
on a connection of their own) both run these, so the two can never disagree.
Timestamps are integer microseconds since the epoch (``tables.Timestamp``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from narrator.protocols import JSON, StateEntry
from narrator.state.keys import prefix_end

CHUNK = 500  # keys per IN (...) list: well under SQLite's bound-parameter limit

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_micros(value: datetime) -> int:
    delta = value - _EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(value: int) -> datetime:
    return _EPOCH + timedelta(microseconds=value)


def chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


# Hot bulk reads on SQLite go straight to the driver: SQLAlchemy's per-row result
# processing was half of get_many / list_prefix on 100,000 keys. Same SQL as the
# portable statements; timestamps are microseconds there (tables.Timestamp).
_SQLITE_LIVE = "(expires_at IS NULL OR expires_at > ?)"


def sqlite_values(raw: Any, keys: list[str], now: int) -> dict[str, JSON]:
    found: dict[str, str] = {}
    for chunk in chunks(keys):
        marks = ",".join("?" * len(chunk))
        sql = f"SELECT key, value FROM state WHERE key IN ({marks}) AND {_SQLITE_LIVE}"
        found.update(raw.execute(sql, (*chunk, now)).fetchall())
    loads = json.loads
    return {k: loads(found[k]) for k in keys if k in found}


_SQLITE_ENTRY = (
    "SELECT key, value, created_at, updated_at, expires_at, metadata, version FROM state"
)


def sqlite_entries(raw: Any, keys: list[str], now: int) -> dict[str, StateEntry]:
    found: dict[str, StateEntry] = {}
    for chunk in chunks(keys):
        marks = ",".join("?" * len(chunk))
        sql = f"{_SQLITE_ENTRY} WHERE key IN ({marks}) AND {_SQLITE_LIVE}"
        for row in raw.execute(sql, (*chunk, now)):
            found[row[0]] = _raw_entry(row, from_micros)
    return found


def _raw_entry(row: Sequence[Any], when: Callable[[int], datetime]) -> StateEntry:
    key, value, created, updated, expires, meta, version = row
    return StateEntry(
        key=key,
        value=json.loads(value),
        created_at=when(created),
        updated_at=when(updated),
        expires_at=None if expires is None else when(expires),
        metadata=json.loads(meta) if meta else {},
        version=version,
    )


def sqlite_prefix(raw: Any, prefix: str, now: int) -> list[StateEntry]:
    end = prefix_end(prefix)
    where: list[str] = [_SQLITE_LIVE]
    params: list[int | str] = [now]
    if prefix:
        where.append("key >= ?")
        params.append(prefix)
    if end is not None:
        where.append("key < ?")
        params.append(end)
    sql = f"{_SQLITE_ENTRY} WHERE {' AND '.join(where)} ORDER BY key"
    seen: dict[int, datetime] = {}  # rows written together share their timestamps

    def when(micros: int) -> datetime:
        moment = seen.get(micros)
        if moment is None:
            moment = seen[micros] = from_micros(micros)
        return moment

    return [_raw_entry(row, when) for row in raw.execute(sql, params)]
