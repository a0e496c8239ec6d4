"""Issue 15's terminal UI in a real terminal: tmux shows the carousel's live bar and the
countdown of its interval; NO_COLOR, TERM=dumb and pipes get no escape sequence at all
(raw bytes read from a pty).

tmux is required, not optional: scripts/test.sh and .ci/run install it, and these tests
fail (never skip) without it, so the terminal check cannot silently vanish from CI.
"""

from __future__ import annotations

import os
import pty
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

TICK = """
[narrative]
name = "tick"

[carousel]
iterations = {iterations}
interval = "1s"

[[act]]
name = "write"
max_tokens = 20
[[act.input]]
type = "text"
content = "Post number {{carousel.iteration}}."
"""


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NARRATOR_")}
    env.pop("NO_COLOR", None)
    env.update(extra)
    return env


def _tmux() -> str:
    found = shutil.which("tmux")
    assert found, "tmux is missing: apt-get install tmux (scripts/test.sh installs it)"
    return found


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A private tmux server (its own socket) with a 100x24 window, killed afterwards."""
    binary, socket = _tmux(), f"narrator-test-{os.getpid()}-{time.monotonic_ns()}"
    (tmp_path / "tick.toml").write_text(TICK.format(iterations=3), encoding="utf-8")
    yield binary, socket
    subprocess.run([binary, "-L", socket, "kill-server"], capture_output=True, check=False)


def _start(tmux: tuple[str, str], cwd: Path, env_prefix: str) -> None:
    binary, socket = tmux
    command = (
        f"{env_prefix} {sys.executable} -m narrator run --sandbox tick.toml; "
        "echo NARRATOR-EXIT-$?; sleep 60"
    )
    size = ["-x", "100", "-y", "24"]
    subprocess.run(
        [binary, "-L", socket, "new-session", "-d", *size, "-c", str(cwd), command],
        check=True,
        env=_env(TERM="xterm-256color"),
    )


def _capture(tmux: tuple[str, str]) -> str:
    binary, socket = tmux
    return subprocess.run(
        [binary, "-L", socket, "capture-pane", "-p", "-e", "-t", "0"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def _until_exit(tmux: tuple[str, str], seen: list[str], timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        screen = _capture(tmux)
        seen.append(screen)
        if "NARRATOR-EXIT-" in screen:
            return screen
        time.sleep(0.1)
    raise AssertionError("narrator did not finish:\n" + seen[-1])


def test_tmux_shows_the_carousel_bar_and_the_interval_countdown(
    tmux: tuple[str, str], tmp_path: Path
) -> None:
    _start(tmux, tmp_path, "env -u NO_COLOR")
    seen: list[str] = []
    final = _until_exit(tmux, seen)
    assert "NARRATOR-EXIT-0" in final
    live = [s for s in seen if "iterations" in s and "ETA" in s]
    assert live, "no progress bar was ever on screen:\n" + seen[-1]
    assert any("━" in s and "elapsed" in s for s in live)
    assert any("1/3 iterations" in s for s in live)
    countdown = [s for s in seen if "waiting" in s and "(interval)" in s]
    assert countdown, "no countdown during the interval"
    assert any("\x1b[" in s for s in live)  # a colour terminal gets colour
    # the live lines leave with the run: the last screen keeps the act lines only
    assert "ETA" not in final and "waiting" not in final
    assert final.count("write [") == 3


def test_tmux_no_color_renders_without_a_single_escape_sequence(
    tmux: tuple[str, str], tmp_path: Path
) -> None:
    _start(tmux, tmp_path, "env NO_COLOR=1")
    seen: list[str] = []
    final = _until_exit(tmux, seen)
    assert "NARRATOR-EXIT-0" in final
    assert "iteration 1/3 done" in final and "iteration 3/3 done" in final
    assert not [s for s in seen if "\x1b" in s]


def _pty_run(cwd: Path, **env: str) -> bytes:
    """``narrator run --sandbox tick.toml`` on a pty: every byte it wrote, raw."""
    (cwd / "tick.toml").write_text(TICK.format(iterations=2), encoding="utf-8")
    primary, secondary = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "narrator", "run", "--sandbox", "tick.toml"],
        cwd=cwd,
        env=_env(**env),
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
    )
    os.close(secondary)
    out = b""
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # the pty closed: the process is gone
            break
        if not chunk:
            break
        out += chunk
    os.close(primary)
    assert proc.wait(timeout=60) == 0, out.decode(errors="replace")
    return out


@pytest.mark.parametrize(
    "env",
    [{"NO_COLOR": "1", "TERM": "xterm-256color"}, {"TERM": "dumb"}],
    ids=["NO_COLOR", "TERM=dumb"],
)
def test_a_pty_gets_plain_bytes_under_no_color_and_a_dumb_term(
    tmp_path: Path, env: dict[str, str]
) -> None:
    out = _pty_run(tmp_path, **env)
    assert b"iteration 2/2 done" in out
    assert b"\x1b" not in out and b"\r\x1b" not in out


def test_a_pty_with_colour_gets_escape_sequences(tmp_path: Path) -> None:
    """The control: the same run on a colour terminal does draw (so the test above can fail)."""
    out = _pty_run(tmp_path, TERM="xterm-256color")
    assert b"\x1b[" in out
    assert b"iteration 2/2 done" not in out  # the live bar replaces the plain lines
