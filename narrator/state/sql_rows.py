"""Row-level state operations on an open connection, shared by the SQL repository's parts.

:class:`StateRows` holds the prebuilt statements and the steps every write
shares: read the live values, write rows with their history, delete keys with
theirs. The SQLite hot paths (``StateRows._write_rows_sqlite`` here, the reads in
:mod:`narrator.state.sqlite_reads`) run the same SQL as the portable statements on
the driver's connection, through the gateway.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from narrator.protocols import StateEntry
from narrator.state import sqlite_writes
from narrator.state.base import ChangeOp, run_and_act
from narrator.state.gateway import Gateway, driver_connection
from narrator.state.keys import dump_metadata, dump_value, prefix_end, validate_key
from narrator.state.sqlite_reads import chunks
from narrator.state.tables import Timestamp, state, state_history, to_micros

_c = state.c
ENTRY_COLUMNS = (
    _c.key,
    _c.value,
    _c.created_at,
    _c.updated_at,
    _c.expires_at,
    _c.metadata,
    _c.version,
)


def entry(row: Sequence[Any]) -> StateEntry:
    return StateEntry(
        key=row[0],
        value=json.loads(row[1]),
        created_at=row[2],
        updated_at=row[3],
        expires_at=row[4],
        metadata=json.loads(row[5]) if row[5] else {},
        version=row[6],
    )


def _trim(value: str | None, size: int) -> str | None:
    return value if value is None else value[:size]


def live(now: datetime | sa.BindParameter[datetime]) -> sa.ColumnElement[bool]:
    """The row is not expired at ``now``."""
    return sa.or_(_c.expires_at.is_(None), _c.expires_at > now)


def key_range(prefix: str) -> sa.ColumnElement[bool]:
    """``key >= prefix AND key < prefix_end(prefix)``: an index range, never ``LIKE``."""
    end = prefix_end(prefix)
    if not prefix:
        return sa.true() if end is None else _c.key < end
    lower = _c.key >= prefix
    return lower if end is None else sa.and_(lower, _c.key < end)


def history_row(
    key: str,
    op: ChangeOp,
    before: str | None,
    after: str | None,
    now: datetime,
    run_act: tuple[str | None, str | None],
) -> dict[str, Any]:
    return {
        "key": key,
        "op": op,
        "before": before,
        "after": after,
        "run_id": _trim(run_act[0], 64),
        "act": _trim(run_act[1], 200),
        "changed_at": now,
    }


def sqlite_import_rows(entries: Iterable[StateEntry]) -> list[sqlite_writes.ImportRow]:
    """``import_entries``' checks (key, value, metadata) and its rows for the SQLite
    driver, in one pass over the entries (two passes were a tenth of an import)."""
    rows: list[sqlite_writes.ImportRow] = []
    append = rows.append
    for entry in entries:
        key = validate_key(entry.key)
        text = dump_value(key, entry.value)
        metadata = entry.metadata
        meta = dump_metadata(key, metadata)
        run_id, act = (None, None) if not metadata else run_and_act(metadata)
        expires = entry.expires_at
        append(
            (
                key,
                text,
                _trim(run_id, 64),
                _trim(act, 200),
                to_micros(entry.created_at),
                to_micros(entry.updated_at),
                None if expires is None else to_micros(expires),
                meta,
                entry.version,
            )
        )
    return rows


class StateRows:
    """Statements and row steps on a connection the caller's transaction holds."""

    def __init__(self, gateway: Gateway) -> None:
        self._gw = gateway
        self.upsert_state = self._state_upsert()
        self.history_insert = sa.insert(state_history)
        key, now = sa.bindparam("k", type_=_c.key.type), sa.bindparam("now", type_=Timestamp())
        old_one = sa.select(_c.key, _c.value, _c.version).where(_c.key == key, live(now))
        self._old_one = old_one.with_for_update() if gateway.is_postgres else old_one

    def _state_upsert(self) -> Any:
        """Upsert a state row. On conflict, an expired row starts over (version 1, new
        created_at); a live one keeps created_at and bumps its version — computed in SQL,
        so concurrent writers can never hand out the same version twice."""
        stmt = self._gw.insert(state)
        ex = stmt.excluded
        expired = sa.and_(_c.expires_at.is_not(None), _c.expires_at <= ex.updated_at)
        return stmt.on_conflict_do_update(
            index_elements=["key"],
            set_={
                "value": ex.value,
                "updated_at": ex.updated_at,
                "expires_at": ex.expires_at,
                "metadata": ex.metadata,
                "created_at": sa.case((expired, ex.created_at), else_=_c.created_at),
                "version": sa.case((expired, ex.version), else_=_c.version + 1),
            },
        )

    def live_values(
        self, conn: Connection, keys: Sequence[str], now: datetime, *, lock: bool = False
    ) -> dict[str, tuple[str, int]]:
        """Current live (value, version) of ``keys``."""
        found: dict[str, tuple[str, int]] = {}
        if len(keys) == 1:
            for key, value, version in conn.execute(self._old_one, {"k": keys[0], "now": now}):
                found[key] = (value, version)
            return found
        for chunk in chunks(keys):
            stmt = sa.select(_c.key, _c.value, _c.version).where(_c.key.in_(chunk), live(now))
            if lock and self._gw.is_postgres:
                stmt = stmt.with_for_update()
            for key, value, version in conn.execute(stmt):
                found[key] = (value, version)
        return found

    def write_rows(
        self,
        conn: Connection,
        rows: list[tuple[str, str]],
        now: datetime,
        expires_at: datetime | None,
        metadata: Mapping[str, Any] | None,
        meta_text: str | None,
    ) -> None:
        if self._gw.is_sqlite:
            self._write_rows_sqlite(conn, rows, now, expires_at, metadata, meta_text)
            return
        old = self.live_values(conn, [k for k, _ in rows], now, lock=True)
        params = [
            {
                "key": key,
                "value": text,
                "created_at": now,
                "updated_at": now,
                "expires_at": expires_at,
                "metadata": meta_text,
                "version": 1,
            }
            for key, text in rows
        ]
        conn.execute(self.upsert_state, params[0] if len(params) == 1 else params)
        run_act = run_and_act(metadata)
        history = [
            history_row(
                key,
                "update" if key in old else "create",
                old[key][0] if key in old else None,
                text,
                now,
                run_act,
            )
            for key, text in rows
        ]
        conn.execute(self.history_insert, history[0] if len(history) == 1 else history)

    def _write_rows_sqlite(
        self,
        conn: Connection,
        rows: list[tuple[str, str]],
        now: datetime,
        expires_at: datetime | None,
        metadata: Mapping[str, Any] | None,
        meta_text: str | None,
    ) -> None:
        """Writes on SQLite: the same steps as the portable path (history row with the old
        value, upsert), a whole batch per statement on the driver (:mod:`sqlite_writes`)."""
        raw = driver_connection(conn)  # inside the gateway's write transaction
        until = None if expires_at is None else to_micros(expires_at)
        run_id, act = run_and_act(metadata)
        run_act = (_trim(run_id, 64), _trim(act, 200))
        sqlite_writes.write_rows(raw, rows, to_micros(now), until, run_act, meta_text)

    def import_rows_sqlite(
        self, conn: Connection, rows: Sequence[sqlite_writes.ImportRow], now: datetime
    ) -> None:
        """``import_entries`` on SQLite: history rows (reading each key's live value inside
        SQLite), then the upserts, a whole batch per statement on the driver."""
        sqlite_writes.import_rows(driver_connection(conn), rows, to_micros(now))

    def delete_keys(self, conn: Connection, keys: Sequence[str], now: datetime) -> int:
        old = self.live_values(conn, keys, now, lock=True)
        for chunk in chunks(keys):
            conn.execute(sa.delete(state).where(_c.key.in_(chunk)))
        if old:
            conn.execute(
                self.history_insert,
                [history_row(k, "delete", v[0], None, now, (None, None)) for k, v in old.items()],
            )
        return len(old)
