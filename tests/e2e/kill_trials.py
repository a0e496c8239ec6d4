"""Seeded ``kill -9`` trials through the real CLI against an emulator process.

Shared by ``benchmarks/reliability.py`` (full counts, figures) and
``tests/e2e/test_kill_trials_cli.py`` (a bounded version). One trial:

1. a fresh working directory (its own ``narrator.db``) and a fresh channel;
2. ``narrator run FILE`` as a separate process, killed with SIGKILL once the
   emulator has stored a seeded number of its messages, plus a seeded delay of
   0-100 ms. The emulator answers a message POST 40 ms after storing the
   message (``PUT /_emulator/latency``, a slow network), so kills land before
   a send, after Discord stored it and before narrator heard of it, and
   around the state commit;
3. optionally the emulator forgets every nonce (``DELETE /_emulator/nonces``),
   as Discord does after a few minutes;
4. one recovery: ``narrator resume --latest FILE`` (sends, carousels, takes, nested), or
   ``narrator run FILE`` again (``messages.ensure``), then for ensure one more
   run that must write nothing;
5. the channel is compared with what the narrative declares: duplicates and
   missing messages are counted. For ``take`` (a posting carousel that claims one
   approved content row per iteration, posts it and marks it ``posted``), every row
   of the table must also end ``posted`` with its message's id. ``nested`` is one act
   that runs a nested narrative of sends, so the kill lands inside it.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.e2e.cli import Cli
from tests.e2e.emulator import GUILD, TOKEN, EmulatorProcess

# --------------------------------------------------------------------------- narratives


def send_narrative(sends: int) -> tuple[str, list[str]]:
    acts = "".join(
        f"""
[[act]]
name = "post_{n:02d}"
[[act.input]]
type = "bot_command"
platform = "discord"
command = "messages.send"
[act.input.args]
channel_id = "${{CHANNEL_ID}}"
content = "Message {n} of {sends}"
"""
        for n in range(1, sends + 1)
    )
    text = f'[narrative]\nname = "kill_sends"\n{acts}'
    return text, [f"Message {n} of {sends}" for n in range(1, sends + 1)]


def carousel_narrative(iterations: int) -> tuple[str, list[str]]:
    text = f"""
[narrative]
name = "kill_carousel"

[carousel]
iterations = {iterations}

[[act]]
name = "post"
[[act.input]]
type = "bot_command"
platform = "discord"
command = "messages.send"
[act.input.args]
channel_id = "${{CHANNEL_ID}}"
content = "Carousel post {{carousel.iteration}} of {iterations}"
"""
    return text, [f"Carousel post {n} of {iterations}" for n in range(1, iterations + 1)]


def ensure_narrative(keys: int) -> tuple[str, list[str]]:
    acts = "".join(
        f"""
[[act]]
name = "rule_{n}"
[[act.input]]
type = "bot_command"
platform = "discord"
command = "messages.ensure"
[act.input.args]
channel_id = "${{CHANNEL_ID}}"
key = "rule_{n}"
content = "Rule {n}: be kind to one another."
pin = true
"""
        for n in range(1, keys + 1)
    )
    text = f'[narrative]\nname = "kill_ensure"\n{acts}'
    return text, [f"Rule {n}: be kind to one another." for n in range(1, keys + 1)]


def posting_acts(where: str | None = "status = 'approved'") -> str:
    """Take one row of ``queue`` (matching ``where``), post its ``text`` to ``${CHANNEL_ID}``,
    mark it ``posted`` with the message's id: the acts of a posting carousel."""
    condition = f'where = "{where}"\n' if where else ""
    return f"""
[[act]]
name = "pick"
[[act.input]]
type = "table"
table = "queue"
{condition}order_by = "id"
take = 1

[[act]]
name = "send"
skip_if = "not pick"
[[act.input]]
type = "bot_command"
platform = "discord"
command = "messages.send"
[act.input.args]
channel_id = "${{CHANNEL_ID}}"
content = "{{act.pick.output.0.text}}"

[[act]]
name = "mark"
skip_if = "not pick"
[[act.input]]
type = "bot_command"
platform = "content"
command = "content.update"
[act.input.args]
table = "queue"
where = "id = {{act.pick.output.0.id}}"
status = "posted"
message_id = "{{act.send.output.id}}"
"""


def take_narrative(rows: int) -> tuple[str, list[str]]:
    head = (
        f'[narrative]\nname = "kill_take"\n\n[carousel]\niterations = {rows}\nuntil = "not pick"\n'
    )
    return head + posting_acts(), queued_texts(rows)


def queued_texts(rows: int) -> list[str]:
    return [f"Queued post {n} of {rows}" for n in range(1, rows + 1)]


