"""Rendering for people: progress lines of a run, and the plan's changes.

:class:`ConsoleReporter` is the :class:`~narrator.protocols.Reporter` of the
command line; :func:`render_plan` and :func:`plan_pending` read a planned
:class:`~narrator.outcome.RunOutcome`.
"""

from __future__ import annotations

import atexit
import re
import sys
import time
from typing import TYPE_CHECKING

import click

from narrator.cli.console import fancy
from narrator.cli.progress import LiveDisplay, Tracker

if TYPE_CHECKING:
    from narrator.outcome import ActOutcome, RunOutcome, RunSummary
    from narrator.protocols import WaitReason

__all__ = ["ConsoleReporter", "plan_pending", "render_plan", "render_summary", "with_sandbox"]


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
    """One line per act on stderr: what ran, what was skipped, what failed.

    On a fancy terminal (:func:`~narrator.cli.console.fancy`) a live display keeps
    the carousel's bar, the act running and the countdown of a wait on the last
    lines; anywhere else every line is plain text (one line per iteration).
    """

    def __init__(self, *, quiet: bool = False, sandbox: bool = False) -> None:
        self.quiet = quiet
        self.sandbox = sandbox
        self.tty = fancy(sys.stderr)
        self.tracker = Tracker(started=time.monotonic())
        self._live: LiveDisplay | None = None

    def _display(self) -> LiveDisplay | None:
        """The live display, started on first use (a terminal that is not quiet)."""
        if self.quiet or not self.tty:
            return None
        if self._live is None:
            self._live = LiveDisplay(sys.stderr, self.tracker)
            atexit.register(self.close)
        self._live.start()
        return self._live

    def close(self) -> None:
        """Take the live display off the terminal (before the run's last words)."""
        if self._live is not None:
            self._live.stop()

    def _echo(self, text: str, color: str | None = None) -> None:
        if self.quiet:
            return
        text = with_sandbox(text, self.sandbox)
        live = self._display()
        if live is not None:
            live.print(text, color)
        else:
            click.echo(text, err=True)

    def carousel_started(self, iterations: int, interval: float) -> None:
        self.tracker.total, self.tracker.interval = iterations, interval
        self.tracker.started = self.tracker.mark = time.monotonic()

    def iteration_finished(self, iteration: int, total: int, elapsed: float) -> None:
        """The live bar on a terminal; one plain line per iteration otherwise."""
        self.tracker.finished(iteration, total, time.monotonic())
        if self.quiet:
            return
        if not self.tty:
            eta = self.tracker.eta_at_finish()
            click.echo(
                f"iteration {iteration}/{total} done, elapsed {elapsed:.1f} s, ETA {eta:.1f} s",
                err=True,
            )
            return
        self._display()

    def waiting(self, seconds: float, reason: WaitReason) -> None:
        """A countdown on a terminal; elsewhere the note before it said how long."""
        self.tracker.wait(seconds, reason, time.monotonic())
        if self.tty and seconds >= 1:
            self._display()

    def act_started(self, act: str, iteration: int | None) -> None:
        self.tracker.end_wait(time.monotonic())
        if self._live is not None or (self.tty and not self.quiet):
            live = self._display()
            if live is not None:
                live.act = f"{act} [{iteration}]" if iteration else act
                live.act_start = time.monotonic()

    def act_finished(self, outcome: ActOutcome) -> None:
        if self._live is not None:
            self._live.act = None
        where = f" [{outcome.iteration}]" if outcome.iteration else ""
        took = f"  {outcome.duration_ms:.0f} ms"
        if outcome.status == "done":
            self._echo(f"✓ {outcome.name}{where}{took}", "green")
        elif outcome.status == "skipped":
            self._echo(f"- {outcome.name}{where}  skipped", "yellow")
        else:
            self._echo(f"✗ {outcome.name}{where}  {outcome.error}", "red")

    def note(self, text: str) -> None:
        self._echo(text, "cyan")
        # a model's rate window says "…, waiting 12.5 s" before it sleeps
        found = _RATE_WAIT.search(text)
        if found is not None:
            self.waiting(float(found.group(1)), "rate_limit")


_RATE_WAIT = re.compile(r"window full, waiting ([0-9.]+) s$")


def plan_pending(outcome: RunOutcome) -> bool:
    """Changes a run would make (an act that cannot be planned is an error, not a change)."""
    return any(act.status == "done" and any(c.pending for c in act.changes) for act in outcome.acts)


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
        if act.changes and not any(c.pending for c in act.changes):
            what = ", ".join(c.resource for c in act.changes)
            lines.append(f"  =     {act.name}  (unchanged: {what})")
            continue
        lines.append(f"  run   {act.name}")
        for change in act.changes:
            symbol = _SYMBOL.get(change.action, "+")
            text = f"      {symbol} {change.action} {change.resource}".rstrip()
            if change.fields:
                parts = [
                    f"{name}: {old!r} -> {new!r}" for name, (old, new) in change.fields.items()
                ]
                text += f" ({'; '.join(parts)})"
            if change.note:
                text += f" — {change.note}"
            lines.append(text)
        for failure in act.soft_failures:  # an optional command that would fail: text, goes on
            lines.append(f"      ! soft failure {failure}")
    return lines


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def render_summary(summary: RunSummary) -> str:
    """One line, like Terraform's: ``3 created, 1 changed, 12 unchanged, 2 skipped, 0 failed``,
    then messages sent and model calls with their tokens when there were any."""
    parts = [f"{summary.created} created", f"{summary.changed} changed"]
    if summary.deleted:
        parts.append(f"{summary.deleted} deleted")
    parts += [
        f"{summary.unchanged} unchanged",
        f"{summary.skipped} skipped",
        f"{summary.failed} failed",
    ]
    line = ", ".join(parts)
    if summary.messages_sent:
        line += f"; {_count(summary.messages_sent, 'message')} sent"
    if summary.model_calls or summary.tokens:
        line += f"; {_count(summary.model_calls, 'model call')}, {_count(summary.tokens, 'token')}"
    if summary.soft_failures:  # optional commands that failed; their acts went on
        line += f"; {_count(summary.soft_failures, 'soft failure')}"
    return line
