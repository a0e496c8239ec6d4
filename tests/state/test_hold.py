"""``Database.hold()``: one connection for a run's reads and writes (issue 14).

Held or not, every read ends its transaction (another connection's write is seen
and the WAL can be truncated), a busy database is retried, a failure is translated
and leaves the held connection usable.
"""

from __future__ import annotations

import sqlite3
import types
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from narrator.errors import StateError
from narrator.state import gateway as gateway_module
from narrator.state import open_database


def _checkouts(db: Any) -> list[int]:
    seen: list[int] = []
    event.listen(db.engine, "checkout", lambda *_a: seen.append(1))
    return seen


def test_a_held_run_checks_out_one_connection(sqlite_url: str) -> None:
    with open_database(sqlite_url) as db:
        seen = _checkouts(db)
        with db.hold():
            for i in range(5):
                db.state.set(f"k{i}", i)
                assert db.state.get(f"k{i}") == i
                assert db.state.get_many([f"k{i}"]) == {f"k{i}": i}
                with db.unit_of_work():
                    db.state.set(f"j{i}", i)
        assert len(seen) == 1
        db.state.get("k0")  # outside the block: the pool again
        assert len(seen) == 2


def test_a_held_read_ends_its_transaction(sqlite_url: str, tmp_path: Path) -> None:
    with open_database(sqlite_url) as db, open_database(sqlite_url) as other, db.hold():
        db.state.set("k", 1)
        assert db.state.get("k") == 1
        assert db.state.get_entry("k") is not None  # a SQLAlchemy read (autobegin)
        assert db.state.list_keys() == ["k"]
        other.state.set("k", 2)  # another connection writes: not a stale snapshot
        assert db.state.get("k") == 2
        assert db.state.key_count() == 1
        # no read lock is kept between statements: the WAL can be truncated
        raw = sqlite3.connect(tmp_path / "state.db")
        try:
            busy, _, _ = raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        finally:
            raw.close()
        assert busy == 0
        assert db.state.get("k") == 2


def test_a_held_connection_survives_a_failed_write(sqlite_url: str) -> None:
    with open_database(sqlite_url) as db:
        with db.hold():
            db.journal.start_run("r1", "n", "n.toml", {})
            with pytest.raises(StateError, match="database error"):
                db.journal.start_run("r1", "n", "n.toml", {})  # duplicate key
            db.state.set("after", True)  # the next write works, and commits
            assert db.state.get("after") is True
        assert db.state.get("after") is True
        assert db.journal.get_run("r1") is not None


def test_a_held_write_retries_a_busy_database(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gateway_module, "BUSY_TIMEOUT_MS", 50)  # read at connect time
    blocker = sqlite3.connect(tmp_path / "state.db", isolation_level=None)
    slept: list[float] = []

    def sleep(seconds: float) -> None:  # the gateway's back-off: let the blocker go
        slept.append(seconds)
        if blocker.in_transaction:
            blocker.execute("COMMIT")

    monkeypatch.setattr(gateway_module, "time", types.SimpleNamespace(sleep=sleep))
    with open_database(sqlite_url) as db:
        with db.hold():
            db.state.set("k", 1)
            blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock
            db.state.set("k", 2)  # busy, retried after the blocker commits
            assert slept
            assert db.state.get("k") == 2
            with db.unit_of_work():  # the held connection works normally again
                db.state.set("k", 3)
            assert db.state.get_entry("k") is not None
        assert db.state.get("k") == 3
    blocker.close()


def test_postgres_holds_one_connection_and_pings_it_once(postgres_url: str) -> None:
    from tests.postgres import reset_database

    open_database(postgres_url).close()
    reset_database(postgres_url)
    with open_database(postgres_url) as db:
        seen = _checkouts(db)
        with db.hold():
            for i in range(3):
                db.state.set(f"k{i}", i)
                assert db.state.get(f"k{i}") == i
                with db.unit_of_work():
                    db.state.set(f"j{i}", i)
                    db.journal.start_run(f"r{i}", "n", "n.toml", {})
            assert db.state.get_entry("k1") is not None  # a read keeps no transaction open
            assert _open_transactions(postgres_url) == 0
            with pytest.raises(StateError):
                db.journal.start_run("r0", "n", "n.toml", {})  # duplicate: a fresh one next
            assert db.state.get("k2") == 2
            with pytest.raises(StateError), db.unit_of_work():  # all or nothing, held too
                db.state.set("gone", 1)
                db.journal.start_run("r1", "n", "n.toml", {})
            assert db.state.get("gone") is None
            assert _open_transactions(postgres_url) == 0
        assert len(seen) == 3  # the first, and a fresh one after each of the two errors
        assert db.state.get_many(["j0", "j1", "j2"]) == {"j0": 0, "j1": 1, "j2": 2}


def _open_transactions(url: str) -> int:
    """Other sessions of this database idle inside a transaction (from a new connection)."""
    import psycopg

    conninfo = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'"
        ).fetchone()
    assert row is not None
    return int(row[0])
