"""The read-only verbs' SQLite path without SQLAlchemy (narrator.state.peek, issue 14).

It must answer exactly what the full Database answers, or nothing (None: the caller
opens the full Database, which creates, migrates and translates errors).
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from narrator.errors import InvalidKey
from narrator.protocols import RunOwner, RunRecord, StateEntry
from narrator.state import open_database
from narrator.state.peek import Reader, peek, sqlite_file
from narrator.state.run_rows import RUN_COLUMNS
from narrator.state.tables import runs
from narrator.testing import FakeClock
from tests.e2e.cli import RECORDING_CONFIG, Cli

SETUP = """
[narrative]
name = "setup"

[[act]]
name = "general"
[[act.input]]
type = "bot_command"
platform = "discord"
command = "channels.ensure"
args = { name = "general" }
"""

PREFIXES = ["", "a.", "a.b", "discord.", "zzz.", "narrative.welcome."]


def _fill(url: str, clock: FakeClock) -> None:
    with open_database(url, clock=clock.now) as db:
        db.state.set("a.b", {"x": [1, 2.5, "é"]}, metadata={"narrative": "n"})
        db.state.set("a.b", {"x": [1, 2.5, "é"], "y": None})  # version 2
        db.state.set("a.c", "text")
        db.state.set("a.gone", 1, ttl=30)  # expired after the clock moves
        db.state.set("a.later", 2, ttl=3600)
        db.state.set("discord.1.spec.abc", True)
        db.state.set("narrative.welcome.count", 7, metadata={"source": "cli"})
    clock.advance(60)


def _listing(prefix: str) -> Callable[[Reader], list[StateEntry]]:
    return lambda r: r.list_prefix(prefix)


def _getting(key: str) -> Callable[[Reader], StateEntry | None]:
    return lambda r: r.get_entry(key)


def _runs(limit: int) -> Callable[[Reader], list[RunRecord]]:
    return lambda r: r.list_runs(limit)


def test_peek_reads_exactly_what_the_database_reads(tmp_path: Path, clock: FakeClock) -> None:
    url = f"sqlite:///{tmp_path}/state.db"
    _fill(url, clock)
    with open_database(url, clock=clock.now) as db:
        for prefix in PREFIXES:
            fast = peek(url, _listing(prefix), clock=clock.now)
            assert fast == db.state.list_prefix(prefix)
        assert peek(url, lambda r: r.list_prefix("a."), clock=clock.now)  # not vacuous
        for key in ("a.b", "a.c", "a.later", "discord.1.spec.abc", "narrative.welcome.count"):
            fast_entry = peek(url, _getting(key), clock=clock.now)
            assert fast_entry is not None and fast_entry == db.state.get_entry(key)
        for key in ("a.gone", "a.missing"):  # expired or absent: no answer, as the database
            assert db.state.get_entry(key) is None
            assert peek(url, _getting(key), clock=clock.now) is None


def test_runs_list_reads_exactly_what_the_journal_reads(tmp_path: Path, clock: FakeClock) -> None:
    assert tuple(c.name for c in runs.c) == RUN_COLUMNS  # run_rows decodes every column
    url = f"sqlite:///{tmp_path}/state.db"
    with open_database(url, clock=clock.now) as db:
        for i in range(5):
            clock.advance(1)
            owner = RunOwner("host-a", 1000 + i, f"token{i}") if i % 2 else None
            expires = clock.now() if owner else None
            db.journal.start_run(
                f"run{i}",
                f"n{i}",
                "[narrative]",
                {"acts": i},
                owner=owner,
                lease_expires_at=expires,
            )
        db.journal.finish_run("run1", "failed", error="boom", summary={"done": ["é"]})
        db.journal.finish_run("run2", "done")
        for limit in (0, 2, 20):
            fast = peek(url, _runs(limit), clock=clock.now)
            assert fast == db.journal.list_runs(limit)
        assert len(db.journal.list_runs(20)) == 5


def test_bad_input_fails_as_it_does_on_the_database(tmp_path: Path, clock: FakeClock) -> None:
    url = f"sqlite:///{tmp_path}/state.db"
    _fill(url, clock)
    with pytest.raises(InvalidKey) as fast:
        peek(url, lambda r: r.get_entry("bad key"))
    with open_database(url) as db, pytest.raises(InvalidKey) as full:
        db.state.get_entry("bad key")
    assert str(fast.value) == str(full.value)


def test_peek_leaves_everything_else_to_the_full_database(tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    assert peek(f"sqlite:///{missing}", lambda r: r.list_prefix("")) is None
    assert not missing.exists()  # never created: the full path creates and migrates it
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database at all" * 100)
    assert peek(f"sqlite:///{garbage}", lambda r: r.list_prefix("")) is None
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()  # a SQLite file without narrator's tables
    assert empty.exists() and peek(f"sqlite:///{empty}", lambda r: r.list_prefix("")) is None
    for url in (
        "postgresql+psycopg://u:p@localhost/db",
        "sqlite:///:memory:",
        "sqlite://",
        f"sqlite+pysqlite:///{empty}",
        f"sqlite:///{empty}?timeout=5",
        f"sqlite:///file:{empty}",
    ):
        assert sqlite_file(url) is None, url


def test_a_database_due_a_migration_goes_the_full_way(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/state.db"
    with open_database(url) as db:
        db.state.set("k", 1)

    def read(r: Reader) -> object:
        return r.get_entry("k")

    assert peek(url, read) is not None
    with sqlite3.connect(tmp_path / "state.db") as raw:
        raw.execute("UPDATE alembic_version SET version_num = '0001'")
    raw.close()
    assert peek(url, read) is None


_PROBE = """
import contextlib, io, json, sys
from narrator.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
    try:
        code = main(sys.argv[1:])
    except SystemExit as exc:
        code = exc.code
