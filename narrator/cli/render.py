"""Rendering for people: progress lines of a run, and the plan's changes.

:class:`ConsoleReporter` is the :class:`~narrator.protocols.Reporter` of the
command line; :func:`render_plan` and :func:`plan_pending` read a planned
:class:`~narrator.outcome.RunOutcome`.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from narrator.outcome import ActOutcome, RunOutcome, RunSummary

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
    return line
