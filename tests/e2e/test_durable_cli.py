"""Durable runs through the real CLI against the Discord emulator in its own process (issue 10).

A run killed (-9) or stopped by SIGINT, SIGTERM or SIGHUP mid-run is shown as
abandoned or interrupted, resumes, and ends with every message posted exactly
once. The emulator sends at most one message per 0.25 s per channel, so a run of
twenty sends spends most of its time inside an act, where the signal lands.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable

import pytest

from tests.e2e.cli import Cli
from tests.e2e.emulator import EmulatorProcess

SENDS = 20


def twenty_sends(name: str = "twenty") -> str:
    """A channel, then twenty messages.send acts posting 'post 01' ... 'post 20'."""
    acts = [
        f"""
[narrative]
name = "{name}"

[[act]]
name = "channel"
output_var = "posts_channel"
skip_if = "{{state.posts_channel}}"
[[act.input]]
type = "bot_command"
command = "channels.ensure"
args = {{ name = "posts" }}
"""
    ]
    for i in range(1, SENDS + 1):
        acts.append(
            f"""
[[act]]
name = "post_{i:02d}"
[[act.input]]
type = "bot_command"
command = "messages.send"
args = {{ channel_id = "{{state.posts_channel.id}}", content = "post {i:02d}" }}
"""
        )
    return "".join(acts)


def slow_sends(emulator: EmulatorProcess, per: float = 0.25) -> None:
    emulator._call(
        "PUT",
        emulator.base + "/_emulator/rate_limits",
        {"POST /channels/{channel_id}/messages": [1, per]},
    )


def posts(emulator: EmulatorProcess) -> Counter[str]:
    world = emulator.world()
    return Counter(
        m["content"] for per_channel in world["messages"].values() for m in per_channel.values()
    )


def start(cli: Cli, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "narrator", *args],
        cwd=cli.cwd,
        env=cli.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
    )


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.02)


def expected() -> Counter[str]:
    return Counter(f"post {i:02d}" for i in range(1, SENDS + 1))


@pytest.mark.parametrize(
    ("sig", "code"),
    [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 129)],
    ids=["SIGINT", "SIGTERM", "SIGHUP"],
)
def test_a_signal_mid_run_journals_interrupted_and_resume_posts_each_message_once(
    discord_cli: Cli, emulator: EmulatorProcess, sig: signal.Signals, code: int
) -> None:
    """SIGINT/SIGTERM/SIGHUP during a send: exit 130/143/129, the run is `interrupted`
    (not done), the act in flight is not recorded done; `resume` finishes the run and
    every message exists exactly once."""
    slow_sends(emulator)
    discord_cli.write("twenty.toml", twenty_sends())
    proc = start(discord_cli, "run", "twenty.toml", "--json")
    wait_until(lambda: sum(posts(emulator).values()) >= 5, "five posts")
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert "interrupted" in err and "narrator resume" in err
    run_id = json.loads(out)["run_id"]
    shown = discord_cli("runs", "show", run_id, "--json").json()
    assert shown["status"] == "interrupted"
    statuses = [a["status"] for a in shown["acts"]]
    assert "interrupted" in statuses and statuses.count("done") < SENDS + 1
    assert sum(posts(emulator).values()) < SENDS

    resumed = discord_cli("resume", run_id, "--json")
    assert resumed.code == 0, resumed.err
    assert resumed.json()["status"] == "done"
    assert posts(emulator) == expected()
    again = discord_cli("resume", run_id)
    assert again.code == 2 and "only failed or interrupted runs resume" in again.err


def test_a_killed_run_is_abandoned_and_resume_latest_finishes_it_posting_each_once(
    discord_cli: Cli, emulator: EmulatorProcess
) -> None:
    """kill -9 mid-run leaves the run `running` in the database; `runs list` (human and
    JSON) shows it `abandoned`, `resume --latest FILE` takes it over and completes it:
    twenty messages, none twice."""
    slow_sends(emulator)
    discord_cli.write("twenty.toml", twenty_sends())
    proc = start(discord_cli, "run", "twenty.toml")
    wait_until(lambda: sum(posts(emulator).values()) >= 7, "seven posts")
    proc.kill()
    proc.communicate(timeout=30)

    listed = discord_cli("runs", "list", "--json")
    assert listed.code == 0, listed.err
    assert [r["status"] for r in listed.json()] == ["abandoned"]
    assert " abandoned " in discord_cli("runs", "list").out
    run_id = listed.json()[0]["run_id"]
    assert discord_cli("runs", "show", run_id, "--json").json()["status"] == "abandoned"

    resumed = discord_cli("resume", "--latest", "twenty.toml", "--json")
    assert resumed.code == 0, resumed.err
    assert resumed.json()["run_id"] == run_id and resumed.json()["status"] == "done"
    assert posts(emulator) == expected()
    assert discord_cli("runs", "list", "--json").json()[0]["status"] == "done"
    nothing = discord_cli("resume", "--latest", "twenty.toml")
    assert nothing.code == 2 and "no failed, interrupted or abandoned run" in nothing.err


def test_a_live_run_cannot_be_resumed_and_a_second_run_of_it_exits_1_naming_the_holder(
    discord_cli: Cli, emulator: EmulatorProcess
) -> None:
    """While a run is alive: `resume ID` exits 1 (it is running, not abandoned); a second
    `narrator run` of the same narrative exits 1 saying which pid on which host holds it,
    for which run and since when; `plan` is not blocked."""
    slow_sends(emulator, per=1.0)  # twenty seconds of sends: still running under load
    discord_cli.write("twenty.toml", twenty_sends())
    proc = start(discord_cli, "run", "twenty.toml", "--json")
    try:
        wait_until(lambda: sum(posts(emulator).values()) >= 2, "two posts")
        run_id = discord_cli("runs", "list", "--json").json()[0]["run_id"]
        busy = discord_cli("resume", run_id)
        assert busy.code == 1, busy.err
        assert "is running" in busy.err and "cannot be resumed" in busy.err
        second = discord_cli("run", "twenty.toml")
        assert second.code == 1, second.err
        assert f"pid {proc.pid} on " in second.err and run_id in second.err
        assert "since" in second.err and "--wait" in second.err
        assert discord_cli("plan", "twenty.toml").code in (0, 3)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=60)
    assert proc.returncode == 130


def test_run_wait_waits_for_the_holder_then_converges_without_duplicates(
    discord_cli: Cli, emulator: EmulatorProcess
) -> None:
    """A second `run --wait` says it is waiting, starts when the first finishes, and
    posts its own twenty messages (sends are not convergent) — neither run fails."""
    slow_sends(emulator, per=0.4)  # eight seconds: the second starts while the first runs
    discord_cli.write("twenty.toml", twenty_sends())
    first = start(discord_cli, "run", "twenty.toml")
    wait_until(lambda: sum(posts(emulator).values()) >= 1, "a first post")
    second = start(discord_cli, "run", "twenty.toml", "--wait", "2m")
    _, err1 = first.communicate(timeout=120)
    _, err2 = second.communicate(timeout=120)
    assert first.returncode == 0, err1
    assert second.returncode == 0, err2
    assert "waiting (up to 120 s) for narrative:twenty@" in err2
    assert posts(emulator) == Counter(dict.fromkeys(expected(), 2))


CAROUSEL = """
[narrative]
name = "daily"

