"""The `running` row of an act rides the previous act's commit (issue 14), and crash
recovery still finds it: committed before the act's commands run, never left behind."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import event

from narrator.executor import Executor, Services
from narrator.executor.resume import resume_point
from narrator.parser import parse
from narrator.protocols import CommandCall, CommandResult, RunJournal
from narrator.state import open_database
from narrator.state.memory import MemoryRunJournal, MemoryStateRepository
from narrator.testing import RecordingPlatform, StaticPlatforms

PLAN = """
[narrative]
name = "announce"

[[act]]
name = "one"
output_var = "one"
[[act.input]]
type = "bot_command"
platform = "discord"
command = "messages.send"
[act.input.args]
channel_id = "100"
content = "first"

[[act]]
name = "two"
skip_if = "{state.one.id}"
[[act.input]]
type = "bot_command"
platform = "discord"
command = "messages.send"
[act.input.args]
channel_id = "100"
content = "never"

[[act]]
name = "three"
[[act.input]]
type = "bot_command"
platform = "discord"
command = "messages.send"
[act.input.args]
channel_id = "100"
content = "third {state.one.id}"

[[act]]
name = "four"
[[act.input]]
type = "bot_command"
platform = "discord"
command = "messages.send"
[act.input.args]
channel_id = "100"
content = "fourth"
"""


@dataclass
class Peeking(RecordingPlatform):
    """Reads the act's journal row from another connection while its command runs."""

    journal: RunJournal | None = None
    seen: list[tuple[str, str]] = field(default_factory=list)

    async def execute(self, call: CommandCall) -> CommandResult:
        assert self.journal is not None
        record = self.journal.get_run(call.run_id)
        assert record is not None
        rows = [a for a in record.acts if a.name == call.act]
        self.seen.append((call.act, rows[-1].status if rows else "no row"))
        return await super().execute(call)


def _services(state: Any, journal: Any, platform: Any, **extra: Any) -> Services:
    return Services(
        state=state,
        journal=journal,
        platforms=StaticPlatforms([platform]),
        env={},
        **extra,
    )


def test_one_commit_per_act_and_each_act_is_running_before_its_commands(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/runs.db"
    with open_database(url) as db, open_database(url) as other:
        commits: list[int] = []
        event.listen(db.engine, "commit", lambda _conn: commits.append(1))
        platform = Peeking(guild_id="7", journal=other.journal)
        services = _services(db.state, db.journal, platform, unit_of_work=db.unit_of_work)
        with db.hold():
            outcome = asyncio.run(Executor(services).run(parse(PLAN), run_id="r1"))
        assert outcome.status == "done"
        assert [a.status for a in outcome.acts] == ["done", "skipped", "done", "done"]
        # the running row of each act was committed (another connection sees it) before
        # its command ran: a crash there leaves it `running`, and a resume reconciles it
        assert platform.seen == [("one", "running"), ("three", "running"), ("four", "running")]
        # start_run, the first act's `running` row, one commit per act, finish_run
        assert len(commits) == 1 + 1 + 4 + 1
        record = db.journal.get_run("r1")
        assert record is not None
        assert [(a.seq, a.name, a.status) for a in record.acts] == [
            (1, "one", "done"),
            (2, "two", "skipped"),
            (3, "three", "done"),
            (4, "four", "done"),
        ]
        for act in record.acts:
            assert act.started_at is not None and act.finished_at is not None
            assert act.started_at <= act.finished_at


def test_a_run_stopped_after_announcing_an_act_leaves_no_running_row() -> None:
    state, journal = MemoryStateRepository(), MemoryRunJournal()
    platform = RecordingPlatform(guild_id="7")
    asked: list[int] = []

    def should_stop() -> bool:  # before one, at one's commit, before two: stop
        asked.append(1)
        return len(asked) >= 3

    services = _services(state, journal, platform, should_stop=should_stop)
    outcome = asyncio.run(Executor(services).run(parse(PLAN), run_id="r2"))
    assert outcome.status == "interrupted"
    record = journal.get_run("r2")
    assert record is not None
    assert [(a.seq, a.name, a.status) for a in record.acts] == [
        (1, "one", "done"),
        (2, "two", "interrupted"),
    ]
    assert record.acts[1].error == "not started: the run stopped before this act"
    assert [c.act for c in platform.writes] == ["one"]

    point = resume_point(record)  # a resume: one is kept, two is decided again
    assert set(point.done) == {(0, "one")}
    resumed = _services(state, journal, platform)
    again = asyncio.run(
        Executor(resumed).run(
            parse(PLAN),
            run_id="r2",
            resume=point.done,
            seq_start=point.seq,
            reconcile=point.reconcile,
        )
    )
    assert again.status == "done"
    assert [c.act for c in platform.writes] == ["one", "three", "four"]  # nothing twice
    final = journal.get_run("r2")
    assert final is not None
    assert "running" not in {a.status for a in final.acts}
