"""``narrator content review TABLE`` (issue 11, item 6): in a REAL terminal under tmux, where
single keys act without Enter (termios raw mode, as over SSH), and with piped stdin,
one key per line. Every outcome is read back from the database through the CLI.

tmux is required, not optional (scripts/test.sh and .ci/run install it): these tests
fail, never skip, without it.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from narrator.content import Provenance
from narrator.state import open_database
from tests.e2e.cli import Cli

ROOT = Path(__file__).resolve().parents[2]

POSTS = [
    {"title": "first post", "body": "one\ntwo"},
    {"title": "second post", "tags": ["a", "b"]},
    {"title": "third post", "score": 7},
]

EDITOR = """
import json, sys
path = sys.argv[1]
doc = json.load(open(path, encoding="utf-8"))
doc["title"] = doc["title"].upper()
json.dump(doc, open(path, "w", encoding="utf-8"))
"""


def _seed(cwd: Path, items: list[dict[str, Any]]) -> list[int]:
    database = open_database(f"sqlite:///{cwd / 'narrator.db'}")
    try:
        provenance = Provenance(narrative="gen", run_id="run-1", act="write", model="sandbox")
        return [row.id for row in database.content.insert("posts", items, provenance)]
    finally:
        database.close()


def _statuses(cli: Cli) -> list[tuple[str, str]]:
    result = cli("content", "list", "posts", "--json")
    assert result.code == 0, result.err
    return [(r["status"], r["fields"]["title"]) for r in result.json()]


# --- tmux -----------------------------------------------------------------------------


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A private tmux server (its own socket), killed afterwards."""
    binary = shutil.which("tmux")
    assert binary, "tmux is missing: apt-get install tmux (scripts/test.sh installs it)"
    socket = f"narrator-review-{os.getpid()}-{time.monotonic_ns()}"
    yield binary, socket
    subprocess.run([binary, "-L", socket, "kill-server"], capture_output=True, check=False)


def _start(tmux: tuple[str, str], cwd: Path, command: str) -> None:
    binary, socket = tmux
    env = {k: v for k, v in os.environ.items() if not k.startswith("NARRATOR_")}
    env.pop("NO_COLOR", None)
    env["TERM"] = "xterm-256color"
    shell = f"{command}; echo NARRATOR-EXIT-$?; sleep 60"
    size = ["-x", "120", "-y", "40"]
    subprocess.run(
        [binary, "-L", socket, "new-session", "-d", *size, "-c", str(cwd), shell],
        check=True,
        env=env,
    )


