"""In-memory state repository, run journal and blob store.

No database import: ``from narrator.state.memory import MemoryStateRepository``
stays light. Values are kept as JSON text, so reads return fresh copies and
behave exactly like the SQL repository (tuples come back as lists).
"""

from __future__ import annotations

import bisect
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from narrator.errors import StateError, VersionConflict
from narrator.protocols import JSON, ActRecord, RunOwner, RunRecord, RunStatus, StateEntry
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
    utcnow,
)
from narrator.state.keys import dump_metadata, dump_value, load_value, prefix_end, validate_key

if TYPE_CHECKING:
    from narrator.budget import MemoryLedger
    from narrator.state.content_memory import MemoryContent

EvictionCallback = Callable[[str, JSON], None]


@dataclass(slots=True)
class _Row:
    value: str
    created_at: datetime
    updated_at: datetime
    expires_at: datetime | None
    metadata: str | None
    version: int

    def entry(self, key: str) -> StateEntry:
        return StateEntry(
            key=key,
            value=json.loads(self.value),
            created_at=self.created_at,
            updated_at=self.updated_at,
            expires_at=self.expires_at,
            metadata=json.loads(self.metadata) if self.metadata else {},
            version=self.version,
        )


class MemoryStateRepository(RepositoryBase):
    """The whole state store in a dict: for tests and ``narrator run --ephemeral``.

    ``max_entries`` bounds it: the least recently used entry is evicted (reads
    and writes both count as use) and ``on_evict(key, value)`` is called.
    ``clock`` returns aware UTC datetimes; inject one to test TTL without sleeping.
    """

    def __init__(
        self,
        *,
        max_entries: int | None = None,
        on_evict: EvictionCallback | None = None,
        clock: Callable[[], datetime] = utcnow,
        retention: Retention | None = None,
    ) -> None:
        if max_entries is not None and max_entries < 1:
            raise StateError(f"max_entries must be >= 1, got {max_entries}")
        self.max_entries = max_entries
        self.on_evict = on_evict
        self.clock = clock
        self.retention = retention or Retention()
        self._rows: OrderedDict[str, _Row] = OrderedDict()
        self._sorted: list[str] = []
        self._history: list[HistoryEntry] = []
        self._snapshots: dict[int, tuple[SnapshotInfo, list[tuple[str, _Row]]]] = {}
        self._next_history = 1
        self._next_snapshot = 1
        self._lock = threading.RLock()

    # ------------------------------------------------------------------ internals

    def _live(self, key: str, now: datetime) -> _Row | None:
        row = self._rows.get(key)
        if row is None or (row.expires_at is not None and row.expires_at <= now):
            return None
        return row

    def _touch(self, key: str) -> None:
        self._rows.move_to_end(key)

    def _record(
        self,
        key: str,
        op: ChangeOp,
        before: str | None,
        after: str | None,
        now: datetime,
        metadata: Mapping[str, Any] | None,
    ) -> None:
        run_id, act = run_and_act(metadata)
        self._history.append(
            HistoryEntry(
                id=self._next_history,
                key=key,
                op=op,
                before=load_value(before),
                after=load_value(after),
                changed_at=now,
                run_id=run_id,
                act=act,
            )
        )
        self._next_history += 1

    def _put(
        self,
        key: str,
        text: str,
        now: datetime,
        expires_at: datetime | None,
        meta: str | None,
        metadata: Mapping[str, Any] | None,
    ) -> int:
        old = self._live(key, now)
        if key in self._rows:
            self._rows.pop(key)
        else:
            bisect.insort(self._sorted, key)
        if old is None:
            row = _Row(text, now, now, expires_at, meta, 1)
        else:
            row = _Row(text, old.created_at, now, expires_at, meta, old.version + 1)
        self._rows[key] = row
        self._record(
            key,
            "create" if old is None else "update",
            None if old is None else old.value,
            text,
            now,
            metadata,
        )
        self._evict()
        return row.version

    def _remove(self, key: str) -> None:
        del self._rows[key]
        index = bisect.bisect_left(self._sorted, key)
        del self._sorted[index]

    def _evict(self) -> None:
        if self.max_entries is None:
            return
        while len(self._rows) > self.max_entries:
            key, row = next(iter(self._rows.items()))
            self._remove(key)
            if self.on_evict is not None:
                self.on_evict(key, json.loads(row.value))

    def _range(self, prefix: str) -> list[str]:
        lo = bisect.bisect_left(self._sorted, prefix)
        end = prefix_end(prefix)
        hi = len(self._sorted) if end is None else bisect.bisect_left(self._sorted, end)
        return self._sorted[lo:hi]

    # ------------------------------------------------------------------ reads

    def get_entry(self, key: str) -> StateEntry | None:
        validate_key(key)
        with self._lock:
            row = self._live(key, self.clock())
            if row is None:
                return None
            self._touch(key)
            return row.entry(key)

    def get_entries(self, keys: Iterable[str]) -> dict[str, StateEntry]:
        """The entries of those keys that exist (missing and expired left out)."""
        found: dict[str, StateEntry] = {}
        for key in check_keys(keys):
            entry = self.get_entry(key)
            if entry is not None:
                found[key] = entry
        return found

    def get_many(self, keys: Iterable[str]) -> dict[str, JSON]:
        """Values of the keys that exist (missing and expired keys are left out)."""
        wanted = check_keys(keys)
        with self._lock:
            now = self.clock()
            found: dict[str, JSON] = {}
            for key in wanted:
                row = self._live(key, now)
                if row is not None:
                    self._touch(key)
                    found[key] = json.loads(row.value)
            return found

    def list_prefix(self, prefix: str) -> list[StateEntry]:
        check_prefix(prefix)
        with self._lock:
            now = self.clock()
            entries = []
            for key in self._range(prefix):
                row = self._live(key, now)
                if row is not None:
                    entries.append(row.entry(key))
            return entries

    def key_count(self, prefix: str = "") -> int:
        check_prefix(prefix)
        with self._lock:
            now = self.clock()
            return sum(1 for k in self._range(prefix) if self._live(k, now) is not None)

    def list_keys(
        self, prefix: str = "", *, limit: int = 100, after: str | None = None
    ) -> list[str]:
        """Up to ``limit`` live keys under ``prefix``, sorted, strictly after ``after``."""
        check_prefix(prefix)
        check_limit(limit)
        with self._lock:
            now = self.clock()
            keys = self._range(prefix)
            if after is not None:
                keys = keys[bisect.bisect_right(keys, after) :]
            out: list[str] = []
            for key in keys:
                if len(out) >= limit:
                    break
                if self._live(key, now) is not None:
                    out.append(key)
            return out

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
        with self._lock:
            now = self.clock()
            self._put(key, text, now, expiry(now, ttl), meta, metadata)

    def set_many(
        self,
        items: Mapping[str, JSON],
        *,
        ttl: float | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        """Store every item, or (on bad input) none of them."""
        prepared = [(validate_key(k), dump_value(k, v)) for k, v in items.items()]
        meta = dump_metadata(prepared[0][0], metadata) if prepared else None
        with self._lock:
            now = self.clock()
            expires_at = expiry(now, ttl)
            for key, text in prepared:
                self._put(key, text, now, expires_at, meta, metadata)

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
        with self._lock:
            now = self.clock()
            old = self._live(key, now)
            current = 0 if old is None else old.version
            if current != (expected_version or 0):
                raise VersionConflict(
                    f"state key {key!r} is at version {current}, not {expected_version or 0}",
                    hint="read the entry again (get_entry) and retry with its version",
                )
            return self._put(key, text, now, expiry(now, ttl), meta, metadata)

    def delete(self, key: str) -> bool:
        validate_key(key)
        with self._lock:
            now = self.clock()
            row = self._live(key, now)
            if key in self._rows:
                self._remove(key)
            if row is None:
                return False
            self._record(key, "delete", row.value, None, now, None)
            return True

    def delete_many(self, keys: Iterable[str]) -> int:
        wanted = check_keys(keys)
        with self._lock:
            return sum(1 for key in dict.fromkeys(wanted) if self.delete(key))

    def clear_prefix(self, prefix: str) -> int:
        check_prefix(prefix)
        with self._lock:
            return sum(1 for key in list(self._range(prefix)) if self.delete(key))

    # ------------------------------------------------------------------ history & maintenance

    def history(self, key: str, *, limit: int | None = None) -> list[HistoryEntry]:
        """Changes of ``key``, newest first."""
        validate_key(key)
        with self._lock:
            found = [h for h in reversed(self._history) if h.key == key]
        return found if limit is None else found[:limit]

    def gc(self, retention: Retention | None = None) -> GcResult:
        """Purge expired entries and history beyond the retention policy."""
        policy = retention or self.retention
        with self._lock:
            now = self.clock()
            dead = [
                k for k, r in self._rows.items() if r.expires_at is not None and r.expires_at <= now
            ]
            for key in dead:
                self._remove(key)
            before = len(self._history)
            kept = self._history
            if policy.keep_days is not None:
                cutoff = now - timedelta(days=policy.keep_days)
                kept = [h for h in kept if h.changed_at >= cutoff]
            if policy.keep_last is not None:
                seen: dict[str, int] = {}
                newest_first = []
                for h in reversed(kept):
                    seen[h.key] = seen.get(h.key, 0) + 1
                    if seen[h.key] <= policy.keep_last:
                        newest_first.append(h)
                kept = newest_first[::-1]
            self._history = kept
            return GcResult(expired=len(dead), history=before - len(kept))

    # ------------------------------------------------------------------ snapshots

    def snapshot(self, prefix: str = "", note: str | None = None) -> int:
        check_prefix(prefix)
        with self._lock:
            now = self.clock()
            rows = [(k, replace(r)) for k in self._range(prefix) if (r := self._live(k, now))]
            snap_id = self._next_snapshot
            self._next_snapshot += 1
            info = SnapshotInfo(snap_id, prefix, note, now, len(rows))
            self._snapshots[snap_id] = (info, rows)
            return snap_id

    def snapshots(self) -> list[SnapshotInfo]:
        with self._lock:
            return sorted((i for i, _ in self._snapshots.values()), key=lambda i: -i.id)

    def restore(self, snapshot_id: int) -> int:
        """Make the snapshot's prefix hold exactly its keys again; the count restored."""
        with self._lock:
            found = self._snapshots.get(snapshot_id)
            if found is None:
                raise StateError(
                    f"no snapshot with id {snapshot_id}",
                    hint="list them with: narrator state snapshots",
                )
            info, rows = found
            now = self.clock()
            wanted = dict(rows)
            for key in list(self._range(info.prefix)):
                if key not in wanted:
                    self.delete(key)
            meta = {"restored_from": snapshot_id}
            for key, row in rows:
                current = self._live(key, now)
                if current is None or current.value != row.value:
                    self._put(key, row.value, now, row.expires_at, row.metadata, meta)
            return len(rows)

    def import_entries(self, entries: Iterable[StateEntry]) -> int:
        """Write exported entries back with their timestamps, metadata and version."""
        prepared = [
            (e, dump_value(validate_key(e.key), e.value), dump_metadata(e.key, e.metadata))
            for e in entries
        ]
        with self._lock:
            now = self.clock()
            for entry, text, meta in prepared:
                old = self._live(entry.key, now)
                if entry.key in self._rows:
                    self._rows.pop(entry.key)
                else:
                    bisect.insort(self._sorted, entry.key)
                version = entry.version if old is None else max(entry.version, old.version + 1)
                self._rows[entry.key] = _Row(
                    text, entry.created_at, entry.updated_at, entry.expires_at, meta, version
                )
                self._record(
                    entry.key,
                    "create" if old is None else "update",
                    None if old is None else old.value,
                    text,
                    now,
                    entry.metadata,
                )
            self._evict()
            return len(prepared)


class MemoryRunJournal:
    """The run journal in memory."""

    def __init__(self, clock: Callable[[], datetime] = utcnow) -> None:
        self.clock = clock
        self._runs: dict[str, RunRecord] = {}
        self._acts: dict[str, dict[int, ActRecord]] = {}
        self._lock = threading.Lock()

    def start_run(
        self,
        run_id: str,
        narrative: str,
        source: str,
        summary: Mapping[str, Any],
        *,
        owner: RunOwner | None = None,
        lease_expires_at: datetime | None = None,
    ) -> None:
        with self._lock:
            self._runs[run_id] = RunRecord(
                run_id=run_id,
                narrative=narrative,
                source=source,
                status="running",
                started_at=self.clock(),
                summary=json.loads(json.dumps(dict(summary))),
                owner=owner,
                lease_expires_at=lease_expires_at,
            )
            self._acts.setdefault(run_id, {})

    def renew_lease(self, run_id: str, token: str, expires_at: datetime) -> bool:
        with self._lock:
            run = self._runs.get(run_id)
            if run is None or run.owner is None or run.owner.token != token:
                return False
            self._runs[run_id] = replace(run, lease_expires_at=expires_at)
            return True

    def take_over(
        self,
        run_id: str,
        *,
        expected_token: str | None,
        expected_status: RunStatus,
        owner: RunOwner,
        lease_expires_at: datetime,
    ) -> bool:
        with self._lock:
            run = self._runs.get(run_id)
            token = run.owner.token if run is not None and run.owner is not None else None
            if run is None or run.status != expected_status or token != expected_token:
                return False
            self._runs[run_id] = replace(
                run,
                status="running",
                finished_at=None,
                owner=owner,
                lease_expires_at=lease_expires_at,
            )
            return True

    def record_act(self, record: ActRecord) -> None:
        json.dumps(record.output)  # refuse what the SQL journal would refuse
        json.dumps(record.input)
        with self._lock:
            self._acts.setdefault(record.run_id, {})[record.seq] = record

    def record_acts(self, records: Sequence[ActRecord]) -> None:
        for record in records:
            self.record_act(record)

    def finish_run(
        self,
        run_id: str,
        status: RunStatus,
        *,
        error: str | None = None,
        summary: Mapping[str, Any] | None = None,
    ) -> None:
        with self._lock:
            run = self._runs.get(run_id)
            if run is None:
                return
            self._runs[run_id] = replace(
                run,
                status=status,
                error=error,
                finished_at=self.clock(),
                summary=dict(summary) if summary is not None else run.summary,
            )

    def get_run(self, run_id: str) -> RunRecord | None:
        with self._lock:
            run = self._runs.get(run_id)
            if run is None:
                return None
            acts = tuple(v for _, v in sorted(self._acts.get(run_id, {}).items()))
            return replace(run, acts=acts)

    def list_runs(
        self, limit: int = 50, *, statuses: Collection[str] | None = None
    ) -> list[RunRecord]:
        with self._lock:
            runs = sorted(self._runs.values(), key=lambda r: r.started_at, reverse=True)
            if statuses is not None:
                runs = [r for r in runs if r.status in statuses]
            return runs[:limit]

    def match_run_ids(self, prefix: str, limit: int = 2) -> list[str]:
        with self._lock:
            return sorted(r for r in self._runs if r.startswith(prefix.lower()))[:limit]


class MemoryBlobs:
    """Named JSON documents in memory (the sandbox guild when nothing persists)."""

    def __init__(self) -> None:
        self._docs: dict[str, str] = {}

    def get(self, name: str) -> JSON:
        text = self._docs.get(name)
        return None if text is None else json.loads(text)

    def put(self, name: str, value: JSON) -> None:
        self._docs[name] = dump_value(name, value)


class MemoryDatabase:
    """The shape of :class:`~narrator.state.Database`, in memory: ``run --ephemeral``.

    Nothing survives the process; nothing is written to disk.
    """

    url = "memory://"

    def __init__(self, max_entries: int | None = None) -> None:
        self.state = MemoryStateRepository(max_entries=max_entries)
        self.journal = MemoryRunJournal()
        self.blobs = MemoryBlobs()

    @cached_property
    def content(self) -> MemoryContent:
        """Content tables, for this process only."""
        from narrator.state.content_memory import MemoryContent

        return MemoryContent()

    @cached_property
    def ledger(self) -> MemoryLedger:
        """Daily model usage, for this process only."""
        # imported on first use: narrator.budget brings `limits`, which `state list` never needs
        from narrator.budget import MemoryLedger

        return MemoryLedger()

    def unit_of_work(self) -> AbstractContextManager[None]:
        return nullcontext()

    hold = unit_of_work  # a run's one connection: nothing to hold in memory

    def close(self) -> None:
        pass