def take_seed(rows: int) -> str:
    """The narrative that fills the ``queue`` table the take narrative posts from."""
    items = ", ".join(f'{{ text = "{text}" }}' for text in queued_texts(rows))
    return f"""
[narrative]
name = "kill_take_seed"

[[act]]
name = "fill"
[[act.input]]
type = "bot_command"
platform = "content"
command = "content.insert"
[act.input.args]
table = "queue"
status = "approved"
items = [{items}]
"""


def nested_narrative(sends: int) -> tuple[str, list[str]]:
    """An act that runs ``inner.toml`` (:func:`nested_inner`): a kill lands inside it."""
    text = '[narrative]\nname = "kill_nested"\n\n[[act]]\nname = "outer"\nnarrative = "inner"\n'
    return text, [f"Nested message {n} of {sends}" for n in range(1, sends + 1)]


def nested_inner(sends: int) -> str:
    text, _ = send_narrative(sends)
    return text.replace('"kill_sends"', '"inner"').replace("Message ", "Nested message ")


KINDS = {
    "send": send_narrative,
    "carousel": carousel_narrative,
    "ensure": ensure_narrative,
    "take": take_narrative,
    "nested": nested_narrative,
}
SEEDS = {"take": take_seed}  # a narrative run before the trial
COMPANIONS = {"nested": {"inner.toml": nested_inner}}  # files beside the narrative


# --------------------------------------------------------------------------- one trial


@dataclass
class Trial:
    kind: str
    index: int
    forgot_nonces: bool
    target: int = 0  # kill once the emulator saw this many messages
    killed: bool = False  # the run was still going when SIGKILL came
    status: str = ""  # the killed run's status as `runs list` shows it (none: not journalled)
    in_window: bool = False  # Discord had a message narrator had not journalled done
    sent_before_kill: int = 0
    duplicates: int = 0
    missing: int = 0
    recovery_code: int = 0
    converged_writes: int = 0  # ensure: writes of the run after the recovery
    problems: list[str] = field(default_factory=list)


