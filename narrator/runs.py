"""Runs as plain functions: run, plan and resume a narrative — the CLI and the worker share them.

* :func:`resume_point` reads where a journalled run stopped: the acts that
  finished (not done again), the acts cut off mid-act (redone, reconciling
  with what already happened since they started), the last sequence number.
* :func:`check_resumable` / :func:`latest_resumable` decide which runs may
  resume: failed, interrupted, or *abandoned* (``running`` with its owner gone).
* :class:`~narrator.ownership.Ownership` (its own module) holds a run for the
  length of a ``with``: the narrative lock, the run's owner row, the leases.
* :func:`execute` wires the runtime and runs (or plans) through the executor.
* The verbs: :func:`run_file`, :func:`plan_file`, :func:`resume_run` (the
  command line; :func:`run_plan` owns the run and turns signals into an
  interrupted run) and :func:`run_slot` (the worker's claimed slot).
* :func:`journal_vars`: the ``--var`` values a run's summary keeps — never a secret.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from narrator.content.claims import RELEASED
from narrator.errors import NarrativeInvalid, NarratorError, RunNotFound, UsageError
from narrator.executor.resume import ResumePoint, resume_point
from narrator.guilds import effective_guild
from narrator.interpolate import ResolveError
from narrator.leases import lock_name
from narrator.leases import run_status as run_status  # its home: `runs list` needs no more
from narrator.ownership import LEASE_SECONDS, RENEW_SECONDS, LockHeld, Ownership, RunBusy
from narrator.protocols import RunJournal, RunRecord

if TYPE_CHECKING:
    from narrator.config import Config
    from narrator.outcome import RunOutcome
    from narrator.plan import Plan
    from narrator.protocols import Reporter
    from narrator.runtime import RunOptions
    from narrator.state import Database, MemoryDatabase

__all__ = [
    "LEASE_SECONDS",
    "RENEW_SECONDS",
    "Finished",
    "LockHeld",
    "Ownership",
    "ResumePoint",
    "RunBusy",
    "check_resumable",
    "execute",
    "interruptible",
    "journal_vars",
    "latest_resumable",
    "load_plan",
    "narrative_lock",
    "plan_file",
    "resume_point",
    "resume_run",
    "run_file",
    "run_plan",
    "run_slot",
    "run_status",
]

RESUMABLE = ("failed", "interrupted", "abandoned")
SLOT_LOCK_WAIT = 600.0  # a slot waits this long for a manual run of its narrative to end


# ----------------------------------------------------------------------------- resuming


def check_resumable(record: RunRecord, now: datetime | None = None) -> str:
    """The run's status when it may resume; otherwise a one-line error that says why."""
    status = run_status(record, now)
    released = record.summary.get(RELEASED)
    if released:
        raise UsageError(
            f"run {record.run_id} cannot resume: `narrator content release` gave back or "
            f"settled its content claims at {released}, so its journalled picks may now "
            "belong to other runs",
            hint=f"start it again with `narrator run {record.source}`",
        )
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


def find_run(journal: RunJournal, ref: str, *, sandbox: bool = False) -> RunRecord:
    """The run a user means by ``ref``: its whole id, or a unique prefix of it (like git)."""
    record = journal.get_run(ref)
    if record is not None:
        return record
    listing = f"`narrator runs list{' --sandbox' if sandbox else ''}`"
    matches = journal.match_run_ids(ref, limit=6) if ref else []
    if not matches:
        raise RunNotFound(f"no run with id '{ref}'", hint=f"{listing} shows run ids")
    if len(matches) > 1:
        shown = ", ".join(matches[:5]) + (", …" if len(matches) > 5 else "")
        raise UsageError(
            f"run id prefix '{ref}' is ambiguous: {shown}",
            hint="type more characters of the id",
        )
    found = journal.get_run(matches[0])
    if found is None:  # deleted between the two reads
        raise RunNotFound(f"no run with id '{ref}'", hint=f"{listing} shows run ids")
    return found


