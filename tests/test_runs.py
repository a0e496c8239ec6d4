"""Durable runs in process: resume points, owners and leases, narrative locks, take-overs.

Real parts only: the executor with the public fakes, the memory journal, real
SQLite files and (marked ``postgres``) a real PostgreSQL server.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from narrator.errors import NarratorError
from narrator.executor import Executor, Services
from narrator.leases import LockHolder, display_status, new_owner, owner_gone, pid_alive
from narrator.parser import parse
from narrator.protocols import ActRecord, CommandCall, CommandResult, RunOwner, RunRecord
from narrator.runs import LockHeld, Ownership, RunBusy, check_resumable, resume_point
from narrator.state import MemoryRunJournal, MemoryStateRepository, open_database
from narrator.testing import FakeClock, RecordingPlatform, StaticPlatforms
from tests.postgres import reset_database

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

THREE_SENDS = """
[narrative]
name = "three"
""" + "".join(
    f"""
[[act]]
name = "post_{i}"
[[act.input]]
type = "bot_command"
platform = "discord"
command = "messages.send"
[act.input.args]
channel_id = "1"
content = "post {i}"
"""
    for i in (1, 2, 3)
)


def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


# ----------------------------------------------------------------------------- pure decisions


def test_resume_point_keeps_done_acts_and_reconciles_cut_off_ones_since_their_first_attempt() -> (
    None
):
    """done acts are kept; an act whose last row is running (crash) or interrupted (signal)
    is redone with reconcile_since = when its first cut-off attempt started; a failed retry
    keeps that moment; a later done row clears it; seq continues after the last row."""
    t = [T0 + timedelta(seconds=i) for i in range(8)]
    record = RunRecord(
        "r",
        "n",
        "s",
        "running",
        T0,
        acts=(
            ActRecord("r", 1, "a", "done", None, output={"id": "1"}, started_at=t[0]),
            ActRecord("r", 2, "b", "running", None, started_at=t[1]),
            ActRecord("r", 3, "b", "failed", None, started_at=t[2]),
            ActRecord("r", 4, "c", "interrupted", 2, started_at=t[3]),
            ActRecord("r", 5, "d", "interrupted", None, started_at=t[4]),
            ActRecord("r", 6, "d", "done", None, output="ok", started_at=t[5]),
        ),
    )
    point = resume_point(record)
    assert point.done == {(0, "a"): {"id": "1"}, (0, "d"): "ok"}
    assert point.reconcile == {(0, "b"): t[1], (2, "c"): t[3]}
    assert point.seq == 6


def test_an_owner_is_gone_when_its_lease_expired_or_its_pid_on_this_host_is_dead() -> None:
    """Live: lease ahead and pid alive (or on another host). Gone: no owner, an expired
    lease, or a dead pid on this host. A running run whose owner is gone is 'abandoned'."""
    me = RunOwner("here", 10, "t")
    later = T0 + timedelta(seconds=30)

    def alive(pid: int) -> bool:
        return pid == 10

    assert not owner_gone(me, later, T0, host="here", alive=alive)
    assert owner_gone(me, T0, T0, host="here", alive=alive)
    assert owner_gone(None, later, T0, host="here", alive=alive)
    assert owner_gone(RunOwner("here", 11, "t"), later, T0, host="here", alive=alive)
    assert not owner_gone(RunOwner("there", 11, "t"), later, T0, host="here", alive=alive)
    running = RunRecord("r", "n", "s", "running", T0, owner=me, lease_expires_at=T0)
    assert display_status(running, T0, host="here", alive=alive) == "abandoned"
    failed = RunRecord("r", "n", "s", "failed", T0, owner=me, lease_expires_at=T0)
    assert display_status(failed, T0, host="here", alive=alive) == "failed"
    assert pid_alive(sys.modules["os"].getpid()) and not pid_alive(dead_pid())


def test_check_resumable_refuses_a_live_run_and_a_done_run_and_accepts_an_abandoned_one() -> None:
    """A running run whose pid is alive: RunBusy (exit 1). A done run: exit 2. A running run
    whose pid on this host is dead: 'abandoned', resumable."""
    lease = datetime.now(UTC) + timedelta(seconds=30)
    owner = new_owner()
    live = RunRecord("r", "n", "s", "running", T0, owner=owner, lease_expires_at=lease)
    with pytest.raises(RunBusy) as busy:
        check_resumable(live)
    assert busy.value.exit_code == 1 and "cannot be resumed" in str(busy.value)
    with pytest.raises(NarratorError) as done:
        check_resumable(RunRecord("r", "n", "s", "done", T0))
    assert done.value.exit_code == 2
    dead = RunOwner(owner.host, dead_pid(), "x")
    gone = RunRecord("r", "n", "s", "running", T0, owner=dead, lease_expires_at=lease)
    assert check_resumable(gone) == "abandoned"


# ----------------------------------------------------------------------------- executor


@dataclass
class HangingPlatform:
    """Sends like RecordingPlatform, but the send of ``hang_on`` content never answers."""

    inner: RecordingPlatform
    hang_on: str
    started: asyncio.Event | None = None
    name: str = "discord"

    async def execute(self, call: CommandCall) -> CommandResult:
        if call.args.get("content") == self.hang_on and call.reconcile_since is None:
            assert self.started is not None
            self.started.set()
            await asyncio.sleep(3600)
        return await self.inner.execute(call)

    async def aclose(self) -> None:
        pass


def test_a_cancelled_run_is_interrupted_its_act_not_done_and_resume_reconciles_that_act() -> None:
    """Cancelling the run's task (what SIGINT does) mid-send: the run is 'interrupted' (not
    done), the act in flight is journalled 'interrupted' with no state written; the resume
    skips the finished act and gives the cut-off act's command reconcile_since = when it
    started, and no other command."""
    journal = MemoryRunJournal()
    state = MemoryStateRepository()
    recording = RecordingPlatform(guild_id="7")
    platform = HangingPlatform(recording, hang_on="post 2")
    plan = parse(THREE_SENDS)

    def services() -> Services:
        return Services(
            state=state,
            journal=journal,
            platforms=StaticPlatforms([platform]),  # type: ignore[list-item]
            clock=FakeClock(),
        )

    async def first() -> Any:
        platform.started = asyncio.Event()
        task = asyncio.create_task(Executor(services()).run(plan, run_id="run-1"))
        await platform.started.wait()
        task.cancel()
        return await task

    outcome = asyncio.run(first())
    assert outcome.status == "interrupted"
    record = journal.get_run("run-1")
    assert record is not None and record.status == "interrupted"
    assert [(a.name, a.status) for a in record.acts] == [
        ("post_1", "done"),
        ("post_2", "interrupted"),
    ]
    point = resume_point(record)
    assert set(point.done) == {(0, "post_1")}
    since = record.acts[1].started_at
    recording.calls.clear()
    resumed = asyncio.run(
        Executor(services()).run(
            plan,
            run_id="run-1",
            resume=point.done,
            seq_start=point.seq,
            reconcile=point.reconcile,
        )
    )
    assert resumed.status == "done"
    assert [(c.args["content"], c.reconcile_since) for c in recording.calls] == [
        ("post 2", since),
        ("post 3", None),
    ]


# ------------------------------------------------------------------------- SQL: locks, take-over


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """An empty database on SQLite or (marked postgres) PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/runs.db"
    else:
        url = request.getfixturevalue("postgres_url")
        open_database(url).close()
        reset_database(url)
    db = open_database(url)
    try:
        yield db
    finally:
        db.close()


