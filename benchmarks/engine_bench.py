"""Engine overhead: a generated 1,000-act narrative on the recording platform.

Runs the same plan against
  * SQLite state and journal in a temporary file (migrated before timing), and
  * the in-memory repository and journal,
so the difference is the database's share. Prints total and per-act time,
the median over ``--runs`` fresh runs. ``--profile`` adds a cProfile of one
SQLite run (top functions by own time and by cumulative time).

    .venv/bin/python benchmarks/engine_bench.py [--acts 1000] [--runs 5] [--profile]

``--database URL`` (a PostgreSQL server, e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``;
the role needs CREATEDB) runs the plan with narrator's state and journal on that server
instead, each run in a fresh database (created and migrated before the timing, dropped
after), alternating round by round with "psycopg by hand": the same number of acts
written with plain psycopg on the same schema, per act one ``running`` journal upsert
as its own commit, then the state-key upsert and the ``done`` journal upsert in one
transaction (the floor the issue 14 goal measures narrator against).

Figures are recorded in benchmarks/README.md ("Core engine"); nothing here asserts
on time.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import platform
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

GUILD = "7"


def _act(i: int) -> str:
    """One act; the kind cycles with ``i % 5`` so every feature appears 200 times in 1,000."""
    name = f"a{i:04d}"
    kind = i % 5
    if kind == 0:
        # idempotent setup: skip_if on a capture key that is not set yet (missing → falsy)
        return f"""
[[act]]
name = "{name}"
output_var = "ch_{i}"
skip_if = "{{state.discord.${{GUILD_ID}}.channel.c{i}}}"
[[act.input]]
type = "bot_command"
platform = "discord"
command = "channels.ensure"
[act.input.args]
guild_id = "${{GUILD_ID}}"
name = "c{i}"
topic = "topic {i}"
"""
    if kind == 1:
        # reads the previous act's output and a state value written by it
        return f"""
[[act]]
name = "{name}"
output_var = "msg_{i}"
[[act.input]]
type = "bot_command"
platform = "discord"
command = "messages.send"
[act.input.args]
channel_id = "{{act.a{i - 1:04d}.output.id}}"
content = "post {i} in {{state.ch_{i - 1}.name}}"
"""
    if kind == 2:
        # skipped: the condition reads a value an earlier act stored (truthy)
        return f"""
[[act]]
name = "{name}"
output_var = "skipped_{i}"
skip_if = "{{state.msg_{i - 1}.id}}"
[[act.input]]
type = "bot_command"
platform = "discord"
command = "messages.send"
[act.input.args]
channel_id = "{{state.ch_{i - 2}.id}}"
content = "never sent"
"""
    if kind == 3:
        # no output_var; references two earlier acts
        return f"""
[[act]]
name = "{name}"
[[act.input]]
type = "bot_command"
platform = "discord"
command = "roles.ensure"
[act.input.args]
guild_id = "${{GUILD_ID}}"
name = "r{i}-{{act.a{i - 3:04d}.output.name}}"
mentionable = true
"""
    # kind 4: a message whose content quotes an earlier message (single-pass text)
    return f"""
[[act]]
name = "{name}"
output_var = "quote_{i}"
[[act.input]]
type = "bot_command"
platform = "discord"
command = "messages.send"
[act.input.args]
channel_id = "{{act.a{i - 4:04d}.output.id}}"
content = "re: {{act.a{i - 3:04d}.output.content}}"
"""


def narrative(acts: int) -> str:
    head = '[narrative]\nname = "engine_bench"\ndescription = "generated"\n'
    return head + "".join(_act(i) for i in range(acts))


def machine() -> str:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import os

    return (
        f"{os.cpu_count()} CPUs, {model}, Python {platform.python_version()}, "
        f"{datetime.now(UTC):%Y-%m-%d}"
    )


def _services(state: Any, journal: Any, database: Any = None) -> Any:
    """Services as ``narrator run`` builds them (``open_runtime``), with the fake platform."""
    from contextlib import nullcontext

    from narrator.executor import Services
    from narrator.testing import RecordingPlatform, StaticPlatforms

    return Services(
        state=state,
        journal=journal,
        platforms=StaticPlatforms([RecordingPlatform(guild_id=GUILD)]),
        env={"GUILD_ID": GUILD},
        unit_of_work=database.unit_of_work if database is not None else nullcontext,
    )


def _held(database: Any) -> Any:
    """The run's held connection, as ``open_runtime`` takes it (none on older trees)."""
    from contextlib import nullcontext

    hold = getattr(database, "hold", None)
    return hold() if hold is not None else nullcontext()


