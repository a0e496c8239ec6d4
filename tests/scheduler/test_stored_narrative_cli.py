"""A schedule runs the narrative text it stored, not whatever the file on disk says now.

Each test drives the real ``narrator`` command in separate processes, with
``narrator.testing:RecordingPlatform`` as Discord: a run's journal (``runs show
--json``) and state hold the message content it posted, so which version of a
narrative ran is visible.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from narrator.scheduler import Recurrence
from narrator.state import open_database
from narrator.state.schedules import ScheduleStore
from tests.e2e.cli import RECORDING_CONFIG, Cli

T0 = "2026-01-01T00:00:00+00:00"
T1 = "2026-01-01T01:00:00+00:00"
T2 = "2026-01-01T02:00:00+00:00"

VERSIONED = """
[narrative]
name = "versioned"

[[act]]
name = "post"
output_var = "posted"
[[act.input]]
type = "bot_command"
platform = "discord"
command = "messages.send"
[act.input.args]
channel_id = "1"
content = "version one"
"""

OUTER = """
[narrative]
name = "outer"
[toc]
order = ["make"]
[narratives.make]
narrative = "parts/inner"
[acts]
make = ["narratives.make"]
"""

INNER = """
[narrative]
name = "inner"
[toc]
order = ["post"]
[bots.post]
platform = "discord"
command = "messages.send"
channel_id = "1"
content = "inner one"
[acts]
post = ["bots.post"]
"""


def _cli(tmp_path: Path) -> Cli:
    cli = Cli(tmp_path)
    cli.write("narrator.toml", RECORDING_CONFIG)
    cli.write("v.toml", VERSIONED)
    return cli


def _posted(cli: Cli) -> str:
    got = cli("state", "get", "posted", "--json")
    assert got.code == 0, got.err
    return str(got.json()["value"]["content"])


def _worker(cli: Cli, now: str, *extra: str) -> str:
    ran = cli("worker", "--once", *extra, at=now)
    assert ran.code == 0, ran.err
    return ran.err


def _listed(cli: Cli, *extra: str) -> dict[str, Any]:
    [record] = cli("schedule", "list", "--json", *extra).json()
    assert isinstance(record, dict)
    return record


def test_an_edited_file_is_flagged_and_the_worker_runs_the_scheduled_text_until_refresh(
    tmp_path: Path,
) -> None:
    """Edit after `schedule add`: `list` flags the drift (human and --json), the worker
    still posts the scheduled text; after `schedule refresh` the next slot posts the edit."""
    cli = _cli(tmp_path)
    added = cli("schedule", "add", "v.toml", "--every", "1h", at=T0)
    assert added.code == 0, added.err
    before = _listed(cli)
    assert before["stored"] is True and before["on_disk"] == "same"
    assert "!" not in cli("schedule", "list").out

    cli.write("v.toml", VERSIONED.replace("version one", "version two"))
    human = cli("schedule", "list").out
    assert "the file on disk differs from the scheduled text" in human
    assert "`narrator schedule refresh v`" in human
    assert _listed(cli)["on_disk"] == "changed"

    _worker(cli, T0)
    assert _posted(cli) == "version one"

    refreshed = cli("schedule", "refresh", "v")
    assert refreshed.code == 0, refreshed.err
    assert f"(was {before['narrative_hash'][:12]})" in refreshed.out
    after = _listed(cli)
    assert after["on_disk"] == "same" and after["narrative_hash"] != before["narrative_hash"]
    assert after["last_status"] == "done"  # the refresh kept the schedule's history
    again = cli("schedule", "refresh", "v")
    assert again.code == 0 and "already runs this text" in again.out

    _worker(cli, T1)
    assert _posted(cli) == "version two"


def test_a_deleted_file_is_flagged_missing_and_the_scheduled_text_still_runs(
    tmp_path: Path,
) -> None:
    cli = _cli(tmp_path)
    assert cli("schedule", "add", "v.toml", "--every", "1h", at=T0).code == 0
    (tmp_path / "v.toml").unlink()
    assert _listed(cli)["on_disk"] == "missing"
    assert "missing on disk; the scheduled text still runs" in cli("schedule", "list").out
    _worker(cli, T0)
    assert _posted(cli) == "version one"
    refresh = cli("schedule", "refresh", "v")
    assert refresh.code == 2
    assert "does not exist here" in refresh.err and "--replace" in refresh.err


def test_nested_botticelli_files_are_stored_and_run_as_scheduled(tmp_path: Path) -> None:
    """The nested narrative a Botticelli file names is stored with it: editing the nested
    file on disk changes nothing until refresh, and `list` flags the nested edit."""
    cli = Cli(tmp_path)
    cli.write("narrator.toml", RECORDING_CONFIG)
    cli.write("outer.toml", OUTER)
    cli.write("parts/inner.toml", INNER)
    added = cli("schedule", "add", "outer.toml", "--every", "1h", at=T0)
    assert added.code == 0 and "with 1 nested file(s)" in added.out
    assert _listed(cli)["nested_files"] == ["parts/inner.toml"]

    cli.write("parts/inner.toml", INNER.replace("inner one", "inner two"))
    assert _listed(cli)["on_disk"] == "changed"
    _worker(cli, T0)
    (tmp_path / "parts" / "inner.toml").unlink()
    assert _listed(cli)["on_disk"] == "missing"
    cli.write("parts/inner.toml", INNER.replace("inner one", "inner two"))
    assert cli("schedule", "refresh", "outer").code == 0
    _worker(cli, T1)

    runs = sorted(cli("runs", "list", "--json").json(), key=lambda r: str(r["run_id"]))
    shown = [cli("runs", "show", str(r["run_id"]), "--json").json()["acts"] for r in runs]
    # the nested act's message (the nesting act answers "Action completed successfully",
    # as Botticelli's executor does); a nested act is journalled with its instance
    posted = [
        next(a for a in acts if a["name"] == "make.0>post")["output"]["content"] for acts in shown
    ]
    assert posted == ["inner one", "inner two"]


def test_add_replace_stores_the_edit_and_keeps_the_slot_history(tmp_path: Path) -> None:
    """`add --replace` updates the schedule in place: a slot that already ran does not run
    again, the next slot runs the new text; without --replace the hint names it."""
    cli = _cli(tmp_path)
    assert cli("schedule", "add", "v.toml", "--every", "1h", at=T0).code == 0
    _worker(cli, T0)
    cli.write("v.toml", VERSIONED.replace("version one", "version two"))
    dup = cli("schedule", "add", "v.toml", "--every", "1h", at=T0)
    assert dup.code == 2 and "--name v --replace" in dup.err
    replaced = cli("schedule", "add", "v.toml", "--every", "1h", "--replace", at=T0)
    assert replaced.code == 0 and "replaced schedule 'v'" in replaced.out
    record = _listed(cli)
    assert record["on_disk"] == "same" and record["next_run"] == T1
    assert "running slot" not in _worker(cli, T0)  # the 00:00 slot ran once, ever
    _worker(cli, T1)
    assert _posted(cli) == "version two"


def test_a_schedule_added_before_narratives_were_stored_runs_its_file_and_says_so(
    tmp_path: Path,
) -> None:
    """A row with no stored text (added by an older narrator) keeps working from the
    file on disk; `list` and the worker say so, and `refresh` stores the text."""
    cli = _cli(tmp_path)
    database = open_database(f"sqlite:///{tmp_path / 'narrator.db'}")
    try:
        anchor = datetime(2026, 1, 1, tzinfo=UTC)
        ScheduleStore(database.gateway).add(
            "old",
            str(tmp_path / "v.toml"),
            Recurrence(anchor=anchor, every=3600.0, cron=None, tz="UTC"),
            catch_up="latest",
        )
    finally:
        database.close()
    cli.write("v.toml", VERSIONED.replace("version one", "from disk"))
    record = _listed(cli)
    assert (record["stored"], record["narrative_hash"], record["on_disk"]) == (False, None, "same")
    assert "added before narratives were stored" in cli("schedule", "list").out
    log = _worker(cli, T0)
    assert "scheduled before narratives were stored" in log
    assert "`narrator schedule refresh old` stores it" in log
    assert _posted(cli) == "from disk"
    refreshed = cli("schedule", "refresh", "old")
    assert refreshed.code == 0 and "was read from the disk at each run" in refreshed.out
    assert _listed(cli)["stored"] is True


def test_a_sandbox_worker_never_claims_a_real_slot(tmp_path: Path) -> None:
    """Issue 9 item 5: `worker --once --sandbox` reads the sandbox database's schedules
    only. A real due schedule stays due and unclaimed; a `schedule add --sandbox` one
    runs in the sandbox and is listed with `schedule list --sandbox` only."""
    cli = _cli(tmp_path)
    assert cli("schedule", "add", "v.toml", "--every", "1h", "--name", "real", at=T0).code == 0
    log = _worker(cli, T0, "--sandbox")
    assert "running slot" not in log and "0 slot(s) run" in log
    real = _listed(cli)
    assert real["last_run"] is None and real["next_run"] == T0
    assert cli("runs", "list", "--sandbox", "--json").json() == []

    rehearsal = cli(
        "schedule", "add", "v.toml", "--every", "1h", "--name", "rehearsal", "--sandbox", at=T0
    )
    assert rehearsal.code == 0, rehearsal.err
    assert [r["name"] for r in cli("schedule", "list", "--json").json()] == ["real"]
    assert _listed(cli, "--sandbox")["name"] == "rehearsal"
    log = _worker(cli, T0, "--sandbox")
    assert log.count("running slot") == 1 and "[rehearsal " in log
    assert _listed(cli, "--sandbox")["last_status"] == "done"
    assert _listed(cli)["last_run"] is None  # the real slot is still there for a real worker
    assert cli("schedule", "remove", "rehearsal", "--sandbox").code == 0
    assert cli("schedule", "list", "--sandbox", "--json").json() == []


def test_schedule_add_refuses_a_narrative_that_reads_a_secret(tmp_path: Path) -> None:
    """What would be stored is checked like `run` checks a file: a `${DISCORD_TOKEN}`
    reference is refused at `schedule add` (exit 2, naming it), not at the slot."""
    cli = _cli(tmp_path)
    cli.write("leak.toml", VERSIONED.replace("version one", "${DISCORD_TOKEN}"))
    refused = cli("schedule", "add", "leak.toml", "--every", "1h")
    assert refused.code == 2 and "DISCORD_TOKEN" in refused.err
    assert cli("schedule", "list", "--json").json() == []


SEVERAL = """
[narrative.hello]
toc = ["say_hello"]

