"""Startup: wall time of ``narrator --help`` and ``narrator validate FILE``.

Median of ``--runs`` subprocess runs each (the installed console script in the
venv, a fresh interpreter every time), the top importers of ``validate`` by
``python -X importtime`` (cumulative microseconds), and a check that validate
leaves sqlalchemy, httpx and discord unimported (``sys.modules`` inspected in a
subprocess after the CLI returns).

    .venv/bin/python benchmarks/startup_bench.py [--runs 20] [--file examples/...toml]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from engine_bench import machine  # noqa: E402

HEAVY = ("sqlalchemy", "alembic", "httpx", "discord", "aiohttp", "jinja2")

_PROBE = """
import contextlib, io, json, sys
from narrator.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
    try:
        code = main(["validate", sys.argv[1]])
    except SystemExit as exc:
        code = exc.code
roots = sorted({name.split(".")[0] for name in sys.modules})
print(json.dumps({"code": code, "roots": roots}))
"""


def _script() -> list[str]:
    exe = Path(sys.executable).parent / "narrator"
    if exe.exists():
        return [str(exe)]
    return [sys.executable, "-m", "narrator"]


def _default_file() -> Path:
    for candidate in sorted((ROOT / "examples").glob("*.toml")):
        return candidate
    raise SystemExit("no examples/*.toml to validate; pass --file")


def wall(cmd: list[str], runs: int) -> tuple[float, list[float]]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "0"}
    subprocess.run(cmd, capture_output=True, env=env, check=False)  # warm the page cache
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, capture_output=True, env=env, check=False)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


def importtime(file: Path, top: int) -> list[tuple[int, int, str]]:
    """(cumulative us, self us, module) of the slowest imports, by cumulative time."""
    cmd = [sys.executable, "-X", "importtime", "-m", "narrator", "validate", str(file)]
    err = subprocess.run(cmd, capture_output=True, text=True, check=False).stderr
    rows: list[tuple[int, int, str]] = []
    for line in err.splitlines():
        if not line.startswith("import time:") or "[us]" in line:
            continue
        own, cumulative, name = line.removeprefix("import time:").split("|", 2)
        rows.append((int(cumulative), int(own), name.rstrip()))
    return sorted(rows, reverse=True)[:top]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--file", type=Path, default=None)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args(argv)
    file = args.file or _default_file()
    base = _script()
    print(f"machine: {machine()}")
    print(f"command: {' '.join(base)}; validating {file.relative_to(ROOT)}")
    for label, cmd in (
        ("narrator --help", [*base, "--help"]),
        ("narrator validate FILE", [*base, "validate", str(file)]),
        ("python -c pass (floor)", [sys.executable, "-c", "pass"]),
    ):
        med, times = wall(cmd, args.runs)
        print(
            f"{label:<24} median {med * 1000:6.0f} ms  "
            f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}, n={len(times)})"
        )
    probe = subprocess.run(
        [sys.executable, "-c", _PROBE, str(file)], capture_output=True, text=True, check=False
    )
    result = json.loads(probe.stdout.strip().splitlines()[-1])
    loaded = [m for m in HEAVY if m in result["roots"]]
    print(f"validate exit code {result['code']}; heavy modules imported: {loaded or 'none'}")
    for name in ("sqlalchemy", "httpx", "discord"):
        print(f"  {name:<11} {'IMPORTED' if name in result['roots'] else 'not imported'}")
    print(f"\ntop importers of validate (python -X importtime, cumulative ms, top {args.top}):")
    print("   cumul    self  module (indent = nesting)")
    for cumulative, own, name in importtime(file, args.top):
        print(f"  {cumulative / 1000:6.1f}  {own / 1000:6.1f}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
