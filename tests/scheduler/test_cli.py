"""`narrator schedule` and `narrator worker` as a user runs them, in separate processes."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.cli import Cli
from tests.scheduler.conftest import NARRATIVE

T0 = "2026-01-01T00:00:00+00:00"


def test_three_missed_slots_with_catch_up_latest_give_exactly_one_run(tmp_path: Path) -> None:
    """No worker for slots at 00:00, 00:01 and 00:02; `worker --once` at 00:02:30 runs
    only the 00:02 slot, once, then exits 0 (a sandbox schedule, run by a sandbox worker)."""
    cli = Cli(tmp_path)
    cli.write("post.toml", NARRATIVE)
    added = cli(
        "schedule",
        "add",
        "post.toml",
        "--every",
        "1m",
        "--catch-up",
        "latest",
        "--sandbox",
        at=T0,
    )
    assert added.code == 0, added.err
    worker = cli("worker", "--once", "--sandbox", at="2026-01-01T00:02:30Z")
    assert worker.code == 0, worker.err
    assert worker.err.count("running slot") == 1
    runs = cli("runs", "list", "--sandbox", "--json")
    assert len(runs.json()) == 1
    [schedule] = cli("schedule", "list", "--sandbox", "--json").json()
    assert schedule["last_slot"] == "2026-01-01T00:02:00+00:00"
    assert schedule["last_status"] == "done"
    assert schedule["next_run"] == "2026-01-01T00:03:00+00:00"
    again = cli("worker", "--once", "--sandbox", at="2026-01-01T00:02:59Z")
    assert again.code == 0 and "running slot" not in again.err


def test_schedule_add_errors_name_the_fix_and_exit_2(tmp_path: Path) -> None:
    cli = Cli(tmp_path)
    cli.write("post.toml", NARRATIVE)
    zone = cli("schedule", "add", "post.toml", "--cron", "0 9 * * *", "--tz", "Europe/Berln")
    assert zone.code == 2 and "did you mean 'Europe/Berlin'?" in zone.err
    cron = cli("schedule", "add", "post.toml", "--cron", "0 9 * *")
    assert cron.code == 2 and "five fields" in cron.err
    both = cli("schedule", "add", "post.toml", "--cron", "0 9 * * *", "--every", "1h")
    assert both.code == 2 and "exactly one of --every" in both.err
    assert cli("schedule", "add", "post.toml", "--every", "1h").code == 0
    dup = cli("schedule", "add", "post.toml", "--every", "2h")
    assert dup.code == 2 and "already exists" in dup.err


def test_list_pause_resume_remove_round_trip(tmp_path: Path) -> None:
    cli = Cli(tmp_path)
    cli.write("post.toml", NARRATIVE)
    added = cli(
        "schedule",
        "add",
        "post.toml",
        "--cron",
        "0 9 * * *",
        "--tz",
        "Europe/Berlin",
        "--name",
        "morning",
        "--var",
        "X=1",
        at=T0,
    )
    assert added.code == 0 and "2026-01-01 09:00:00 CET" in added.out
    assert cli("schedule", "pause", "morning").code == 0
    [paused] = cli("schedule", "list", "--json").json()
    assert paused["paused"] is True and paused["next_run"] is None and paused["vars"] == {"X": "1"}
    assert cli("schedule", "resume", "morning", at=T0).code == 0
    assert "next 2026-01-01 09:00:00 CET" in cli("schedule", "list").out
    missing = cli("schedule", "remove", "mornin")
    assert missing.code == 2 and "did you mean 'morning'" in missing.err
    assert cli("schedule", "remove", "morning").code == 0
    assert cli("schedule", "list", "--json").json() == []
