"""Persistent state: the repository, the run journal and the database that holds them.

Importing this package is light: the records need no database library, and the
memory implementations are imported on first touch too. The SQL parts (:func:`open_database`,
:class:`Database`, :class:`SqlStateRepository`, :class:`SqlRunJournal`) import
sqlalchemy only when first touched.

    from narrator.state import open_database
    db = open_database("sqlite:///narrator.db")    # migrates on first use
    db.state.set("global.greeting", "hello")
    db.state.scope("narrative.welcome.").get("count", 0)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from narrator.state.base import (
    GcResult,
    HistoryEntry,
    RepositoryBase,
    Retention,
    ScopedRepository,
    SnapshotInfo,
    StateStore,
)
from narrator.state.keys import MAX_KEY_LENGTH, prefix_end, validate_key

if TYPE_CHECKING:
    from narrator.state.database import Database, open_database
    from narrator.state.journal import SqlRunJournal
    from narrator.state.memory import (
        MemoryBlobs,
        MemoryDatabase,
        MemoryRunJournal,
        MemoryStateRepository,
    )
    from narrator.state.sql import SqlStateRepository

_LAZY = {
    "MemoryBlobs": "narrator.state.memory",  # the read-only verbs need none of them
    "MemoryDatabase": "narrator.state.memory",
    "MemoryRunJournal": "narrator.state.memory",
    "MemoryStateRepository": "narrator.state.memory",
    "Database": "narrator.state.database",
    "open_database": "narrator.state.database",
    "SqlRunJournal": "narrator.state.journal",
    "SqlStateRepository": "narrator.state.sql",
}

__all__ = [
    "MAX_KEY_LENGTH",
    "Database",
    "GcResult",
    "HistoryEntry",
    "MemoryBlobs",
    "MemoryDatabase",
    "MemoryRunJournal",
    "MemoryStateRepository",
    "RepositoryBase",
    "Retention",
    "ScopedRepository",
    "SnapshotInfo",
    "SqlRunJournal",
    "SqlStateRepository",
    "StateStore",
    "open_database",
    "prefix_end",
    "validate_key",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'narrator.state' has no attribute {name!r}")
    import importlib  # the lazy door itself: sqlalchemy is imported on first touch only

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