def latest_resumable(journal: RunJournal, file: str, now: datetime | None = None) -> RunRecord:
    """The newest failed, interrupted or abandoned run of narrative ``file``."""
    target = Path(file).resolve()
    for record in journal.list_runs(500, statuses=("running", "failed", "interrupted")):
        if Path(record.source).resolve() != target:
            continue
        if run_status(record, now) in RESUMABLE and not record.summary.get(RELEASED):
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
    """The lock a run of ``plan`` takes: its name, and its guild when it talks to Discord
    (the effective guild of a command that names none, :func:`narrator.guilds.effective_guild`;
    none when that does not resolve — the act that needs it fails, with the reason)."""
    from narrator.runtime import environment, guild_defaults

    guild: str | None = None
    if _uses_discord(plan):
        env = environment(options, config)
        try:
            guild = effective_guild(None, plan.guild_id, guild_defaults(options, config), env).id
        except ResolveError:
            guild = None
    return lock_name(plan.name, guild)


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
    from narrator.media_files import preflight, reads_media
    from narrator.runtime import open_runtime

    if reads_media(plan):  # files readable, media taken by the act's provider (load time)
        from narrator.providers import ModelRouter

        preflight(plan, ModelRouter(config, sandbox=options.sandbox).provider_of)
    async with open_runtime(config, database, options, reporter) as services:
        services.should_stop = should_stop
        executor = Executor(services)
        if dry_run:
            return await executor.plan(plan)
        return await executor.run(
            plan,
            run_id=run_id,
            vars_=journal_vars(options.vars, config),
            resume=point.done if point is not None else None,
            seq_start=point.seq if point is not None else 0,
            reconcile=point.reconcile if point is not None else None,
            owner=ownership.owner if ownership is not None else None,
            lease_expires_at=ownership.lease_until() if ownership is not None else None,
        )


def journal_vars(vars_: Mapping[str, str], config: Config) -> dict[str, str]:
    """The ``--var`` values a run's summary keeps: never a variable config names a secret
    (``narrator.config.secret_env_names``), so ``--var DISCORD_TOKEN=...`` is not journalled."""
    from narrator.config import secret_env_names  # config is loaded by now; pydantic is too
    from narrator.logs import redact_text

    secrets = secret_env_names(config)
    return {name: redact_text(value) for name, value in vars_.items() if name not in secrets}


# ----------------------------------------------------------------------------- the verbs

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
T = TypeVar("T")


@dataclass(frozen=True)
class Finished:
    """How a run of the command line ended: its outcome (None when a signal came before
    the run started or after it was recorded) and the signal that interrupted it."""

    outcome: RunOutcome | None
    signal: int | None = None


def load_plan(file: str, config: Config, narrative: str | None = None) -> Plan:
    """Parse FILE the way narrator.toml says: its secrets unreadable, its size limit.

    ``narrative``: which ``[narrative.NAME]`` of a Botticelli file with several
    (``--narrative``). The plan's load-time warnings are in ``Plan.warnings``.
    """
    from narrator.config import secret_env_names
    from narrator.parser import parse_file

    secrets = secret_env_names(config)
    return parse_file(
        file, secrets=secrets, max_bytes=config.limits.max_narrative_bytes, narrative=narrative
    )


def _warn(plan: Plan, note: Callable[[str], None]) -> None:
    """Say each load-time warning (``PATH:LINE:COL: warning: ...``) once."""
    for warning in plan.warnings:
        note(f"{warning.location}: warning: {warning.message}")


def run_file(
    file: str,
    *,
    config: Config,
    options: RunOptions,
    open_database: Callable[[], Database | MemoryDatabase],
    reporter: Reporter,
    wait: float | None = None,
    on_signal: Callable[[int], None] | None = None,
    narrative: str | None = None,
) -> Finished:
    """``narrator run FILE``: load it, then :func:`run_plan`."""
    plan = load_plan(file, config, narrative)
    _warn(plan, reporter.note)
    return run_plan(
        plan,
        config=config,
        options=options,
        open_database=open_database,
        reporter=reporter,
        wait=wait,
        on_signal=on_signal,
    )


def plan_file(
    file: str,
    *,
    config: Config,
    options: RunOptions,
    open_database: Callable[[], Database | MemoryDatabase],
    narrative: str | None = None,
    note: Callable[[str], None] | None = None,
) -> RunOutcome:
    """``narrator plan FILE``: what a run would do under the current state; writes nothing."""
    plan = load_plan(file, config, narrative)
    if note is not None:
        _warn(plan, note)
    database = open_database()
    try:
        return asyncio.run(
            execute(plan, config=config, database=database, options=options, dry_run=True)
        )
    finally:
        database.close()


def resume_run(
    run_id: str | None,
    *,
    latest: str | None = None,
    config: Config,
    options: RunOptions,
    open_database: Callable[[], Database | MemoryDatabase],
    reporter: Reporter,
    wait: float | None = None,
    on_signal: Callable[[int], None] | None = None,
) -> Finished:
    """``narrator resume``: run ``run_id`` (or the newest resumable run of FILE ``latest``)
    again from its resume point, with the ``--var`` values it was started with."""
    database = open_database()
    try:
        if latest is not None:
            run_id = latest_resumable(database.journal, latest).run_id
        assert run_id is not None
        record = find_run(database.journal, run_id, sandbox=options.sandbox)
    finally:
        database.close()
    check_resumable(record)
    try:
        plan = _reload(record, config)
    except NarratorError as exc:
        raise UsageError(
            f"cannot read the narrative of run {record.run_id} again: {exc}",
            hint=f"the run was started from {record.source}",
        ) from None
    options.vars = dict(record.summary.get("vars", {}) or {})
    reporter.note(f"resuming run {record.run_id} ({record.narrative})")
    return run_plan(
        plan,
        config=config,
        options=options,
        open_database=open_database,
        reporter=reporter,
        record=record,
        wait=wait,
        on_signal=on_signal,
    )


