"""Side by side: the same 1,000-step persisted workflow in narrator and in LangGraph.

Each step reads a value an earlier step stored and writes an output:

* narrator: 1,000 ``messages.send`` acts on the recording platform; act i sends to
  ``{state.out_<i-1>.channel_id}`` with content quoting ``{state.out_<i-1>.id}``
  and stores its result with ``output_var = "out_<i>"``. State and run journal
  live in one SQLite file (every act: journal "running", state write, journal
  "done", each its own committed transaction).
* LangGraph: the same step as a node function (read the previous output from the
  graph state, build the same result dict, write it back), persisted by
  ``SqliteSaver`` with ``durability="sync"`` (a checkpoint is committed before
  the next step starts). Two graph shapes, both timed:
    - loop:  one node that runs 1,000 times (conditional edge back to itself);
             the state holds the step counter and the last output (small).
    - chain: 1,000 distinct nodes, each writing its own output key into a
             dict channel (the literal translation of 1,000 named acts).

Both SQLite files use WAL and ``synchronous=NORMAL`` (narrator's setting; the
LangGraph connection is given the same pragma so neither pays for fsync the
other skips). Setup (schema creation, graph compilation, parsing) is outside
the timing. Median of ``--runs`` runs, each on a fresh file.

    .venv/bin/pip install -r benchmarks/requirements-langgraph.txt
    .venv/bin/python benchmarks/langgraph_bench.py [--steps 1000] [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import operator
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypedDict

try:
    from langgraph.checkpoint.sqlite import SqliteSaver
    from langgraph.graph import END, START, StateGraph
except ImportError:  # pragma: no cover - depends on the optional install
    SqliteSaver = None

sys.path.insert(0, str(Path(__file__).resolve().parent))
from engine_bench import machine

GUILD = "7"


# ----------------------------------------------------------------------------- narrator


def narrative(steps: int) -> str:
    parts = [
        '[narrative]\nname = "side_by_side"\n',
        """
[[act]]
name = "s0000"
output_var = "out_0"
[[act.input]]
type = "bot_command"
platform = "discord"
command = "messages.send"
[act.input.args]
channel_id = "100"
content = "step 0"
""",
    ]
    for i in range(1, steps):
        parts.append(
            f"""
[[act]]
name = "s{i:04d}"
output_var = "out_{i}"
[[act.input]]
type = "bot_command"
platform = "discord"
command = "messages.send"
[act.input.args]
channel_id = "{{state.out_{i - 1}.channel_id}}"
content = "step {i} after {{state.out_{i - 1}.id}}"
"""
        )
    return "".join(parts)


def run_narrator(plan: Any, path: Path) -> tuple[float, float]:
    from narrator.executor import Executor, Services
    from narrator.state import open_database
    from narrator.testing import RecordingPlatform, StaticPlatforms

    database = open_database(f"sqlite:///{path}")
    try:
        services = Services(
            state=database.state,
            journal=database.journal,
            platforms=StaticPlatforms([RecordingPlatform(guild_id=GUILD)]),
            env={"GUILD_ID": GUILD},
            unit_of_work=database.unit_of_work,  # as narrator run wires it
        )
        executor = Executor(services)
        t0, c0 = time.perf_counter(), time.process_time()
        with database.hold():  # one connection for the run, as open_runtime takes it
            outcome = asyncio.run(executor.run(plan))
        elapsed = (time.perf_counter() - t0, time.process_time() - c0)
        if outcome.status != "done" or any(a.status != "done" for a in outcome.acts):
            raise SystemExit(f"narrator run failed: {outcome.error}")
    finally:
        database.close()
    return elapsed


# ----------------------------------------------------------------------------- LangGraph


class _Snowflakes:
    """Same shape of id as the recording platform's, so both sides format alike."""

    def __init__(self) -> None:
        self.n = 0

    def next(self) -> str:
        self.n += 1
        return str((int(time.time() * 1000) << 22) | (self.n & 0xFFF))


def _send(prev: dict[str, Any] | None, i: int, ids: _Snowflakes) -> dict[str, Any]:
    """The step's work: read the previous output, produce a message result."""
    if prev is None:
        channel, content = "100", "step 0"
    else:
        channel, content = prev["channel_id"], f"step {i} after {prev['id']}"
    return {"id": ids.next(), "channel_id": channel, "content": content}


class LoopState(TypedDict):
    i: int
    prev: dict[str, Any] | None


def loop_graph(steps: int, saver: Any) -> Any:
    ids = _Snowflakes()

    def step(state: LoopState) -> dict[str, Any]:
        i = state["i"]
        return {"i": i + 1, "prev": _send(state["prev"], i, ids)}

    graph = StateGraph(LoopState)
    graph.add_node("step", step)
    graph.add_edge(START, "step")
    graph.add_conditional_edges("step", lambda s: "step" if s["i"] < steps else END)
    return graph.compile(checkpointer=saver), {"i": 0, "prev": None}


