"""Content table benchmarks (issue 11). Figures go to benchmarks/README.md; nothing here asserts.

    .venv/bin/python benchmarks/content_bench.py            # 10,000 items, 100,000 rows
    .venv/bin/python benchmarks/content_bench.py --quick    # 10x smaller

Each measure runs narrator's SQLite store beside the stdlib ``sqlite3`` module doing
the same statements on the same schema (the table and indexes migration 0006
creates), with the same work per item (JSON text, sha256), contenders alternated
round by round in one process; medians are reported.

1. Storing 10,000 items as an act does: ``insert`` of 10 items per call, one
   transaction each (and once more with ``dedupe="hash"``) — time per item.
2. Reading 100 rows filtered by status from a 100,000-row table
   (``where status = 'approved'``, limit 100, default order) — time per query; and the
   same with a typed JSON filter (``status = 'approved' AND score >= 7``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from narrator.content import Provenance, Query, parse_where
from narrator.state import open_database
from narrator.state.tables import to_micros

PROV = Provenance("bench", "run1", "write", "gpt-bench")
STATUSES = ("pending", "approved", "rejected", "posted")


def _item(i: int) -> dict[str, Any]:
    return {"title": f"Post number {i}", "body": "lorem ipsum " * 8, "score": i % 10, "n": i}


def _fresh(path: Path) -> None:
    """A database with narrator's schema (migration 0006), then closed."""
    open_database(f"sqlite:///{path}").close()


def _raw_connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


_INSERT = (
    "INSERT INTO content_rows (table_name, fields, status, narrative, run_id, act, model, "
    "content_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"
)


def _digest(item: dict[str, Any]) -> str:
    text = json.dumps(item, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def raw_store(path: Path, batches: list[list[dict[str, Any]]], dedupe: bool) -> float:
    conn = _raw_connect(path)
    start = time.perf_counter()
    for batch in batches:
        hashes = [_digest(item) for item in batch]
        conn.execute("BEGIN IMMEDIATE")
        if dedupe:
            marks = ",".join("?" * len(hashes))
            known = {
                r[0]
                for r in conn.execute(
                    "SELECT content_hash FROM content_rows WHERE table_name = ? "
                    f"AND content_hash IN ({marks})",
                    ["posts", *hashes],
                )
            }
            keep = [i for i, h in enumerate(hashes) if h not in known]
        else:
            keep = list(range(len(batch)))
        now = to_micros(datetime.now(UTC))
        for i in keep:
            conn.execute(
                _INSERT,
                (
                    "posts",
                    json.dumps(batch[i], ensure_ascii=False, separators=(",", ":")),
                    "pending",
                    PROV.narrative,
                    PROV.run_id,
                    PROV.act,
                    PROV.model,
                    hashes[i],
                    now,
                    now,
                ),
            ).fetchone()
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def ours_store(path: Path, batches: list[list[dict[str, Any]]], dedupe: bool) -> float:
    db = open_database(f"sqlite:///{path}")
    start = time.perf_counter()
    for batch in batches:
        db.content.insert("posts", batch, PROV, dedupe="hash" if dedupe else None)
    elapsed = time.perf_counter() - start
    db.close()
    return elapsed


def _alternate(rounds: int, contenders: dict[str, Callable[[int], float]]) -> dict[str, float]:
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for r in range(rounds):
        names = list(contenders) if r % 2 == 0 else list(reversed(contenders))
        for name in names:
            times[name].append(contenders[name](r))
    return {name: statistics.median(t) for name, t in times.items()}


def bench_store(n: int, rounds: int, workdir: Path) -> None:
    batches = [[_item(i + j) for j in range(10)] for i in range(0, n, 10)]
    for dedupe in (False, True):
        label = "dedupe=hash" if dedupe else "no dedupe"

        def make(kind: str, dedupe: bool = dedupe) -> Callable[[int], float]:
            def run(r: int) -> float:
                path = workdir / f"store-{kind}-{int(dedupe)}-{r}.db"
                _fresh(path)
                fn = ours_store if kind == "ours" else raw_store
                return fn(path, batches, dedupe)

            return run

        med = _alternate(rounds, {"narrator": make("ours"), "raw sqlite3": make("raw")})
        ours, raw = med["narrator"] / n * 1e6, med["raw sqlite3"] / n * 1e6
        print(
            f"[store] {n:,} items, 10 per insert, {label}: narrator {ours:.1f} us/item; "
            f"raw sqlite3 {raw:.1f} us/item; ratio {ours / raw:.2f}x (target <= 2x)"
        )


_SELECT = (
    "SELECT id, table_name, fields, status, narrative, run_id, act, model, content_hash, "
    "message_id, claimed_by, created_at, updated_at FROM content_rows "
    "WHERE table_name = ? AND status = ? {extra}ORDER BY created_at ASC, id ASC LIMIT ?"
)
_SCORE = (
    "AND CASE WHEN json_type(fields, ?) IN ('integer', 'real') "
    "THEN json_extract(fields, ?) END >= ? "
)


def _fill(path: Path, rows: int) -> None:
    db = open_database(f"sqlite:///{path}")
    for start in range(0, rows, 5_000):
        for status in STATUSES:
            items = [
                _item(i) for i in range(start, start + 5_000) if i % 4 == STATUSES.index(status)
            ]
            db.content.insert("posts", items, PROV, status=status)
    db.content.insert("other", [_item(i) for i in range(1_000)], PROV, status="approved")
    db.close()


def bench_read(rows: int, queries: int, rounds: int, workdir: Path) -> None:
    path = workdir / "read.db"
    _fill(path, rows)
    db = open_database(f"sqlite:///{path}")
    conn = _raw_connect(path)
    for label, where, extra, params in (
        ("status = 'approved'", "status = 'approved'", "", []),
        (
            "status = 'approved' AND score >= 7",
            "status = 'approved' AND score >= 7",
            _SCORE,
            ['$."score"', '$."score"', 7],
        ),
    ):
        query = Query("posts", where=parse_where(where), limit=100)
        sql = _SELECT.format(extra=extra)

        def ours(_r: int, query: Query = query) -> float:
            start = time.perf_counter()
            for _ in range(queries):
                got = db.content.select(query)
            assert len(got) == 100
            return (time.perf_counter() - start) / queries

        def raw(_r: int, sql: str = sql, params: list[Any] = params) -> float:
            start = time.perf_counter()
            for _ in range(queries):
                got = [
                    (r[0], json.loads(r[2]), r[3:])
                    for r in conn.execute(sql, ["posts", "approved", *params, 100])
                ]
            assert len(got) == 100
            return (time.perf_counter() - start) / queries

        med = _alternate(rounds, {"narrator": ours, "raw sqlite3": raw})
        a, b = med["narrator"] * 1e6, med["raw sqlite3"] * 1e6
        print(
            f"[read] 100 of {rows:,} rows, where {label}: narrator {a:.0f} us/query; "
            f"raw sqlite3 {b:.0f} us/query; ratio {a / b:.2f}x (target <= 2x)"
        )
    conn.close()
    db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10x smaller sizes")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    print(
        f"# {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()} "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}, load {Path('/proc/loadavg').read_text().split()[:3]}"
    )
    with tempfile.TemporaryDirectory(prefix="content-bench-") as tmp:
        work = Path(tmp)
        bench_store(10_000 // scale, args.rounds, work)
        bench_read(100_000 // scale, 200, args.rounds, work)
    print(f"# load after: {Path('/proc/loadavg').read_text().split()[:3]}")


if __name__ == "__main__":
    main()
