"""The worker: claim due slots, run their narratives, record — many workers, one database.

Each tick asks the database for due work with a constant number of queries
(:meth:`ScheduleStore.due_work`), then for each candidate tries to claim a
slot (:meth:`ScheduleStore.claim`) or to take over a slot whose worker died
(:meth:`ScheduleStore.reclaim`). A claimed slot runs through the normal
runtime and executor with a run id derived from the slot
(:func:`narrator.scheduler.run_id_for`), so every side effect's idempotency key
is the slot's: a slot taken over after a crash resumes its run from the
journal and does not post again what it already posted. While the slot runs, a
thread renews its lease.

Stopping: :meth:`Worker.stop` (the CLI calls it on SIGTERM/SIGINT) lets the
current act finish, records the run as interrupted, gives the slot back so
another worker resumes it at once, and returns.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from narrator.errors import NarratorError

if TYPE_CHECKING:
    from narrator.config import Config
    from narrator.outcome import ActOutcome
    from narrator.plan import Plan
    from narrator.protocols import Clock, WaitReason
    from narrator.state import Database
    from narrator.state.schedules import Claim, ScheduleRecord, ScheduleStore

__all__ = ["SlotResult", "Worker", "WorkerOptions", "default_worker_id"]

_MIN_WAIT = 0.001  # seconds: a slot due "now" is claimed on the next tick, not busy-looped


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class WorkerOptions:
    once: bool = False
    poll: float = 5.0  # longest idle sleep; an idle worker wakes when the next slot is due
    lease: float = 60.0  # seconds a claim holds without renewal
    sandbox: bool = False
    worker_id: str = field(default_factory=default_worker_id)


@dataclass(frozen=True)
class SlotResult:
    schedule: str
    scheduled_for: datetime
    run_id: str
    status: str  # done, failed, interrupted
    error: str | None = None


class _LogReporter:
    """Progress lines of a slot's run, prefixed with the schedule's name."""

    def __init__(self, log: Callable[[str], None], prefix: str) -> None:
        self.log = log
        self.prefix = prefix

    def act_started(self, act: str, iteration: int | None) -> None:
        pass

    def act_finished(self, outcome: ActOutcome) -> None:
        where = f" [{outcome.iteration}]" if outcome.iteration else ""
        tail = f": {outcome.error}" if outcome.error else ""
        self.log(f"{self.prefix} {outcome.status} {outcome.name}{where}{tail}")

    def note(self, text: str) -> None:
        self.log(f"{self.prefix} {text}")

    def iteration_finished(self, iteration: int, total: int, elapsed: float) -> None:
        self.log(f"{self.prefix} iteration {iteration}/{total} finished ({elapsed:.1f}s)")

    def carousel_started(self, iterations: int, interval: float) -> None:
        pass

    def waiting(self, seconds: float, reason: WaitReason) -> None:
        pass  # the note before it already said why and how long


def _scheduled_plan(record: ScheduleRecord, config: Config, log: Callable[[str], None]) -> Plan:
    """The plan of what was scheduled: the stored text and nested files, never this disk.

    A schedule added before narratives were stored (no text) runs its file from
    this machine's disk, and says so.
    """
    from narrator.config import secret_env_names
    from narrator.parser import parse_file
    from narrator.parser.stored import parse_stored

    secrets = secret_env_names(config)  # narrator.toml's secrets stay unreadable
    stored = record.stored
    if stored is None:
        log(
            f"[{record.name}] scheduled before narratives were stored: running {record.file} "
            f"from this machine's disk; `narrator schedule refresh {record.name}` stores it"
        )
        return parse_file(record.file, secrets=secrets, narrative=record.narrative_name)
    return parse_stored(
        stored.text, stored.files, record.file, secrets=secrets, narrative=stored.narrative
    )


class Worker:
    """Runs due slots of every schedule in ``store`` until stopped (or, with once, idle)."""

    def __init__(
        self,
        store: ScheduleStore,
        *,
        config: Config,
        run_database: Database,
        clock: Clock,
        options: WorkerOptions | None = None,
        log: Callable[[str], None] = lambda _text: None,
    ) -> None:
        self.store = store
        self.config = config
        self.run_database = run_database
        self.clock = clock  # what is due, claims and leases are decided on clock.now()
        self.options = options or WorkerOptions()
        self.log = log
        self._stop = threading.Event()
        self._next_wake: datetime | None = None
        self.results: list[SlotResult] = []

    # ------------------------------------------------------------------ control

    def stop(self) -> None:
        """Finish the current act, record the run, give the slot back, and return."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def serve(self) -> int:
        """Tick until stopped (or, with ``once``, until a tick finds nothing to run)."""
        while not self._stop.is_set():
            ran, found = self.tick()
            if ran:
                continue
            if self.options.once:
                break
            self._stop.wait(min(self.options.poll, 0.1) if found else self._idle_wait())
        return 1 if any(r.status == "failed" for r in self.results) else 0

    def _idle_wait(self) -> float:
        """Seconds to sleep when nothing is due: until the earliest next slot or lease
        expiry the last tick saw, but never longer than ``poll`` (a schedule added by
        another process is seen within ``poll``)."""
        wake = self._next_wake
        if wake is None:
            return self.options.poll
        seconds = (wake - self.clock.now()).total_seconds()
        return min(self.options.poll, max(seconds, _MIN_WAIT))

    def tick(self) -> tuple[int, bool]:
        """One pass over due work: (slots run, whether any due work was seen)."""
        opts = self.options
        work = self.store.due_work(self.clock.now())
        self._next_wake = work.next_wake
        ran = 0
        for schedule_id, slot in work.expired:
            if self._stop.is_set():
                break
            claim = self.store.reclaim(
                schedule_id, slot, self.clock.now(), opts.worker_id, opts.lease
            )
            if claim is not None:
                self.run_claim(claim)
                ran += 1
        for record in work.schedules:
            if self._stop.is_set():
                break
            claim = self.store.claim(record.id, self.clock.now(), opts.worker_id, opts.lease)
            if claim is not None:
                self.run_claim(claim)
                ran += 1
        return ran, bool(work)

    # ------------------------------------------------------------------ one slot

    def run_claim(self, claim: Claim) -> SlotResult:
        """Run one claimed slot with its lease renewed in the background; record it."""
        name = claim.schedule.name
        slot_text = claim.scheduled_for.astimezone(UTC).isoformat()
        verb = "resuming" if claim.resumed else "running"
        self.log(f"[{name} {slot_text}] {verb} slot (run {claim.run_id}, attempt {claim.attempts})")
        lost = threading.Event()
        done = threading.Event()
        renewer = threading.Thread(
            target=self._renew, args=(claim, done, lost), name="lease-renewer", daemon=True
        )
        renewer.start()
        error: str | None = None
        try:
            status, error = self._execute(claim, lost)
        finally:
            done.set()
            renewer.join()
        now = self.clock.now()
        if status == "interrupted":
            self.store.release(claim, now)
            self.log(f"[{name} {slot_text}] interrupted; slot given back for another worker")
        elif not self.store.complete(claim, status, now):
            self.log(f"[{name} {slot_text}] {status}, but the lease was lost to another worker")
        else:
            self.log(f"[{name} {slot_text}] {status}")
        result = SlotResult(name, claim.scheduled_for, claim.run_id, status, error)
        self.results.append(result)
        return result

    def _renew(self, claim: Claim, done: threading.Event, lost: threading.Event) -> None:
        interval = max(self.options.lease / 3, 0.05)
        while not done.wait(interval):
            try:
                if not self.store.renew(claim, self.clock.now(), self.options.lease):
                    lost.set()  # another worker took the slot: stop after this act
                    return
            except NarratorError as exc:  # a database hiccup: try again next interval
                self.log(f"lease renewal failed: {exc}")

    def _execute(self, claim: Claim, lost: threading.Event) -> tuple[str, str | None]:
        try:
            plan = _scheduled_plan(claim.schedule, self.config, self.log)
        except NarratorError as exc:
            self.log(f"[{claim.schedule.name}] cannot load {claim.schedule.file}: {exc}")
            return "failed", str(exc)
        stop = _AnyEvent(self._stop, lost)
        try:
            return asyncio.run(self._run_plan(claim, plan, stop))
        except NarratorError as exc:
            self.log(f"[{claim.schedule.name}] {exc}")
            return "failed", str(exc)

    async def _run_plan(self, claim: Claim, plan: Any, stop: _AnyEvent) -> tuple[str, str | None]:
        from narrator.runtime import RunOptions

        vars_ = {
            **claim.schedule.vars,
            "NARRATOR_SCHEDULE": claim.schedule.name,
            "NARRATOR_SLOT": claim.scheduled_for.astimezone(UTC).isoformat(),
        }
        options = RunOptions(sandbox=self.options.sandbox, vars=vars_, clock=self.clock)
        from narrator.runs import run_slot

        return await run_slot(
            plan,
            claim.run_id,
            config=self.config,
            database=self.run_database,
            options=options,
            reporter=_LogReporter(self.log, f"[{claim.schedule.name}]"),
            should_stop=stop.is_set,  # SIGTERM / lost lease: stop after this act
        )


class _AnyEvent:
    """Set when any of its events is set (stop requested, or the lease was lost)."""

    def __init__(self, *events: threading.Event) -> None:
        self.events = events

    def is_set(self) -> bool:
        return any(e.is_set() for e in self.events)
