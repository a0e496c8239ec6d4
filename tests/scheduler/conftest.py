"""Worker processes on one database, against the Discord emulator running in this process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from narrator.platforms.emulator import Emulator, emulator_in_thread, fresh_world
from narrator.state import open_database
from narrator.state.schedules import ScheduleStore
from tests.e2e.cli import frozen_at

GUILD = "100000000000000001"
TOKEN = "scheduler-test-token.abc"

NARRATIVE = """
[narrative]
name = "scheduled_post"

[[act]]
name = "channel"
output_var = "posts_channel"
skip_if = "{state.posts_channel}"
[[act.input]]
type = "bot_command"
platform = "discord"
command = "channels.ensure"
[act.input.args]
name = "posts"

[[act]]
name = "post"
[[act.input]]
type = "bot_command"
platform = "discord"
command = "messages.send"
[act.input.args]
channel_id = "{state.posts_channel.id}"
content = "slot ${NARRATOR_SLOT}"
"""


@dataclass
class Deployment:
    """A config pointing Discord at the emulator, a database URL, and worker processes."""

    root: Path
    url: str
    emu: Emulator
    procs: list[subprocess.Popen[str]] = field(default_factory=list)
    names: list[str] = field(default_factory=list)

    def env(self, now: str | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("NARRATOR_")}
        env["DISCORD_TOKEN"] = TOKEN
        if now is not None:
            env.update(frozen_at(now, [])[1])
        return env

    def args(self, *rest: str, now: str | None = None) -> list[str]:
        """``narrator ARGS``; with ``now`` under libfaketime, the wall clock frozen then."""
        config = str(self.root / "narrator.toml")
        args = [sys.executable, "-m", "narrator", "--config", config, "--database", self.url, *rest]
        return args if now is None else frozen_at(now, args)[0]

    def narrator(self, *rest: str, now: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.args(*rest, now=now),
            cwd=self.root,
            env=self.env(now),
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )

    def add(self, *rest: str, now: str | None = None) -> str:
        name = f"sched-{uuid.uuid4().hex[:8]}"
        result = self.narrator("schedule", "add", "post.toml", "--name", name, *rest, now=now)
        assert result.returncode == 0, result.stderr
        self.names.append(name)
        return name

    def start_worker(self, *rest: str, now: str | None = None) -> subprocess.Popen[str]:
        log = open(self.root / f"worker{len(self.procs)}.log", "w")  # noqa: SIM115
        proc = subprocess.Popen(
            self.args("worker", *rest, now=now),
            cwd=self.root,
            env=self.env(now),
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        self.procs.append(proc)
        return proc

    def store(self) -> ScheduleStore:
        return ScheduleStore(open_database(self.url).gateway)

    def messages(self) -> list[dict[str, Any]]:
        return [m for per in self.emu.world.messages.values() for m in per.values()]

    def logs(self) -> str:
        return "\n".join(p.read_text() for p in sorted(self.root.glob("worker*.log")))


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 150.0) -> None:
    """Poll until ``condition`` holds; fail (with what was awaited) if it never does."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def deployment(tmp_path: Path, postgres_url: str) -> Iterator[Deployment]:
    # The PostgreSQL database is shared by the session: a guild and a state key of our own.
    guild = str(int(GUILD) + uuid.uuid4().int % 10**9)
    narrative = NARRATIVE.replace("posts_channel", f"posts_{uuid.uuid4().hex[:8]}")
    with emulator_in_thread(Emulator(fresh_world(guild))) as emu:
        (tmp_path / "post.toml").write_text(narrative, encoding="utf-8")
        (tmp_path / "narrator.toml").write_text(
            f'[discord]\ntoken_env = "DISCORD_TOKEN"\nguild_id = "{guild}"\n'
            f'api_base = "{emu.url}"\n',
            encoding="utf-8",
        )
        dep = Deployment(tmp_path, postgres_url, emu)
        try:
            yield dep
        finally:
            for proc in dep.procs:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGKILL)
                    proc.wait(timeout=30)
            store = dep.store()
            for name in dep.names:  # the database is shared by the whole session
                if store.get(name) is not None:
                    store.remove(name)
