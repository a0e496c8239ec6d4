"""``narrator state ...`` and ``narrator db upgrade`` through the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from narrator.cli import cli
from narrator.state import open_database


@pytest.fixture
def run(sqlite_url: str) -> Any:
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Any:
        return runner.invoke(cli, ["--database", sqlite_url, *args], input=input)

    return invoke


def test_set_parses_json_values_and_keeps_other_text_as_strings(run: Any) -> None:
    assert run("state", "set", "a.obj", '{"x": [1, 2]}').exit_code == 0
    run("state", "set", "a.text", "hello world")
    run("state", "set", "a.num", "42")
    run("state", "set", "a.quoted", '"42"')
    assert run("state", "get", "a.obj").output == '{"x":[1,2]}\n'
    assert run("state", "get", "a.text").output == "hello world\n"
    assert json.loads(run("state", "get", "a.num", "--json").output)["value"] == 42
    assert json.loads(run("state", "get", "a.quoted", "--json").output)["value"] == "42"


def test_list_filters_by_prefix_and_prints_json(run: Any) -> None:
    run("state", "set", "discord.1.channel.welcome", "123")
    run("state", "set", "global.x", "1")
    result = run("state", "list", "--prefix", "discord.")
    assert result.output == "discord.1.channel.welcome = 123\n"
    listed = json.loads(run("state", "list", "--json").output)
    assert [e["key"] for e in listed] == ["discord.1.channel.welcome", "global.x"]
    assert set(listed[0]) >= {"value", "created_at", "updated_at", "expires_at", "metadata"}


def test_get_of_a_missing_key_fails_with_a_hint(run: Any) -> None:
    run("state", "set", "global.counter", "1")
    result = run("state", "get", "global.countr")
    assert result.exit_code == 1
    assert "no state key 'global.countr'" in result.output
    assert "did you mean 'global.counter'?" in result.output


def test_set_with_ttl_records_an_expiry_and_bad_durations_exit_2(run: Any) -> None:
    assert run("state", "set", "t", "1", "--ttl", "5m").exit_code == 0
    assert json.loads(run("state", "get", "t", "--json").output)["expires_at"] is not None
    bad = run("state", "set", "t", "1", "--ttl", "soon")
    assert bad.exit_code == 2
    assert "30s, 5m, 2h, 1d" in bad.output


def test_invalid_keys_exit_2_naming_the_key(run: Any) -> None:
    result = run("state", "set", "bad key", "1")
    assert result.exit_code == 2
    assert "'bad key'" in result.output


def test_delete_says_whether_the_key_existed(run: Any) -> None:
    run("state", "set", "k", "1")
    assert run("state", "delete", "k").output == "deleted k\n"
    assert run("state", "delete", "k").output == "k did not exist\n"


def test_clear_without_yes_and_without_a_terminal_refuses_with_exit_2(run: Any) -> None:
    run("state", "set", "c.1", "1")
    result = run("state", "clear", "--prefix", "c.")
    assert result.exit_code == 2
    assert "--yes" in result.output
    assert run("state", "get", "c.1").exit_code == 0
    done = run("state", "clear", "--prefix", "c.", "--yes")
    assert (done.exit_code, done.output) == (0, "removed 1 key(s)\n")


def test_history_snapshot_restore_and_gc(run: Any) -> None:
    run("state", "set", "h", "1")
    run("state", "set", "h", "2")
    assert "1 -> 2" in run("state", "history", "h").output
    assert [c["op"] for c in json.loads(run("state", "history", "h", "--json").output)] == [
        "update",
        "create",
    ]
    assert run("state", "snapshot", "--note", "safe").output == "snapshot 1: 1 key(s)\n"
    run("state", "set", "h", "3")
    assert "safe" in run("state", "snapshots").output
    assert json.loads(run("state", "snapshots", "--json").output)[0]["key_count"] == 1
    assert run("state", "restore", "1").exit_code == 0
    assert run("state", "get", "h").output == "2\n"
    assert run("state", "restore", "42").exit_code == 1
    assert run("state", "gc").output.startswith("purged 0 expired key(s)")


def test_sandbox_state_is_kept_apart_from_the_real_state(run: Any) -> None:
    run("state", "set", "where", "real")
    run("state", "set", "where", "sandbox", "--sandbox")
    assert run("state", "get", "where").output == "real\n"
    assert run("state", "get", "where", "--sandbox").output == "sandbox\n"


def test_db_upgrade_reports_up_to_date_after_first_use(run: Any) -> None:
    result = run("db", "upgrade")
    assert result.exit_code == 0
    assert run("db", "upgrade").output == "database is up to date\n"


def test_import_of_a_bad_file_exits_2(run: Any, tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[nope]\n", encoding="utf-8")
    result = run("state", "import", str(path))
    assert result.exit_code == 2
    assert "not a narrator state export" in result.output


def _mixed(i: int) -> Any:
    kinds = [
        i,
        -i * 1.5,
        f'text {i} é 😀 "q" \\ \n',
        None,
        [i, None, {"n": i}],
        {"nested": {"deep": [True, False, None]}, "z": i, "a": str(i)},
        2**70 + i,
        "",
        {},
        i % 2 == 0,
    ]
    return kinds[i % len(kinds)]


@pytest.mark.parametrize("fmt", ["toml", "jsonl"])
def test_export_clear_import_gives_byte_identical_state_get_json(tmp_path: Path, fmt: str) -> None:
    """Acceptance: 1,000 mixed keys; export, clear, import run as separate CLI processes."""
    url = f"sqlite:///{tmp_path}/round.db"
    with open_database(url) as db:
        db.state.set_many(
            {f"mix.{i:04d}": _mixed(i) for i in range(1000)}, metadata={"run_id": "r"}
        )
        db.state.set("mix.ttl", "soon", ttl=3600)
    keys = [f"mix.{i:04d}" for i in range(1000)] + ["mix.ttl"]
    runner = CliRunner()

    def snapshot() -> list[str]:
        return [
            runner.invoke(cli, ["--database", url, "state", "get", k, "--json"]).output
            for k in keys
        ]

    before = snapshot()
    export = tmp_path / "state.toml"

    def narrator(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "narrator", "--database", url, *args],
            capture_output=True,
            text=True,
            check=True,
        )

    narrator("state", "export", "--format", fmt, "-o", str(export))
    assert not list(tmp_path.glob(".*.partial"))  # written aside, then renamed
    assert export.read_text(encoding="utf-8").startswith("{" if fmt == "jsonl" else "#")
    assert "removed 1001 key(s)" in narrator("state", "clear", "--prefix", "", "--yes").stdout
    assert runner.invoke(cli, ["--database", url, "state", "get", "mix.0001"]).exit_code == 1
    assert "imported 1001 key(s)" in narrator("state", "import", str(export)).stdout
    assert snapshot() == before