def _screen(tmux: tuple[str, str]) -> str:
    binary, socket = tmux
    return subprocess.run(
        [binary, "-L", socket, "capture-pane", "-p", "-t", "0"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def _wait_for(tmux: tuple[str, str], text: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = _screen(tmux)
        if text in screen:
            return screen
        time.sleep(0.1)
    raise AssertionError(f"{text!r} never appeared on the screen:\n{screen}")


def _key(tmux: tuple[str, str], *keys: str) -> None:
    """Keys as typed: no Enter follows them."""
    binary, socket = tmux
    subprocess.run([binary, "-L", socket, "send-keys", "-t", "0", *keys], check=True)


def test_review_in_a_real_terminal_acts_on_single_keys(
    tmux: tuple[str, str], tmp_path: Path, cli: Cli
) -> None:
    ids = _seed(tmp_path, POSTS)
    editor = cli.write("upper.py", EDITOR)
    _start(
        tmux,
        tmp_path,
        f"EDITOR='{sys.executable} {editor}' {sys.executable} -m narrator content review posts",
    )
    first = _wait_for(tmux, f"posts #{ids[0]}  [pending]  1 of 3")
    assert "title: first post" in first and "    two" in first  # a multi-line field, indented
    assert "— narrative gen · act write · model sandbox" in first
    assert "  run run-1 · created " in first
    assert "[a]pprove  [r]eject  [e]dit" in first

    _key(tmux, "a")  # no Enter: raw mode
    second = _wait_for(tmux, f"posts #{ids[1]}  [pending]  2 of 3")
    assert f"✓ approved #{ids[0]}" in second
    assert f"posts #{ids[0]}" not in second  # the screen was cleared for the next row

    _key(tmux, "e")
    edited = _wait_for(tmux, f"✎ saved #{ids[1]}")
    assert "title: SECOND POST" in edited
    _key(tmux, "r")
    third = _wait_for(tmux, f"posts #{ids[2]}  [pending]  3 of 3")
    assert f"✗ rejected #{ids[1]}" in third

    _key(tmux, "p")  # back to the row just rejected: its status is read again
    _wait_for(tmux, f"posts #{ids[1]}  [rejected]  2 of 3")
    _key(tmux, "Right")  # → skips forward
    _wait_for(tmux, f"posts #{ids[2]}  [pending]  3 of 3")
    _key(tmux, "x")
    _wait_for(tmux, "unknown key 'x'")
    _key(tmux, "q")
    final = _wait_for(tmux, "NARRATOR-EXIT-")
    assert "NARRATOR-EXIT-0" in final
    assert "reviewed 3 rows of posts: 1 approved, 1 rejected, 1 edited, 0 skipped" in final

    assert _statuses(cli) == [
        ("approved", "first post"),
        ("rejected", "SECOND POST"),
        ("pending", "third post"),
    ]


def test_ctrl_c_in_a_review_prints_the_summary_and_exits_130(
    tmux: tuple[str, str], tmp_path: Path, cli: Cli
) -> None:
    ids = _seed(tmp_path, POSTS)
    _start(tmux, tmp_path, f"{sys.executable} -m narrator content review posts")
    _wait_for(tmux, f"posts #{ids[0]}  [pending]  1 of 3")
    _key(tmux, "r")
    _wait_for(tmux, f"posts #{ids[1]}  [pending]  2 of 3")
    _key(tmux, "C-c")
    final = _wait_for(tmux, "NARRATOR-EXIT-")
    assert "NARRATOR-EXIT-130" in final
    assert "reviewed 2 rows of posts: 0 approved, 1 rejected, 0 edited, 0 skipped" in final
    assert [s for s, _ in _statuses(cli)] == ["rejected", "pending", "pending"]


# --- piped stdin ----------------------------------------------------------------------


def _review(
    cwd: Path, answers: str | None, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NARRATOR_")} | (env or {})
    return subprocess.run(
        [sys.executable, "-m", "narrator", "content", "review", "posts", *args],
        cwd=cwd,
        env=env,
        input=answers,
        stdin=subprocess.DEVNULL if answers is None else None,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_review_from_a_pipe_reads_one_key_a_line(tmp_path: Path, cli: Cli) -> None:
    ids = _seed(tmp_path, POSTS)
    done = _review(tmp_path, "a\n\nreject\n")
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stdout  # a pipe gets no escape sequence (no colour, no clearing)
    assert done.stdout.count("[a]pprove  [r]eject") == 3
    assert f"✓ approved #{ids[0]}" in done.stdout and f"✗ rejected #{ids[2]}" in done.stdout
    assert done.stdout.rstrip().endswith(
        "reviewed 3 rows of posts: 1 approved, 1 rejected, 0 edited, 1 skipped"
    )
    assert [s for s, _ in _statuses(cli)] == ["approved", "pending", "rejected"]

    # only the pending row is left; EOF (no more lines) ends the review like q, and the
    # row on screen then was not skipped
    rest = _review(tmp_path, "")
    assert rest.returncode == 0, rest.stderr
    assert f"posts #{ids[1]}  [pending]  1 of 1" in rest.stdout
    assert "reviewed 1 row of posts: 0 approved, 0 rejected, 0 edited, 0 skipped" in rest.stdout

    no_editor = _review(tmp_path, "e\nq\n", env={"EDITOR": "/nonexistent/editor", "VISUAL": ""})
    assert no_editor.returncode == 0, no_editor.stderr
    assert "not saved: /nonexistent/editor: Editing failed" in no_editor.stdout
    assert "set $VISUAL or $EDITOR" in no_editor.stdout
    assert "reviewed 1 row of posts" in no_editor.stdout  # the review went on

    rejected = _review(tmp_path, "a\n", "--status", "rejected")
    assert f"posts #{ids[2]}  [rejected]" in rejected.stdout
    assert [s for s, _ in _statuses(cli)] == ["approved", "pending", "approved"]

    nothing = _review(tmp_path, None, "--status", "posted")
    assert nothing.returncode == 0 and nothing.stdout.strip() == "nothing to review in posts"
    unknown = _review(tmp_path, None, "--where", "score >")
    assert unknown.returncode == 2 and "--where:1:8:" in unknown.stderr
    missing = subprocess.run(
        [sys.executable, "-m", "narrator", "content", "review", "post"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    assert missing.returncode == 2 and "did you mean 'posts'?" in missing.stderr


def test_the_walkthrough_in_docs_content_md_runs_as_written(tmp_path: Path) -> None:
    """The "Try it" commands of docs/content.md, in order, in a directory holding examples/;
    the review answers a, r, a from a pipe. Two of the three curated posts end up posted."""
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    doc = (ROOT / "docs" / "content.md").read_text(encoding="utf-8")
    block = re.findall(r"```sh\n(.*?)```", doc[doc.index("### Try it") :], re.S)[0]
    commands = [shlex.split(line, comments=True) for line in block.splitlines()]
    commands = [c[1:] for c in commands if c and c[0] == "narrator"]
    assert [c[:2] for c in commands] == [
        ["run", "--sandbox"],
        ["content", "list"],
        ["run", "--sandbox"],
        ["content", "review"],
        ["run", "--sandbox"],
        ["content", "list"],
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("NARRATOR_")}
    outputs = []
    for args in commands:
        answers = "a\nr\na\n" if args[:2] == ["content", "review"] else ""
        done = subprocess.run(
            [sys.executable, "-m", "narrator", *args],
            cwd=tmp_path,
            env=env,
            input=answers,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, f"narrator {' '.join(args)}:\n{done.stderr}"
        outputs.append(done.stdout)
    assert len(outputs[1].splitlines()) == 10  # ten generated posts
    assert "reviewed 3 rows of curated: 2 approved, 1 rejected" in outputs[3]
    posted = outputs[5].splitlines()
    assert len(posted) == 2 and all("  posted  " in line for line in posted)
