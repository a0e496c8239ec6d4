"""``narrator run``, ``narrator plan`` and ``narrator resume``.

The work is done by :mod:`narrator.runs` (shared with the worker); this module
parses arguments, turns SIGINT, SIGTERM and SIGHUP into an interrupted run
(exit 130, 143, 129) and renders the outcome.
"""

from __future__ import annotations

import asyncio
import math
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from narrator.cli.common import emit_json, get_globals, handle_errors
from narrator.errors import NarratorError, RunNotFound, UsageError

if TYPE_CHECKING:
    from narrator.executor import RunOutcome
    from narrator.outcome import ActOutcome
    from narrator.plan import Plan
    from narrator.protocols import RunRecord
    from narrator.runs import ResumePoint
    from narrator.runtime import RunOptions

T = TypeVar("T")
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def parse_vars(pairs: tuple[str, ...]) -> dict[str, str]:
    """``--var K=V`` pairs into a mapping."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(
                f"--var expects KEY=VALUE, got '{pair}'", hint="e.g. --var GUILD_ID=123"
            )
        out[key.strip()] = value
    return out


def with_sandbox(text: str, sandbox: bool) -> str:
    """Hints name the database the run used: after a ``--sandbox`` run, ``narrator
    resume ID`` must be ``narrator resume --sandbox ID`` (and so for state, runs, plan)."""
    if not sandbox:
        return text
    for verb in (
        "resume",
        "runs list",
        "runs show",
        "plan",
        "state list",
        "state get",
        "state set",
        "state delete",
        "state clear",
        "state history",
    ):
        text = text.replace(f"narrator {verb} ", f"narrator {verb} --sandbox ")
        text = text.replace(f"narrator {verb}`", f"narrator {verb} --sandbox`")
    return text


class ConsoleReporter:
    """One line per act on stderr: what ran, what was skipped, what failed."""

    def __init__(self, *, quiet: bool = False, sandbox: bool = False) -> None:
        self.quiet = quiet
        self.sandbox = sandbox
        self.tty = sys.stderr.isatty()
        self._bar = False  # a progress bar is on the last line of the terminal

    def _echo(self, text: str, **style: Any) -> None:
        if self.quiet:
            return
        if self._bar:
            click.echo("\r\033[K", nl=False, err=True)
            self._bar = False
        text = with_sandbox(text, self.sandbox)
        click.echo(click.style(text, **style) if self.tty else text, err=True)

    def iteration_finished(self, iteration: int, total: int, elapsed: float) -> None:
        """A progress bar with ETA on a terminal; one plain line per iteration otherwise."""
        if self.quiet:
            return
        eta = elapsed / iteration * (total - iteration)
        if not self.tty:
            click.echo(
                f"iteration {iteration}/{total} done, elapsed {elapsed:.1f} s, ETA {eta:.1f} s",
                err=True,
            )
            return
        width = 24
        filled = round(width * iteration / total)
        bar = "█" * filled + "·" * (width - filled)
        click.echo(
            f"\r\033[K{bar} {iteration}/{total}  {elapsed:.1f} s  ETA {eta:.1f} s",
            nl=False,
            err=True,
        )
        self._bar = True

    def act_started(self, act: str, iteration: int | None) -> None:
        pass

    def act_finished(self, outcome: ActOutcome) -> None:
        where = f" [{outcome.iteration}]" if outcome.iteration else ""
        took = f"  {outcome.duration_ms:.0f} ms"
        if outcome.status == "done":
            self._echo(f"✓ {outcome.name}{where}{took}", fg="green")
        elif outcome.status == "skipped":
            self._echo(f"- {outcome.name}{where}  skipped", fg="yellow")
        else:
            self._echo(f"✗ {outcome.name}{where}  {outcome.error}", fg="red")

    def note(self, text: str) -> None:
        self._echo(text, fg="cyan")


def _load(file: str) -> Plan:
    from narrator.cli.common import load_narrative

    return load_narrative(file)


def _options(
    sandbox: bool,
    allow_destructive: bool,
    var: tuple[str, ...],
    budget_multiplier: float | None,
    reporter: ConsoleReporter,
) -> RunOptions:
    from narrator.runtime import RunOptions

    if budget_multiplier is not None and not 0 < budget_multiplier <= 1:
        raise UsageError("--budget-multiplier must be > 0 and <= 1")
    return RunOptions(
        sandbox=sandbox,
        allow_destructive=allow_destructive,
        vars=parse_vars(var),
        budget_multiplier=budget_multiplier,
        on_wait=reporter.note,
    )


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


def _open_database(sandbox: bool, ephemeral: bool) -> Any:
    if ephemeral:
        from narrator.state import MemoryDatabase

        return MemoryDatabase()
    return get_globals().database(sandbox=sandbox)


def _perform(
    plan: Plan,
    options: RunOptions,
    reporter: ConsoleReporter,
    *,
    ephemeral: bool = False,
    record: RunRecord | None = None,
    point: ResumePoint | None = None,
    wait: float | None = None,
) -> tuple[RunOutcome | None, int | None]:
    """Run ``plan`` (or resume ``record``) as the owner of the run and of the narrative's
    lock; (the outcome, the signal that interrupted it or None)."""
    from narrator.executor.engine import new_run_id
    from narrator.runs import Ownership, execute, narrative_lock

    config = get_globals().config()
    options.budget_multiplier = options.budget_multiplier or plan.budget_multiplier
    database = _open_database(options.sandbox, ephemeral)
    try:
        run_id = record.run_id if record is not None else new_run_id()
        ownership = Ownership(
            database.journal,
            getattr(database, "locks", None),
            run_id,
            lock=narrative_lock(plan, config, options),
            resume=record,
            wait=wait,
            on_wait=reporter.note,
        )
        with ownership:

            def work() -> Awaitable[RunOutcome]:
                return execute(
                    plan,
                    config=config,
                    database=database,
                    options=options,
                    reporter=reporter,
                    run_id=run_id,
                    point=point,
                    ownership=ownership,
                )

            def on_signal(signum: int) -> None:
                name = signal.Signals(signum).name
                reporter.note(f"{name}: stopping the run (the act in flight is not recorded done)")

            return asyncio.run(interruptible(work, on_signal))
    finally:
        database.close()


def _finish(
    outcome: RunOutcome | None,
    as_json: bool,
    reporter: ConsoleReporter,
    signum: int | None = None,
) -> None:
    if outcome is None:  # a signal before the run started or after it was recorded
        reporter.note("interrupted")
        sys.exit(128 + (signum or signal.SIGINT))
    if as_json:
        emit_json(outcome.to_json())
    carousel = outcome.carousel
    if carousel is not None:
        reporter.note(
            f"carousel: {carousel.iterations_completed}/{carousel.iterations_planned} iterations"
            f" completed, stopped: {carousel.stopped_reason}"
        )
    if outcome.ok:
        reporter.note(f"run {outcome.run_id}: {outcome.status}")
        sys.exit(0)
    if outcome.status == "interrupted":
        signum = signum or signal.SIGINT
        reporter.note(
            f"run {outcome.run_id}: interrupted — `narrator resume {outcome.run_id}`"
            " continues it (the interrupted act is redone, nothing finished is repeated)"
        )
        sys.exit(128 + signum)
    reporter.note(
        f"run {outcome.run_id}: {outcome.status} — `narrator resume {outcome.run_id}`"
        " continues from the failed act"
    )
    sys.exit(1)


def parse_wait(value: str | None) -> float | None:
    """``--wait`` alone waits as long as it takes; ``--wait 10m`` at most that long."""
    if value is None:
        return None
    if value == "":
        return math.inf
    from narrator.durations import parse_duration

    try:
        return parse_duration(value)
    except NarratorError:
        raise UsageError(
            f"--wait expects a duration such as 30s or 10m, got '{value}'",
            hint="put FILE before --wait (narrator run FILE --wait), or write --wait=10m",
        ) from None


_sandbox_opt = click.option(
    "--sandbox",
    is_flag=True,
    help="Use the local emulated guild and the sandbox model; state and runs go to a "
    "sandbox database beside the real one.",
)


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--var", multiple=True, metavar="K=V", help="Set ${K} for this run (repeatable).")
@_sandbox_opt
@click.option(
    "--allow-destructive",
    is_flag=True,
    help="Permit deletes, bulk deletes, clears, bans and kicks for this run.",
)
@click.option(
    "--budget-multiplier",
    type=float,
    default=None,
    metavar="M",
    help="Scale every model budget by M (0 < M <= 1).",
)
@click.option(
    "--ephemeral",
    is_flag=True,
    help="Keep state and the journal in memory only: nothing read from or written to the "
    "database (a try-out that leaves no trace).",
)
@click.option(
    "--wait",
    "wait",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="[DURATION]",
    help="When another process runs this narrative, wait for it (at most DURATION) "
    "instead of exiting 1.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with the outcome.")
@handle_errors
def run(
    file: str,
    var: tuple[str, ...],
    sandbox: bool,
    allow_destructive: bool,
    budget_multiplier: float | None,
    ephemeral: bool,
    wait: str | None,
    as_json: bool,
) -> None:
    """Run the narrative in FILE.

    \b
    Acts run in order. An act whose skip_if is truthy is skipped; an act's
    output_var stores its output in state; Discord ids are captured under
    discord.GUILD.channel.NAME and friends. Exit 0 when the run succeeds (a
    carousel that stops on its budget succeeds), 1 when an act fails or another
    process runs this narrative, 2 when the file is invalid, 130/143/129 when
    SIGINT/SIGTERM/SIGHUP interrupted it (journalled interrupted; resume it).

    \b
    Examples:
      narrator run --sandbox narratives/discord/community_setup.toml
      narrator run welcome.toml --var GUILD_ID=1234567890
      narrator run setup.toml --wait 10m
    """
    reporter = ConsoleReporter(quiet=False, sandbox=sandbox)
    plan = _load(file)
    options = _options(sandbox, allow_destructive, var, budget_multiplier, reporter)
    outcome, signum = _perform(plan, options, reporter, ephemeral=ephemeral, wait=parse_wait(wait))
    _finish(outcome, as_json, reporter, signum)


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--var", multiple=True, metavar="K=V", help="Set ${K} (repeatable).")
@_sandbox_opt
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 3 when changes are pending, 0 when none (for scheduled drift checks).",
)
@handle_errors
def plan(
    file: str, var: tuple[str, ...], sandbox: bool, as_json: bool, detailed_exitcode: bool
) -> None:
    """Show what `run FILE` would do under the current state. Writes nothing.

    \b
    Each act is listed as run or skip. Convergent Discord commands (*.ensure)
    compare against the live guild:
      + create     the resource does not exist yet
      ~ update     fields differ (field: old -> new)
      = unchanged  nothing to do
      ! drift      changed out of band; run repairs it
    """
    from narrator.runs import execute

    reporter = ConsoleReporter(quiet=True, sandbox=sandbox)
    parsed = _load(file)
    options = _options(sandbox, False, var, None, reporter)
    config = get_globals().config()
    database = _open_database(sandbox, False)
    try:
        outcome = asyncio.run(
            execute(
                parsed, config=config, database=database, options=options, dry_run=True
            )
        )
    finally:
        database.close()
    failed = [a for a in outcome.acts if a.status == "failed"]
    pending = plan_pending(outcome)
    if as_json:
        status = "failed" if failed else "planned"
        emit_json({**outcome.to_json(), "pending": pending, "status": status})
    else:
        for line in render_plan(outcome):
            click.echo(line)
        if not failed:
            click.echo("changes pending" if pending else "no changes")
    if failed:  # an outage is not drift: exit 1 and name the act, like Terraform
        for act in failed:
            message = act.error or "failed"
            prefix = f"act '{act.name}'"
            if not message.startswith(prefix):
                message = f"{prefix}: {message}"
            click.echo(with_sandbox(f"error: cannot plan {message}", sandbox), err=True)
        sys.exit(1)
    sys.exit(3 if detailed_exitcode and pending else 0)


def plan_pending(outcome: RunOutcome) -> bool:
    """Changes a run would make (an act that cannot be planned is an error, not a change)."""
    for act in outcome.acts:
        if act.status == "done" and any(c.get("action") != "unchanged" for c in act.changes):
            return True
    return False


_SYMBOL = {"create": "+", "update": "~", "unchanged": "=", "drift": "!", "delete": "-"}


def render_plan(outcome: RunOutcome) -> list[str]:
    lines: list[str] = []
    for act in outcome.acts:
        if act.status == "skipped":
            lines.append(f"  skip  {act.name}  (skip_if is true)")
            continue
        if act.status == "failed":
            lines.append(f"  ✗     {act.name}  {act.error}")
            continue
        if act.changes and all(c.get("action") == "unchanged" for c in act.changes):
            what = ", ".join(str(c.get("resource", "")) for c in act.changes)
            lines.append(f"  =     {act.name}  (unchanged: {what})")
            continue
        lines.append(f"  run   {act.name}")
        for change in act.changes:
            action = str(change.get("action", "run"))
            symbol = _SYMBOL.get(action, "+")
            text = f"      {symbol} {action} {change.get('resource', '')}".rstrip()
            fields = change.get("fields")
            if isinstance(fields, dict) and fields:
                parts = []
                for name, pair in fields.items():
                    if isinstance(pair, list | tuple) and len(pair) == 2:
                        parts.append(f"{name}: {pair[0]!r} -> {pair[1]!r}")
                    else:
                        parts.append(f"{name}: {pair!r}")
                text += f" ({'; '.join(parts)})"
            if change.get("note"):
                text += f" — {change['note']}"
            lines.append(text)
    return lines


@click.command()
@click.argument("run_id", required=False)
@click.option(
    "--latest",
    "latest",
    metavar="FILE",
    type=click.Path(dir_okay=False),
    default=None,
    help="Resume the newest failed, interrupted or abandoned run of narrative FILE.",
)
@_sandbox_opt
@click.option("--allow-destructive", is_flag=True, help="Permit destructive commands.")
@click.option(
    "--wait",
    "wait",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="[DURATION]",
    help="When another process runs this narrative, wait for it (at most DURATION).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with the outcome.")
@handle_errors
def resume(
    run_id: str | None,
    latest: str | None,
    sandbox: bool,
    allow_destructive: bool,
    wait: str | None,
    as_json: bool,
) -> None:
    """Continue a failed, interrupted or abandoned run from the act that did not finish.

    Acts that finished keep their outputs and are not done again; an act cut off
    mid-act (crash or signal) is redone, and its commands first look for what the
    earlier attempt already did (a sent message) instead of doing it twice. The
    file is read again from the path the run was started with, with the same
    --var values. A run whose process is still alive cannot be resumed.

    \b
    Examples:
      narrator resume 0190a1b2c3d4e5f6a7b8
      narrator resume --latest setup.toml
    """
    from narrator.runs import check_resumable, latest_resumable, resume_point

    if (run_id is None) == (latest is None):
        raise UsageError(
            "give a RUN_ID or --latest FILE (not both)",
            hint="`narrator resume --latest FILE` resumes the newest resumable run of FILE",
        )
    database = get_globals().database(sandbox=sandbox)
    try:
        if latest is not None:
            run_id = latest_resumable(database.journal, latest).run_id
        assert run_id is not None
        record = database.journal.get_run(run_id)
    finally:
        database.close()
    if record is None:
        raise RunNotFound(
            f"no run with id '{run_id}'",
            hint=with_sandbox("`narrator runs list` shows run ids", sandbox),
        )
    check_resumable(record)
    reporter = ConsoleReporter(sandbox=sandbox)
    try:
        parsed = _load(record.source)
    except NarratorError as exc:
        raise UsageError(
            f"cannot read the narrative of run {record.run_id} again: {exc}",
            hint=f"the run was started from {record.source}",
        ) from None
    options = _options(sandbox, allow_destructive, (), None, reporter)
    options.vars = dict(record.summary.get("vars", {}) or {})
    reporter.note(f"resuming run {record.run_id} ({record.narrative})")
    outcome, signum = _perform(
        parsed,
        options,
        reporter,
        record=record,
        point=resume_point(record),
        wait=parse_wait(wait),
    )
    _finish(outcome, as_json, reporter, signum)
