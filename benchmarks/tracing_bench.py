"""Cost of narrator.tracing.span per call: off (no opentelemetry) and on (SDK, no exporter).

Run: ``.venv/bin/python benchmarks/tracing_bench.py``. "off" hides opentelemetry
from the import (as when the ``otel`` extra is not installed); "on" uses the SDK's
TracerProvider with no span processor (the cost of creating and ending spans, not
of exporting them). Figures go to benchmarks/README.md ("Tracing overhead").
"""

from __future__ import annotations

import sys
import timeit

N = 200_000


def _per_call(stmt: str, setup: str) -> float:
    """Best of 5 runs of N calls, in nanoseconds per call."""
    runs = timeit.repeat(stmt, setup=setup, number=N, repeat=5, globals=globals())
    return min(runs) / N * 1e9


def main() -> None:
    from narrator import tracing

    empty = _per_call("with nullcontext(): pass", "from contextlib import nullcontext")
    saved = sys.modules.get("opentelemetry")
    sys.modules["opentelemetry"] = None  # type: ignore[assignment]
    tracing._tracer = None
    off = _per_call(
        "with span('narrator.act', act='a', iteration=None) as s: s.set('status', 'done')",
        "from narrator.tracing import span",
    )
    assert tracing.enabled() is False
    if saved is not None:
        sys.modules["opentelemetry"] = saved
    else:
        del sys.modules["opentelemetry"]
    print(f"contextlib.nullcontext (reference): {empty:7.0f} ns per block")
    print(f"span() with opentelemetry absent:   {off:7.0f} ns per span")
    try:
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
    except ImportError:
        print("opentelemetry-sdk not installed: 'on' not measured")
        return
    trace.set_tracer_provider(TracerProvider())
    tracing._tracer = None
    on = _per_call(
        "with span('narrator.act', act='a', iteration=None) as s: s.set('status', 'done')",
        "from narrator.tracing import span",
    )
    print(f"span() with the SDK, no exporter:   {on:7.0f} ns per span")


if __name__ == "__main__":
    main()