def run_sqlite(plan: Any, workdir: Path, index: int) -> tuple[tuple[float, float], Any]:
    from narrator.executor import Executor
    from narrator.state import open_database

    path = workdir / f"bench-{index}.db"
    database = open_database(f"sqlite:///{path}")  # migrated here, outside the timing
    try:
        executor = Executor(_services(database.state, database.journal, database))
        t0, c0 = time.perf_counter(), time.process_time()
        with _held(database):  # as open_runtime does
            outcome = asyncio.run(executor.run(plan))
        elapsed = (time.perf_counter() - t0, time.process_time() - c0)
    finally:
        database.close()
    return elapsed, outcome


def run_memory(plan: Any, _workdir: Path, _index: int) -> tuple[tuple[float, float], Any]:
    from narrator.executor import Executor
    from narrator.state.memory import MemoryRunJournal, MemoryStateRepository

    executor = Executor(_services(MemoryStateRepository(), MemoryRunJournal()))
    t0, c0 = time.perf_counter(), time.process_time()
    outcome = asyncio.run(executor.run(plan))
    return (time.perf_counter() - t0, time.process_time() - c0), outcome


@contextmanager
def fresh_database(url: str) -> Iterator[str]:
    """A new empty database on the server at ``url`` (SQLAlchemy URL) for one run, then dropped."""
    import uuid

    import psycopg

    base, _, _ = url.rpartition("/")
    name = f"narrator_bench_{uuid.uuid4().hex[:10]}"
    admin = url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_server(plan: Any, url: str) -> tuple[tuple[float, float], Any]:
    """The plan with narrator's state and journal in a fresh database on the server."""
    from narrator.executor import Executor
    from narrator.state import open_database

    with fresh_database(url) as db_url:
        database = open_database(db_url)  # migrated here, outside the timing
        try:
            executor = Executor(_services(database.state, database.journal, database))
            t0, c0 = time.perf_counter(), time.process_time()
            with _held(database):  # as open_runtime does
                outcome = asyncio.run(executor.run(plan))
            elapsed = (time.perf_counter() - t0, time.process_time() - c0)
        finally:
            database.close()
    return elapsed, outcome


_PG_ACT_UPSERT = (
    "INSERT INTO run_acts (run_id, seq, name, iteration, status, output, error, "
    "started_at, finished_at, input) VALUES (%s, %s, %s, NULL, %s, %s::json, NULL, %s, %s, "
    "%s::json) ON CONFLICT (run_id, seq) DO UPDATE SET name = excluded.name, "
    "iteration = excluded.iteration, status = excluded.status, output = excluded.output, "
    "error = excluded.error, started_at = excluded.started_at, "
    "finished_at = excluded.finished_at, input = excluded.input"
)
_PG_STATE_UPSERT = (
    "INSERT INTO state (key, value, created_at, updated_at, expires_at, metadata, version) "
    "VALUES (%s, %s::json, %s, %s, NULL, NULL, 1) ON CONFLICT (key) DO UPDATE SET "
    "value = excluded.value, updated_at = excluded.updated_at, version = state.version + 1"
)


def run_psycopg_by_hand(acts: int, url: str) -> tuple[float, float]:
    """The floor: per act a ``running`` upsert (own commit), then state + ``done`` in one commit.

    Same server, same narrator schema (migrated in a fresh database), one connection
    held for the whole run, JSON built with ``json.dumps`` as narrator stores it.
    """
    import json

    import psycopg

    from narrator.state import open_database

    with fresh_database(url) as db_url:
        open_database(db_url).close()  # narrator's schema and indexes, outside the timing
        conninfo = db_url.replace("postgresql+psycopg://", "postgresql://", 1)
        with psycopg.connect(conninfo) as conn:
            run_id = "bench-by-hand"
            conn.execute(
                "INSERT INTO runs (run_id, narrative, source, status, started_at) "
                "VALUES (%s, 'engine_bench', 'generated', 'running', %s)",
                (run_id, datetime.now(UTC)),
            )
            conn.commit()
            t0, c0 = time.perf_counter(), time.process_time()
            for i in range(acts):
                name = f"a{i:04d}"
                args = json.dumps({"channel_id": "100", "content": f"post {i}"})
                started = datetime.now(UTC)
                conn.execute(
                    _PG_ACT_UPSERT, (run_id, i, name, "running", None, started, None, args)
                )
                conn.commit()
                output = json.dumps({"id": str(10**17 + i), "channel_id": "100", "name": name})
                done = datetime.now(UTC)
                conn.execute(_PG_STATE_UPSERT, (f"out_{i}", output, done, done))
                conn.execute(_PG_ACT_UPSERT, (run_id, i, name, "done", output, started, done, args))
                conn.commit()
            elapsed = (time.perf_counter() - t0, time.process_time() - c0)
            rows = conn.execute("SELECT count(*) FROM run_acts WHERE status = 'done'").fetchone()
            if rows is None or rows[0] != acts:
                raise SystemExit(f"psycopg by hand wrote {rows} done acts of {acts}")
    return elapsed


