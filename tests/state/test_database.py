"""Opening databases: migrations on first use, fast reopen, engine settings, clear errors."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from narrator.errors import StateError
from narrator.state import open_database
from narrator.state.gateway import normalise_url
from narrator.state.migrate import head_revisions


def _python(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def test_first_open_migrates_to_head_and_reopening_does_not_import_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/fresh.db"
    first = _python(
        "import sys; from narrator.state import open_database as o\n"
        f"d = o({url!r}); print('alembic' in sys.modules); print(d.upgrade())"
    )
    assert first.splitlines() == ["True", "[]"]
    again = _python(
        "import sys; from narrator.state import open_database as o\n"
        f"o({url!r}); print('alembic' in sys.modules)"
    )
    assert again == "False"


def test_importing_narrator_state_does_not_import_sqlalchemy() -> None:
    assert (
        _python(
            "import sys, narrator.state as s; r = s.MemoryStateRepository(); r.set('a', 1)\n"
            "print('sqlalchemy' in sys.modules)"
        )
        == "False"
    )


def test_head_revisions_start_from_0001() -> None:
    assert head_revisions()
    assert "0001" not in head_revisions() or len(head_revisions()) == 1


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(sqlite_url: str) -> None:
    with open_database(sqlite_url) as db, db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL


def test_migrate_false_leaves_a_new_database_empty_until_upgrade(sqlite_url: str) -> None:
    with open_database(sqlite_url, migrate=False) as db:
        with pytest.raises(StateError, match="narrator db upgrade"):
            db.state.get("x")
        assert "0001" in db.upgrade()
        assert db.upgrade() == []
        assert db.state.get("x") is None


def test_postgres_database_migrates_and_reports_up_to_date(postgres_url: str) -> None:
    with open_database(postgres_url) as db:
        assert db.upgrade() == []


def test_plain_postgresql_urls_use_psycopg() -> None:
    assert normalise_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"


def test_an_unreachable_server_is_a_state_error_with_the_fix() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(StateError) as caught:
        open_database(f"postgresql+psycopg://nobody:secret@127.0.0.1:{port}/x")
    text = str(caught.value)
    assert "cannot reach the database server" in text
    assert "secret" not in text
    assert "NARRATOR_DATABASE_URL" in text


def test_a_missing_driver_says_which_extra_to_install() -> None:
    with pytest.raises(StateError, match=r"pip install|driver|cannot use database URL"):
        open_database("mysql+nosuchdriver://u@h/db")


def test_an_unopenable_sqlite_path_names_the_directory_problem(tmp_path: Path) -> None:
    with pytest.raises(StateError, match="directory exists"):
        open_database(f"sqlite:///{tmp_path}/missing/dir/n.db")


def test_two_processes_opening_a_fresh_file_both_succeed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/race.db"
    code = (
        f"from narrator.state import open_database as o; o({url!r}).state.set('k', 1); print('ok')"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outputs
