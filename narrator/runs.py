"""Runs as plain functions: run, plan and resume a narrative — the CLI and the worker share them.

* :func:`resume_point` reads where a journalled run stopped: the acts that
  finished (not done again), the acts cut off mid-act (redone, reconciling
  with what already happened since they started), the last sequence number.
* :func:`check_resumable` / :func:`latest_resumable` decide which runs may
  resume: failed, interrupted, or *abandoned* (``running`` with its owner gone).
* :class:`Ownership` holds a run for the length of a ``with``: the narrative
  lock (one run of a narrative at a time), the run's owner row, and one thread
  renewing both leases every few seconds — never a commit per act.
* :func:`execute` wires the runtime and runs (or plans) through the executor.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from narrator.errors import NarratorError, RunNotFound, UsageError
from narrator.executor.resume import ResumePoint, resume_point
from narrator.leases import (
    LockHolder,
    describe_holder,
    display_status,
    lock_name,
    new_owner,
    owner_gone,
    pid_alive,
    this_host,
)
from narrator.protocols import RunJournal, RunOwner, RunRecord

if TYPE_CHECKING:
    from narrator.config import Config
    from narrator.executor import Reporter, RunOutcome
    from narrator.plan import Plan
    from narrator.runtime import RunOptions
    from narrator.state import Database, MemoryDatabase
    from narrator.state.locks import LockStore

__all__ = [
    "LEASE_SECONDS",
    "RENEW_SECONDS",
    "LockHeld",
    "Ownership",
    "ResumePoint",
    "RunBusy",
    "check_resumable",
    "execute",
    "latest_resumable",
    "narrative_lock",
    "resume_point",
    "run_status",
]

LEASE_SECONDS = 30.0  # a run's (and its lock's) lease; renewed every RENEW_SECONDS
RENEW_SECONDS = 10.0
RESUMABLE = ("failed", "interrupted", "abandoned")


class RunBusy(NarratorError):
    """A run (or a narrative's lock) belongs to a process that is still alive."""


class LockHeld(RunBusy):
    """Another process runs this narrative now."""


# ----------------------------------------------------------------------------- resuming


def run_status(record: RunRecord, now: datetime | None = None) -> str:
    """The status people see (``abandoned`` for a running run whose owner is gone)."""
    from narrator.clock import SystemClock

    return display_status(record, now or SystemClock().now(), host=this_host(), alive=pid_alive)


def check_resumable(record: RunRecord, now: datetime | None = None) -> str:
    """The run's status when it may resume; otherwise a one-line error that says why."""
    status = run_status(record, now)
    if status in RESUMABLE:
        return status
    if status == "running":
        owner = record.owner
        who = f"pid {owner.pid} on {owner.host}" if owner else "another process"
        raise RunBusy(
            f"run {record.run_id} is running ({who}); a live run cannot be resumed",
            hint="wait for it to finish, or stop that process (Ctrl-C) and resume then",
        )
    raise UsageError(
        f"run {record.run_id} is {status}; only failed or interrupted runs resume "
        "(and abandoned ones, whose process is gone)",
        hint=f"start it again with `narrator run {record.source}`",
    )


def latest_resumable(journal: RunJournal, file: str, now: datetime | None = None) -> RunRecord:
    """The newest failed, interrupted or abandoned run of narrative ``file``."""
    target = Path(file).resolve()
    for record in journal.list_runs(500, statuses=("running", "failed", "interrupted")):
        if Path(record.source).resolve() != target:
            continue
        if run_status(record, now) in RESUMABLE:
            return record
    raise RunNotFound(
        f"no failed, interrupted or abandoned run of {file}",
        hint=f"`narrator runs list` shows every run; `narrator run {file}` starts a new one",
    )


# ----------------------------------------------------------------------------- locks


def _uses_discord(plan: Plan) -> bool:
    for act in plan.acts:
        if any(c.platform == "discord" for c in act.commands):
            return True
        if act.subplan is not None and _uses_discord(act.subplan):
            return True
    return False


def narrative_lock(plan: Plan, config: Config, options: RunOptions) -> str:
    """The lock a run of ``plan`` takes: its name, and its guild when it talks to Discord."""
    from narrator.runtime import default_guild, environment

    guild: str | None = None
    if _uses_discord(plan):
        env = environment(options, config)
        guild = plan.guild_id or default_guild(options, config, env)
        if guild and guild.startswith("${") and guild.endswith("}"):
            guild = env.get(guild[2:-1]) or None
    return lock_name(plan.name, guild)


class Ownership:
    """Owns a run for the length of a ``with`` block.

    Entering takes the narrative lock (``lock``; waiting up to ``wait`` seconds
    when another live process holds it, else :class:`LockHeld`), takes over an
    existing run (``resume``: a conditional UPDATE on its old owner token, so of
    two concurrent resumes one proceeds) and starts a thread that renews the
    run's lease and the lock's every ``renew`` seconds. Leaving stops the thread
    and releases the lock — on every exit path that runs Python at all; after a
    ``kill -9`` the dead pid (same host) or the expired lease frees both.
    """

    def __init__(
        self,
        journal: RunJournal,
        locks: LockStore | None,
        run_id: str,
        *,
        lock: str | None = None,
        resume: RunRecord | None = None,
        wait: float | None = None,
        on_wait: Callable[[str], None] | None = None,
        lease: float = LEASE_SECONDS,
        renew: float = RENEW_SECONDS,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        from narrator.clock import SystemClock

        self.journal = journal
        self.locks = locks if lock else None
        self.run_id = run_id
        self.lock = lock
        self.resume = resume
        self.wait = wait
        self.on_wait = on_wait or (lambda _text: None)
        self.lease = lease
        self.renew = renew
        self.clock = clock or SystemClock().now
        self.owner: RunOwner = new_owner()
        self._held = False
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    def lease_until(self) -> datetime:
        return self.clock() + timedelta(seconds=self.lease)

    def __enter__(self) -> Ownership:
        self._take_lock()
        try:
            if self.resume is not None:
                self._take_run(self.resume)
        except BaseException:
            self._release()
            raise
        self._thread = threading.Thread(target=self._renew, name="run-lease", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join()
        self._release()

    # ------------------------------------------------------------------ parts

    def _gone(self, holder: LockHolder) -> bool:
        return owner_gone(
            holder.owner, holder.expires_at, self.clock(), host=this_host(), alive=pid_alive
        )

    def _take_lock(self) -> None:
        if self.locks is None or self.lock is None:
            return
        deadline = None if self.wait is None else time.monotonic() + self.wait
        seen: str | None = None
        while True:
            holder = self.locks.acquire(
                self.lock, self.owner, self.run_id, self.lease_until(), self._gone
            )
            if holder is None:
                self._held = True
                return
            who = describe_holder(holder)
            if deadline is None or time.monotonic() >= deadline:
                waited = "" if deadline is None else f"; gave up waiting after {self.wait:g} s"
                raise LockHeld(
                    f"{self.lock.removeprefix('narrative:')} is being run by {who}{waited}",
                    hint="one run of a narrative at a time: wait for it with "
                    "`--wait` (or `--wait 10m`), or stop that run and resume it later",
                )
            if who != seen:
                limit = "" if math.isinf(self.wait or 0) else f" (up to {self.wait:g} s)"
                self.on_wait(f"waiting{limit} for {self.lock} — held by {who}")
                seen = who
            time.sleep(min(0.5, max(0.05, deadline - time.monotonic())))

    def _take_run(self, record: RunRecord) -> None:
        status = record.status
        token = record.owner.token if record.owner else None
        if not self.journal.take_over(
            record.run_id,
            expected_token=token,
            expected_status=status,
            owner=self.owner,
            lease_expires_at=self.lease_until(),
        ):
            raise RunBusy(
                f"run {record.run_id} was just taken over by another process",
                hint="`narrator runs show " + record.run_id + "` shows who runs it now",
            )

    def _renew(self) -> None:
        while not self._done.wait(self.renew):
            try:
                self.journal.renew_lease(self.run_id, self.owner.token, self.lease_until())
                if self.locks is not None and self._held and self.lock:
                    self.locks.renew(self.lock, self.owner.token, self.lease_until())
            except NarratorError:  # a database hiccup: the next renewal tries again
                continue

    def _release(self) -> None:
        if self.locks is not None and self._held and self.lock:
            self._held = False
            with contextlib.suppress(NarratorError):  # else its lease expires on its own
                self.locks.release(self.lock, self.owner.token)


# ----------------------------------------------------------------------------- running


async def execute(
    plan: Plan,
    *,
    config: Config,
    database: Database | MemoryDatabase,
    options: RunOptions,
    reporter: Reporter | None = None,
    run_id: str | None = None,
    point: ResumePoint | None = None,
    ownership: Ownership | None = None,
    dry_run: bool = False,
    should_stop: Callable[[], bool] | None = None,
) -> RunOutcome:
    """Run (or, with ``dry_run``, plan) ``plan`` through the runtime and the executor.

    ``should_stop`` is asked before each act (a worker's SIGTERM); True ends the run
    ``interrupted`` between two acts."""
    from narrator.executor import Executor
    from narrator.runtime import open_runtime

    async with open_runtime(config, database, options, reporter) as services:
        services.should_stop = should_stop
        executor = Executor(services)
        if dry_run:
            return await executor.plan(plan)
        return await executor.run(
            plan,
            run_id=run_id,
            vars_=options.vars,
            resume=point.done if point is not None else None,
            seq_start=point.seq if point is not None else 0,
            reconcile=point.reconcile if point is not None else None,
            owner=ownership.owner if ownership is not None else None,
            lease_expires_at=ownership.lease_until() if ownership is not None else None,
        )
