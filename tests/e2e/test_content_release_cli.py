"""Claims that outlive their run (issue 11), through the real command in separate processes:
a carousel's failed iteration gives its row back, ``narrator content release`` gives back
the rows of failed runs (never a row that may have been posted, never a live run's), and
``content list`` / ``show`` say who holds a row. On SQLite (the sandbox) and PostgreSQL.
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from narrator.content import Provenance, Query, parse_where
from narrator.leases import this_host
from narrator.protocols import RunOwner
from narrator.state import open_database
from tests.e2e.cli import Cli

# channel → take one approved row → send its text → mark it posted (its tag copied).
# A row without "text" fails at send (nothing sent); one without "tag" fails at mark,
# after its message was sent.
POST = """
[narrative]
name = "post_queue"

[carousel]
iterations = ITERATIONS
continue_on_error = CONTINUE

[[act]]
name = "channel"
[[act.input]]
type = "bot_command"
command = "channels.ensure"
[act.input.args]
name = "announcements"

[[act]]
name = "pick"
[[act.input]]
type = "table"
table = "queue"
where = "status = 'approved'"
order_by = "id"
take = 1

[[act]]
name = "send"
skip_if = "not pick"
[[act.input]]
type = "bot_command"
command = "messages.send"
[act.input.args]
channel_id = "{act.channel.output.id}"
content = "{act.pick.output.0.text}"

