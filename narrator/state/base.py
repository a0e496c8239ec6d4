"""What every state repository shares: derived methods, scopes and input checks.

Pure: no database import. :class:`RepositoryBase` implements the methods that
follow from a few primitives (``get`` from ``get_entry``, ``scope``, typed
reads), so the SQL and memory repositories cannot drift apart on them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from narrator.errors import InvalidKey, InvalidValue, StateError
from narrator.protocols import (
    JSON,
    ChangeOp,
    GcResult,
    HistoryEntry,
    Retention,
    SnapshotInfo,
    StateEntry,
    StateStore,
)
from narrator.state.keys import validate_key, validate_prefix

if TYPE_CHECKING:
    from pydantic import BaseModel  # imported when get_model is called: ~40 ms at start-up

__all__ = [  # the records are narrator.protocols', re-exported for narrator.state
    "ChangeOp",
    "GcResult",
    "HistoryEntry",
    "RepositoryBase",
    "Retention",
    "ScopedRepository",
    "SnapshotInfo",
    "StateStore",
]

M = TypeVar("M", bound="BaseModel")


def utcnow() -> datetime:
    return datetime.now(UTC)


def expiry(now: datetime, ttl: float | None) -> datetime | None:
    if ttl is None:
        return None
    if ttl <= 0:
        raise InvalidValue(f"ttl must be positive, got {ttl!r}", hint="give seconds, e.g. ttl=300")
    return now + timedelta(seconds=ttl)


def run_and_act(metadata: Mapping[str, Any] | None) -> tuple[str | None, str | None]:
    """The run id and act recorded in history, read from an entry's metadata."""
    if not metadata:
        return None, None
    run = metadata.get("run_id", metadata.get("run"))
    act = metadata.get("act")
    return (str(run) if run is not None else None, str(act) if act is not None else None)


class RepositoryBase:
    """Methods derived from ``get_entry`` / ``list_prefix``; subclasses may override for speed."""

    def get_entry(self, key: str) -> StateEntry | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def get(self, key: str, default: JSON = None) -> JSON:
        entry = self.get_entry(key)
        return default if entry is None else entry.value

    def contains(self, key: str) -> bool:
        return self.get_entry(key) is not None

    def get_model(self, key: str, model: type[M]) -> M | None:
        """The value at ``key`` validated into ``model``; None when missing.

        A stored value that does not fit the model raises :class:`InvalidValue` naming the key.
        """
        from pydantic import ValidationError

        entry = self.get_entry(key)
        if entry is None:
            return None
        try:
            return model.model_validate(entry.value)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "(value)"
            raise InvalidValue(
                f"state key {key!r} does not hold a valid {model.__name__}: "
                f"{where}: {first['msg']}",
                hint=f"inspect it with: narrator state get {key} --json",
            ) from None

    def scope(self, prefix: str) -> ScopedRepository:
        """A repository whose keys are all prefixed with ``prefix`` (scopes nest)."""
        return ScopedRepository(self, prefix)  # type: ignore[arg-type]


def check_limit(limit: int) -> int:
    if limit < 0:
        raise StateError(f"limit must be >= 0, got {limit}", hint="pass a positive page size")
    return limit


def check_prefix(prefix: str) -> str:
    return validate_prefix(prefix)


def check_keys(keys: Iterable[str]) -> list[str]:
    return [validate_key(k) for k in keys]


# ----------------------------------------------------------------------------- scopes
# ``repository.scope(prefix)``: a view whose keys are all prefixed. Nested scopes
# compose (``r.scope("a.").scope("b.")`` is ``r.scope("a.b.")``); every operation
# maps keys in and out, so clearing a scope touches nothing outside it.


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

    def get_entries(self, keys: Iterable[str]) -> dict[str, StateEntry]:
        found = self.base.get_entries([self._k(k) for k in keys])
        return {k[len(self.prefix) :]: self._out(e) for k, e in found.items()}

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