def server_versus_by_hand(plan: Any, args: Any) -> None:
    """narrator on the server and psycopg by hand, alternated round by round; medians and ratio."""
    contenders: dict[str, Callable[[], tuple[float, float]]] = {
        "narrator (PostgreSQL)": lambda: _checked(run_server(plan, args.database), args.acts),
        "psycopg by hand": lambda: run_psycopg_by_hand(args.acts, args.database),
    }
    times: dict[str, list[tuple[float, float]]] = {label: [] for label in contenders}
    for fn in contenders.values():
        fn()  # warm-up: imports, caches, the server's own
    for _ in range(args.runs):
        for label, fn in contenders.items():
            times[label].append(fn())
    wall: dict[str, float] = {}
    cpu: dict[str, float] = {}
    for label, runs in times.items():
        wall[label] = statistics.median(t for t, _ in runs) / args.acts * 1000
        cpu[label] = statistics.median(c for _, c in runs) / args.acts * 1000
        spread = ", ".join(f"{t:.3f}" for t, _ in runs)
        print(
            f"{label:<22} wall {wall[label]:6.3f} ms/act, cpu {cpu[label]:6.3f} ms/act"
            f"   (wall runs, s: {spread})"
        )
    ours, floor = contenders
    print(
        f"narrator / psycopg by hand: wall {wall[ours] / wall[floor]:.2f}x,"
        f" cpu {cpu[ours] / cpu[floor]:.2f}x (goal <= 2x)"
    )


def _checked(result: tuple[tuple[float, float], Any], acts: int) -> tuple[float, float]:
    elapsed, outcome = result
    check(outcome, acts)
    return elapsed


def check(outcome: Any, acts: int) -> dict[str, int]:
    counts: dict[str, int] = {}
    for act in outcome.acts:
        counts[act.status] = counts.get(act.status, 0) + 1
    if outcome.status != "done" or len(outcome.acts) != acts:
        failed = next((a for a in outcome.acts if a.status == "failed"), None)
        raise SystemExit(f"benchmark narrative did not run cleanly: {failed}")
    return counts


def measure(
    label: str,
    runner: Callable[[Any, Path, int], tuple[tuple[float, float], Any]],
    plan: Any,
    args: Any,
) -> float:
    times: list[tuple[float, float]] = []
    counts: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="narrator-bench-") as tmp:
        runner(plan, Path(tmp), -1)  # warm-up: imports, jinja/sqlalchemy caches
        for index in range(args.runs):
            elapsed, outcome = runner(plan, Path(tmp), index)
            counts = check(outcome, args.acts)
            times.append(elapsed)
    median = statistics.median(t for t, _ in times)
    cpu = statistics.median(c for _, c in times)
    spread = ", ".join(f"{t:.3f}" for t, _ in times)
    print(
        f"{label:<22} wall {median:6.3f} s = {median / args.acts * 1000:6.3f} ms/act,"
        f" cpu {cpu / args.acts * 1000:6.3f} ms/act   (wall runs, s: {spread}; {counts})"
    )
    return median


def profile(plan: Any, args: Any) -> None:
    profiler = cProfile.Profile()
    with tempfile.TemporaryDirectory(prefix="narrator-bench-") as tmp:
        run_sqlite(plan, Path(tmp), -1)
        profiler.enable()
        run_sqlite(plan, Path(tmp), 0)
        profiler.disable()
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order).print_stats(args.top)
        print(f"\n--- cProfile, SQLite run, by {order} ---")
        print(out.getvalue().split("\n", 4)[-1].strip("\n"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--acts", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="cProfile one SQLite run")
    parser.add_argument("--top", type=int, default=25, help="rows of profile to print")
    parser.add_argument("--only", choices=["sqlite", "memory"], help="run one backend")
    parser.add_argument(
        "--database",
        metavar="URL",
        help="a PostgreSQL server (SQLAlchemy URL): narrator there vs psycopg by hand",
    )
    args = parser.parse_args(argv)

    from narrator.parser import parse

    text = narrative(args.acts)
    t0 = time.perf_counter()
    plan = parse(text, "engine_bench.toml")
    parse_s = time.perf_counter() - t0
    print(f"machine: {machine()}")
    print(f"narrative: {args.acts} acts, {len(text):,} bytes of TOML, parsed in {parse_s:.3f} s")
    if args.database:
        server_versus_by_hand(plan, args)
        return 0
    results: dict[str, float] = {}
    if args.only in (None, "sqlite"):
        results["sqlite"] = measure("SQLite state+journal", run_sqlite, plan, args)
    if args.only in (None, "memory"):
        results["memory"] = measure("memory state+journal", run_memory, plan, args)
    if len(results) == 2:
        db = (results["sqlite"] - results["memory"]) / args.acts * 1000
        print(f"database share: {db:.3f} ms/act")
    if args.profile:
        profile(plan, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
