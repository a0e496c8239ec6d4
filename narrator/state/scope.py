"""``repository.scope(prefix)``: a view whose keys are all prefixed.

Nested scopes compose (``r.scope("a.").scope("b.")`` is ``r.scope("a.b.")``);
every operation maps keys in and out, so clearing a scope touches nothing
outside it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from narrator.errors import InvalidKey, StateError
from narrator.protocols import JSON, StateEntry
from narrator.state.base import HistoryEntry, RepositoryBase, SnapshotInfo, StateStore
from narrator.state.keys import validate_key


class ScopedRepository(RepositoryBase):
    """A :class:`StateStore` seen through a key prefix."""

    base: StateStore
    prefix: str

    def __init__(self, base: StateStore, prefix: str) -> None:
        if not prefix:
            raise InvalidKey("a scope needs a non-empty prefix", hint="e.g. scope('narrative.x.')")
        validate_key(prefix)
        if isinstance(base, ScopedRepository):  # compose instead of stacking wrappers
            prefix = base.prefix + prefix
            base = base.base
        self.base = base
        self.prefix = prefix

    def _k(self, key: str) -> str:
        if not isinstance(key, str) or not key:
            validate_key(key)
        return self.prefix + key

    def _out(self, entry: StateEntry) -> StateEntry:
        return replace(entry, key=entry.key[len(self.prefix) :])

    def get_entry(self, key: str) -> StateEntry | None:
        entry = self.base.get_entry(self._k(key))
        return None if entry is None else self._out(entry)

    def get(self, key: str, default: JSON = None) -> JSON:
        return self.base.get(self._k(key), default)

    def contains(self, key: str) -> bool:
        return self.base.contains(self._k(key))

    def set(
        self,
        key: str,
        value: JSON,
        *,
        ttl: float | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        self.base.set(self._k(key), value, ttl=ttl, metadata=metadata)

    def delete(self, key: str) -> bool:
        return self.base.delete(self._k(key))

    def get_many(self, keys: Iterable[str]) -> dict[str, JSON]:
        found = self.base.get_many([self._k(k) for k in keys])
        return {k[len(self.prefix) :]: v for k, v in found.items()}

    def set_many(
        self,
        items: Mapping[str, JSON],
        *,
        ttl: float | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        self.base.set_many({self._k(k): v for k, v in items.items()}, ttl=ttl, metadata=metadata)

    def delete_many(self, keys: Iterable[str]) -> int:
        return self.base.delete_many([self._k(k) for k in keys])

    def list_prefix(self, prefix: str = "") -> list[StateEntry]:
        return [self._out(e) for e in self.base.list_prefix(self.prefix + prefix)]

    def clear_prefix(self, prefix: str = "") -> int:
        return self.base.clear_prefix(self.prefix + prefix)

    def key_count(self, prefix: str = "") -> int:
        return self.base.key_count(self.prefix + prefix)

    def list_keys(
        self, prefix: str = "", *, limit: int = 100, after: str | None = None
    ) -> list[str]:
        keys = self.base.list_keys(
            self.prefix + prefix,
            limit=limit,
            after=None if after is None else self.prefix + after,
        )
        return [k[len(self.prefix) :] for k in keys]

    def compare_and_set(
        self,
        key: str,
        value: JSON,
        expected_version: int | None,
        *,
        ttl: float | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> int:
        return self.base.compare_and_set(
            self._k(key), value, expected_version, ttl=ttl, metadata=metadata
        )

    def history(self, key: str, *, limit: int | None = None) -> list[HistoryEntry]:
        return [
            replace(h, key=h.key[len(self.prefix) :])
            for h in self.base.history(self._k(key), limit=limit)
        ]

    def snapshot(self, prefix: str = "", note: str | None = None) -> int:
        return self.base.snapshot(self.prefix + prefix, note)

    def snapshots(self) -> list[SnapshotInfo]:
        """Snapshots taken inside this scope."""
        return [s for s in self.base.snapshots() if s.prefix.startswith(self.prefix)]

    def restore(self, snapshot_id: int) -> int:
        """Restore a snapshot taken inside this scope (others would reach outside it)."""
        if snapshot_id not in {s.id for s in self.snapshots()}:
            raise StateError(
                f"snapshot {snapshot_id} was not taken inside scope {self.prefix!r}",
                hint="restore it from the unscoped repository instead",
            )
        return self.base.restore(snapshot_id)

    def import_entries(self, entries: Iterable[StateEntry]) -> int:
        return self.base.import_entries(replace(e, key=self._k(e.key)) for e in entries)
