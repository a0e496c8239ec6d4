"""CLI latency (issue 14): whole-process wall time of the verbs people type, beside
``python -c pass``. Median of ``--runs`` fresh processes each, after one warm-up run that
also compiles bytecode; the installed console script of this venv; a fresh SQLite database
in a temporary directory (no narrator.toml: the embedded defaults).

    .venv/bin/python benchmarks/cli_latency.py [--runs 10]

Prints a Markdown table for benchmarks/README.md. Nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

TEN_ACTS = "\n".join(
    [
        '[narrative]\nname = "ten"\n',
        *(
            f'[[act]]\nname = "a{i}"\n[[act.input]]\ntype = "bot_command"\n'
            f'platform = "discord"\ncommand = "channels.ensure"\n'
            f'args = {{ name = "bench-{i}" }}\n'
            for i in range(10)
        ),
    ]
)


def _median(cmd: list[str], runs: int, cwd: Path) -> float:
    env = {**os.environ, "NO_COLOR": "1"}
    subprocess.run(cmd, cwd=cwd, capture_output=True, env=env, check=False)  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(cmd, cwd=cwd, capture_output=True, env=env, check=False)
        times.append(time.perf_counter() - start)
        if done.returncode not in (0, 1):
            sys.exit(f"{' '.join(cmd)} failed: {done.stderr.decode()[-300:]}")
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    bindir = Path(sys.executable).parent
    narrator = str(bindir / "narrator")
    print(
        f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, {date.today()}, "
        f"load {os.getloadavg()[0]:.2f}, median of {args.runs}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "ten.toml").write_text(TEN_ACTS, encoding="utf-8")
        subprocess.run(
            [narrator, "state", "set", "bench.k", "1"], cwd=work, check=True, capture_output=True
        )
        rows = [
            ("python -c pass", [sys.executable, "-c", "pass"]),
            ("narrator --help", [narrator, "--help"]),
            ("narrator validate ten.toml", [narrator, "validate", "ten.toml"]),
            ("narrator state get bench.k", [narrator, "state", "get", "bench.k"]),
            ("narrator state set bench.k 2", [narrator, "state", "set", "bench.k", "2"]),
            ("narrator state list", [narrator, "state", "list"]),
            ("narrator runs list", [narrator, "runs", "list"]),
            (
                "narrator run ten.toml --sandbox (10 Discord acts)",
                [narrator, "run", "ten.toml", "--sandbox"],
            ),
        ]
        base = None
        print("| command | median ms | × python -c pass |")
        print("|---|---|---|")
        for label, cmd in rows:
            ms = _median(cmd, args.runs, work)
            base = base or ms
            print(f"| `{label}` | {ms:.0f} | {ms / base:.1f}x |")


if __name__ == "__main__":
    main()
