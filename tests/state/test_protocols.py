"""The storage seams of narrator.protocols: both databases and every repository fit them.

The annotated assignments are checked by mypy (``mypy --strict tests/state/test_protocols.py``);
the isinstance checks are the same promise at run time.
"""

from __future__ import annotations

from pathlib import Path

from narrator import protocols
from narrator.budget import MemoryLedger
from narrator.state import MemoryDatabase, open_database
from narrator.state.blobs import SqlBlobs
from narrator.state.ledger import UsageLedger
from narrator.state.memory import MemoryBlobs


def test_sql_and_memory_databases_are_protocols_database(tmp_path: Path) -> None:
    """Database (SQL) and MemoryDatabase both satisfy narrator.protocols.Database."""
    sql: protocols.Database = open_database(f"sqlite:///{tmp_path / 'narrator.db'}")
    memory: protocols.Database = MemoryDatabase()
    try:
        for database in (sql, memory):
            assert isinstance(database, protocols.Database)
            assert isinstance(database.state, protocols.StateStore)
            assert isinstance(database.journal, protocols.RunJournal)
            assert isinstance(database.blobs, protocols.Blobs)
            assert isinstance(database.ledger, protocols.Ledger)
    finally:
        sql.close()
        memory.close()


def test_each_database_has_its_own_ledger_and_blobs(tmp_path: Path) -> None:
    """The SQL database keeps usage and blobs in its tables; the memory one in the process."""
    sql = open_database(f"sqlite:///{tmp_path / 'narrator.db'}")
    memory = MemoryDatabase()
    try:
        sql_ledger: protocols.Ledger = sql.ledger
        memory_ledger: protocols.Ledger = memory.ledger
        sql_blobs: protocols.Blobs = sql.blobs
        memory_blobs: protocols.Blobs = memory.blobs
        assert isinstance(sql_ledger, UsageLedger)
        assert isinstance(memory_ledger, MemoryLedger)
        assert isinstance(sql_blobs, SqlBlobs)
        assert isinstance(memory_blobs, MemoryBlobs)
        for ledger in (sql_ledger, memory_ledger):
            assert ledger.reserve("default", "2025-01-15", 10, rpd=1, tpd=None)
            assert not ledger.reserve("default", "2025-01-15", 10, rpd=1, tpd=None)
            assert ledger.usage("default", "2025-01-15").requests == 1
        for blobs in (sql_blobs, memory_blobs):
            blobs.put("doc", {"a": [1, 2]})
            assert blobs.get("doc") == {"a": [1, 2]}
            assert blobs.get("missing") is None
    finally:
        sql.close()
        memory.close()
