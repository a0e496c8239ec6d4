"""Ten independent model acts through the whole engine, with and without ``concurrency``.

Starts the local OpenAI-compatible test server with 200 ms latency in a
separate process and runs, through the real executor and ``ModelRouter``
(memory state), a narrative of ten ``context = "none"`` model acts with
``concurrency = 10`` and with ``concurrency = 1``, next to a single act.
Target (issue 5): ten acts with concurrency within 1.3x of one call.

Run from the repository root: ``.venv/bin/python benchmarks/concurrency_bench.py``.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.models_bench import start_server  # noqa: E402
from narrator.config import parse_config  # noqa: E402
from narrator.executor import Executor, Services  # noqa: E402
from narrator.parser import parse  # noqa: E402
from narrator.providers import ModelRouter  # noqa: E402
from narrator.state.memory import MemoryRunJournal, MemoryStateRepository  # noqa: E402
from narrator.testing import StaticPlatforms  # noqa: E402

LATENCY = 0.2


def narrative(acts: int, concurrency: int) -> str:
    body = "".join(
        f'\n[[act]]\nname = "q{i}"\ncontext = "none"\n'
        f'[[act.input]]\ntype = "text"\ncontent = "question {i}"\n'
        for i in range(acts)
    )
    return f'[narrative]\nname = "fan"\nconcurrency = {concurrency}\n{body}'


async def timed(base_url: str, text: str) -> float:
    config = parse_config(
        {"models": {"default": {"provider": "openai", "base_url": base_url, "model": "m"}}}
    )
    router = ModelRouter(config)
    services = Services(
        state=MemoryStateRepository(),
        journal=MemoryRunJournal(),
        platforms=StaticPlatforms([]),
        models=router,
    )
    plan = parse(text)
    started = time.perf_counter()
    outcome = await Executor(services).run(plan)
    took = time.perf_counter() - started
    await router.aclose()
    assert outcome.status == "done", outcome.error
    return took


def main() -> None:
    server, url = start_server(LATENCY)
    try:
        rows = []
        for label, text in (
            ("1 act", narrative(1, 1)),
            ("10 acts, concurrency = 10", narrative(10, 10)),
            ("10 acts, concurrency = 1", narrative(10, 1)),
        ):
            runs = [asyncio.run(timed(url, text)) for _ in range(3)]
            rows.append((label, statistics.median(runs)))
        one = rows[0][1]
        print(f"server latency {LATENCY * 1000:.0f} ms; medians of 3 runs")
        for label, took in rows:
            print(f"{label:<28} {took * 1000:8.0f} ms   {took / one:5.2f}x one act")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
