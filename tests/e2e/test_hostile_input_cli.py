"""Hostile or broken input gets a short, located error from the real command, never a
traceback or a hang, and leaves state as it was (issue 10)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.e2e.cli import RECORDING_CONFIG, Cli, Result

ACT = """[[act]]
name = "post"
output_var = "posted"
[[act.input]]
type = "bot_command"
platform = "discord"
command = "messages.send"
[act.input.args]
channel_id = "1"
content = "{content}"
"""


def act(content: str) -> str:
    return ACT.replace("{content}", content)


def short_error(got: Result, code: int = 2) -> str:
    """The error is a message line and at most a hint line, with no traceback."""
    assert got.code == code, (got.out, got.err)
    assert "Traceback" not in got.err
    lines = got.err.strip().splitlines()
    assert 1 <= len(lines) <= 2, got.err
    assert lines[0].startswith("error: ")
    return got.err


def problem(got: Result) -> str:
    """validate prints one PATH:LINE:COL problem line and exits 2."""
    assert got.code == 2, (got.out, got.err)
    assert "Traceback" not in got.err
    lines = got.out.strip().splitlines()
    assert len(lines) == 1, got.out
    return lines[0]


def test_state_set_refuses_deep_json_and_a_huge_ttl_and_keeps_the_old_value(cli: Cli) -> None:
    """60,000-deep and 100-deep JSON values and --ttl 99999999999d are refused; k stays 'before'."""
    assert cli("state", "set", "k", "before").code == 0
    deep = "[" * 60_000 + "]" * 60_000
    assert "nested too deeply" in short_error(cli("state", "set", "k", deep))
    assert "nested too deeply" in short_error(cli("state", "set", "k", "[" * 60_000))
    medium = "[" * 100 + "]" * 100
    assert "nested more than 64 levels" in short_error(cli("state", "set", "k", medium))
    nested_tables = '{"a":' * 100 + "1" + "}" * 100
    assert "nested more than 64 levels" in short_error(cli("state", "set", "k", nested_tables))
    ttl = short_error(cli("state", "set", "k", "v", "--ttl", "99999999999d"))
    assert "too long" in ttl and "36500d" in ttl
    assert cli("state", "get", "k").out.strip() == "before"


def test_a_file_over_the_size_cap_is_refused_and_the_cap_is_configurable(cli: Cli) -> None:
    """1 MiB by default; [limits] max_narrative_bytes changes it, for validate and run."""
    big = act("x") + "# " + "x" * (1024 * 1024) + "\n"
    cli.write("big.toml", big)
    line = problem(cli("validate", "big.toml"))
    assert line.startswith("big.toml:1:1: narrative file is larger than 1048576 bytes")
    cli.write("narrator.toml", RECORDING_CONFIG + "\n[limits]\nmax_narrative_bytes = 100\n")
    cli.write("small.toml", act("hello"))
    assert "larger than 100 bytes" in problem(cli("validate", "small.toml"))
    assert "larger than 100 bytes" in short_error(cli("run", "small.toml"))


def test_endless_files_are_read_only_up_to_the_cap(cli: Cli) -> None:
    """/dev/zero is cut at the cap; a FIFO nobody writes to is an empty file, not a hang."""
    assert "larger than 1048576 bytes" in problem(cli("validate", "/dev/zero", timeout=30))
    fifo = cli.cwd / "pipe.toml"
    os.mkfifo(fifo)
    assert "no acts" in problem(cli("validate", "pipe.toml", timeout=30))


def test_invalid_utf8_is_located_at_the_bad_byte(cli: Cli) -> None:
    (cli.cwd / "latin1.toml").write_bytes(act("caf\xe9 ok").encode("latin-1"))
    line = problem(cli("validate", "latin1.toml"))
    assert line.startswith("latin1.toml:10:15: invalid UTF-8: byte 0xe9")


def test_an_empty_file_is_a_problem_and_run_journals_nothing(cli: Cli) -> None:
    """An empty narrative is 'no acts' (exit 2), not a run that is 'done'."""
    cli.write("narrator.toml", RECORDING_CONFIG)
    cli.write("empty.toml", "")
    cli.write("comments.toml", "# nothing here\n\n")
    assert "empty.toml:1:1: the narrative has no acts" in problem(cli("validate", "empty.toml"))
    assert "no acts" in problem(cli("validate", "comments.toml"))
    assert "no acts" in short_error(cli("run", "empty.toml"))
    assert cli("runs", "list", "--json").json() == []


@pytest.mark.parametrize(
    ("name", "text", "where"),
    [
        ("arrays.toml", "a = " + "[" * 100_000 + "]" * 100_000 + "\n", "arrays.toml:1:69:"),
        ("tables.toml", "a = " + "{b=" * 5_000 + "1" + "}" * 5_000 + "\n", "tables.toml:1:"),
        ("headers.toml", "[" + ".".join(["t"] * 5_000) + "]\nx = 1\n", "headers.toml:1:1:"),
        ("args.toml", act("x").replace('channel_id = "1"', "deep = " + "[" * 80 + "]" * 80), ""),
    ],
)
def test_deeply_nested_toml_is_one_located_problem(
    cli: Cli, name: str, text: str, where: str
) -> None:
    cli.write(name, text)
    line = problem(cli("validate", name, timeout=60))
    assert line.startswith(where or name)
    assert "nested more than 64 levels deep" in line


def test_deeply_nested_jinja_is_a_located_problem(cli: Cli) -> None:
    cli.write("jinja.toml", act("{{ " + "(" * 5_000 + "1" + ")" * 5_000 + " }}"))
    cli.write("blocks.toml", act("{% if 1 %}" * 120 + "x" + "{% endif %}" * 120))
    for name in ("jinja.toml", "blocks.toml"):
        line = problem(cli("validate", name, timeout=60))
        assert line.startswith(f"{name}:10:"), line
        assert "nested too deeply" in line


@pytest.mark.parametrize(
    ("template", "limit"),
    [
        ("{{ 9**(9**9) }}", "4096 bits"),
        ("{{ 'x' * 999999999 }}", "100000 items"),
        ("{{ '%999999999d' % 1 }}", "100000 characters"),
        ("{{ 'a' | center(999999999) }}", "100000"),
        (
            "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
            "range items",
        ),
    ],
)
def test_expensive_jinja_fails_the_act_quickly(cli: Cli, template: str, limit: str) -> None:
    """Power, repetition, padding and ranges are bounded: the act fails naming the limit."""
    cli.write("narrator.toml", RECORDING_CONFIG)
    cli.write("costly.toml", act(template))
    assert cli("validate", "costly.toml").code == 0
    got = cli("run", "costly.toml", timeout=30)
    assert got.code == 1, (got.out, got.err)
    assert "Traceback" not in got.err
    assert "over the limit" in got.out + got.err and limit in got.out + got.err
    assert cli("state", "get", "posted").code != 0


def test_a_read_only_database_is_a_short_error_through_the_sqlite_fast_paths(cli: Cli) -> None:
    """state set and run write through the raw sqlite3 paths; a read-only file is translated."""
    cli.write("narrator.toml", RECORDING_CONFIG)
    cli.write("post.toml", act("hi"))
    assert cli("state", "set", "k", "before").code == 0
    read_only = "sqlite:///file:narrator.db?mode=ro&uri=true"
    assert "is read-only" in short_error(cli("--database", read_only, "state", "set", "k", "x"), 1)
    assert "is read-only" in short_error(cli("--database", read_only, "run", "post.toml"), 1)
    assert cli("state", "get", "k").out.strip() == "before"
    assert Path(cli.cwd / "narrator.db").exists()
