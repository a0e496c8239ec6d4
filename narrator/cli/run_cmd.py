"""``narrator run``, ``narrator plan`` and ``narrator resume``."""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING, Any

import click

from narrator.cli.common import emit_json, get_globals, handle_errors
from narrator.errors import NarratorError, RunNotFound, UsageError

if TYPE_CHECKING:
    from narrator.executor import RunOutcome
    from narrator.executor.outcome import ActOutcome
    from narrator.plan import Plan
    from narrator.runtime import RunOptions


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


class ConsoleReporter:
    """One line per act on stderr: what ran, what was skipped, what failed."""

    def __init__(self, *, quiet: bool = False) -> None:
        self.quiet = quiet
        self.tty = sys.stderr.isatty()
        self._bar = False  # a progress bar is on the last line of the terminal

    def _echo(self, text: str, **style: Any) -> None:
        if self.quiet:
            return
        if self._bar:
            click.echo("\r\033[K", nl=False, err=True)
            self._bar = False
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


async def _run(
    plan: Plan,
    options: RunOptions,
    reporter: ConsoleReporter,
    *,
    dry_run: bool = False,
    run_id: str | None = None,
    resume: dict[tuple[int, str], Any] | None = None,
    seq_start: int = 0,
    ephemeral: bool = False,
) -> RunOutcome:
    from narrator.executor import Executor
    from narrator.runtime import open_runtime

    g = get_globals()
    config = g.config()
    if ephemeral:
        from narrator.state import MemoryDatabase

        database: Any = MemoryDatabase()
    else:
        database = g.database(sandbox=options.sandbox)
    try:
        multiplier = options.budget_multiplier or plan.budget_multiplier
        options.budget_multiplier = multiplier
        async with open_runtime(config, database, options, reporter) as services:
            executor = Executor(services)
            if dry_run:
                return await executor.plan(plan)
            return await executor.run(
                plan, run_id=run_id, vars_=options.vars, resume=resume, seq_start=seq_start
            )
    finally:
        database.close()


def _finish(outcome: RunOutcome, as_json: bool, reporter: ConsoleReporter) -> None:
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
    reporter.note(
        f"run {outcome.run_id}: {outcome.status} — `narrator resume {outcome.run_id}`"
        " continues from the failed act"
    )
    sys.exit(1)


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
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with the outcome.")
@handle_errors
def run(
    file: str,
    var: tuple[str, ...],
    sandbox: bool,
    allow_destructive: bool,
    budget_multiplier: float | None,
    ephemeral: bool,
    as_json: bool,
) -> None:
    """Run the narrative in FILE.

    \b
    Acts run in order. An act whose skip_if is truthy is skipped; an act's
    output_var stores its output in state; Discord ids are captured under
    discord.GUILD.channel.NAME and friends. Exit 0 when the run succeeds (a
    carousel that stops on its budget succeeds), 1 when an act fails, 2 when
    the file is invalid.

    \b
    Examples:
      narrator run --sandbox narratives/discord/community_setup.toml
      narrator run welcome.toml --var GUILD_ID=1234567890
    """
    reporter = ConsoleReporter(quiet=False)
    plan = _load(file)
    options = _options(sandbox, allow_destructive, var, budget_multiplier, reporter)
    outcome = asyncio.run(_run(plan, options, reporter, ephemeral=ephemeral))
    _finish(outcome, as_json, reporter)


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
    reporter = ConsoleReporter(quiet=True)
    parsed = _load(file)
    options = _options(sandbox, False, var, None, reporter)
    outcome = asyncio.run(_run(parsed, options, reporter, dry_run=True))
    pending = plan_pending(outcome)
    if as_json:
        emit_json({**outcome.to_json(), "pending": pending, "status": "planned"})
    else:
        for line in render_plan(outcome):
            click.echo(line)
        click.echo("changes pending" if pending else "no changes")
    sys.exit(3 if detailed_exitcode and pending else 0)


def plan_pending(outcome: RunOutcome) -> bool:
    for act in outcome.acts:
        if act.status == "failed":
            return True
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
@click.argument("run_id")
@_sandbox_opt
@click.option("--allow-destructive", is_flag=True, help="Permit destructive commands.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with the outcome.")
@handle_errors
def resume(run_id: str, sandbox: bool, allow_destructive: bool, as_json: bool) -> None:
    """Continue a failed or interrupted run from the act that did not finish.

    Acts that finished keep their outputs and are not done again; the file is
    read again from the path the run was started with, with the same --var
    values.
    """
    g = get_globals()
    database = g.database(sandbox=sandbox)
    try:
        record = database.journal.get_run(run_id)
    finally:
        database.close()
    if record is None:
        raise RunNotFound(f"no run with id '{run_id}'", hint="`narrator runs list` shows run ids")
    if record.status in ("done", "running"):
        raise UsageError(f"run {run_id} is {record.status}; only failed or interrupted runs resume")
    reporter = ConsoleReporter()
    try:
        parsed = _load(record.source)
    except NarratorError as exc:
        raise UsageError(
            f"cannot read the narrative of run {run_id} again: {exc}",
            hint=f"the run was started from {record.source}",
        ) from None
    vars_ = dict(record.summary.get("vars", {}) or {})
    options = _options(sandbox, allow_destructive, (), None, reporter)
    options.vars = vars_
    done: dict[tuple[int, str], Any] = {}
    for act in record.acts:
        key = (act.iteration or 0, act.name)
        if act.status == "done":
            done[key] = act.output
        else:
            done.pop(key, None)
    seq = max((a.seq for a in record.acts), default=0)
    outcome = asyncio.run(
        _run(parsed, options, reporter, run_id=run_id, resume=done, seq_start=seq)
    )
    _finish(outcome, as_json, reporter)
