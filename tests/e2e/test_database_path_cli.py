"""Which database a command opens (issue 9, item 9).

A relative SQLite path in narrator.toml is relative to that file, not to the
working directory, so every directory of a project sees the same state; a
read verb that finds nothing says which database it looked in.
"""

from __future__ import annotations

from pathlib import Path

from tests.e2e.cli import Cli


def test_a_relative_sqlite_path_in_the_config_is_relative_to_the_config_file(
    tmp_path: Path,
) -> None:
    """From a subdirectory (NARRATOR_CONFIG / --config), state is the project's, not a new file."""
    project = Cli(tmp_path)
    project.write("narrator.toml", '[database]\nurl = "sqlite:///data/narrator.db"\n')
    (tmp_path / "data").mkdir()
    assert project("state", "set", "global.greeting", '"hello"').code == 0
    assert (tmp_path / "data" / "narrator.db").exists()

    sub = tmp_path / "narratives" / "daily"
    sub.mkdir(parents=True)
    config = str(tmp_path / "narrator.toml")
    inside = Cli(sub, env={"NARRATOR_CONFIG": config})
    got = inside("state", "get", "global.greeting")
    assert got.code == 0, got.err
    assert got.out.strip() == "hello"
    via_option = Cli(sub)("--config", "../../narrator.toml", "state", "get", "global.greeting")
    assert via_option.code == 0, via_option.err
    assert via_option.out.strip() == "hello"
    assert not (sub / "data").exists() and not list(sub.glob("*.db"))


def test_the_sandbox_database_sits_beside_the_configured_one(tmp_path: Path) -> None:
    """--sandbox from a subdirectory reads the sandbox database beside the configured file."""
    project = Cli(tmp_path)
    project.write("narrator.toml", '[database]\nurl = "sqlite:///narrator.db"\n')
    sub = tmp_path / "sub"
    sub.mkdir()
    inside = Cli(sub, env={"NARRATOR_CONFIG": str(tmp_path / "narrator.toml")})
    listed = inside("state", "list", "--sandbox")
    assert listed.code == 0, listed.err
    assert f"no state in {tmp_path / 'narrator.sandbox.db'}" in listed.err
    assert not list(sub.glob("*.db"))


def test_read_verbs_on_an_empty_database_say_which_database_they_opened(cli: Cli) -> None:
    """No config file: `state list` and `runs list` name the absolute path of the file."""
    listed = cli("state", "list")
    assert listed.code == 0, listed.err
    assert f"no state in {cli.cwd.resolve() / 'narrator.db'}" in listed.err
    runs = cli("runs", "list")
    assert runs.code == 0, runs.err
    assert f"no runs in {cli.cwd.resolve() / 'narrator.db'}" in runs.out + runs.err
    prefixed = cli("state", "list", "--prefix", "discord.")
    assert f"no state under prefix 'discord.' in {cli.cwd.resolve()}" in prefixed.err