[carousel]
iterations = 8

[[act]]
name = "channel"
output_var = "posts_channel"
skip_if = "{state.posts_channel}"
[[act.input]]
type = "bot_command"
command = "channels.ensure"
args = { name = "posts" }

[[act]]
name = "send"
[[act.input]]
type = "bot_command"
command = "messages.send"
args = { channel_id = "{state.posts_channel.id}", content = "post {carousel.iteration}" }
"""


def test_ctrl_c_on_a_carousel_is_interrupted_not_done_and_resume_posts_the_rest_once(
    discord_cli: Cli, emulator: EmulatorProcess
) -> None:
    """Issue 9 item 4: SIGINT during a carousel exits 130 with status interrupted and
    stopped_reason interrupted (it used to be done / completed); `resume` finishes the
    remaining iterations: eight posts, each once."""
    slow_sends(emulator, per=0.4)
    discord_cli.write("daily.toml", CAROUSEL)
    proc = start(discord_cli, "run", "daily.toml", "--json")
    wait_until(lambda: sum(posts(emulator).values()) >= 3, "three posts")
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    interrupted = json.loads(out)
    assert interrupted["status"] == "interrupted"
    assert interrupted["carousel"]["stopped_reason"] == "interrupted"
    shown = discord_cli("runs", "show", interrupted["run_id"], "--json").json()
    assert shown["status"] == "interrupted"
    assert shown["carousel"]["stopped_reason"] == "interrupted"

    resumed = discord_cli("resume", "--latest", "daily.toml", "--json")
    assert resumed.code == 0, resumed.err
    assert resumed.json()["status"] == "done"
    assert posts(emulator) == Counter(f"post {i}" for i in range(1, 9))


NEEDS_GUILD = """
[narrative]
name = "needs_guild"

[[act]]
name = "make_channel"
[[act.input]]
type = "bot_command"
command = "channels.ensure"
args = { guild_id = "${GUILD_ID}", name = "general" }
"""


def test_plan_of_an_act_that_cannot_be_planned_exits_1_and_names_the_act(cli: Cli) -> None:
    """Issue 9 item 3: no token / unset ${GUILD_ID} is an error (exit 1 naming the act),
    not "changes pending" (exit 3 with --detailed-exitcode)."""
    cli.write("setup.toml", NEEDS_GUILD)
    result = cli("plan", "setup.toml", "--detailed-exitcode")
    assert result.code == 1, (result.out, result.err)
    assert "cannot plan act 'make_channel'" in result.err
    assert "changes pending" not in result.out
    as_json = cli("plan", "setup.toml", "--json")
    assert as_json.code == 1 and as_json.json()["status"] == "failed"


BROKEN = """
[narrative]
name = "broken"

[[act]]
name = "post"
[[act.input]]
type = "bot_command"
command = "messages.send"
args = { channel_id = "{state.announcements_channel}", content = "hi" }
"""


def test_hints_after_a_sandbox_run_keep_sandbox(cli: Cli) -> None:
    """Issue 9 item 6: after a failed `run --sandbox`, the printed `narrator resume` and
    `narrator state set` hints say --sandbox, and following the resume hint works."""
    cli.write("broken.toml", BROKEN)
    failed = cli("run", "--sandbox", "broken.toml", "--json")
    assert failed.code == 1
    run_id = failed.json()["run_id"]
    assert f"narrator resume --sandbox {run_id}" in failed.err
    assert "narrator state set --sandbox announcements_channel" in failed.err
    shown = cli("runs", "show", "--sandbox", run_id)
    assert f"narrator resume --sandbox {run_id}" in shown.out
    again = cli("resume", "--sandbox", run_id)
    assert again.code == 1 and f"narrator resume --sandbox {run_id}" in again.err
