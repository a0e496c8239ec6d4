"""State store benchmarks (issue 3). Figures go to benchmarks/README.md; nothing here asserts.

    .venv/bin/python benchmarks/state_bench.py            # all
    .venv/bin/python benchmarks/state_bench.py --quick    # smaller sizes

1. 100,000 set_many + get_many + list_prefix on SQLite vs the stdlib sqlite3
   module doing the same with executemany in one transaction (target <= 2x).
2. list_prefix returning 100 keys out of 1,000,000 on SQLite (target <= 5 ms).
3. One set() + one journal record_act() on SQLite, per act (engine target <= 1 ms).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from narrator.protocols import ActRecord
from narrator.state import open_database


def _raw(path: Path, items: dict[str, object]) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    start = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(
        "INSERT OR REPLACE INTO state VALUES (?, ?)",
        [(k, json.dumps(v)) for k, v in items.items()],
    )
    conn.execute("COMMIT")
    keys = list(items)
    got = {}
    for i in range(0, len(keys), 500):
        chunk = keys[i : i + 500]
        marks = ",".join("?" * len(chunk))
        for k, v in conn.execute(f"SELECT key, value FROM state WHERE key IN ({marks})", chunk):
            got[k] = json.loads(v)
    rows = conn.execute(
        "SELECT key, value FROM state WHERE key >= ? AND key < ? ORDER BY key", ("bench.", "bench/")
    ).fetchall()
    elapsed = time.perf_counter() - start
    assert len(got) == len(rows) == len(items)
    conn.close()
    return elapsed


def _ours(path: Path, items: dict[str, object]) -> tuple[float, dict[str, float]]:
    db = open_database(f"sqlite:///{path}")
    parts = {}
    start = time.perf_counter()
    db.state.set_many(items)
    parts["set_many"] = time.perf_counter() - start
    t = time.perf_counter()
    got = db.state.get_many(list(items))
    parts["get_many"] = time.perf_counter() - t
    t = time.perf_counter()
    entries = db.state.list_prefix("bench.")
    parts["list_prefix"] = time.perf_counter() - t
    elapsed = time.perf_counter() - start
    assert len(got) == len(entries) == len(items)
    db.close()
    return elapsed, parts


def bench_batches(n: int, workdir: Path) -> None:
    items: dict[str, object] = {f"bench.{i:07d}": {"i": i, "name": f"item {i}"} for i in range(n)}
    raw = min(_raw(workdir / f"raw{r}.db", items) for r in range(2))
    best = min((_ours(workdir / f"ours{r}.db", items) for r in range(2)), key=lambda x: x[0])
    ours, parts = best
    detail = ", ".join(f"{k} {v:.3f}s" for k, v in parts.items())
    print(
        f"[batches] {n:,} keys: narrator {ours:.3f}s ({detail}); raw sqlite3 {raw:.3f}s; "
        f"ratio {ours / raw:.2f}x (target <= 2x)"
    )


def bench_prefix(total: int, workdir: Path) -> None:
    db = open_database(f"sqlite:///{workdir / 'million.db'}")
    batch = 100_000
    for start in range(0, total, batch):
        db.state.set_many({f"g.{i:07d}.k": i for i in range(start, min(start + batch, total))})
    prefix = f"g.{total // 2 // 100:05d}"  # 100 keys: g.NNNNN00.k .. g.NNNNN99.k
    timings = []
    for _ in range(50):
        t = time.perf_counter()
        entries = db.state.list_prefix(prefix)
        timings.append(time.perf_counter() - t)
    assert len(entries) == 100, len(entries)
    print(
        f"[prefix] list_prefix -> 100 of {total:,} keys: median "
        f"{statistics.median(timings) * 1000:.2f} ms, best {min(timings) * 1000:.2f} ms "
        "(target <= 5 ms)"
    )
    db.close()


def bench_act(n: int, workdir: Path) -> None:
    db = open_database(f"sqlite:///{workdir / 'acts.db'}")
    db.journal.start_run("bench", "bench", "bench.toml", {})
    start = time.perf_counter()
    for i in range(n):
        db.state.set(f"act.{i}", {"id": str(i)}, metadata={"run_id": "bench", "act": f"a{i}"})
        db.journal.record_act(ActRecord("bench", i, f"a{i}", "done", output={"id": str(i)}))
    per = (time.perf_counter() - start) / n
    print(
        f"[act] set() + record_act() on SQLite: {per * 1000:.3f} ms per act over {n:,} acts "
        "(engine target <= 1 ms per act, all included)"
    )
    db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10x smaller sizes")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        bench_act(1000, work)
        bench_batches(100_000 // scale, work)
        bench_prefix(1_000_000 // scale, work)


if __name__ == "__main__":
    main()
