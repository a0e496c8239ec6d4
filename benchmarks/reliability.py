"""Nothing lost, nothing twice: seeded ``kill -9`` trials through the real CLI.

Against the Discord REST emulator in its own process (``python -m
narrator.platforms.emulator``), each trial starts ``narrator run`` in a fresh
directory, kills it with SIGKILL at a seeded point, and recovers once:

* ``send``: a narrative of ``--sends`` (20) ``messages.send`` acts, then
  ``narrator resume --latest FILE``;
* ``carousel``: a carousel of ``--iterations`` (12) posts, then one resume;
* ``ensure``: ``--keys`` (6) pinned ``messages.ensure`` acts, then
  ``narrator run`` again, and one more run that must write nothing;
* ``take``: a posting carousel that claims one of ``--rows`` (8) approved content
  rows per iteration (``take = 1``), posts it and marks it ``posted``, then one
  resume; every row must end ``posted`` with the id of its one message;
* ``nested``: one act running a nested narrative of ``--sends`` (20) sends, killed
  inside it, then one resume.

Every other trial (``--forget alternate``) the emulator forgets every message
nonce before the recovery, as Discord does after a few minutes.

Figures: trials, kills while the run was going, kills after Discord had a
message narrator had not journalled as done, duplicates, missing messages.

    .venv/bin/python benchmarks/reliability.py --send-trials 30 --carousel-trials 12 \\
        --ensure-trials 15 --take-trials 12 --nested-trials 12 --seed 1
"""

from __future__ import annotations

import argparse
import os
import platform as host
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.e2e.emulator import emulator_process
from tests.e2e.kill_trials import Figures, run_trials


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--send-trials", type=int, default=30)
    parser.add_argument("--carousel-trials", type=int, default=12)
    parser.add_argument("--ensure-trials", type=int, default=15)
    parser.add_argument("--sends", type=int, default=20, help="messages.send acts per narrative")
    parser.add_argument("--iterations", type=int, default=12, help="carousel iterations")
    parser.add_argument("--keys", type=int, default=6, help="messages.ensure acts")
    parser.add_argument("--take-trials", type=int, default=12)
    parser.add_argument("--nested-trials", type=int, default=12)
    parser.add_argument("--rows", type=int, default=8, help="content rows a take carousel posts")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--forget", choices=("alternate", "always", "never"), default="alternate")
    args = parser.parse_args(argv)
    # SIGTERM ends the trials through the finally blocks: the emulator process stops too
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    print(f"machine: {host.machine()} / {os.cpu_count()} cores / Python {host.python_version()}")
    print(f"date: {time.strftime('%Y-%m-%d %H:%M')}  load: {os.getloadavg()[0]:.2f}")
    print(f"seed: {args.seed}  nonces forgotten before recovery: {args.forget}")
    plan = (
        ("send", args.send_trials, args.sends),
        ("carousel", args.carousel_trials, args.iterations),
        ("ensure", args.ensure_trials, args.keys),
        ("take", args.take_trials, args.rows),
        ("nested", args.nested_trials, args.sends),
    )
    started = time.monotonic()
    all_figures: list[Figures] = []
    with emulator_process() as emulator, tempfile.TemporaryDirectory() as tmp:
        for kind, count, size in plan:
            if count <= 0:
                continue
            figures = run_trials(
                emulator, kind, count, size, seed=args.seed, forget=args.forget, root=Path(tmp)
            )
            all_figures.append(figures)
            print(figures.line(), flush=True)
    print(f"took {time.monotonic() - started:.0f} s; load now {os.getloadavg()[0]:.2f}")
    failed = False
    for figures in all_figures:
        for problem in figures.problems:
            print("problem:", problem)
        failed |= bool(figures.duplicates or figures.missing or figures.problems)
        failed |= bool(figures.not_converged)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