def _reload(record: RunRecord, config: Config) -> Plan:
    """The plan of a run's file again; in a file with several Botticelli narratives, the
    one the run ran (its name)."""
    try:
        return load_plan(record.source, config)
    except NarrativeInvalid as exc:
        if not any("--narrative NAME" in p.message for p in exc.problems):
            raise
    return load_plan(record.source, config, record.narrative)


def run_plan(
    plan: Plan,
    *,
    config: Config,
    options: RunOptions,
    open_database: Callable[[], Database | MemoryDatabase],
    reporter: Reporter,
    record: RunRecord | None = None,
    wait: float | None = None,
    on_signal: Callable[[int], None] | None = None,
) -> Finished:
    """Run ``plan`` (or resume ``record``) as the owner of the run and of the narrative's
    lock. With ``on_signal``, SIGINT, SIGTERM and SIGHUP cancel the run (journalled
    ``interrupted``) after ``on_signal(signum)``."""
    from narrator.executor import new_run_id

    options.budget_multiplier = options.budget_multiplier or plan.budget_multiplier
    database = open_database()
    try:
        run_id = record.run_id if record is not None else new_run_id(options.clock)
        ownership = Ownership(
            database.journal,
            getattr(database, "locks", None),
            run_id,
            lock=narrative_lock(plan, config, options),
            resume=record,
            wait=wait,
            on_wait=reporter.note,
            clock=options.clock,
        )
        with ownership:

            async def work() -> RunOutcome:
                return await execute(
                    plan,
                    config=config,
                    database=database,
                    options=options,
                    reporter=reporter,
                    run_id=run_id,
                    point=resume_point(record) if record is not None else None,
                    ownership=ownership,
                )

            if on_signal is None:
                return Finished(asyncio.run(work()))
            return Finished(*asyncio.run(interruptible(work, on_signal)))
    finally:
        database.close()


async def run_slot(
    plan: Plan,
    run_id: str,
    *,
    config: Config,
    database: Database,
    options: RunOptions,
    reporter: Reporter,
    should_stop: Callable[[], bool],
    lock_wait: float = SLOT_LOCK_WAIT,
) -> tuple[str, str | None]:
    """A worker's run of a claimed slot: (status, error).

    A slot taken over after a crash (or given back on SIGTERM) resumes its run: the
    same resume point as ``narrator resume``, cut-off acts reconciled, the run's
    owner and lease taken over from the worker that died. The slot's claim already
    serialises slots among workers; the narrative lock serialises the slot with a
    manual ``narrator run`` of the same narrative (cron plus a hand-started run): the
    slot waits for it up to ``lock_wait`` seconds, then fails saying who holds it.
    """
    record = database.journal.get_run(run_id)
    if record is not None and record.status in ("done", "failed"):
        return record.status, None
    ownership = Ownership(
        database.journal,
        database.locks,
        run_id,
        lock=narrative_lock(plan, config, options),
        resume=record,
        wait=lock_wait,
        on_wait=reporter.note,
        clock=options.clock,
    )
    try:
        with ownership as owner:
            outcome = await execute(
                plan,
                config=config,
                database=database,
                options=options,
                reporter=reporter,
                run_id=run_id,
                point=resume_point(record) if record is not None else None,
                ownership=owner,
                should_stop=should_stop,  # SIGTERM / lost lease: stop after this act
            )
    except LockHeld as held:  # raised on entering only: nothing ran
        return "failed", str(held)
    return outcome.status, outcome.error


async def interruptible(
    work: Callable[[], Awaitable[T]], on_signal: Callable[[int], None]
) -> tuple[T | None, int | None]:
    """Await ``work()``; SIGINT, SIGTERM or SIGHUP cancels it (the executor then
    journals the run ``interrupted``). Returns (its result, the signal or None)."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    caught: list[int] = []

    def handler(signum: int) -> None:
        if not caught:
            on_signal(signum)
            task.cancel()
        caught.append(signum)

    for sig in SIGNALS:
        loop.add_signal_handler(sig, handler, sig)
    try:
        result = await work()
    except asyncio.CancelledError:
        if not caught:
            raise
        return None, caught[0]
    finally:
        for sig in SIGNALS:
            loop.remove_signal_handler(sig)
    return result, (caught[0] if caught else None)