def test_a_lock_is_held_by_one_owner_and_its_holder_is_named(database: Any) -> None:
    """The first owner takes it; a second (live) owner gets the holder back (pid, host, run,
    since); renew and release work only with the holder's token; after release it is free."""
    locks = database.locks
    a, b = new_owner(), RunOwner(new_owner().host, sys.modules["os"].getpid(), "b-token")
    until = datetime.now(UTC) + timedelta(seconds=30)

    def never_gone(_holder: LockHolder) -> bool:
        return False

    assert locks.acquire("narrative:x", a, "run-a", until, never_gone) is None
    holder = locks.acquire("narrative:x", b, "run-b", until, never_gone)
    assert holder is not None and holder.owner == a and holder.run_id == "run-a"
    assert not locks.renew("narrative:x", b.token, until)
    assert locks.renew("narrative:x", a.token, until)
    assert not locks.release("narrative:x", b.token) and locks.release("narrative:x", a.token)
    assert locks.acquire("narrative:x", b, "run-b", until, never_gone) is None


def test_a_dead_holders_lock_is_taken_over_by_exactly_one_of_many_racers(database: Any) -> None:
    """A holder whose pid is dead (same host) or whose lease expired is replaced; of eight
    threads racing for it, exactly one gets it."""
    locks = database.locks
    host = new_owner().host
    until = datetime.now(UTC) + timedelta(seconds=30)
    dead = RunOwner(host, dead_pid(), "dead")
    assert locks.acquire("narrative:y", dead, "old", until, lambda h: False) is None
    expired = RunOwner("elsewhere", 1, "expired")
    past = datetime.now(UTC) - timedelta(seconds=1)
    assert locks.acquire("narrative:z", expired, "old", past, lambda h: False) is None

    def gone(holder: LockHolder) -> bool:
        return owner_gone(
            holder.owner, holder.expires_at, datetime.now(UTC), host=host, alive=pid_alive
        )

    for name in ("narrative:y", "narrative:z"):
        winners: list[RunOwner] = []
        barrier = threading.Barrier(8)

        owners = [RunOwner(host, sys.modules["os"].getpid(), f"t{i}") for i in range(8)]
        threads = [
            threading.Thread(target=_race, args=(locks, name, o, until, gone, barrier, winners))
            for o in owners
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(winners) == 1, name
        holder = locks.holder(name)
        assert holder is not None and holder.owner == winners[0]


def _race(
    locks: Any,
    name: str,
    owner: RunOwner,
    until: datetime,
    gone: Any,
    barrier: threading.Barrier,
    winners: list[RunOwner],
) -> None:
    barrier.wait()
    if locks.acquire(name, owner, "new", until, gone) is None:
        winners.append(owner)


def test_of_two_concurrent_take_overs_of_one_run_exactly_one_proceeds(database: Any) -> None:
    """The take-over is conditional on the old owner token and status: eight threads
    resuming one abandoned run — one wins, the others are refused; the run is running,
    owned by the winner, and its lease renews only for the winner."""
    journal = database.journal
    old = RunOwner("gone-host", 1, "old-token")
    journal.start_run("run-1", "n", "s", {}, owner=old, lease_expires_at=T0)
    until = datetime.now(UTC) + timedelta(seconds=30)
    barrier = threading.Barrier(8)
    results: list[tuple[str, bool]] = []

    def take(i: int) -> None:
        owner = RunOwner("here", 100 + i, f"token-{i}")
        barrier.wait()
        ok = journal.take_over(
            "run-1",
            expected_token="old-token",
            expected_status="running",
            owner=owner,
            lease_expires_at=until,
        )
        results.append((owner.token, ok))

    threads = [threading.Thread(target=take, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [token for token, ok in results if ok]
    assert len(winners) == 1
    record = journal.get_run("run-1")
    assert record.status == "running" and record.owner.token == winners[0]
    assert journal.renew_lease("run-1", winners[0], until)
    assert not journal.renew_lease("run-1", "old-token", until)


def test_ownership_takes_the_lock_renews_both_leases_and_releases_on_exit(database: Any) -> None:
    """Inside `with Ownership(...)` the lock is held and a second Ownership of the same lock
    fails with LockHeld naming the run; the background thread renews the run's lease and the
    lock's; leaving releases the lock, even when the block raised."""
    journal = database.journal
    first = Ownership(journal, database.locks, "run-1", lock="narrative:w", lease=5, renew=0.05)
    with first:
        journal.start_run("run-1", "w", "w.toml", {}, owner=first.owner, lease_expires_at=T0)
        second = Ownership(journal, database.locks, "run-2", lock="narrative:w")
        with pytest.raises(LockHeld) as held:
            second.__enter__()
        assert "run-1" in str(held.value) and "--wait" in str(held.value)
        deadline = datetime.now(UTC) + timedelta(seconds=10)
        while journal.get_run("run-1").lease_expires_at <= T0:
            assert datetime.now(UTC) < deadline, "the lease was never renewed"
        assert database.locks.holder("narrative:w").expires_at > datetime.now(UTC)
    assert database.locks.holder("narrative:w") is None
    third = Ownership(journal, database.locks, "run-3", lock="narrative:w")
    with pytest.raises(RuntimeError), third:
        raise RuntimeError("boom")
    assert database.locks.holder("narrative:w") is None


def test_a_run_summary_keeps_no_variable_the_config_names_a_secret() -> None:
    """Defence in depth behind the CLI's refusal: journal_vars drops the token_env and
    api_key_env names (and the default secret names), keeping every other variable."""
    from narrator.config import Config
    from narrator.runs import journal_vars

    config = Config.model_validate({"discord": {"token_env": "MY_BOT_TOKEN"}})
    kept = journal_vars(
        {"MY_BOT_TOKEN": "t", "DISCORD_TOKEN": "d", "OPENAI_API_KEY": "k", "GUILD_ID": "1"},
        config,
    )
    assert kept == {"GUILD_ID": "1"}


SLOT_NARRATIVE = """
[narrative]
name = "morning_post"
guild_id = "7"

[[act]]
name = "post"
[[act.input]]
type = "bot_command"
command = "messages.send"
args = { channel_id = "1", content = "good morning" }
"""


def test_a_worker_slot_waits_for_a_manual_run_of_its_narrative_then_says_who_held_it(
    database: Any,
) -> None:
    """Cron plus a hand-started run: while a live `narrator run` of the same narrative holds
    its lock, the slot does not run beside it — it waits, then fails naming the holder and
    having sent nothing; once the lock is free the slot runs."""
    from narrator.config import Config
    from narrator.runs import narrative_lock, run_slot
    from narrator.runtime import RunOptions

    config = Config.model_validate(
        {"platforms": {"discord": {"factory": "narrator.testing:RecordingPlatform"}}}
    )
    plan = parse(SLOT_NARRATIVE, "morning.toml")
    options = RunOptions()
    notes: list[str] = []

    class Notes:
        def act_started(self, act: str, iteration: int | None) -> None:
            pass

        def act_finished(self, outcome: Any) -> None:
            pass

        def note(self, text: str) -> None:
            notes.append(text)

        def iteration_finished(self, iteration: int, total: int, elapsed: float) -> None:
            pass

        def carousel_started(self, iterations: int, interval: float) -> None:
            pass

        def waiting(self, seconds: float, reason: str) -> None:
            pass

    def slot(run_id: str) -> tuple[str, str | None]:
        return asyncio.run(
            run_slot(
                plan,
                run_id,
                config=config,
                database=database,
                options=options,
                reporter=Notes(),
                should_stop=lambda: False,
                lock_wait=0.3,
            )
        )

    manual = Ownership(
        database.journal, database.locks, "manual-run", lock=narrative_lock(plan, config, options)
    )
    with manual:
        status, error = slot("slot-run-1")
    assert status == "failed"
    assert error is not None and "manual-run" in error
    assert any("wait" in note for note in notes)
    assert database.journal.get_run("slot-run-1") is None  # nothing ran
    assert slot("slot-run-2") == ("done", None)
