"""The SQL state repository (SQLAlchemy Core) for SQLite and PostgreSQL.

Every public write is one transaction through :meth:`Gateway.write`: bad input
is rejected before the transaction starts, so nothing is ever half-written.
Prefix scans are index ranges (``key >= p AND key < p_next``), never ``LIKE``.
Row steps shared with history and snapshots are in :mod:`narrator.state.sql_rows`;
history, gc, snapshots and import in :mod:`narrator.state.history`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from narrator.errors import VersionConflict
from narrator.protocols import JSON, StateEntry
from narrator.state.base import (
    ChangeOp,
    GcResult,
    HistoryEntry,
    RepositoryBase,
    Retention,
    SnapshotInfo,
    check_keys,
    check_limit,
    check_prefix,
    expiry,
    run_and_act,
)
from narrator.state.gateway import Gateway
from narrator.state.history import SqlHistory
from narrator.state.keys import dump_metadata, dump_value, validate_key
from narrator.state.sql_rows import (
    ENTRY_COLUMNS,
    StateRows,
    entry,
    history_row,
    key_range,
    live,
)
from narrator.state.sqlite_reads import chunks, sqlite_entries, sqlite_prefix, sqlite_values
from narrator.state.tables import Timestamp, state, state_history, to_micros

_c = state.c


class SqlStateRepository(RepositoryBase):
    """The state store in a SQL database (see :func:`narrator.state.open_database`)."""

    def __init__(self, gateway: Gateway, *, retention: Retention | None = None) -> None:
        self._gw = gateway
        self.retention = retention or Retention()
        self._rows = StateRows(gateway)
        self._history = SqlHistory(gateway, self._rows)
        # Hot single-key statements, built once: SQLAlchemy then reuses their compiled form.
        key, now = sa.bindparam("k", type_=_c.key.type), sa.bindparam("now", type_=Timestamp())
        live_key = sa.and_(_c.key == key, sa.or_(_c.expires_at.is_(None), _c.expires_at > now))
        self._get_value = sa.select(_c.value).where(live_key)
        self._get_entry = sa.select(*ENTRY_COLUMNS).where(live_key)
        self._get_version = sa.select(_c.version).where(live_key)
        keys = sa.bindparam("keys", expanding=True, type_=_c.key.type)
        live_now = sa.or_(_c.expires_at.is_(None), _c.expires_at > now)
        self._get_entries = sa.select(*ENTRY_COLUMNS).where(_c.key.in_(keys), live_now)

    # ------------------------------------------------------------------ reads

    def get_entry(self, key: str) -> StateEntry | None:
        validate_key(key)
        params = {"k": key, "now": self._gw.clock()}
        row = self._gw.read(lambda c: c.execute(self._get_entry, params).first())
        return None if row is None else entry(row)

    def get_entries(self, keys: Iterable[str]) -> dict[str, StateEntry]:
        """The entries of those keys that exist, in one query (missing and expired left out)."""
        wanted = list(dict.fromkeys(check_keys(keys)))
        now = self._gw.clock()
        if self._gw.is_sqlite:
            return self._gw.driver(lambda raw: sqlite_entries(raw, wanted, to_micros(now)))

        def read(conn: Connection) -> dict[str, StateEntry]:
            found: dict[str, StateEntry] = {}
            for chunk in chunks(wanted):
                for row in conn.execute(self._get_entries, {"keys": chunk, "now": now}):
                    found[row[0]] = entry(row)
            return found

        return self._gw.read(read)

    def get(self, key: str, default: JSON = None) -> JSON:
        validate_key(key)
        params = {"k": key, "now": self._gw.clock()}
        text = self._gw.read(lambda c: c.execute(self._get_value, params).scalar())
        return default if text is None else json.loads(text)

    def contains(self, key: str) -> bool:
        validate_key(key)
        params = {"k": key, "now": self._gw.clock()}
        return self._gw.read(lambda c: c.execute(self._get_version, params).scalar()) is not None

    def get_many(self, keys: Iterable[str]) -> dict[str, JSON]:
        """Values of the keys that exist (missing and expired keys are left out)."""
        wanted = list(dict.fromkeys(check_keys(keys)))
        now = self._gw.clock()
        if self._gw.is_sqlite:
            return self._gw.driver(lambda raw: sqlite_values(raw, wanted, to_micros(now)))

        def read(conn: Connection) -> dict[str, JSON]:
            found: dict[str, JSON] = {}
            for chunk in chunks(wanted):
                stmt = sa.select(_c.key, _c.value).where(_c.key.in_(chunk), live(now))
                for key, text in conn.execute(stmt):
                    found[key] = json.loads(text)
            return {k: found[k] for k in wanted if k in found}

        return self._gw.read(read)

    def list_prefix(self, prefix: str) -> list[StateEntry]:
        check_prefix(prefix)
        now = self._gw.clock()
        if self._gw.is_sqlite:
            return self._gw.driver(lambda raw: sqlite_prefix(raw, prefix, to_micros(now)))
        stmt = sa.select(*ENTRY_COLUMNS).where(key_range(prefix), live(now)).order_by(_c.key)
        return self._gw.read(lambda c: [entry(r) for r in c.execute(stmt)])

    def key_count(self, prefix: str = "") -> int:
        check_prefix(prefix)
        now = self._gw.clock()
        stmt = sa.select(sa.func.count()).where(key_range(prefix), live(now))
        return int(self._gw.read(lambda c: c.execute(stmt).scalar()) or 0)

    def list_keys(
        self, prefix: str = "", *, limit: int = 100, after: str | None = None
    ) -> list[str]:
        """Up to ``limit`` live keys under ``prefix``, sorted, strictly after ``after``."""
        check_prefix(prefix)
        check_limit(limit)
        now = self._gw.clock()
        stmt = sa.select(_c.key).where(key_range(prefix), live(now))
        if after is not None:
            stmt = stmt.where(_c.key > after)
        stmt = stmt.order_by(_c.key).limit(limit)
        return self._gw.read(lambda c: list(c.execute(stmt).scalars()))

    # ------------------------------------------------------------------ writes

    def set(
        self,
        key: str,
        value: JSON,
        *,
        ttl: float | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        validate_key(key)
        text = dump_value(key, value)
        meta = dump_metadata(key, metadata)
        now = self._gw.clock()
        expires_at = expiry(now, ttl)
        self._gw.write(
            lambda c: self._rows.write_rows(c, [(key, text)], now, expires_at, metadata, meta)
        )

    def set_many(
        self,
        items: Mapping[str, JSON],
        *,
        ttl: float | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        """Store every item in one transaction, or (on bad input) none of them."""
        rows = [(validate_key(k), dump_value(k, v)) for k, v in items.items()]
        if not rows:
            return
        meta = dump_metadata(rows[0][0], metadata)
        now = self._gw.clock()
        expires_at = expiry(now, ttl)
        self._gw.write(lambda c: self._rows.write_rows(c, rows, now, expires_at, metadata, meta))

    def compare_and_set(
        self,
        key: str,
        value: JSON,
        expected_version: int | None,
        *,
        ttl: float | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> int:
        """Store ``value`` only if the live version is ``expected_version`` (None or 0: absent).

        Returns the new version; raises :class:`VersionConflict` otherwise.
        """
        validate_key(key)
        text = dump_value(key, value)
        meta = dump_metadata(key, metadata)
        expected = expected_version or 0
        now = self._gw.clock()
        expires_at = expiry(now, ttl)
        run_act = run_and_act(metadata)

        def conflict(conn: Connection) -> VersionConflict:
            stmt = sa.select(_c.version).where(_c.key == key, live(now))
            current = conn.execute(stmt).scalar() or 0
            return VersionConflict(
                f"state key {key!r} is at version {current}, not {expected}",
                hint="read the entry again (get_entry) and retry with its version",
            )

        def write(conn: Connection) -> int:
            if expected == 0:
                conn.execute(
                    sa.delete(state).where(
                        _c.key == key, _c.expires_at.is_not(None), _c.expires_at <= now
                    )
                )
                inserted = conn.execute(
                    self._gw.insert(state)
                    .values(
                        key=key,
                        value=text,
                        created_at=now,
                        updated_at=now,
                        expires_at=expires_at,
                        metadata=meta,
                        version=1,
                    )
                    .on_conflict_do_nothing(index_elements=["key"])
                    .returning(_c.version)
                )
                if inserted.first() is None:
                    raise conflict(conn)
                before = None
            else:
                old = self._rows.live_values(conn, [key], now, lock=True).get(key)
                if old is None or old[1] != expected:
                    raise conflict(conn)
                updated = conn.execute(
                    sa.update(state)
                    .where(_c.key == key, _c.version == expected)
                    .values(
                        value=text,
                        updated_at=now,
                        expires_at=expires_at,
                        metadata=meta,
                        version=expected + 1,
                    )
                )
                if updated.rowcount != 1:
                    raise conflict(conn)
                before = old[0]
            op: ChangeOp = "create" if before is None else "update"
            conn.execute(
                self._rows.history_insert, history_row(key, op, before, text, now, run_act)
            )
            return expected + 1

        return self._gw.write(write)

    def delete(self, key: str) -> bool:
        validate_key(key)
        now = self._gw.clock()
        return self._gw.write(lambda c: self._rows.delete_keys(c, [key], now)) == 1

    def delete_many(self, keys: Iterable[str]) -> int:
        """Remove the keys in one transaction; how many existed."""
        wanted = list(dict.fromkeys(check_keys(keys)))
        now = self._gw.clock()
        return self._gw.write(lambda c: self._rows.delete_keys(c, wanted, now))

    def clear_prefix(self, prefix: str) -> int:
        check_prefix(prefix)
        now = self._gw.clock()
        where = key_range(prefix)

        def write(conn: Connection) -> int:
            logged = conn.execute(
                sa.insert(state_history).from_select(
                    ["key", "op", "before", "after", "changed_at"],
                    sa.select(
                        _c.key,
                        sa.literal("delete", sa.String(8)),
                        _c.value,
                        sa.null(),
                        sa.literal(now, state_history.c.changed_at.type),
                    ).where(where, live(now)),
                ),
                execution_options={"preserve_rowcount": True},
            )
            conn.execute(sa.delete(state).where(where))
            return int(logged.rowcount)

        return self._gw.write(write)

    # ------------------------------------------------------------------ history & maintenance

    def history(self, key: str, *, limit: int | None = None) -> list[HistoryEntry]:
        """Changes of ``key``, newest first."""
        return self._history.history(key, limit=limit)

    def gc(self, retention: Retention | None = None) -> GcResult:
        """Purge expired entries and history beyond the retention policy (one transaction)."""
        return self._history.gc(retention or self.retention)

    def snapshot(self, prefix: str = "", note: str | None = None) -> int:
        """Copy every live key under ``prefix``; the new snapshot's id."""
        return self._history.snapshot(prefix, note)

    def snapshots(self) -> list[SnapshotInfo]:
        return self._history.snapshots()

    def restore(self, snapshot_id: int) -> int:
        """Make the snapshot's prefix hold exactly its keys again, atomically; the count."""
        return self._history.restore(snapshot_id)

    def import_entries(self, entries: Iterable[StateEntry]) -> int:
        """Write exported entries back with their timestamps, metadata and version."""
        return self._history.import_entries(entries)
