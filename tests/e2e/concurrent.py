"""Two ``narrator run`` processes of one Discord setup narrative at once (issue 10).

Shared by ``tests/e2e/test_concurrent_runs_cli.py`` (a few trials) and
``benchmarks/concurrent_runs.py`` (30 on SQLite, 15 on PostgreSQL). A trial
starts both processes together against a Discord REST emulator in its own
process and counts what a duplicate would look like: two channels or two
roles of one name, two pinned copies of one message. The second run must
either wait for the first (``--wait``) or exit 1 saying who holds the lock.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SETUP = (
    """
[narrative]
name = "community_setup"

[[act]]
name = "category"
[[act.input]]
type = "bot_command"
platform = "discord"
command = "categories.ensure"
[act.input.args]
name = "Community"
"""
    + "".join(
        f"""
[[act]]
name = "channel_{name}"
[[act.input]]
type = "bot_command"
platform = "discord"
command = "channels.ensure"
[act.input.args]
name = "{name}"
topic = "The {name} channel"
category = "Community"
"""
        for name in ("welcome", "rules", "general", "random", "help")
    )
    + "".join(
        f"""
[[act]]
name = "role_{name}"
[[act.input]]
type = "bot_command"
platform = "discord"
command = "roles.ensure"
[act.input.args]
name = "{name}"
hoist = true
"""
        for name in ("member", "moderator")
    )
    + """
[[act]]
name = "rules_message"
[[act.input]]
type = "bot_command"
platform = "discord"
command = "messages.ensure"
[act.input.args]
channel_id = "{state.discord.${GUILD_ID}.channel.rules}"
key = "rules"
content = "Be kind. No spam."
pin = true
"""
)


@dataclass
class Trial:
    codes: tuple[int, int]
    errors: tuple[str, str]
    duplicates: dict[str, int]
    waited: bool  # the second printed that it waits for the lock
    refused: bool  # the second exited 1 naming the holder
    seconds: float

    @property
    def clean(self) -> bool:
        """No duplicates, and both succeeded or one exited 1 naming the holder."""
        if any(self.duplicates.values()):
            return False
        if self.codes == (0, 0):
            return True
        return sorted(self.codes) == [0, 1] and self.refused


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return json.loads(answer.read())


def _put(url: str, body: Any) -> None:
    data = json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="PUT")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=10):
        pass


def duplicates(world: dict[str, Any], guild: str) -> dict[str, int]:
    """How many extra channels, roles and pinned messages of one name/content there are."""
    channels = Counter(
        (c.get("type"), c["name"])
        for c in world["channels"].values()
        if str(c.get("guild_id")) == guild
    )
    roles = Counter(r["name"] for r in world["guilds"][guild]["roles"].values())
    pinned = Counter(
        m["content"]
        for per_channel in world["messages"].values()
        for m in per_channel.values()
        if m.get("pinned")
    )
    extra = {
        "channels": sum(n - 1 for n in channels.values()),
        "roles": sum(n - 1 for n in roles.values()),
        "pinned": sum(n - 1 for n in pinned.values()),
    }
    if not any(name == "rules" for _kind, name in channels):
        extra["missing"] = 1  # neither run created the setup: not a clean trial either
    return extra


def write_setup(cwd: Path, api_base: str, guild: str, database: str | None = None) -> None:
    cwd.mkdir(parents=True, exist_ok=True)
    config = f'[discord]\napi_base = "{api_base}"\nguild_id = "{guild}"\n'
    if database is not None:
        config += f'\n[database]\nurl = "{database}"\n'
    (cwd / "narrator.toml").write_text(config, encoding="utf-8")
    (cwd / "setup.toml").write_text(SETUP, encoding="utf-8")


def reset_world(api_base: str, world: dict[str, Any]) -> None:
    _put(api_base.removesuffix("/api/v10") + "/_emulator/world", world)


def trial(cwd: Path, api_base: str, guild: str, env: dict[str, str], *, wait: bool) -> Trial:
    """Start two `narrator run setup.toml` at once (the second with --wait when asked)."""
    argv = [sys.executable, "-m", "narrator", "run", "setup.toml"]
    started = time.perf_counter()
    procs = [
        subprocess.Popen(
            argv + (["--wait", "2m"] if wait else []),
            cwd=cwd,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        for _ in range(2)
    ]
    errors = tuple(p.communicate(timeout=240)[1] for p in procs)
    codes = (procs[0].returncode, procs[1].returncode)
    seconds = time.perf_counter() - started
    world = _get(api_base.removesuffix("/api/v10") + "/_emulator/world")
    return Trial(
        codes=codes,
        errors=(errors[0], errors[1]),
        duplicates=duplicates(world, guild),
        waited=any("waiting" in e and "held by" in e for e in errors),
        refused=any("is being run by pid" in e for e in errors),
        seconds=seconds,
    )


def cli_env(token: str, guild: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("NARRATOR_") and k not in {"DISCORD_TOKEN", "OPENAI_API_KEY"}
    }
    env["DISCORD_TOKEN"] = token
    env["GUILD_ID"] = guild
    return env
