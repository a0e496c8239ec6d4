"""The SQL state repository (SQLAlchemy Core) for SQLite and PostgreSQL.

Every public write is one transaction through :meth:`Gateway.write`: bad input
is rejected before the transaction starts, so nothing is ever half-written.
Prefix scans are index ranges (``key >= p AND key < p_next``), never ``LIKE``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from narrator.errors import StateError, VersionConflict
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
from narrator.state.gateway import Gateway, driver_connection, upsert
from narrator.state.keys import dump_metadata, dump_value, load_value, prefix_end, validate_key
from narrator.state.tables import (
    Timestamp,
    from_micros,
    snapshot_entries,
    snapshots,
    state,
    state_history,
    to_micros,
)

CHUNK = 500  # keys per IN (...) list: well under SQLite's bound-parameter limit

_c = state.c
_ENTRY_COLUMNS = (
    _c.key,
    _c.value,
    _c.created_at,
    _c.updated_at,
    _c.expires_at,
    _c.metadata,
    _c.version,
)


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


# the portable path's upsert (see _state_upsert), written out for the driver
_SQLITE_UPSERT = (
    "INSERT INTO state (key, value, created_at, updated_at, expires_at, metadata, version) "
    "VALUES (?, ?, ?, ?, ?, ?, 1) ON CONFLICT (key) DO UPDATE SET "
    "value = excluded.value, updated_at = excluded.updated_at, "
    "expires_at = excluded.expires_at, metadata = excluded.metadata, "
    "created_at = CASE WHEN state.expires_at IS NOT NULL "
    "AND state.expires_at <= excluded.updated_at THEN excluded.created_at "
    "ELSE state.created_at END, "
    "version = CASE WHEN state.expires_at IS NOT NULL "
    "AND state.expires_at <= excluded.updated_at THEN excluded.version "
    "ELSE state.version + 1 END"
)


# Hot bulk reads on SQLite go straight to the driver: SQLAlchemy's per-row result
# processing was half of get_many / list_prefix on 100,000 keys. Same SQL as the
# portable statements; timestamps are microseconds there (tables.Timestamp).
_SQLITE_LIVE = "(expires_at IS NULL OR expires_at > ?)"


def _sqlite_values(raw: Any, keys: list[str], now: int) -> dict[str, JSON]:
    found: dict[str, str] = {}
    for chunk in _chunks(keys):
        marks = ",".join("?" * len(chunk))
        sql = f"SELECT key, value FROM state WHERE key IN ({marks}) AND {_SQLITE_LIVE}"
        found.update(raw.execute(sql, (*chunk, now)).fetchall())
    loads = json.loads
    return {k: loads(found[k]) for k in keys if k in found}


_SQLITE_ENTRY = (
    "SELECT key, value, created_at, updated_at, expires_at, metadata, version FROM state"
)


def _sqlite_entries(raw: Any, keys: list[str], now: int) -> dict[str, StateEntry]:
    found: dict[str, StateEntry] = {}
    for chunk in _chunks(keys):
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


def _sqlite_prefix(raw: Any, prefix: str, now: int) -> list[StateEntry]:
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


# one history row per key: 'update' with the live value before, or 'create'
_SQLITE_HISTORY = (
    "INSERT INTO state_history (key, op, before, after, run_id, act, changed_at) "
    "SELECT k.key, CASE WHEN s.key IS NULL THEN 'create' ELSE 'update' END, s.value, "
    "k.after, k.run_id, k.act, k.at "
    "FROM (SELECT ? AS after, ? AS run_id, ? AS act, ? AS at, ? AS key) AS k "
    "LEFT JOIN state AS s ON s.key = k.key "
    "AND (s.expires_at IS NULL OR s.expires_at > ?)"
)


def _entry(row: Sequence[Any]) -> StateEntry:
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


class SqlStateRepository(RepositoryBase):
    """The state store in a SQL database (see :func:`narrator.state.open_database`)."""

    def __init__(self, gateway: Gateway, *, retention: Retention | None = None) -> None:
        self._gw = gateway
        self.retention = retention or Retention()
        self._upsert_state = self._state_upsert()
        self._history_insert = sa.insert(state_history)
        # Hot single-key statements, built once: SQLAlchemy then reuses their compiled form.
        key, now = sa.bindparam("k", type_=_c.key.type), sa.bindparam("now", type_=Timestamp())
        live_key = sa.and_(_c.key == key, sa.or_(_c.expires_at.is_(None), _c.expires_at > now))
        self._get_value = sa.select(_c.value).where(live_key)
        self._get_entry = sa.select(*_ENTRY_COLUMNS).where(live_key)
        self._get_version = sa.select(_c.version).where(live_key)
        keys = sa.bindparam("keys", expanding=True, type_=_c.key.type)
        live = sa.or_(_c.expires_at.is_(None), _c.expires_at > now)
        self._get_entries = sa.select(*_ENTRY_COLUMNS).where(_c.key.in_(keys), live)
        old_one = sa.select(_c.key, _c.value, _c.version).where(live_key)
        self._old_one = old_one.with_for_update() if gateway.is_postgres else old_one

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _live(now: datetime) -> sa.ColumnElement[bool]:
        return sa.or_(_c.expires_at.is_(None), _c.expires_at > now)

    @staticmethod
    def _range(prefix: str) -> sa.ColumnElement[bool]:
        end = prefix_end(prefix)
        if not prefix:
            return sa.true() if end is None else _c.key < end
        lower = _c.key >= prefix
        return lower if end is None else sa.and_(lower, _c.key < end)

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

    def _history_row(
        self,
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

    def _live_values(
        self, conn: Connection, keys: Sequence[str], now: datetime, *, lock: bool = False
    ) -> dict[str, tuple[str, int]]:
        """Current live (value, version) of ``keys``."""
        found: dict[str, tuple[str, int]] = {}
        if len(keys) == 1:
            for key, value, version in conn.execute(self._old_one, {"k": keys[0], "now": now}):
                found[key] = (value, version)
            return found
        for chunk in _chunks(keys):
            stmt = sa.select(_c.key, _c.value, _c.version).where(_c.key.in_(chunk), self._live(now))
            if lock and self._gw.is_postgres:
                stmt = stmt.with_for_update()
            for key, value, version in conn.execute(stmt):
                found[key] = (value, version)
        return found

    def _write_rows(
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
        old = self._live_values(conn, [k for k, _ in rows], now, lock=True)
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
        conn.execute(self._upsert_state, params[0] if len(params) == 1 else params)
        run_act = run_and_act(metadata)
        history = [
            self._history_row(
                key,
                "update" if key in old else "create",
                old[key][0] if key in old else None,
                text,
                now,
                run_act,
            )
            for key, text in rows
        ]
        conn.execute(self._history_insert, history[0] if len(history) == 1 else history)

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
        value, upsert), sent as plain ``executemany`` on the driver.

        SQLAlchemy's per-row parameter processing was most of ``set_many``'s cost
        (benchmarks/state_bench.py); the SQL is the statement the portable path compiles.
        """
        raw = driver_connection(conn)  # inside the gateway's write transaction
        at = to_micros(now)
        until = None if expires_at is None else to_micros(expires_at)
        run_id, act = run_and_act(metadata)
        run_id, act = _trim(run_id, 64), _trim(act, 200)
        # history first: each row reads its key's live value inside SQLite, before the upsert
        raw.executemany(_SQLITE_HISTORY, [(t, run_id, act, at, k, at) for k, t in rows])
        raw.executemany(_SQLITE_UPSERT, [(k, t, at, at, until, meta_text) for k, t in rows])

    # ------------------------------------------------------------------ reads

    def get_entry(self, key: str) -> StateEntry | None:
        validate_key(key)
        params = {"k": key, "now": self._gw.clock()}
        row = self._gw.read(lambda c: c.execute(self._get_entry, params).first())
        return None if row is None else _entry(row)

    def get_entries(self, keys: Iterable[str]) -> dict[str, StateEntry]:
        """The entries of those keys that exist, in one query (missing and expired left out)."""
        wanted = list(dict.fromkeys(check_keys(keys)))
        now = self._gw.clock()
        if self._gw.is_sqlite:
            return self._gw.driver(lambda raw: _sqlite_entries(raw, wanted, to_micros(now)))

        def read(conn: Connection) -> dict[str, StateEntry]:
            found: dict[str, StateEntry] = {}
            for chunk in _chunks(wanted):
                for row in conn.execute(self._get_entries, {"keys": chunk, "now": now}):
                    found[row[0]] = _entry(row)
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
            return self._gw.driver(lambda raw: _sqlite_values(raw, wanted, to_micros(now)))

        def read(conn: Connection) -> dict[str, JSON]:
            found: dict[str, JSON] = {}
            for chunk in _chunks(wanted):
                stmt = sa.select(_c.key, _c.value).where(_c.key.in_(chunk), self._live(now))
                for key, text in conn.execute(stmt):
                    found[key] = json.loads(text)
            return {k: found[k] for k in wanted if k in found}

        return self._gw.read(read)

    def list_prefix(self, prefix: str) -> list[StateEntry]:
        check_prefix(prefix)
        now = self._gw.clock()
        if self._gw.is_sqlite:
            return self._gw.driver(lambda raw: _sqlite_prefix(raw, prefix, to_micros(now)))
        stmt = (
            sa.select(*_ENTRY_COLUMNS).where(self._range(prefix), self._live(now)).order_by(_c.key)
        )
        return self._gw.read(lambda c: [_entry(r) for r in c.execute(stmt)])

    def key_count(self, prefix: str = "") -> int:
        check_prefix(prefix)
        now = self._gw.clock()
        stmt = sa.select(sa.func.count()).where(self._range(prefix), self._live(now))
        return int(self._gw.read(lambda c: c.execute(stmt).scalar()) or 0)

    def list_keys(
        self, prefix: str = "", *, limit: int = 100, after: str | None = None
    ) -> list[str]:
        """Up to ``limit`` live keys under ``prefix``, sorted, strictly after ``after``."""
        check_prefix(prefix)
        check_limit(limit)
        now = self._gw.clock()
        stmt = sa.select(_c.key).where(self._range(prefix), self._live(now))
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
            lambda c: self._write_rows(c, [(key, text)], now, expires_at, metadata, meta)
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
        self._gw.write(lambda c: self._write_rows(c, rows, now, expires_at, metadata, meta))

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
            stmt = sa.select(_c.version).where(_c.key == key, self._live(now))
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
                old = self._live_values(conn, [key], now, lock=True).get(key)
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
                self._history_insert, self._history_row(key, op, before, text, now, run_act)
            )
            return expected + 1

        return self._gw.write(write)

    def _delete_keys(self, conn: Connection, keys: Sequence[str], now: datetime) -> int:
        old = self._live_values(conn, keys, now, lock=True)
        for chunk in _chunks(keys):
            conn.execute(sa.delete(state).where(_c.key.in_(chunk)))
        if old:
            conn.execute(
                self._history_insert,
                [
                    self._history_row(k, "delete", v[0], None, now, (None, None))
                    for k, v in old.items()
                ],
            )
        return len(old)

    def delete(self, key: str) -> bool:
        validate_key(key)
        now = self._gw.clock()
        return self._gw.write(lambda c: self._delete_keys(c, [key], now)) == 1

    def delete_many(self, keys: Iterable[str]) -> int:
        """Remove the keys in one transaction; how many existed."""
        wanted = list(dict.fromkeys(check_keys(keys)))
        now = self._gw.clock()
        return self._gw.write(lambda c: self._delete_keys(c, wanted, now))

    def clear_prefix(self, prefix: str) -> int:
        check_prefix(prefix)
        now = self._gw.clock()
        where = self._range(prefix)

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
                    ).where(where, self._live(now)),
                ),
                execution_options={"preserve_rowcount": True},
            )
            conn.execute(sa.delete(state).where(where))
            return int(logged.rowcount)

        return self._gw.write(write)

    # ------------------------------------------------------------------ history & maintenance

    def history(self, key: str, *, limit: int | None = None) -> list[HistoryEntry]:
        """Changes of ``key``, newest first."""
        validate_key(key)
        h = state_history.c
        stmt = sa.select(h.id, h.key, h.op, h.before, h.after, h.changed_at, h.run_id, h.act).where(
            h.key == key
        )
        stmt = stmt.order_by(h.id.desc())
        if limit is not None:
            stmt = stmt.limit(limit)
        rows = self._gw.read(lambda c: c.execute(stmt).all())
        return [
            HistoryEntry(
                id=r[0],
                key=r[1],
                op=r[2],
                before=load_value(r[3]),
                after=load_value(r[4]),
                changed_at=r[5],
                run_id=r[6],
                act=r[7],
            )
            for r in rows
        ]

    def gc(self, retention: Retention | None = None) -> GcResult:
        """Purge expired entries and history beyond the retention policy (one transaction)."""
        policy = retention or self.retention
        now = self._gw.clock()
        h = state_history.c

        def write(conn: Connection) -> GcResult:
            expired = conn.execute(
                sa.delete(state).where(_c.expires_at.is_not(None), _c.expires_at <= now)
            ).rowcount
            purged = 0
            if policy.keep_days is not None:
                cutoff = now - timedelta(days=policy.keep_days)
                purged += conn.execute(
                    sa.delete(state_history).where(h.changed_at < cutoff)
                ).rowcount
            if policy.keep_last is not None:
                ranked = sa.select(
                    h.id,
                    sa.func.row_number()
                    .over(partition_by=h.key, order_by=h.id.desc())
                    .label("rank"),
                ).subquery()
                doomed = sa.select(ranked.c.id).where(ranked.c.rank > policy.keep_last)
                purged += conn.execute(sa.delete(state_history).where(h.id.in_(doomed))).rowcount
            return GcResult(expired=int(expired), history=int(purged))

        return self._gw.write(write)

    # ------------------------------------------------------------------ snapshots

    def snapshot(self, prefix: str = "", note: str | None = None) -> int:
        """Copy every live key under ``prefix``; the new snapshot's id."""
        check_prefix(prefix)
        now = self._gw.clock()
        where = self._range(prefix)

        def write(conn: Connection) -> int:
            result = conn.execute(
                sa.insert(snapshots)
                .values(prefix=prefix, note=note, created_at=now, key_count=0)
                .returning(snapshots.c.id)
            )
            snap_id = int(result.scalar_one())
            copied = conn.execute(
                sa.insert(snapshot_entries).from_select(
                    [
                        "snapshot_id",
                        "key",
                        "value",
                        "created_at",
                        "updated_at",
                        "expires_at",
                        "metadata",
                        "version",
                    ],
                    sa.select(sa.literal(snap_id, sa.Integer), *_ENTRY_COLUMNS).where(
                        where, self._live(now)
                    ),
                ),
                execution_options={"preserve_rowcount": True},
            ).rowcount
            conn.execute(
                sa.update(snapshots).where(snapshots.c.id == snap_id).values(key_count=copied)
            )
            return snap_id

        return self._gw.write(write)

    def snapshots(self) -> list[SnapshotInfo]:
        s = snapshots.c
        stmt = sa.select(s.id, s.prefix, s.note, s.created_at, s.key_count).order_by(s.id.desc())
        rows = self._gw.read(lambda c: c.execute(stmt).all())
        return [SnapshotInfo(r[0], r[1], r[2], r[3], r[4]) for r in rows]

    def restore(self, snapshot_id: int) -> int:
        """Make the snapshot's prefix hold exactly its keys again, atomically; the count."""
        now = self._gw.clock()
        e = snapshot_entries.c

        def write(conn: Connection) -> int:
            prefix = conn.execute(
                sa.select(snapshots.c.prefix).where(snapshots.c.id == snapshot_id)
            ).scalar()
            if prefix is None:
                raise StateError(
                    f"no snapshot with id {snapshot_id}",
                    hint="list them with: narrator state snapshots",
                )
            saved = conn.execute(
                sa.select(e.key, e.value, e.expires_at, e.metadata).where(
                    e.snapshot_id == snapshot_id
                )
            ).all()
            wanted = {r[0]: r for r in saved}
            current = {
                r[0]: r[1]
                for r in conn.execute(
                    sa.select(_c.key, _c.value).where(self._range(prefix), self._live(now))
                )
            }
            gone = [k for k in current if k not in wanted]
            if gone:
                self._delete_keys(conn, gone, now)
            changed = [r for r in saved if current.get(r[0]) != r[1]]
            meta = {"restored_from": snapshot_id}
            for row in changed:
                self._write_rows(conn, [(row[0], row[1])], now, row[2], meta, row[3])
            return len(saved)

        return self._gw.write(write)

    def import_entries(self, entries: Iterable[StateEntry]) -> int:
        """Write exported entries back with their timestamps, metadata and version."""
        prepared = [
            (e, dump_value(validate_key(e.key), e.value), dump_metadata(e.key, e.metadata))
            for e in entries
        ]
        if not prepared:
            return 0
        now = self._gw.clock()
        plain = upsert(self._gw, state, ["key"])

        def write(conn: Connection) -> int:
            old = self._live_values(conn, [e.key for e, _, _ in prepared], now, lock=True)
            conn.execute(
                plain,
                [
                    {
                        "key": entry.key,
                        "value": text,
                        "created_at": entry.created_at,
                        "updated_at": entry.updated_at,
                        "expires_at": entry.expires_at,
                        "metadata": meta,
                        "version": entry.version
                        if entry.key not in old
                        else max(entry.version, old[entry.key][1] + 1),
                    }
                    for entry, text, meta in prepared
                ],
            )
            conn.execute(
                self._history_insert,
                [
                    self._history_row(
                        entry.key,
                        "update" if entry.key in old else "create",
                        old[entry.key][0] if entry.key in old else None,
                        text,
                        now,
                        run_and_act(entry.metadata),
                    )
                    for entry, text, _ in prepared
                ],
            )
            return len(prepared)

        return self._gw.write(write)
