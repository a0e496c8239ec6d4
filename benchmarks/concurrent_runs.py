"""Two simultaneous runs of one Discord setup narrative: duplicates, waits, refusals.

Run: ``.venv/bin/python benchmarks/concurrent_runs.py [--sqlite 30] [--postgres 15]``

Each trial starts two ``narrator run setup.toml`` processes at once (every
other trial with ``--wait 2m``) against a Discord REST emulator in its own
process, on a fresh database (a new SQLite file; PostgreSQL emptied between
trials), from a fresh emulated guild. It counts duplicate channels, roles and
pinned messages and how the second run behaved: waited (both exit 0), or exited
1 naming the holder. PostgreSQL comes from ``NARRATOR_TEST_POSTGRES_URL`` or a
throwaway cluster (``tests/postgres.py``; needs Debian's ``postgresql`` package).
Issue 10 measured before the lock: 6 of 40 SQLite trials and 9 of 15 PostgreSQL
trials duplicated resources, every run exiting 0.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from narrator.config import SANDBOX_GUILD_ID as GUILD  # noqa: E402
from tests.e2e.concurrent import Trial, cli_env, reset_world, trial, write_setup  # noqa: E402

TOKEN = "emulator-token"


@contextmanager
def emulator() -> Iterator[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "narrator.platforms.emulator", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        api_base = proc.stdout.readline().strip()
        assert api_base.startswith("http://127.0.0.1:"), api_base
        yield api_base
    finally:
        proc.terminate()
        proc.wait(timeout=15)


@contextmanager
def postgres() -> Iterator[str]:
    from tests.postgres import ENV_URL, ThrowawayCluster, _admin, _with_database, find_bindir

    given = os.environ.get(ENV_URL)
    name = f"narrator_bench_{uuid.uuid4().hex[:8]}"
    if given:
        given = given.replace("postgresql://", "postgresql+psycopg://", 1)
        yield _with_database(given, name) if _admin(given, f'CREATE DATABASE "{name}"') else given
        return
    bindir = find_bindir()
    if bindir is None:
        raise SystemExit("PostgreSQL binaries not found: apt-get install -y postgresql")
    cluster = ThrowawayCluster(bindir)
    try:
        admin = cluster.start()
        assert _admin(admin, f'CREATE DATABASE "{name}"')
        yield _with_database(admin, name)
    finally:
        cluster.stop()


def run_trials(count: int, api_base: str, database: str | None, root: Path) -> list[Trial]:
    from narrator.state import open_database
    from tests.e2e.concurrent import _get

    initial: Any = _get(api_base.removesuffix("/api/v10") + "/_emulator/world")
    if database is not None:
        open_database(database).close()
    results = []
    for number in range(count):
        reset_world(api_base, initial)
        if database is not None:
            from tests.postgres import reset_database

            reset_database(database)
        cwd = root / f"trial{number}"
        write_setup(cwd, api_base, GUILD, database)
        result = trial(cwd, api_base, GUILD, cli_env(TOKEN, GUILD), wait=number % 2 == 1)
        results.append(result)
        mark = "ok" if result.clean else "BAD"
        print(
            f"  trial {number + 1:>2}: exit {result.codes}, dup {result.duplicates}, "
            f"{'waited' if result.waited else 'refused' if result.refused else '-'}, "
            f"{result.seconds:.1f} s {mark}",
            flush=True,
        )
    return results


def report(engine: str, results: list[Trial]) -> None:
    kinds = ("channels", "roles", "pinned")
    dups = {k: sum(r.duplicates.get(k, 0) for r in results) for k in kinds}
    with_wait = results[1::2]
    without = results[0::2]
    print(f"{engine}: {len(results)} trials")
    print(
        f"  duplicates: {dups['channels']} channels, {dups['roles']} roles, "
        f"{dups['pinned']} pinned messages"
    )
    print(
        f"  without --wait ({len(without)}): second exited 1 naming the holder in "
        f"{sum(r.refused and sorted(r.codes) == [0, 1] for r in without)}, both exit 0 "
        f"(no overlap) in {sum(r.codes == (0, 0) for r in without)}"
    )
    print(
        f"  with --wait ({len(with_wait)}): both exit 0 in "
        f"{sum(r.codes == (0, 0) for r in with_wait)}, said it waited in "
        f"{sum(r.waited for r in with_wait)}"
    )
    print(f"  unclean trials: {sum(not r.clean for r in results)}")
    print(f"  seconds per trial: median {statistics.median(r.seconds for r in results):.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sqlite", type=int, default=30, help="trials on SQLite")
    parser.add_argument("--postgres", type=int, default=15, help="trials on PostgreSQL (0: skip)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, emulator() as api_base:
        root = Path(tmp)
        if args.sqlite:
            report("SQLite", run_trials(args.sqlite, api_base, None, root / "sqlite"))
        if args.postgres:
            with postgres() as url:
                report("PostgreSQL", run_trials(args.postgres, api_base, url, root / "pg"))


if __name__ == "__main__":
    main()
