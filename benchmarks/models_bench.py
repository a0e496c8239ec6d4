"""Engine overhead per model call vs a bare httpx call, against a local server.

Starts ``tests/providers/openai_server.py`` in a separate process (zero
latency), then times, sequentially, N calls of each:

* ``bare``   — ``httpx.AsyncClient.post`` of the same chat-completions body + ``.json()``;
* ``router`` — ``ModelRouter.complete`` (profile resolution, rpm/tpm windows,
  in-memory daily ledger, retries wrapper, response parsing);
* ``router+sqlite`` — the same with the SQLite usage ledger (daily budgets in the
  database: one reserve and one settle transaction per call).

Then the concurrency figure: ten calls at once through one router against a
server with 200 ms latency, versus one call.

Run from the repository root: ``.venv/bin/python benchmarks/models_bench.py [N]``.
"""

from __future__ import annotations

import asyncio
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from narrator.config import parse_config  # noqa: E402
from narrator.protocols import Message, ModelRequest  # noqa: E402
from narrator.providers import ModelRouter  # noqa: E402


def start_server(latency: float) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.providers.openai_server",
            "--port",
            "0",
            "--latency",
            str(latency),
            "--text",
            "ok",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    return proc, line.rsplit(" ", 1)[-1].strip()


def config(base_url: str) -> object:
    return parse_config(
        {
            "models": {
                "default": {
                    "provider": "openai",
                    "base_url": base_url,
                    "model": "local",
                    "rpm": 1_000_000,
                    "tpm": 1_000_000_000,
                    "rpd": 10_000_000,
                    "tpd": 1_000_000_000,
                }
            }
        }
    )


REQUEST = ModelRequest("default", "", (Message("user", "Say hi"),), max_tokens=16, act="bench")


BODY = {"model": "local", "messages": [{"role": "user", "content": "Say hi"}], "max_tokens": 16}


async def interleaved(
    base_url: str, n: int, ledger: object = None, transport: object = None
) -> tuple[list[float], list[float]]:
    """Alternate one bare call and one router call, so both see the same machine load."""
    bare: list[float] = []
    routed: list[float] = []
    router = ModelRouter(
        config(base_url),  # type: ignore[arg-type]
        ledger=ledger,  # type: ignore[arg-type]
        environ={},
        transport=transport,
    )
    async with httpx.AsyncClient(timeout=30, transport=transport) as client:  # type: ignore[arg-type]
        for _ in range(n):
            t = time.perf_counter()
            r = await client.post(f"{base_url}/chat/completions", json=BODY)
            r.json()["choices"][0]["message"]["content"]
            bare.append(time.perf_counter() - t)
            t = time.perf_counter()
            await router.complete(REQUEST)
            routed.append(time.perf_counter() - t)
    await router.aclose()
    return bare, routed


def instant_transport() -> httpx.MockTransport:
    """An in-process transport that answers at once: isolates the engine's own cost."""
    payload = {
        "model": "local",
        "choices": [{"message": {"role": "assistant", "content": "ok"}}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 1},
    }
    return httpx.MockTransport(lambda request: httpx.Response(200, json=payload))


async def concurrency(base_url: str) -> tuple[float, float]:
    router = ModelRouter(config(base_url), environ={})  # type: ignore[arg-type]
    await asyncio.gather(*(router.complete(REQUEST) for _ in range(10)))  # open connections
    t = time.perf_counter()
    await router.complete(REQUEST)
    one = time.perf_counter() - t
    t = time.perf_counter()
    await asyncio.gather(*(router.complete(REQUEST) for _ in range(10)))
    ten = time.perf_counter() - t
    await router.aclose()
    return one, ten


def summary(name: str, samples: list[float]) -> float:
    median = statistics.median(samples)
    p90 = statistics.quantiles(samples, n=10)[-1]
    print(f"  {name:<14} median {median * 1e3:7.3f} ms   p90 {p90 * 1e3:7.3f} ms")
    return median


async def main(n: int) -> None:
    from narrator.state import open_database

    print(
        f"machine: {platform.platform()}, {platform.machine()}, {os.cpu_count()} CPUs, "
        f"python {platform.python_version()}, load {os.getloadavg()[0]:.1f}"
    )
    print("in-process transport (engine cost only, no network):")
    bare, routed = await interleaved("http://bench.invalid/v1", n, transport=instant_transport())
    b, r = summary("bare httpx", bare), summary("router", routed)
    print(f"  router overhead {(r - b) * 1e6:.0f} µs per call")
    proc, base_url = start_server(0.0)
    try:
        print("local server, zero latency (separate process):")
        await interleaved(base_url, 50)  # warm-up
        bare, routed = await interleaved(base_url, n)
        b, r = summary("bare httpx", bare), summary("router", routed)
        print(f"  ratio router/bare        {r / b:.2f}x (target <= 1.3x)")
        with tempfile.TemporaryDirectory() as tmp:
            database = open_database(f"sqlite:///{tmp}/bench.db")
            bare, routed = await interleaved(base_url, n, database.ledger)
            database.close()
        b, r = summary("bare httpx", bare), summary("router+sqlite", routed)
        print(f"  ratio router+sqlite/bare {r / b:.2f}x (daily budgets in the database)")
    finally:
        proc.terminate()
        proc.wait()
    proc, base_url = start_server(0.2)
    try:
        one, ten = await concurrency(base_url)
        print(
            f"200 ms server: one call {one:.3f} s, ten concurrent calls through one router "
            f"{ten:.3f} s ({ten / one:.2f}x one call)"
        )
    finally:
        proc.terminate()
        proc.wait()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 500))
