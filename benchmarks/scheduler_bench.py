"""Scheduler benchmark: due-to-start delay with 1,000 schedules; queries per idle tick.

Run: ``.venv/bin/python benchmarks/scheduler_bench.py [--schedules 1000] [--database URL]``
(default: a fresh SQLite file in a temporary directory).

1. Queries per idle worker tick, counted with a SQLAlchemy ``before_cursor_execute``
   listener (``narrator.state.schedules.count_queries``), for 10, 100 and N schedules.
2. N schedules (``every 1h``) whose first slots fall due spread over ``--spread``
   seconds; one in-process worker polling every ``--poll`` seconds runs them (a
   one-act narrative that touches no network). Delay = when the worker claimed the
   slot minus the slot's due time; p50 and p99.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from narrator.clock import SystemClock
from narrator.config import load_config
from narrator.scheduler import Recurrence
from narrator.state import open_database
from narrator.state.schedules import ScheduleStore, count_queries
from narrator.worker import Worker, WorkerOptions

NARRATIVE = """
[narrative]
name = "bench"

[[act]]
name = "noop"
skip_if = "true"
[[act.input]]
type = "text"
content = "never sent"
"""


def idle_queries(url: str, sizes: list[int]) -> dict[int, int]:
    out: dict[int, int] = {}
    far = datetime(2100, 1, 1, tzinfo=UTC)
    for size in sizes:
        db = open_database(url)
        store = ScheduleStore(db.gateway)
        for name in [r.name for r in store.all()]:
            store.remove(name)
        for i in range(size):
            store.add(f"idle{i}", "/none.toml", Recurrence(anchor=far, every=3600), catch_up="all")
        with count_queries(db.engine) as seen:
            assert not store.due_work(datetime.now(UTC))
        out[size] = sum(1 for s in seen if not s.strip().upper().startswith(("BEGIN", "COMMIT")))
        for i in range(size):
            store.remove(f"idle{i}")
        db.close()
    return out


def delays(url: str, n: int, spread: float, poll: float, root: Path) -> list[float]:
    file = root / "bench.toml"
    file.write_text(NARRATIVE, encoding="utf-8")
    db = open_database(url)
    store = ScheduleStore(db.gateway)
    start = SystemClock().now() + timedelta(seconds=3)
    for i in range(n):
        anchor = start + timedelta(seconds=spread * i / n)
        store.add(f"b{i}", str(file), Recurrence(anchor=anchor, every=3600), catch_up="latest")
    worker = Worker(
        store,
        config=load_config(None),
        run_database=db,
        clock=SystemClock(),
        options=WorkerOptions(poll=poll, lease=60),
    )
    thread = threading.Thread(target=worker.serve)
    thread.start()
    deadline = time.monotonic() + 3 + spread + 600
    while len(worker.results) < n and time.monotonic() < deadline:
        time.sleep(0.2)
    worker.stop()
    thread.join()
    out = []
    for i in range(n):
        for slot in store.slots(f"b{i}"):
            out.append((slot["claimed_at"] - slot["scheduled_for"]).total_seconds())
    db.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--schedules", type=int, default=1000)
    parser.add_argument("--spread", type=float, default=60.0, help="seconds the due times span")
    parser.add_argument(
        "--poll", type=float, default=5.0, help="the worker's --poll (default: its default)"
    )
    parser.add_argument("--database", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        url = args.database or f"sqlite:///{root / 'bench.db'}"
        counts = idle_queries(url, [10, 100, args.schedules])
        print("queries per idle tick:", counts)
        got = sorted(delays(url, args.schedules, args.spread, args.poll, root))
        q = statistics.quantiles(got, n=100)
        print(
            f"{len(got)} slots, poll {args.poll}s: due->start delay p50 {q[49] * 1000:.0f} ms, "
            f"p99 {q[98] * 1000:.0f} ms, max {got[-1] * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main()
