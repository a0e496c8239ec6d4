"""``narrator run``, ``narrator plan`` and ``narrator resume``: arguments and rendering.

The work is done by :mod:`narrator.runs` (``run_file``, ``plan_file``,
``resume_run``; the worker shares them); this module parses arguments, says on
stderr which signal stopped a run, and renders the outcome with exit 0, 1, or
128 + the signal (130, 143, 129) for an interrupted run.
"""

from __future__ import annotations

import math
import signal
import sys
from typing import TYPE_CHECKING, Any

import click

from narrator.cli.common import emit_json, get_globals, handle_errors, parse_vars
from narrator.cli.render import (
    ConsoleReporter,
    plan_pending,
    render_plan,
    render_summary,
    with_sandbox,
)
from narrator.durations import parse_duration
from narrator.errors import NarratorError, UsageError

if TYPE_CHECKING:
    from narrator.outcome import RunOutcome
    from narrator.runtime import RunOptions

__all__ = ["parse_vars", "parse_wait", "plan", "resume", "run"]


def _options(
    sandbox: bool,
    allow_destructive: bool,
    var: tuple[str, ...],
    budget_multiplier: float | None,
    reporter: ConsoleReporter,
) -> RunOptions:
    # imported here: runtime loads config (pydantic), which `narrator --help` must not
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


def _opener(sandbox: bool, ephemeral: bool = False) -> Any:
    """Opens the run's database when the run is ready for it (not before the file parsed)."""

    def open_database() -> Any:
        if ephemeral:
            from narrator.state import MemoryDatabase

            return MemoryDatabase()
        return get_globals().database(sandbox=sandbox)

    return open_database


def _on_signal(reporter: ConsoleReporter) -> Any:
    def on_signal(signum: int) -> None:
        name = signal.Signals(signum).name
        reporter.note(f"{name}: stopping the run (the act in flight is not recorded done)")

    return on_signal


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
    reporter.note(render_summary(outcome.summary()))
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
    try:
        return parse_duration(value)
    except NarratorError:
        raise UsageError(
            f"--wait expects a duration such as 30s or 10m, got '{value}'",
            hint="put FILE before --wait (narrator run FILE --wait), or write --wait=10m",
        ) from None


_narrative_opt = click.option(
    "--narrative",
    "narrative",
    default=None,
    metavar="NAME",
    help="In a Botticelli file with several narratives ([narrative.NAME] tables), the one to use.",
)

_sandbox_opt = click.option(
    "--sandbox",
    is_flag=True,
    help="Use the local emulated guild and the sandbox model; state and runs go to a "
    "sandbox database beside the real one.",
)


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--var", multiple=True, metavar="K=V", help="Set ${K} for this run (repeatable).")
@_narrative_opt
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
    narrative: str | None,
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
    # imported here: narrator.runs loads the executor (~170 ms), which --help does not need
    from narrator.runs import run_file

    reporter = ConsoleReporter(quiet=False, sandbox=sandbox)
    options = _options(sandbox, allow_destructive, var, budget_multiplier, reporter)
    finished = run_file(
        file,
        config=get_globals().config(),
        options=options,
        open_database=_opener(sandbox, ephemeral),
        reporter=reporter,
        wait=parse_wait(wait),
        on_signal=_on_signal(reporter),
        narrative=narrative,
    )
    _finish(finished.outcome, as_json, reporter, finished.signal)


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--var", multiple=True, metavar="K=V", help="Set ${K} (repeatable).")
@_narrative_opt
@_sandbox_opt
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 3 when changes are pending, 0 when none (for scheduled drift checks).",
)
@handle_errors
def plan(
    file: str,
    var: tuple[str, ...],
    narrative: str | None,
    sandbox: bool,
    as_json: bool,
    detailed_exitcode: bool,
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
    # imported here: narrator.runs loads the executor (~170 ms), which --help does not need
    from narrator.runs import plan_file

    reporter = ConsoleReporter(quiet=True, sandbox=sandbox)
    options = _options(sandbox, False, var, None, reporter)
    outcome = plan_file(
        file,
        config=get_globals().config(),
        options=options,
        open_database=_opener(sandbox),
        narrative=narrative,
        note=lambda line: click.echo(line, err=True),
    )
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
    # imported here: narrator.runs loads the executor (~170 ms), which --help does not need
    from narrator.runs import resume_run

    if (run_id is None) == (latest is None):
        raise UsageError(
            "give a RUN_ID or --latest FILE (not both)",
            hint="`narrator resume --latest FILE` resumes the newest resumable run of FILE",
        )
    reporter = ConsoleReporter(sandbox=sandbox)
    finished = resume_run(
        run_id,
        latest=latest,
        config=get_globals().config(),
        options=_options(sandbox, allow_destructive, (), None, reporter),
        open_database=_opener(sandbox),
        reporter=reporter,
        wait=parse_wait(wait),
        on_signal=_on_signal(reporter),
    )
    _finish(finished.outcome, as_json, reporter, finished.signal)
