"""Fuzz the parser and ``narrator validate`` with mutated valid narratives (issue 10).

Valid narratives of both dialects are mutated (byte and character flips,
truncation, swapped and renamed keys, deep nesting of arrays, tables and jinja,
injected templates, secrets and size) and each result must give a Plan or a
NarrativeInvalid whose problems are all located (LINE >= 1, COL >= 1): no other
exception, no hang (a per-case timeout).

    python benchmarks/fuzz.py [--cases 10000] [--cli-cases 200] [--seed 10] [--timeout 5]

prints the counts, and exits 1 if any case raised something else or hung.
``tests/parser/test_parser_properties.py`` and ``tests/e2e/test_fuzz_cli.py``
run the same mutations with small counts.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NATIVE = """[narrative]
name = "fuzz_welcome"
description = "Set up #welcome and pin a generated greeting"
guild_id = "${GUILD_ID}"

[carousel]
iterations = 3
estimated_tokens_per_iteration = 500
continue_on_error = false

[[act]]
name = "setup_channel"
output_var = "welcome_channel"
skip_if = "{state.discord.${GUILD_ID}.channel.welcome}"
[[act.input]]
type = "bot_command"
platform = "discord"
command = "channels.ensure"
[act.input.args]
name = "welcome"
topic = "Say hi"
position = 1

[[act]]
name = "draft"
model = "default"
temperature = 0.8
max_tokens = 300
[[act.input]]
type = "text"
content = \"\"\"Write a two-line welcome for {state.server_name}.
Iteration {carousel.iteration}; {{ act.setup_channel.output.name | upper }}.\"\"\"

[[act]]
name = "publish"
output_var = "welcome_message"
skip_if = "state.count >= 3"
[[act.input]]
type = "bot_command"
platform = "discord"
command = "messages.ensure"
[act.input.args]
channel_id = "{state.welcome_channel.id}"
content = "{act.draft.output}"
pin = true
mentions = ["users"]
"""

BOTTICELLI = """[narrative]
name = "fuzz_botticelli"
description = "Botticelli dialect"

[narrative.carousel]
iterations = 2

[toc]
order = ["intro", "ask", "post"]

[acts]
intro = "Introduce ${env:TOPIC} in one line."
ask = ["Ask a question about it.", "Keep it short."]

[acts.post]
model = "default"
[[acts.post.input]]
type = "text"
content = "Summarise {{intro}} and ${ask.text} with ${state:last_id}"
[[acts.post.input]]
type = "bot_command"
platform = "discord"
command = "messages.send"
[acts.post.input.args]
channel_id = "${state:channel_id}"
content = "{{ ask }}"
"""

SEEDS = {"native": NATIVE, "botticelli": BOTTICELLI}
KEYS = [
    "name", "description", "type", "content", "command", "platform", "output_var", "skip_if",
    "model", "temperature", "max_tokens", "context", "order", "iterations", "args", "input",
    "act", "acts", "toc", "channel_id", "guild_id", "schema", "mentions", "pin", "narrative",
]  # fmt: skip
SNIPPETS = [
    "{{", "}}", "{%", "%}", "{#", "${", "}", "{state.", "{act.", "<state.", ">", "[[act]]\n",
    "[toc]\n", "[acts]\n", '"', "'", '"""', "\\", "\n", "=", "[", "]", "{", ",", "#", "\x00",
    "\ud800", "\u202e", "{{ 9**(9**9) }}", "${DISCORD_TOKEN}", "{{ env.OPENAI_API_KEY }}",
    "{% for i in range(99999999) %}", "{{ 'x' * 999999999 }}", "{act.nobody.output}",
    "1979-05-27T07:32:00Z", "nan", "inf", "-0", "0x7f", "1e999", "true",
]  # fmt: skip


def _char_flip(rng: random.Random, text: str) -> str:
    if not text:
        return text
    i = rng.randrange(len(text))
    pool = rng.choice(["ascii", "ascii", "snippet", "unicode"])
    if pool == "ascii":
        new = chr(rng.randrange(0, 128))
    elif pool == "snippet":
        new = rng.choice(SNIPPETS)
    else:
        new = chr(rng.choice([rng.randrange(0x80, 0x800), rng.randrange(0x800, 0xD800)]))
    return text[:i] + new + text[i + 1 :]


