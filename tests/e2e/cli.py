"""Run the real ``narrator`` command in a separate process, as a user would."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

RECORDING_CONFIG = """
[platforms.discord]
factory = "narrator.testing:RecordingPlatform"
"""


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def frozen_at(instant: str, command: list[str]) -> tuple[list[str], dict[str, str]]:
    """``command`` and the environment that freezes its wall clock at ``instant``.

    Debian's libfaketime (package ``faketime``) preloaded as ``faketime -f`` does,
    but without its wrapper process, so a signal reaches narrator itself (a
    worker's SIGTERM). It freezes ``time.time()`` and ``datetime.now()`` of the
    whole process (narrator has no test switch of its own); the monotonic clock
    stays real (``FAKETIME_DONT_FAKE_MONOTONIC``), so asyncio, timeouts and the
    lease renewer keep running.
    """
    if shutil.which("faketime") is None:
        pytest.fail("faketime is missing: apt-get install faketime (Debian's libfaketime)")
    when = datetime.fromisoformat(instant.replace("Z", "+00:00")).astimezone(UTC)
    env = {
        "LD_PRELOAD": "/usr/$LIB/faketime/libfaketime.so.1",  # what faketime(1) sets
        "FAKETIME": when.strftime("%Y-%m-%d %H:%M:%S.%f"),  # absolute: frozen
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
        "TZ": "UTC",
    }
    return command, env


class Cli:
    """``narrator`` in a working directory of its own (so narrator.db lands there)."""

    def __init__(self, cwd: Path, env: dict[str, str] | None = None) -> None:
        self.cwd = cwd
        self.env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("NARRATOR_") and k not in {"DISCORD_TOKEN", "OPENAI_API_KEY"}
        }
        self.env.update(env or {})

    def write(self, name: str, text: str) -> Path:
        path = self.cwd / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def __call__(
        self,
        *args: str,
        env: dict[str, str] | None = None,
        timeout: float = 120,
        at: str | None = None,
    ) -> Result:
        """Run ``narrator ARGS``; with ``at`` (an ISO 8601 instant) on a frozen wall clock."""
        command = [sys.executable, "-m", "narrator", *args]
        extra: dict[str, str] = {}
        if at is not None:
            command, extra = frozen_at(at, command)
        proc = subprocess.run(
            command,
            cwd=self.cwd,
            env={**self.env, **(env or {}), **extra},
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)
