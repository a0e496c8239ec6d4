"""State at scale (issue 14): set_many, export and import at 10k / 100k / 1M keys, each
beside the stdlib doing the same work, contenders alternated round by round.

    .venv/bin/python benchmarks/state_scale.py [--sizes 10000,100000,1000000] [--rounds 2]

* set_many: narrator's ``db.state.set_many`` (history kept) vs raw ``sqlite3``
  ``executemany`` upsert of the same JSON texts into a one-table database, same pragmas.
* export: ``list_prefix`` + ``write_toml`` / ``write_jsonl`` to a file vs raw ``sqlite3``
  SELECT of every row written as JSON lines.
* import: ``import_toml`` (TOML or JSON lines) + ``import_entries`` vs raw JSON-lines
  read + ``executemany`` insert.

Prints seconds, µs per key and the ratio; figures go to benchmarks/README.md. Nothing here
asserts on time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from narrator.state import open_database
from narrator.state.export import import_toml, write_jsonl, write_toml

_UPSERT = (
    "INSERT INTO state (key, value) VALUES (?, ?) "
    "ON CONFLICT(key) DO UPDATE SET value = excluded.value"
)


def _items(n: int) -> dict[str, object]:
    return {f"scale.{i:07d}": {"n": i, "text": f"value {i}"} for i in range(n)}


def _raw_db(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    return conn


def raw_set(work: Path, items: dict[str, object]) -> float:
    conn = _raw_db(work / "raw.db")
    start = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(_UPSERT, [(k, json.dumps(v)) for k, v in items.items()])
    conn.execute("COMMIT")
    took = time.perf_counter() - start
    conn.close()
    return took


def narrator_set(work: Path, items: dict[str, object]) -> float:
    with open_database(f"sqlite:///{work / 'narrator.db'}") as db:
        start = time.perf_counter()
        db.state.set_many(items)
        return time.perf_counter() - start


def raw_export(work: Path) -> float:
    conn = _raw_db(work / "raw.db")
    start = time.perf_counter()
    with (work / "raw.jsonl").open("w", encoding="utf-8") as out:
        for key, value in conn.execute("SELECT key, value FROM state ORDER BY key"):
            out.write(json.dumps({"key": key, "value": json.loads(value)}) + "\n")
    took = time.perf_counter() - start
    conn.close()
    return took


def narrator_export(work: Path, fmt: str) -> float:
    write = write_jsonl if fmt == "jsonl" else write_toml
    with open_database(f"sqlite:///{work / 'narrator.db'}") as db:
        start = time.perf_counter()
        entries = db.state.list_prefix("")
        with (work / f"export.{fmt}").open("w", encoding="utf-8") as out:
            write(entries, out, count=len(entries))
        return time.perf_counter() - start


def raw_import(work: Path) -> float:
    target = work / "raw_in.db"
    target.unlink(missing_ok=True)
    conn = _raw_db(target)
    start = time.perf_counter()
    rows = []
    with (work / "raw.jsonl").open(encoding="utf-8") as src:
        for line in src:
            row = json.loads(line)
            rows.append((row["key"], json.dumps(row["value"])))
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(_UPSERT, rows)
    conn.execute("COMMIT")
    took = time.perf_counter() - start
    conn.close()
    return took


def narrator_import(work: Path, fmt: str) -> float:
    target = work / f"in_{fmt}.db"
    target.unlink(missing_ok=True)
    with open_database(f"sqlite:///{target}") as db:
        start = time.perf_counter()
        text = (work / f"export.{fmt}").read_text(encoding="utf-8")
        db.state.import_entries(import_toml(text))
        return time.perf_counter() - start


def _best(fn: Callable[[], float], rounds: int, reset: Callable[[], None]) -> float:
    times = []
    for _ in range(rounds):
        reset()
        times.append(fn())
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    print(
        f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}, {date.today()}, load {load:.2f}"
    )
    print("| keys | step | narrator s | raw s | µs/key narrator | ratio |")
    print("|---|---|---|---|---|---|")
    for n in [int(s) for s in args.sizes.split(",")]:
        items = _items(n)
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)

            def fresh(work: Path = work) -> None:
                for name in ("raw.db", "narrator.db"):
                    for suffix in ("", "-wal", "-shm"):
                        (work / (name + suffix)).unlink(missing_ok=True)

            results: dict[str, tuple[float, float]] = {}
            ours, theirs = [], []
            for _ in range(args.rounds):  # alternate: raw, narrator, raw, narrator
                fresh()
                theirs.append(raw_set(work, items))
                ours.append(narrator_set(work, items))
            results["set_many"] = (min(ours), min(theirs))
            for fmt in ("toml", "jsonl"):
                ours, theirs = [], []
                for _ in range(args.rounds):
                    theirs.append(raw_export(work))
                    ours.append(narrator_export(work, fmt))
                results[f"export {fmt}"] = (min(ours), min(theirs))
                ours, theirs = [], []
                for _ in range(args.rounds):
                    theirs.append(raw_import(work))
                    ours.append(narrator_import(work, fmt))
                results[f"import {fmt}"] = (min(ours), min(theirs))
            for step, (mine, raw) in results.items():
                print(
                    f"| {n:,} | {step} | {mine:.2f} | {raw:.2f} | {mine / n * 1e6:.1f} "
                    f"| {mine / raw:.2f}x |"
                )


if __name__ == "__main__":
    main()