def _truncate(rng: random.Random, text: str) -> str:
    return text[: rng.randrange(len(text) + 1)]


def _delete_span(rng: random.Random, text: str) -> str:
    if not text:
        return text
    i = rng.randrange(len(text))
    return text[:i] + text[i + rng.randrange(1, 40) :]


def _duplicate_lines(rng: random.Random, text: str) -> str:
    lines = text.split("\n")
    i = rng.randrange(len(lines))
    j = min(len(lines), i + rng.randrange(1, 8))
    return "\n".join(lines[:j] + lines[i:j] + lines[j:])


def _swap_lines(rng: random.Random, text: str) -> str:
    lines = text.split("\n")
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    lines[i], lines[j] = lines[j], lines[i]
    return "\n".join(lines)


_KEY = re.compile(r"^(\s*)([A-Za-z_][\w.]*)(\s*=)", re.MULTILINE)


def _key_swap(rng: random.Random, text: str) -> str:
    matches = list(_KEY.finditer(text))
    if not matches:
        return text
    m = rng.choice(matches)
    if rng.random() < 0.5 and len(matches) > 1:
        other = rng.choice(matches).group(2)
    else:
        other = rng.choice(KEYS)
        if rng.random() < 0.3:
            other = other[:-1] or other  # a typo
    return text[: m.start(2)] + other + text[m.end(2) :]


_VALUE = re.compile(r"=\s*(.+)$", re.MULTILINE)


def _deep_nesting(rng: random.Random, text: str) -> str:
    depth = rng.choice([40, 65, 100, 300, 1_000, 10_000, 100_000])
    kind = rng.choice(["array", "table", "jinja", "header", "block"])
    if kind == "array":
        value = "[" * depth + "1" + "]" * depth
    elif kind == "table":
        value = "{a = " * depth + "1" + "}" * depth
    elif kind == "jinja":
        value = '"{{ ' + "(" * depth + "1" + ")" * depth + ' }}"'
    elif kind == "block":
        value = (
            '"' + "{% if 1 %}" * min(depth, 2_000) + "x" + "{% endif %}" * min(depth, 2_000) + '"'
        )
    else:
        header = "[" + ".".join(["t"] * min(depth, 20_000)) + "]\nx = 1\n"
        return text + "\n" + header
    matches = list(_VALUE.finditer(text))
    if not matches or rng.random() < 0.2:
        return text + f"\ndeep = {value}\n"
    m = rng.choice(matches)
    return text[: m.start(1)] + value + text[m.end(1) :]


def _inject(rng: random.Random, text: str) -> str:
    i = rng.randrange(len(text) + 1)
    return text[:i] + rng.choice(SNIPPETS) + text[i:]


MUTATIONS: dict[str, Callable[[random.Random, str], str]] = {
    "char_flip": _char_flip,
    "truncate": _truncate,
    "delete_span": _delete_span,
    "duplicate_lines": _duplicate_lines,
    "swap_lines": _swap_lines,
    "key_swap": _key_swap,
    "deep_nesting": _deep_nesting,
    "inject": _inject,
}


def mutate(rng: random.Random, text: str) -> tuple[str, list[str]]:
    """Apply 1–4 random mutations; returns the text and their names."""
    names = [rng.choice(list(MUTATIONS)) for _ in range(rng.choice([1, 1, 1, 2, 2, 3, 4]))]
    for name in names:
        text = MUTATIONS[name](rng, text)
    return text, names


def mutate_bytes(rng: random.Random, text: str) -> bytes:
    """A mutated narrative as bytes, sometimes with raw byte flips (invalid UTF-8)."""
    mutated, _ = mutate(rng, text)
    data = bytearray(mutated.encode("utf-8", errors="surrogatepass"))
    for _ in range(rng.choice([0, 0, 1, 3])):
        if data:
            data[rng.randrange(len(data))] = rng.randrange(256)
    return bytes(data)


@dataclass
class Outcome:
    kind: str  # "plan", "located", "unlocated", "exception", "hang"
    detail: str = ""


class _Timeout(BaseException):
    pass


def _alarm(_signum: int, _frame: object) -> None:
    raise _Timeout


