"""A Discord REST emulator in its own process, for CLI tests of the real (non-sandbox) path.

``python -m narrator.platforms.emulator --port 0`` on 127.0.0.1 with a fresh
sandbox guild; narrator.toml points ``[discord] api_base`` at it. Tests read
its request log and world, inject faults and edit the guild out of band over
HTTP, as an outside acceptance suite would.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from narrator.config import SANDBOX_GUILD_ID
from tests.e2e.cli import Cli

ROOT = Path(__file__).resolve().parents[2]
GUILD = SANDBOX_GUILD_ID  # the emulator's fresh world holds this one guild
TOKEN = "emulator-token"  # the emulator accepts any non-empty bot token


class EmulatorProcess:
    """A running ``python -m narrator.platforms.emulator`` and its HTTP control endpoints."""

    def __init__(self, proc: subprocess.Popen[str], api_base: str) -> None:
        self.proc = proc
        self.api_base = api_base  # http://127.0.0.1:PORT/api/v10
        self.base = api_base.removesuffix("/api/v10")

    def _call(
        self, method: str, url: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
        if data is not None:
            request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=10) as answer:
            raw = answer.read()
        return json.loads(raw) if raw else None

    # control endpoints (not themselves logged)
    def log(self) -> list[dict[str, Any]]:
        return self._call("GET", self.base + "/_emulator/log")  # type: ignore[no-any-return]

    def clear_log(self) -> None:
        self._call("DELETE", self.base + "/_emulator/log")

    def world(self) -> dict[str, Any]:
        return self._call("GET", self.base + "/_emulator/world")  # type: ignore[no-any-return]

    def inject(self, *faults: dict[str, Any]) -> None:
        self._call("POST", self.base + "/_emulator/faults", list(faults))

    # a direct REST call, as another bot or a human admin would make it
    def discord(self, method: str, path: str, body: Any = None) -> Any:
        return self._call(
            method, self.api_base + path, body, headers={"Authorization": f"Bot {TOKEN}"}
        )

    def writes(self) -> list[tuple[str, str]]:
        return [(e["method"], e["path"]) for e in self.log() if e["method"] != "GET"]


@contextmanager
def emulator_process(*extra: str) -> Iterator[EmulatorProcess]:
    """``python -m narrator.platforms.emulator --port 0`` in its own process; stopped after."""
    with tempfile.TemporaryFile("w+") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "narrator.platforms.emulator", "--port", "0", *extra],
            cwd=ROOT,
            env={k: v for k, v in os.environ.items() if not k.startswith("NARRATOR_")},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
        try:
            assert proc.stdout is not None
            with selectors.DefaultSelector() as selector:
                selector.register(proc.stdout, selectors.EVENT_READ)
                ready = selector.select(timeout=60)
            line = proc.stdout.readline().strip() if ready else ""
            assert line.startswith("http://127.0.0.1:"), f"emulator did not start: {line!r}"
            yield EmulatorProcess(proc, line)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)


@pytest.fixture
def emulator() -> Iterator[EmulatorProcess]:
    """A fresh emulator process on 127.0.0.1 with a random port; stopped (SIGTERM) after."""
    with emulator_process() as process:
        yield process


@pytest.fixture
def discord_cli(cli: Cli, emulator: EmulatorProcess) -> Cli:
    """The real (non-sandbox) CLI: narrator.toml points at the emulator, token in the env."""
    cli.write(
        "narrator.toml",
        f'[discord]\napi_base = "{emulator.api_base}"\nguild_id = "{GUILD}"\n',
    )
    cli.env["DISCORD_TOKEN"] = TOKEN
    return cli
