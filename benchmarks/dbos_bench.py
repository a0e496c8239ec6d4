"""Side by side: the same 1,000-step persisted workflow in narrator and in DBOS Transact.

Each step reads the value the previous step produced and produces the next one:

* narrator: the plan of benchmarks/langgraph_bench.py (1,000 ``messages.send``
  acts on the recording platform, act i quoting ``{state.out_<i-1>.id}`` and
  storing ``output_var = "out_<i>"``); state and run journal in one SQLite file.
* DBOS: one ``@DBOS.workflow`` calling one ``@DBOS.step`` 1,000 times; the step
  does the same work (``langgraph_bench._send``) and DBOS checkpoints each step's
  output in its system database before the next step starts.

Both contenders checkpoint in SQLite with narrator's settings: WAL and
``synchronous=NORMAL`` (narrator/state/gateway.py ``_sqlite_setup``). DBOS is
given a SQLAlchemy engine (``system_database_engine``) that applies those pragmas
beside its own (IMMEDIATE transactions, busy_timeout, foreign keys); ``--shipped``
adds DBOS as it ships (its own engine: rollback journal, ``synchronous=FULL``).
Setup (migrations, launch, parsing) is outside the timing; CPU is
``time.process_time`` of the whole process, so DBOS's background threads count.
Contenders alternate round by round, each round on fresh files; medians.

DBOS is not a narrator dependency: install it beside the project, not into it,

    .venv/bin/pip install --target /tmp/dbos-site -r benchmarks/requirements-dbos.txt
    .venv/bin/python benchmarks/dbos_bench.py [--steps 1000] [--runs 5] [--shipped]
        [--dbos-site /tmp/dbos-site]

(the directory is appended to ``sys.path``, so the project's own packages win).
"""

from __future__ import annotations

import argparse
import importlib
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from engine_bench import machine
from langgraph_bench import _send, _Snowflakes, narrative, run_narrator

DEFAULT_SITE = "/tmp/dbos-site"


def _load_dbos(site: str) -> Any:
    """The ``dbos`` module from ``site`` (appended to the path), or None when absent."""
    if site not in sys.path:
        sys.path.append(site)
    try:
        return importlib.import_module("dbos")
    except ImportError:
        return None


def _wal_engine(url: str) -> Any:
    """DBOS's own SQLite engine settings, plus narrator's journal mode and synchronous."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = "IMMEDIATE"  # as dbos/_sys_db_sqlite.py does
        dbapi_conn.execute("PRAGMA busy_timeout=30000")
        dbapi_conn.execute("PRAGMA journal_mode=WAL")
        dbapi_conn.execute("PRAGMA synchronous=NORMAL")
        dbapi_conn.execute("PRAGMA foreign_keys=ON")

    return engine


class DbosSide:
    """The workflow registered once; :meth:`run` launches DBOS on a fresh file per run."""

    def __init__(self, dbos: Any, steps: int) -> None:
        self.DBOS = dbos.DBOS
        ids = _Snowflakes()

        def send(prev: dict[str, Any] | None, i: int) -> dict[str, Any]:
            return _send(prev, i, ids)

        step = self.DBOS.step()(send)  # checkpointed: its output is committed per call

        def chain(n: int) -> dict[str, Any] | None:
            prev = None
            for i in range(n):
                prev = step(prev, i)
            return prev

        self.chain = self.DBOS.workflow()(chain)
        self.steps = steps

    def run(self, path: Path, *, wal: bool) -> tuple[float, float]:
        url = f"sqlite:///{path}"
        engine = _wal_engine(url) if wal else None
        config: dict[str, Any] = {
            "name": "dbos-bench",
            "system_database_url": url,
            "run_admin_server": False,
            "log_level": "WARNING",
        }
        if engine is not None:
            config["system_database_engine"] = engine
        self.DBOS(config=config)
        try:
            self.DBOS.launch()  # migrations, executor threads: outside the timing
            t0, c0 = time.perf_counter(), time.process_time()
            last = self.chain(self.steps)
            elapsed = (time.perf_counter() - t0, time.process_time() - c0)
        finally:
            self.DBOS.destroy()
            if engine is not None:
                engine.dispose()
        with sqlite3.connect(path) as conn:
            rows = conn.execute("SELECT count(*) FROM operation_outputs").fetchone()[0]
            mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        if last is None or rows != self.steps:
            raise SystemExit(f"DBOS checkpointed {rows} of {self.steps} steps")
        if (mode == "wal") != wal:
            raise SystemExit(f"DBOS database journal_mode is {mode}, expected wal={wal}")
        return elapsed


Timed = Callable[[Path], tuple[float, float]]


def interleaved(runs: int, contenders: dict[str, Timed]) -> dict[str, list[tuple[float, float]]]:
    """One warm-up each, then ``runs`` rounds running each contender once, on fresh files."""
    times: dict[str, list[tuple[float, float]]] = {label: [] for label in contenders}
    with tempfile.TemporaryDirectory(prefix="narrator-vs-dbos-") as tmp:
        for k, fn in enumerate(contenders.values()):
            fn(Path(tmp) / f"warmup-{k}.sqlite")
        for n in range(runs):
            for k, (label, fn) in enumerate(contenders.items()):
                times[label].append(fn(Path(tmp) / f"run-{n}-{k}.sqlite"))
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--shipped", action="store_true", help="add DBOS with its own engine")
    parser.add_argument("--dbos-site", default=DEFAULT_SITE, help="where dbos was installed")
    args = parser.parse_args(argv)
    dbos = _load_dbos(args.dbos_site)
    if dbos is None:
        print(
            f"DBOS is not installed in {args.dbos_site}; this comparison needs it:\n"
            f"    .venv/bin/pip install --target {args.dbos_site}"
            " -r benchmarks/requirements-dbos.txt\n"
            "skipping."
        )
        return 0
    from importlib.metadata import version

    from narrator.parser import parse

    print(f"machine: {machine()}")
    print(f"dbos {version('dbos')}, {args.steps} steps, median of {args.runs}, alternated")
    plan = parse(narrative(args.steps), "side_by_side.toml")
    side = DbosSide(dbos, args.steps)
    ours = "narrator (SQLite WAL)"
    contenders: dict[str, Timed] = {
        ours: lambda p: run_narrator(plan, p),
        "DBOS (SQLite WAL)": lambda p: side.run(p, wal=True),
    }
    if args.shipped:
        contenders["DBOS as shipped (SQLite)"] = lambda p: side.run(p, wal=False)
    wall: dict[str, float] = {}
    cpu: dict[str, float] = {}
    for label, times in interleaved(args.runs, contenders).items():
        wall[label] = statistics.median(t for t, _ in times)
        cpu[label] = statistics.median(c for _, c in times)
        spread = ", ".join(f"{t:.2f}" for t, _ in times)
        print(
            f"{label:<26} wall {wall[label] / args.steps * 1000:7.3f} ms/step"
            f"  cpu {cpu[label] / args.steps * 1000:7.3f} ms/step"
            f"   (wall runs, s: {spread})"
        )
    for label in contenders:
        if label != ours:
            print(
                f"{label} / narrator: wall {wall[label] / wall[ours]:.2f}x,"
                f" cpu {cpu[label] / cpu[ours]:.2f}x (goal: cpu >= 4x)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