def parse_case(text: str, timeout: float = 5.0) -> Outcome:
    """Parse ``text`` in process and classify the result (SIGALRM bounds the time)."""
    from narrator.errors import NarrativeInvalid
    from narrator.parser import parse

    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        parse(text, "fuzz.toml")
    except _Timeout:
        return Outcome("hang")
    except NarrativeInvalid as exc:
        bad = [p for p in exc.problems if p.location.line < 1 or p.location.col < 1]
        if not exc.problems or bad or any(p.location.path != "fuzz.toml" for p in exc.problems):
            return Outcome("unlocated", str(exc)[:300])
        return Outcome("located")
    except BaseException as exc:  # the point: anything else is a failure to report
        return Outcome("exception", f"{type(exc).__name__}: {str(exc)[:200]}")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    return Outcome("plan")


_PROBLEM_LINE = re.compile(r"^.+:\d+:\d+: \S")


def validate_case(data: bytes, workdir: Path, timeout: float = 30.0) -> Outcome:
    """Run ``narrator validate`` on ``data`` in its own process and classify the result."""
    path = workdir / "fuzz.toml"
    path.write_bytes(data)
    env = {k: v for k, v in os.environ.items() if not k.startswith("NARRATOR_")}
    env["PYTHONPATH"] = str(ROOT)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "narrator", "validate", "fuzz.toml"],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return Outcome("hang")
    if proc.returncode == 0:
        return Outcome("plan")
    lines = proc.stdout.strip().splitlines()
    if (
        proc.returncode == 2
        and "Traceback" not in proc.stderr
        and lines
        and all(_PROBLEM_LINE.match(line) and line.startswith("fuzz.toml:") for line in lines)
    ):
        return Outcome("located")
    return Outcome("exception", f"exit {proc.returncode}: {(proc.stderr or proc.stdout)[-300:]}")


def run_in_process(cases: int, seed: int, timeout: float) -> tuple[Counter[str], list[str]]:
    rng = random.Random(seed)
    counts: Counter[str] = Counter()
    failures: list[str] = []
    seeds = list(SEEDS.items())
    for i in range(cases):
        dialect, text = seeds[i % len(seeds)]
        mutated, names = mutate(rng, text)
        outcome = parse_case(mutated, timeout)
        counts[outcome.kind] += 1
        counts[f"{dialect}:{outcome.kind}"] += 1
        if outcome.kind in ("exception", "unlocated", "hang"):
            failures.append(
                f"case {i} ({dialect}, {'+'.join(names)}): {outcome.kind} {outcome.detail}"
            )
    return counts, failures


def run_cli(cases: int, seed: int, timeout: float) -> tuple[Counter[str], list[str]]:
    rng = random.Random(seed + 1)
    counts: Counter[str] = Counter()
    failures: list[str] = []
    seeds = list(SEEDS.items())
    with tempfile.TemporaryDirectory(prefix="narrator-fuzz-") as tmp:
        for i in range(cases):
            dialect, text = seeds[i % len(seeds)]
            outcome = validate_case(mutate_bytes(rng, text), Path(tmp), timeout)
            counts[outcome.kind] += 1
            if outcome.kind in ("exception", "hang"):
                failures.append(f"cli case {i} ({dialect}): {outcome.kind} {outcome.detail}")
    return counts, failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--cli-cases", type=int, default=200)
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds per in-process case")
    args = parser.parse_args()

    start = time.perf_counter()
    counts, failures = run_in_process(args.cases, args.seed, args.timeout)
    took = time.perf_counter() - start
    print(
        f"in process: {args.cases} cases in {took:.1f} s — plan {counts['plan']}, "
        f"located problems {counts['located']}, unlocated {counts['unlocated']}, "
        f"other exceptions {counts['exception']}, hangs {counts['hang']}"
    )
    for dialect in SEEDS:
        print(
            f"  {dialect}: plan {counts[f'{dialect}:plan']}, located {counts[f'{dialect}:located']}"
        )
    start = time.perf_counter()
    cli_counts, cli_failures = run_cli(args.cli_cases, args.seed, 60.0)
    took = time.perf_counter() - start
    print(
        f"narrator validate: {args.cli_cases} processes in {took:.1f} s — exit 0 "
        f"{cli_counts['plan']}, located problems (exit 2) {cli_counts['located']}, "
        f"other {cli_counts['exception']}, hangs {cli_counts['hang']}"
    )
    for line in (failures + cli_failures)[:20]:
        print("  " + line)
    return 1 if failures or cli_failures else 0


if __name__ == "__main__":
    sys.exit(main())