print(json.dumps({"code": code, "out": out.getvalue(), "modules": sorted(sys.modules)}))
"""


@pytest.mark.parametrize(
    ("argv", "printed"),
    [
        (("state", "get", "a.b"), "1\n"),
        (("state", "list", "--json"), '"key": "a.b"'),
        (("state", "list"), "a.b = 1"),
        (("runs", "list", "--json"), "[]"),
    ],
)
def test_read_verbs_on_an_up_to_date_sqlite_file_never_import_sqlalchemy(
    tmp_path: Path, argv: tuple[str, ...], printed: str
) -> None:
    cli = Cli(tmp_path)
    assert cli("state", "set", "a.b", "1").code == 0  # creates and migrates narrator.db
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *argv],
        cwd=tmp_path,
        env=cli.env,
        capture_output=True,
        text=True,
        check=True,
    )
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["code"] in (0, None) and printed in answer["out"]
    modules = set(answer["modules"])
    assert "narrator.state.peek" in modules
    assert not {m for m in modules if m.split(".")[0] in ("sqlalchemy", "pydantic", "alembic")}


def test_both_paths_print_the_same(tmp_path: Path) -> None:
    """``sqlite+pysqlite://`` is the same driver, but peek leaves it to the full Database."""
    cli = Cli(tmp_path)
    cli.write("run.toml", SETUP)
    db = tmp_path / "narrator.db"
    fast, full = f"sqlite:///{db}", f"sqlite+pysqlite:///{db}"
    assert cli("--database", fast, "state", "set", "a.b", '{"x": [1, "é"]}').code == 0
    assert cli("--database", fast, "state", "set", "a.c", "text", "--ttl", "1h").code == 0
    assert cli("--database", fast, "state", "set", "discord.1.spec.x", "true").code == 0
    cli.write("narrator.toml", RECORDING_CONFIG)  # a run without Discord, into this database
    assert cli("--database", fast, "run", "run.toml").code == 1  # no guild: a failed run
    commands = [
        ("runs", "list"),
        ("runs", "list", "--json"),
        ("runs", "list", "--limit", "0"),
        ("state", "get", "a.b"),
        ("state", "get", "a.b", "--json"),
        ("state", "get", "a.c", "--json"),
        ("state", "get", "a.missing"),
        ("state", "get", "bad key"),
        ("state", "list"),
        ("state", "list", "--json"),
        ("state", "list", "--internal"),
        ("state", "list", "--prefix", "a."),
        ("state", "list", "--prefix", "nothing."),
        ("state", "list", "--prefix", "a b"),
        ("state", "list", "--narrative", "n"),
    ]
    answers = []
    for argv in commands:
        one, other = cli("--database", fast, *argv), cli("--database", full, *argv)
        assert (one.code, one.out, one.err) == (other.code, other.out, other.err), argv
        answers.append(one)
    assert [(r["narrative"], r["status"]) for r in json.loads(answers[1].out)] == [
        ("setup", "failed")
    ]
    assert [a.code for a in answers[3:6]] == [0, 0, 0] and answers[6].code != 0
    assert json.loads(answers[4].out)["value"] == {"x": [1, "é"]}