class ChainState(TypedDict):
    outputs: Annotated[dict[str, Any], operator.or_]


def chain_graph(steps: int, saver: Any) -> Any:
    ids = _Snowflakes()

    def node(i: int) -> Callable[[ChainState], dict[str, Any]]:
        def run(state: ChainState) -> dict[str, Any]:
            prev = state["outputs"].get(f"out_{i - 1}") if i else None
            return {"outputs": {f"out_{i}": _send(prev, i, ids)}}

        return run

    graph = StateGraph(ChainState)
    for i in range(steps):
        graph.add_node(f"s{i:04d}", node(i))
        graph.add_edge(START if i == 0 else f"s{i - 1:04d}", f"s{i:04d}")
    graph.add_edge(f"s{steps - 1:04d}", END)
    return graph.compile(checkpointer=saver), {"outputs": {}}


def run_langgraph(build: Callable[[int, Any], Any], steps: int, path: Path) -> tuple[float, float]:
    conn = sqlite3.connect(path, check_same_thread=False)
    try:
        conn.execute("PRAGMA synchronous = NORMAL")
        saver = SqliteSaver(conn)
        saver.setup()  # schema, outside the timing
        app, initial = build(steps, saver)
        config = {"configurable": {"thread_id": "bench"}, "recursion_limit": steps + 10}
        t0, c0 = time.perf_counter(), time.process_time()
        final = app.invoke(initial, config, durability="sync")
        elapsed = (time.perf_counter() - t0, time.process_time() - c0)
        done = final.get("i") if "i" in final else len(final["outputs"])
        if done != steps:
            raise SystemExit(f"LangGraph stopped after {done} of {steps} steps")
        rows = conn.execute("SELECT count(*) FROM checkpoints").fetchone()[0]
        if rows < steps:
            raise SystemExit(f"LangGraph persisted only {rows} checkpoints for {steps} steps")
    finally:
        conn.close()
    return elapsed


# ----------------------------------------------------------------------------- main


Timed = Callable[[Path], tuple[float, float]]


def interleaved(runs: int, contenders: dict[str, Timed]) -> dict[str, list[tuple[float, float]]]:
    """One warm-up each, then ``runs`` rounds; every round runs each contender once,
    so load from other processes on the machine falls on all of them alike."""
    times: dict[str, list[tuple[float, float]]] = {label: [] for label in contenders}
    with tempfile.TemporaryDirectory(prefix="narrator-vs-langgraph-") as tmp:
        for label, fn in contenders.items():
            fn(Path(tmp) / f"warmup-{len(label)}-{id(fn)}.db")
        for n in range(runs):
            for k, (label, fn) in enumerate(contenders.items()):
                times[label].append(fn(Path(tmp) / f"run-{n}-{k}.db"))
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    if SqliteSaver is None:
        print(
            "LangGraph is not installed; this comparison needs it:\n"
            "    .venv/bin/pip install -r benchmarks/requirements-langgraph.txt\n"
            "skipping."
        )
        return 0
    from importlib.metadata import version

    from narrator.parser import parse

    print(f"machine: {machine()}")
    print(
        f"langgraph {version('langgraph')}, "
        f"langgraph-checkpoint-sqlite {version('langgraph-checkpoint-sqlite')}, "
        f"{args.steps} steps, median of {args.runs}"
    )
    plan = parse(narrative(args.steps), "side_by_side.toml")
    contenders: dict[str, Timed] = {
        "narrator (SQLite)": lambda p: run_narrator(plan, p),
        "LangGraph loop (SQLite)": lambda p: run_langgraph(loop_graph, args.steps, p),
        "LangGraph chain (SQLite)": lambda p: run_langgraph(chain_graph, args.steps, p),
    }
    wall: dict[str, float] = {}
    cpu: dict[str, float] = {}
    for label, times in interleaved(args.runs, contenders).items():
        wall[label] = statistics.median(t for t, _ in times)
        cpu[label] = statistics.median(c for _, c in times)
        spread = ", ".join(f"{t:.2f}" for t, _ in times)
        print(
            f"{label:<26} wall {wall[label] / args.steps * 1000:7.3f} ms/step"
            f"  cpu {cpu[label] / args.steps * 1000:7.3f} ms/step"
            f"   (wall runs, s: {spread})"
        )
    ours = "narrator (SQLite)"
    for label in contenders:
        if label != ours:
            print(
                f"{label} / narrator: wall {wall[label] / wall[ours]:.2f}x,"
                f" cpu {cpu[label] / cpu[ours]:.2f}x"
            )
    best = min((v, k) for k, v in wall.items() if k != ours)
    print(
        f"against the faster LangGraph shape ({best[1]}):"
        f" {best[0] / wall[ours]:.2f}x less time per step (target >= 3x)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