[[act]]
name = "mark"
skip_if = "not pick"
[[act.input]]
type = "bot_command"
platform = "content"
command = "content.update"
[act.input.args]
table = "queue"
where = "id = {act.pick.output.0.id}"
status = "posted"
message_id = "{act.send.output.id}"
[act.input.args.values]
tag = "{act.pick.output.0.tag}"
"""

GOOD = {"text": "one", "tag": "a"}
NO_TEXT = {"tag": "b"}  # send fails: nothing was sent
NO_TAG = {"text": "three"}  # mark fails after the send


def narrative(cli: Cli, iterations: int, *, keep_going: bool) -> str:
    text = POST.replace("ITERATIONS", str(iterations))
    text = text.replace("CONTINUE", "true" if keep_going else "false")
    return str(cli.write("post.toml", text))


def queue(cli: Cli, *items: dict[str, Any]) -> None:
    """Approved rows of table ``queue`` in the sandbox, through ``content import``."""
    lines = [json.dumps({"table": "queue", "status": "approved", "fields": i}) for i in items]
    cli.write("rows.jsonl", "\n".join(lines) + "\n")
    imported = cli("content", "import", "--sandbox", "rows.jsonl")
    assert imported.code == 0, imported.err


def rows(cli: Cli, *opts: str) -> list[dict[str, Any]]:
    listed = cli("content", "list", *opts, "queue", "--json")
    assert listed.code == 0, listed.err
    found: list[dict[str, Any]] = listed.json()
    return found


def states(cli: Cli) -> list[tuple[str, bool]]:
    """(status, claimed) of each row of ``queue`` in the sandbox, by id."""
    return [(r["status"], "claimed_by" in r) for r in rows(cli, "--sandbox")]


def run(cli: Cli, file: str) -> dict[str, Any]:
    result = cli("run", "--sandbox", file, "--json")
    data: dict[str, Any] = result.json()
    return data


def test_a_failed_iteration_under_continue_on_error_gives_its_row_back(cli: Cli) -> None:
    queue(cli, GOOD, NO_TEXT, NO_TAG)
    outcome = run(cli, narrative(cli, 3, keep_going=True))
    assert outcome["status"] == "done"
    assert outcome["carousel"]["iterations_failed"] == 2
    # row 1 posted; row 2's send failed before anything was sent: back in the pool;
    # row 3 was sent and its marking failed: taken, so it is never posted again
    assert states(cli) == [("posted", False), ("approved", False), ("taken", False)]
    again = run(cli, narrative(cli, 1, keep_going=True))
    (send,) = [a for a in again["acts"] if a["name"] == "send"]
    assert send["status"] == "failed" and "no field 'text'" in send["error"]


def test_release_gives_back_the_rows_of_failed_runs(cli: Cli) -> None:
    file = narrative(cli, 2, keep_going=False)
    queue(cli, NO_TEXT)
    first = run(cli, file)  # iteration 1's send fails: the run fails holding row 1
    assert first["status"] == "failed"
    queue(cli, NO_TAG)
    second = run(cli, file)  # takes row 2 (row 1 is claimed), sends it, fails marking it
    assert second["status"] == "failed"
    assert states(cli) == [("approved", True), ("approved", True)]

    listed = cli("content", "list", "--sandbox", "queue")
    assert f"approved (claimed by {first['run_id']}/pick/1)" in listed.out
    shown = cli("content", "show", "--sandbox", "queue", "2", "--json").json()
    assert shown["claimed_by"] == f"{second['run_id']}/pick/1"

    released = cli("content", "release", "--sandbox")
    assert released.code == 0, released.err
    lines = released.out.strip().splitlines()
    assert f"run {first['run_id']} (failed): released 1 row of queue: 1 back to the pool" in lines
    assert any(
        line.startswith(f"run {second['run_id']} (failed): released 1 row of queue: 0 back")
        and "1 taken" in line
        for line in lines
    ), released.out
    assert states(cli) == [("approved", False), ("taken", False)]

    nothing = cli("content", "release", "--sandbox")
    assert nothing.code == 0 and "no claimed rows" in nothing.err and nothing.out == ""
    unknown = cli("content", "release", "--sandbox", "nope")
    assert unknown.code == 2 and "no run with id 'nope'" in unknown.err

    # a released run never resumes: its journalled pick (row 1) is back in the pool
    refused = cli("resume", "--sandbox", first["run_id"])
    assert refused.code == 2, refused.out + refused.err
    assert "cannot resume: `narrator content release`" in refused.err
    assert "Traceback" not in refused.err
    latest = cli("resume", "--sandbox", "--latest", file)
    assert latest.code != 0 and "no failed, interrupted or abandoned run" in latest.err
    assert states(cli) == [("approved", False), ("taken", False)]
    shown_run = cli("runs", "show", "--sandbox", first["run_id"], "--json").json()
    assert shown_run["status"] == "failed"
    assert "its content claims were released" in shown_run["error"]


def _seed_runs(url: str, table: str) -> tuple[str, str]:
    """Two runs holding one row each of ``table``: one failed long ago (its lease
    expired), one running now with a live owner (this test's process)."""
    dead, live = (f"{uuid.uuid4().hex[:12]}{n}" for n in ("d", "l"))
    now = datetime.now(UTC)
    db = open_database(url)
    try:
        db.content.insert(table, [{"n": i} for i in range(3)], Provenance(), status="approved")
        me = RunOwner(this_host(), os.getpid(), uuid.uuid4().hex)
        db.journal.start_run(dead, "post", "post.toml", {}, owner=me, lease_expires_at=now)
        db.journal.finish_run(dead, "failed", error="send failed")
        soon = now + timedelta(hours=1)
        db.journal.start_run(live, "post", "post.toml", {}, owner=me, lease_expires_at=soon)
        pick = Query(table, where=parse_where("status = 'approved'"), limit=1)
        db.content.take(pick, f"{dead}/pick/1")
        db.content.take(pick, f"{live}/pick/1")
    finally:
        db.close()
    return dead, live


def check_release_leaves_a_live_run_alone(cli: Cli, db: tuple[str, ...], table: str) -> None:
    url = db[1]
    dead, live = _seed_runs(url, table)
    busy = cli(*db, "content", "release", live)
    assert busy.code == 1
    assert f"run {live} is running (pid {os.getpid()} on {this_host()})" in busy.err
    assert "Traceback" not in busy.err

    released = cli(*db, "content", "release", "--table", table, "--json")
    assert released.code == 0, released.err
    by_run = {r["run_id"]: r for r in released.json()}
    assert by_run[dead] == {
        "run_id": dead,
        "state": "failed",
        "rows": 1,
        "tables": [table],
        "live": False,
        "released": 1,
        "taken": 0,
        "owner": None,
    }
    assert by_run[live]["live"] and by_run[live]["released"] == 0
    listed = cli(*db, "content", "list", table, "--json").json()
    assert [r.get("claimed_by") for r in listed] == [None, f"{live}/pick/1", None]
    assert [r["status"] for r in listed] == ["approved"] * 3


def test_release_leaves_a_live_run_alone_on_sqlite(cli: Cli) -> None:
    url = f"sqlite:///{cli.cwd}/narrator.db"
    check_release_leaves_a_live_run_alone(cli, ("--database", url), "queue")


@pytest.mark.postgres
def test_release_on_postgresql(cli: Cli, postgres_url: str) -> None:
    table = f"queue_{uuid.uuid4().hex[:8]}"
    check_release_leaves_a_live_run_alone(cli, ("--database", postgres_url), table)
