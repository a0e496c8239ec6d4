"""Two simultaneous runs of one setup narrative never duplicate (issue 10), bounded trials.

The full figures (30 trials on SQLite, 15 on PostgreSQL) come from
``benchmarks/concurrent_runs.py``; these keep a few of the same trials in the suite.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.concurrent import cli_env, reset_world, trial, write_setup
from tests.e2e.emulator import GUILD, TOKEN, EmulatorProcess
from tests.postgres import reset_database


def _trials(root: Path, emulator: EmulatorProcess, database: str | None, modes: list[bool]) -> None:
    initial = emulator.world()
    for number, wait in enumerate(modes):
        reset_world(emulator.api_base, initial)
        if database is not None:
            reset_database(database)
        cwd = root / f"trial{number}"
        write_setup(cwd, emulator.api_base, GUILD, database)
        result = trial(cwd, emulator.api_base, GUILD, cli_env(TOKEN, GUILD), wait=wait)
        assert result.duplicates == {"channels": 0, "roles": 0, "pinned": 0}, result
        if wait:
            assert result.codes == (0, 0), result.errors
        else:
            assert result.clean, result
            if 1 in result.codes:  # the loser names the holder and says how to wait
                loser = result.errors[result.codes.index(1)]
                assert "is being run by pid" in loser and "since" in loser, loser
                assert "--wait" in loser


def test_two_simultaneous_setup_runs_on_sqlite_create_nothing_twice(
    tmp_path: Path, emulator: EmulatorProcess
) -> None:
    """Three trials on one SQLite file each (two without --wait, one with): 0 duplicate
    channels, roles or pinned messages; the second run waited, or exited 1 naming the
    holder (pid, host, run id, since when)."""
    _trials(tmp_path, emulator, None, [False, False, True])


@pytest.mark.postgres
def test_two_simultaneous_setup_runs_on_postgres_create_nothing_twice(
    tmp_path: Path, emulator: EmulatorProcess, postgres_url: str
) -> None:
    """The same on a real PostgreSQL server: the lock row holds across connections."""
    from narrator.state import open_database

    open_database(postgres_url).close()
    _trials(tmp_path, emulator, postgres_url, [False, True])