[narrative.bye]
toc = ["say_bye"]

[bots.say_hello]
platform = "discord"
command = "messages.send"
channel_id = "1"
content = "hello"

[bots.say_bye]
platform = "discord"
command = "messages.send"
channel_id = "1"
content = "bye"

[acts]
say_hello = "bots.say_hello"
say_bye = "bots.say_bye"
"""


def test_one_narrative_of_a_file_with_several_is_scheduled_with_narrative(
    tmp_path: Path,
) -> None:
    """`schedule add --narrative NAME` stores the choice: the worker runs that narrative
    (named after it by default), `refresh` keeps it; without it the add is refused."""
    cli = _cli(tmp_path)
    cli.write("bot.toml", SEVERAL)
    refused = cli("schedule", "add", "bot.toml", "--every", "1h", at=T0)
    assert refused.code != 0 and "--narrative" in refused.err
    assert "Traceback" not in refused.err
    added = cli("schedule", "add", "bot.toml", "--narrative", "bye", "--every", "1h", at=T0)
    assert added.code == 0, added.err
    assert "[narrative.bye]" in added.out
    listed = _listed(cli)
    assert (listed["name"], listed["narrative"]) == ("bye", "bye")
    assert "bot.toml --narrative bye" in cli("schedule", "list").out

    _worker(cli, T0)
    [run] = cli("runs", "list", "--json").json()
    assert (run["narrative"], run["status"]) == ("bye", "done")
    shown = cli("runs", "show", run["run_id"], "--json").json()
    assert [a["output"]["content"] for a in shown["acts"]] == ["bye"]

    cli.write("bot.toml", SEVERAL.replace('content = "bye"', 'content = "goodbye"'))
    assert cli("schedule", "refresh", "bye").code == 0
    assert _listed(cli)["narrative"] == "bye"
    _worker(cli, T1)
    newest = cli("runs", "list", "--json").json()[0]
    shown = cli("runs", "show", newest["run_id"], "--json").json()
    assert (newest["narrative"], [a["output"]["content"] for a in shown["acts"]]) == (
        "bye",
        ["goodbye"],
    )