def _messages(emulator: EmulatorProcess, channel: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = emulator.discord("GET", f"/channels/{channel}/messages?limit=100")
    return sorted(found, key=lambda m: int(m["id"]))


def _posts(emulator: EmulatorProcess, channel: str) -> int:
    path = f"/channels/{channel}/messages"
    return sum(
        1
        for e in emulator.log()
        if e["method"] == "POST" and e["path"] == path and e["status"] == 200
    )


def _last_run(cli: Cli, narrative: str) -> tuple[str, int]:
    """The newest run of ``narrative``: its status and how many of its posting acts are
    journalled done (the seed narrative's run does not count)."""
    runs = json.loads(cli("runs", "list", "--json").out or "[]")
    runs = [r for r in runs if r["narrative"] == narrative]
    if not runs:
        return "none", 0
    shown = json.loads(cli("runs", "show", runs[0]["run_id"], "--json").out)
    # the acts that post: a take carousel's pick and mark acts send nothing
    posted = [a for a in shown.get("acts", []) if a["name"] not in ("pick", "mark")]
    return runs[0]["status"], sum(1 for a in posted if a["status"] == "done")


LATENCY = {"POST /channels/*/messages": 0.04, "PUT /channels/*/messages/pins/*": 0.02}


def run_trial(
    emulator: EmulatorProcess,
    kind: str,
    size: int,
    index: int,
    rng: random.Random,
    *,
    forget_nonces: bool,
    workdir: Path,
) -> Trial:
    trial = Trial(kind, index, forget_nonces)
    cli = Cli(workdir)
    cli.write(
        "narrator.toml", f'[discord]\napi_base = "{emulator.api_base}"\nguild_id = "{GUILD}"\n'
    )
    cli.env["DISCORD_TOKEN"] = TOKEN
    text, expected = KINDS[kind](size)
    cli.write("narrative.toml", text)
    for name, companion in COMPANIONS.get(kind, {}).items():
        cli.write(name, companion(size))
    if kind in SEEDS:
        cli.write("seed.toml", SEEDS[kind](size))
        seeded = cli("run", "seed.toml")
        assert seeded.code == 0, seeded.out + seeded.err
    channel = emulator.discord(
        "POST", f"/guilds/{GUILD}/channels", {"name": f"{kind}-{index}", "type": 0}
    )["id"]
    var = f"CHANNEL_ID={channel}"
    emulator.clear_log()

    trial.target = rng.randrange(len(expected))
    delay = rng.uniform(0, 0.1)
    proc = subprocess.Popen(
        [sys.executable, "-m", "narrator", "run", "narrative.toml", "--var", var],
        cwd=workdir,
        env=cli.env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        if _posts(emulator, channel) >= trial.target:
            time.sleep(delay)
            break
        time.sleep(0.003)
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)

    trial.sent_before_kill = len(_messages(emulator, channel))
    status, done = _last_run(cli, tomllib.loads(text)["narrative"]["name"])
    trial.status = status
    trial.killed = status != "done"  # else the run had finished when the signal came
    trial.in_window = trial.killed and trial.sent_before_kill > done
    if forget_nonces:
        emulator._call("DELETE", emulator.base + "/_emulator/nonces")

    if kind == "ensure" or status == "none":  # killed before its run row: nothing to resume
        recovery = cli("run", "narrative.toml", "--var", var)
    elif trial.killed:
        recovery = cli("resume", "--latest", "narrative.toml")
    else:
        recovery = cli("runs", "list")  # nothing to resume
    trial.recovery_code = recovery.code
    if recovery.code != 0:
        trial.problems.append(
            f"recovery exit {recovery.code}: {(recovery.out + recovery.err)[-300:]}"
        )

    if kind == "ensure":
        emulator.clear_log()
        again = cli("run", "narrative.toml", "--var", var)
        if again.code != 0:
            trial.problems.append(f"converged re-run exit {again.code}")
        trial.converged_writes = len(emulator.writes())

    found = _messages(emulator, channel)
    counts = Counter(m["content"] for m in found)
    trial.duplicates = sum(max(0, counts[c] - 1) for c in expected)
    trial.missing = sum(1 for c in expected if counts[c] == 0)
    extra = sum(n for c, n in counts.items() if c not in expected)
    if extra:
        trial.problems.append(f"{extra} unexpected message(s)")
    in_order = [m["content"] for m in found] == expected
    if kind != "ensure" and not in_order and not trial.duplicates and not trial.missing:
        trial.problems.append("messages out of order")
    if kind == "ensure":
        unpinned = sum(1 for m in found if not m.get("pinned"))
        if unpinned:
            trial.problems.append(f"{unpinned} message(s) not pinned")
    if kind == "take":
        trial.problems += _unposted_rows(cli, found)
    return trial


def _unposted_rows(cli: Cli, found: list[dict[str, Any]]) -> list[str]:
    """Rows of ``queue`` that did not end ``posted`` with the id of the message of their text."""
    listed = cli("content", "list", "queue", "--json")
    if listed.code != 0:
        return [f"content list exit {listed.code}: {listed.err[-200:]}"]
    message_ids = {m["content"]: m["id"] for m in found}
    return [
        f"row {row['id']} ({row['fields']['text']!r}) ended {row['status']!r} "
        f"with message {row.get('message_id')!r}"
        for row in json.loads(listed.out)
        if row["status"] != "posted"
        or row.get("message_id") != message_ids.get(row["fields"]["text"])
    ]


# --------------------------------------------------------------------------- many trials


@dataclass
class Figures:
    kind: str
    trials: int = 0
    killed: int = 0
    in_window: int = 0
    before_journal: int = 0  # killed before the run row existed: recovered by a new run
    forgot_nonces: int = 0
    duplicates: int = 0
    missing: int = 0
    not_converged: int = 0
    problems: list[str] = field(default_factory=list)

    def add(self, t: Trial) -> None:
        self.trials += 1
        self.killed += t.killed
        self.in_window += t.in_window
        self.before_journal += t.status == "none"
        self.forgot_nonces += t.forgot_nonces
        self.duplicates += t.duplicates
        self.missing += t.missing
        self.not_converged += t.converged_writes > 0
        self.problems += [f"{t.kind} #{t.index}: {p}" for p in t.problems]

    def line(self) -> str:
        text = (
            f"{self.kind:9s} trials {self.trials:3d}  killed mid-run {self.killed:3d}  "
            f"kills after Discord had the message {self.in_window:3d}  "
            f"before the run row {self.before_journal:2d}  "
            f"nonces forgotten {self.forgot_nonces:3d}  "
            f"duplicates {self.duplicates}  missing {self.missing}"
        )
        if self.kind == "ensure":
            text += f"  re-runs that wrote {self.not_converged}"
        return text


def run_trials(
    emulator: EmulatorProcess,
    kind: str,
    count: int,
    size: int,
    *,
    seed: int,
    forget: str = "alternate",
    root: Path,
) -> Figures:
    """``count`` trials of ``kind``; ``forget``: always, never or alternate (odd trials)."""
    rng = random.Random(f"{seed}:{kind}")
    figures = Figures(kind)
    emulator._call("PUT", emulator.base + "/_emulator/latency", LATENCY)
    for index in range(count):
        forget_now = forget == "always" or (forget == "alternate" and index % 2 == 1)
        workdir = root / f"{kind}-{index}"
        workdir.mkdir(parents=True)
        trial = run_trial(
            emulator, kind, size, index, rng, forget_nonces=forget_now, workdir=workdir
        )
        figures.add(trial)
    return figures
