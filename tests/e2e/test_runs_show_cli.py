"""``narrator runs show (RUN_ID | RUN_ID_PREFIX | --last) [--full]`` (DESIGN §5)."""

from __future__ import annotations

from tests.e2e.cli import RECORDING_CONFIG, Cli
from tests.seed import SEED

LONG = """
[narrative]
name = "long_output"

[[act]]
name = "post"
[[act.input]]
type = "bot_command"
command = "messages.send"
args = { channel_id = "1", content = "%s" }
"""


def _two_runs(cli: Cli) -> tuple[str, str]:
    cli.write("narrator.toml", RECORDING_CONFIG)
    cli.write("seed.toml", SEED)
    first = cli("run", "seed.toml", "--var", "GUILD_ID=1", "--json")
    second = cli("run", "seed.toml", "--var", "GUILD_ID=1", "--json")
    assert first.code == 0 and second.code == 0, first.err + second.err
    return first.json()["run_id"], second.json()["run_id"]


def test_runs_show_last_is_the_newest_run(cli: Cli) -> None:
    """--last saves copying an id: it shows the run started last."""
    _first, second = _two_runs(cli)
    shown = cli("runs", "show", "--last", "--json")
    assert shown.code == 0, shown.err
    assert shown.json()["run_id"] == second


def test_a_unique_prefix_finds_the_run_and_an_ambiguous_one_lists_the_candidates(
    cli: Cli,
) -> None:
    """Like git: enough leading characters to be unique; too few is a usage error (exit 2)."""
    first, second = _two_runs(cli)
    assert first != second
    common = 0
    while first[common] == second[common]:
        common += 1
    unique = first[: common + 1]
    shown = cli("runs", "show", unique, "--json")
    assert shown.code == 0, shown.err
    assert shown.json()["run_id"] == first
    ambiguous = cli("runs", "show", first[:common])
    assert ambiguous.code == 2
    assert "ambiguous" in ambiguous.err and first in ambiguous.err and second in ambiguous.err
    nothing = cli("runs", "show", "zzzz")
    assert nothing.code == 2 and "no run with id 'zzzz'" in nothing.err


def test_runs_show_needs_an_id_or_last(cli: Cli) -> None:
    """Neither (or both) is a usage error that says what to give."""
    _two_runs(cli)
    neither = cli("runs", "show")
    assert neither.code == 2 and "--last" in neither.err


def test_full_shows_an_output_whole_where_the_default_cuts_it_at_80(cli: Cli) -> None:
    """A 200-character message is cut with '...' by default and printed whole with --full."""
    cli.write("narrator.toml", RECORDING_CONFIG)
    text = "x" * 190 + "END-MARKER"
    cli.write("long.toml", LONG % text)
    ran = cli("run", "long.toml")
    assert ran.code == 0, ran.err
    short = cli("runs", "show", "--last")
    assert short.code == 0, short.err
    assert "END-MARKER" not in short.out and "..." in short.out
    full = cli("runs", "show", "--last", "--full")
    assert full.code == 0, full.err
    assert "END-MARKER" in full.out
