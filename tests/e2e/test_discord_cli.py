"""CLI acceptance for Discord through `narrator run --sandbox` in separate processes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SETUP = ROOT / "narratives/discord/community_setup.toml"


def narrator(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    db = f"sqlite:///{tmp / 'narrator.db'}"
    return subprocess.run(
        [sys.executable, "-m", "narrator", "--database", db, *args],
        capture_output=True,
        text=True,
        cwd=tmp,
        timeout=120,
    )


def test_community_setup_converges_in_the_sandbox(tmp_path: Path) -> None:
    """First sandbox run creates everything; then plan reports no pending change (exit 0)."""
    first = narrator(tmp_path, "run", "--sandbox", "--json", str(SETUP))
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["status"] == "done"
    plan = narrator(tmp_path, "plan", "--sandbox", "--detailed-exitcode", str(SETUP))
    assert plan.returncode == 0, plan.stdout + plan.stderr


def test_channel_delete_refused_without_allow_destructive(tmp_path: Path) -> None:
    """channels.delete is refused before any request; with --allow-destructive it is done."""
    text = """
[narrative]
name = "cleanup"
[[act]]
name = "make"
[[act.input]]
type = "bot_command"
platform = "discord"
command = "channels.ensure"
[act.input.args]
name = "doomed"
[[act]]
name = "drop"
[[act.input]]
type = "bot_command"
platform = "discord"
command = "channels.delete"
[act.input.args]
channel_id = "{act.make.output.id}"
"""
    file = tmp_path / "cleanup.toml"
    file.write_text(text)
    refused = narrator(tmp_path, "run", "--sandbox", str(file))
    assert refused.returncode == 1 and "allow-destructive" in refused.stdout + refused.stderr
    done = narrator(tmp_path, "run", "--sandbox", "--allow-destructive", str(file))
    assert done.returncode == 0, done.stdout + done.stderr
