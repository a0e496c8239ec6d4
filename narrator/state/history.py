"""History, retention, snapshots and import of the SQL state store.

:class:`SqlHistory` is the part of :class:`~narrator.state.sql.SqlStateRepository`
that looks back in time: a key's changes, ``gc``, snapshots and restoring one,
and writing exported entries back. Every public call is one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from narrator.errors import StateError
from narrator.protocols import StateEntry
from narrator.state.base import (
    GcResult,
    HistoryEntry,
    Retention,
    SnapshotInfo,
    check_prefix,
    run_and_act,
)
from narrator.state.gateway import Gateway, upsert
from narrator.state.keys import dump_metadata, dump_value, load_value, validate_key
from narrator.state.sql_rows import (
    ENTRY_COLUMNS,
    StateRows,
    history_row,
    key_range,
    live,
    sqlite_import_rows,
)
from narrator.state.tables import snapshot_entries, snapshots, state, state_history

_c = state.c


class SqlHistory:
    """History, gc, snapshots, restore and import on the gateway."""

    def __init__(self, gateway: Gateway, rows: StateRows) -> None:
        self._gw = gateway
        self._rows = rows

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

    def gc(self, retention: Retention) -> GcResult:
        """Purge expired entries and history beyond the retention policy (one transaction)."""
        policy = retention
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
        where = key_range(prefix)

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
                    sa.select(sa.literal(snap_id, sa.Integer), *ENTRY_COLUMNS).where(
                        where, live(now)
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
                    sa.select(_c.key, _c.value).where(key_range(prefix), live(now))
                )
            }
            gone = [k for k in current if k not in wanted]
            if gone:
                self._rows.delete_keys(conn, gone, now)
            changed = [r for r in saved if current.get(r[0]) != r[1]]
            meta = {"restored_from": snapshot_id}
            for row in changed:
                self._rows.write_rows(conn, [(row[0], row[1])], now, row[2], meta, row[3])
            return len(saved)

        return self._gw.write(write)

    def import_entries(self, entries: Iterable[StateEntry]) -> int:
        """Write exported entries back with their timestamps, metadata and version."""
        if self._gw.is_sqlite:  # checked and turned into driver rows in one pass
            rows = sqlite_import_rows(entries)
            if rows:
                moment = self._gw.clock()
                self._gw.write(lambda c: self._rows.import_rows_sqlite(c, rows, moment))
            return len(rows)
        prepared = [
            (e, dump_value(validate_key(e.key), e.value), dump_metadata(e.key, e.metadata))
            for e in entries
        ]
        if not prepared:
            return 0
        now = self._gw.clock()
        plain = upsert(self._gw, state, ["key"])

        def write(conn: Connection) -> int:
            old = self._rows.live_values(conn, [e.key for e, _, _ in prepared], now, lock=True)
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
                self._rows.history_insert,
                [
                    history_row(
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
