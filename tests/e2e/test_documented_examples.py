"""Every documented flow works when followed in order in one directory (issue 9, items 2, 10).

The examples are the shipped files (``examples/``) and the commands are read out
of the docs themselves, so a doc that drifts from what works fails here. Each
flow runs twice in the same directory, after the README's quick start, through
the real ``narrator`` command with ``--sandbox``.
"""

from __future__ import annotations

import re
import shlex
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest

from narrator.config import SANDBOX_GUILD_ID
from tests.e2e.cli import Cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p.name for p in (ROOT / "examples").glob("*.toml"))
G = SANDBOX_GUILD_ID


def _fence(text: str, lang: str, after: str = "") -> list[str]:
    """The bodies of the ```LANG blocks of ``text`` that come after the heading/phrase ``after``."""
    start = text.index(after) if after else 0
    return re.findall(rf"```{lang}\n(.*?)```", text[start:], re.S)


def _commands(block: str) -> list[list[str]]:
    """The ``narrator`` commands of a sh block, continuation lines joined, comments dropped."""
    commands = []
    for line in block.replace("\\\n", " ").splitlines():
        words = shlex.split(line, comments=True)
        if words and words[0] == "narrator":
            commands.append(words[1:])
    return commands


def _doc(name: str) -> str:
    return (ROOT / name).read_text(encoding="utf-8")


@pytest.fixture
def project(tmp_path: Path) -> Cli:
    """A directory holding what a clone holds (examples/, narratives/), quick start done."""
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    shutil.copytree(ROOT / "narratives", tmp_path / "narratives")
    cli = Cli(tmp_path)
    quick = cli("run", "--sandbox", "narratives/discord/community_setup.toml")
    assert quick.code == 0, quick.err
    return cli


def _run_json(cli: Cli, *args: str) -> dict[str, Any]:
    result = cli("run", "--sandbox", *args, "--json")
    assert result.code == 0, result.err
    data: dict[str, Any] = result.json()
    assert data["status"] == "done", data
    return data


def _statuses(data: dict[str, Any]) -> list[str]:
    return [a["status"] for a in data["acts"]]


def _state(cli: Cli, prefix: str) -> dict[str, Any]:
    listed = cli("state", "list", "--sandbox", "--prefix", prefix, "--json")
    assert listed.code == 0, listed.err
    return {e["key"]: e["value"] for e in listed.json()}


def test_the_readme_afterwards_block_runs_in_order_after_the_quick_start(project: Cli) -> None:
    """Each command of the README's "Afterwards" block exits 0, in order, and again on a
    second pass: the quick start having created #welcome does not break welcome.toml."""
    block = _fence(_doc("README.md"), "sh", after="Afterwards")[0]
    commands = _commands(block)
    assert [c[0] for c in commands] == ["validate", "plan", "run", "state", "runs"]
    for attempt in (1, 2):
        for args in commands:
            result = project(*args)
            assert result.code == 0, f"pass {attempt}: narrator {' '.join(args)}\n{result.err}"
    again = _run_json(project, "examples/welcome.toml")
    assert _statuses(again) == ["skipped", "skipped", "skipped"]


def test_the_readme_afterwards_block_runs_in_a_fresh_directory(cli: Cli) -> None:
    """Without the quick start first, the same block works too."""
    shutil.copytree(ROOT / "examples", cli.cwd / "examples")
    for args in _commands(_fence(_doc("README.md"), "sh", after="Afterwards")[0]):
        result = cli(*args)
        assert result.code == 0, f"narrator {' '.join(args)}\n{result.err}"


def test_the_readme_first_example_is_examples_welcome_toml() -> None:
    """The narrative at the top of the README is the shipped examples/welcome.toml."""
    snippet = _fence(_doc("README.md"), "toml")[0]
    shipped = (ROOT / "examples" / "welcome.toml").read_text(encoding="utf-8")
    assert tomllib.loads(snippet) == tomllib.loads(shipped)


