"""Concurrent writers: no lost writes, no "database is locked", CAS holds."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from narrator.errors import StateError, VersionConflict
from narrator.state import open_database

INCREMENTS = """
import sys
from narrator.errors import VersionConflict
from narrator.state import open_database
db = open_database(sys.argv[1])
done = 0
while done < int(sys.argv[2]):
    entry = db.state.get_entry("counter")
    try:
        db.state.compare_and_set("counter", (entry.value if entry else 0) + 1,
                                 entry.version if entry else 0)
        done += 1
    except VersionConflict:
        pass
print(done)
"""


def test_two_processes_doing_2000_cas_increments_each_end_at_4000(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/shared.db"
    open_database(url).close()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", INCREMENTS, url, "2000"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [p.communicate(timeout=170) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    assert all("locked" not in err for _, err in results)
    with open_database(url) as db:
        assert db.state.get("counter") == 4000
        assert db.state.get_entry("counter").version == 4000


def test_two_processes_writing_distinct_keys_lose_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/keys.db"
    open_database(url).close()
    code = (
        "import sys\nfrom narrator.state import open_database\n"
        "db = open_database(sys.argv[1])\n"
        "for i in range(300): db.state.set(f'{sys.argv[2]}.{i}', i)\n"
        "db.state.set_many({f'{sys.argv[2]}.batch.{i}': i for i in range(300)})\n"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code, url, name], stderr=subprocess.PIPE, text=True)
        for name in ("p1", "p2")
    ]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errors
    with open_database(url) as db:
        assert db.state.key_count("p1.") == 600
        assert db.state.key_count("p2.") == 600


def test_compare_and_set_holds_under_concurrent_postgres_writers(postgres_url: str) -> None:
    db = open_database(postgres_url)
    db.state.delete("pg.counter")
    per_thread, threads = 100, 4
    failures: list[BaseException] = []

    def work() -> None:
        done = 0
        try:
            while done < per_thread:
                entry = db.state.get_entry("pg.counter")
                try:
                    db.state.compare_and_set(
                        "pg.counter",
                        (entry.value if entry else 0) + 1,
                        entry.version if entry else 0,
                    )
                    done += 1
                except VersionConflict:
                    pass
        except BaseException as exc:  # surfaced below
            failures.append(exc)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert failures == []
    assert db.state.get("pg.counter") == per_thread * threads
    assert len(db.state.history("pg.counter")) == per_thread * threads
    db.close()


FIRST_OPEN = """
import sys, time
from narrator.state import open_database
while time.time() < float(sys.argv[2]):
    pass
db = open_database(sys.argv[1])
db.state.set(f"opened.{sys.argv[3]}", True)
db.close()
"""


def test_four_processes_opening_one_new_sqlite_file_at_once_all_succeed(tmp_path: Path) -> None:
    """Each of 5 rounds starts four first opens of one fresh file at the same instant: every
    one exits 0, the file is migrated once, each process's key is there, no spare is left."""
    for round_ in range(5):
        path = tmp_path / f"new{round_}.db"
        start = str(time.time() + 1.0)
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", FIRST_OPEN, f"sqlite:///{path}", start, str(n)],
                stderr=subprocess.PIPE,
                text=True,
            )
            for n in range(4)
        ]
        errors = [p.communicate(timeout=60)[1] for p in procs]
        assert [p.returncode for p in procs] == [0, 0, 0, 0], errors
        db = open_database(f"sqlite:///{path}")
        try:
            assert db.state.list_keys("opened") == [f"opened.{n}" for n in range(4)]
        finally:
            db.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"new{r}.db" for r in range(5)]


def test_a_failed_first_open_never_deletes_the_file_another_process_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race seen in CI: two runs both find no file; the other one creates it while
    this one's migration fails (busy). This one must fail without touching that file."""
    from narrator.state import database as database_module

    path = tmp_path / "narrator.db"
    url = f"sqlite:///{path}"
    real_upgrade = database_module.Database.upgrade
    raced: list[bool] = []

    def racing_upgrade(self: database_module.Database) -> list[str]:
        if not raced:  # the other process wins the race and writes a key
            raced.append(True)
            other = open_database(url)
            other.state.set("theirs", 1)
            other.close()
            raise StateError("database stayed busy: database is locked")
        return real_upgrade(self)

    monkeypatch.setattr(database_module.Database, "upgrade", racing_upgrade)
    with pytest.raises(StateError, match="busy"):
        open_database(url)
    monkeypatch.undo()
    db = open_database(url)
    try:
        assert db.state.get("theirs") == 1
    finally:
        db.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["narrator.db"]


def test_a_first_open_removes_the_spares_of_killed_builds_only(tmp_path: Path) -> None:
    """A process SIGKILLed while building a new file leaves its spare; the next first open
    of that file removes spares whose process is gone and keeps a live process's."""
    import os

    dead = [tmp_path / f".narrator.db.999999999-abcd1234.new{s}" for s in ("", "-wal", "-shm")]
    live = tmp_path / f".narrator.db.{os.getpid()}-feedbeef.new"
    other = tmp_path / ".notes.db.999999999-abcd1234.new"  # another database's spare
    for leftover in (*dead, live, other):
        leftover.write_bytes(b"half built")
    open_database(f"sqlite:///{tmp_path / 'narrator.db'}").close()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["narrator.db", live.name, other.name]
    )
