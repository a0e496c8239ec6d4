"""What every state repository shares: records, the full-store Protocol, derived methods.

Pure: no database import. :class:`RepositoryBase` implements the methods that
follow from a few primitives (``get`` from ``get_entry``, ``scope``, typed
reads), so the SQL and memory repositories cannot drift apart on them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel, ValidationError

from narrator.errors import InvalidValue, StateError
from narrator.protocols import JSON, StateEntry, StateRepository
from narrator.state.keys import validate_key, validate_prefix

if TYPE_CHECKING:
    from narrator.state.scope import ScopedRepository

M = TypeVar("M", bound=BaseModel)

ChangeOp = Literal["create", "update", "delete"]


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One recorded change of a key. ``before``/``after`` are None when absent (see ``op``)."""

    id: int
    key: str
    op: ChangeOp
    before: JSON
    after: JSON
    changed_at: datetime
    run_id: str | None = None
    act: str | None = None


@dataclass(frozen=True, slots=True)
class SnapshotInfo:
    """A saved copy of every key under ``prefix`` at ``created_at``."""

    id: int
    prefix: str
    note: str | None
    created_at: datetime
    key_count: int


@dataclass(frozen=True, slots=True)
class GcResult:
    """What ``gc`` purged."""

    expired: int
    history: int


@dataclass(frozen=True, slots=True)
class Retention:
    """How much history to keep: the last ``keep_last`` changes per key and/or ``keep_days``."""

    keep_last: int | None = 100
    keep_days: float | None = 90


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


@runtime_checkable
class StateStore(StateRepository, Protocol):
    """The complete state store (issue 3): StateRepository plus batches, scopes, CAS,
    history, snapshots and maintenance. Both :class:`~narrator.state.memory.MemoryStateRepository`
    and :class:`~narrator.state.sql.SqlStateRepository` implement it."""

    def contains(self, key: str) -> bool: ...
    def get_many(self, keys: Iterable[str]) -> dict[str, JSON]: ...
    def set_many(
        self,
        items: Mapping[str, JSON],
        *,
        ttl: float | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None: ...
    def delete_many(self, keys: Iterable[str]) -> int: ...
    def key_count(self, prefix: str = "") -> int: ...
    def list_keys(
        self, prefix: str = "", *, limit: int = 100, after: str | None = None
    ) -> list[str]: ...
    def compare_and_set(
        self,
        key: str,
        value: JSON,
        expected_version: int | None,
        *,
        ttl: float | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> int: ...
    def get_model(self, key: str, model: type[M]) -> M | None: ...
    def scope(self, prefix: str) -> ScopedRepository: ...
    def history(self, key: str, *, limit: int | None = None) -> list[HistoryEntry]: ...
    def snapshot(self, prefix: str = "", note: str | None = None) -> int: ...
    def snapshots(self) -> list[SnapshotInfo]: ...
    def restore(self, snapshot_id: int) -> int: ...
    def gc(self, retention: Retention | None = None) -> GcResult: ...
    def import_entries(self, entries: Iterable[StateEntry]) -> int: ...


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
        from narrator.state.scope import ScopedRepository

        return ScopedRepository(self, prefix)  # type: ignore[arg-type]


def check_limit(limit: int) -> int:
    if limit < 0:
        raise StateError(f"limit must be >= 0, got {limit}", hint="pass a positive page size")
    return limit


def check_prefix(prefix: str) -> str:
    return validate_prefix(prefix)


def check_keys(keys: Iterable[str]) -> list[str]:
    return [validate_key(k) for k in keys]