def test_the_format_complete_example_is_examples_pinned_welcome_toml() -> None:
    """docs/format.md's complete example is the shipped examples/pinned_welcome.toml."""
    snippet = _fence(_doc("docs/format.md"), "toml", after="## A complete example")[0]
    shipped = (ROOT / "examples" / "pinned_welcome.toml").read_text(encoding="utf-8")
    assert tomllib.loads(snippet) == tomllib.loads(shipped)


def test_the_format_complete_example_commands_run_twice(project: Cli) -> None:
    """The `state set` + run commands docs/format.md gives work, and the second run skips all."""
    block = _fence(_doc("docs/format.md"), "sh", after="## A complete example")[0]
    commands = _commands(block)
    assert commands[0][:2] == ["state", "set"]
    for args in commands + commands:
        result = project(*args)
        assert result.code == 0, f"narrator {' '.join(args)}\n{result.err}"
    last = _run_json(project, "examples/pinned_welcome.toml")
    assert _statuses(last) == ["skipped", "skipped", "skipped"]
    pinned = _state(project, "pinned_welcome")["pinned_welcome"]
    assert pinned["pinned"] is True


def test_the_cookbook_morning_schedule_commands_can_be_repeated(project: Cli) -> None:
    """The cookbook's `schedule add ... --replace` and `schedule list` work twice in a row."""
    block = _fence(_doc("docs/cookbook.md"), "sh", after="## Post every morning")[0]
    commands = _commands(block)
    assert commands[0][:3] == ["schedule", "add", "examples/morning.toml"]
    for args in commands + commands:
        result = project(*args)
        assert result.code == 0, f"narrator {' '.join(args)}\n{result.err}"
    listed = project("schedule", "list", "--json")
    assert [s["name"] for s in listed.json()] == ["morning"]


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_runs_twice_in_one_directory(project: Cli, name: str) -> None:
    """Each shipped example validates, runs, and runs again in the same directory; the
    second run converges: nothing is created twice."""
    file = f"examples/{name}"
    assert project("validate", file).code == 0
    if name == "pinned_welcome.toml":  # its prompt reads {state.server_name} (see its header)
        assert project("state", "set", "--sandbox", "server_name", '"The Lab"').code == 0
    first = _run_json(project, file)
    before = _state(project, f"discord.{G}.")
    second = _run_json(project, file)
    after = _state(project, f"discord.{G}.")
    channels = {k: v for k, v in after.items() if ".channel." in k}
    assert channels == {k: v for k, v in before.items() if ".channel." in k}
    if name in ("welcome.toml", "pinned_welcome.toml"):
        assert _statuses(second) == ["skipped", "skipped", "skipped"]
    elif name == "carousel.toml":
        assert first["carousel"]["iterations_completed"] == 3
        assert second["carousel"]["stopped_reason"] == "completed"
        tips = {k: v for k, v in after.items() if f"{G}.message.tip_" in k}
        assert len(tips) == 3
        assert tips == {k: v for k, v in before.items() if f"{G}.message.tip_" in k}
        first_ids = [a["output"]["id"] for a in first["acts"] if a["name"] == "post"]
        second_ids = [a["output"]["id"] for a in second["acts"] if a["name"] == "post"]
        assert first_ids == second_ids  # the same three messages, none posted twice
    elif name == "morning.toml":
        assert _statuses(second) == ["done", "done", "done"]  # a daily post posts each run
        assert first["acts"][0]["output"]["id"] == second["acts"][0]["output"]["id"]
    elif name == "describe_image.toml":  # one model act with an image: nothing to converge
        assert _statuses(second) == ["done"]
        assert second["acts"][0]["output"].endswith("[received image/png, 93 bytes]")
    else:  # pragma: no cover - a new example needs its own assertion here
        pytest.fail(f"examples/{name} has no convergence check in this test")
    plan = project("plan", "--sandbox", file)
    assert plan.code == 0, plan.err
