"""Content rows in the terminal: how a row is shown, the editor round trip of
``content edit``, and ``content review``'s keyboard loop.

Keys are read one at a time (``click.getchar``: termios raw mode, so over SSH
too) when stdin is a terminal, and a line at a time otherwise, so a review can
be scripted (``printf 'a\\nr\\nq\\n' | narrator content review posts``). Colour
and clearing the screen only on a fancy terminal (:func:`~narrator.cli.console.fancy`).
What the keys do to the rows is :class:`narrator.content_ops.Review`.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TextIO

import click

from narrator.cli.console import fancy, style
from narrator.errors import UsageError

if TYPE_CHECKING:
    from narrator.content.model import ContentRow
    from narrator.content_ops import Review
    from narrator.protocols import JSON

__all__ = ["KEYS", "Keys", "edit_fields", "row_lines", "run_review"]

# key (or arrow escape) -> action
KEYS: dict[str, str] = {
    "a": "approve",
    "r": "reject",
    "e": "edit",
    "s": "skip",
    "n": "skip",
    " ": "skip",
    "\r": "skip",
    "\n": "skip",
    "": "skip",  # an empty line of piped input
    "\x1b[C": "skip",  # →  (cursor keys, in normal and application mode)
    "\x1bOC": "skip",
    "\x1b[B": "skip",  # ↓
    "\x1bOB": "skip",
    "p": "previous",
    "\x1b[D": "previous",  # ←
    "\x1bOD": "previous",
    "\x1b[A": "previous",  # ↑
    "\x1bOA": "previous",
    "q": "quit",
    "?": "help",
    "h": "help",
}
MENU = "[a]pprove  [r]eject  [e]dit  [s]kip/[n]ext  [p]revious  [q]uit  [?]help"
HELP = (
    "a approve · r reject · e edit the row's JSON in $VISUAL/$EDITOR · s, n, space, Enter, → skip"
    " to the next row · p, ← previous row · q quit (Ctrl-C too)"
)
_PROVENANCE = ("narrative", "act", "model")


class Keys:
    """Answers from the user: one key on a terminal, one line from a pipe (None at EOF)."""

    def __init__(self, stdin: TextIO | None = None) -> None:
        self.stdin = stdin if stdin is not None else sys.stdin
        try:
            self.tty = self.stdin.isatty()
        except (AttributeError, ValueError):
            self.tty = False

    def read(self, prompt: str) -> str | None:
        click.echo(prompt, nl=False)
        if self.tty:
            try:
                key = click.getchar()
            except EOFError:  # Ctrl-D
                click.echo()
                return None
            click.echo(key if key.isprintable() else "")
            return key.lower() if len(key) == 1 else key
        line = self.stdin.readline()
        if not line:
            click.echo()
            return None
        answer = line.strip()
        click.echo(answer)
        return answer[:1].lower() if answer else ""


# --- showing a row --------------------------------------------------------------------


def _value_lines(name: str, value: JSON) -> list[str]:
    if isinstance(value, str):
        if "\n" not in value and len(name) + len(value) < 96:
            return [f"{style(name, fg='cyan')}: {value}"]
        return [f"{style(name, fg='cyan')}:", *(f"    {line}" for line in value.splitlines())]
    if isinstance(value, dict | list) and value:
        compact = json.dumps(value, ensure_ascii=False)
        if len(compact) + len(name) < 96:
            return [f"{style(name, fg='cyan')}: {compact}"]
        text = json.dumps(value, ensure_ascii=False, indent=2)
        return [f"{style(name, fg='cyan')}:", *(f"    {line}" for line in text.splitlines())]
    return [f"{style(name, fg='cyan')}: {json.dumps(value, ensure_ascii=False)}"]


def row_lines(row: ContentRow, *, position: str = "") -> list[str]:
    """A row for people: a heading, each field (strings as text), then its provenance."""
    status = style(row.status, bold=True, fg=_STATUS_COLOURS.get(row.status))
    heading = f"{style(f'{row.table} #{row.id}', bold=True)}  [{status}]"
    lines = [heading + (f"  {position}" if position else "")]
    if not row.fields:
        lines.append("(no fields)")
    for name, value in row.fields.items():
        lines.extend(_value_lines(name, value))
    origin = [f"{name} {getattr(row, name)}" for name in _PROVENANCE if getattr(row, name)]
    lines.append(style(f"— {' · '.join(origin) or 'no provenance'}", dim=True))
    facts = [f"run {row.run_id}"] if row.run_id else []
    facts.append(f"created {_when(row.created_at)}")
    if row.updated_at != row.created_at:
        facts.append(f"updated {_when(row.updated_at)}")
    lines.append(style(f"  {' · '.join(facts)}", dim=True))
    marks = [f"hash {row.content_hash[:12]}"] if row.content_hash else []
    if row.message_id:
        marks.append(f"message {row.message_id}")
    if row.claimed_by:
        marks.append(f"claimed by {row.claimed_by}")
    if marks:
        lines.append(style(f"  {' · '.join(marks)}", dim=True))
    return lines


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


_STATUS_COLOURS = {"approved": "green", "rejected": "red", "posted": "blue", "pending": "yellow"}


# --- the editor round trip ------------------------------------------------------------


def edit_fields(row: ContentRow, keys: Keys) -> dict[str, JSON] | None:
    """Open the row's fields in $VISUAL/$EDITOR; the new fields, or None to keep the row.

    Unchanged text (or the same JSON) keeps the row. Text that is not one JSON
    object says where it breaks and asks: edit it again (the broken text, so
    nothing typed is lost) or keep the original.
    """
    from narrator.content_ops import DocumentError, parse_document, row_document

    text = row_document(row)
    while True:
        try:
            edited = click.edit(text, extension=".json", require_save=False)
        except click.ClickException as error:
            raise UsageError(  # no such editor, or it exited non-zero (vim's :cq)
                f"not saved: {error.message}",
                hint="set $VISUAL or $EDITOR to an editor that waits (e.g. EDITOR=nano); "
                "an editor that exits with an error discards the edit",
            ) from None
        if edited is None or edited == row_document(row):
            return None
        try:
            fields = parse_document(edited)
        except DocumentError as problem:
            click.echo(f"not saved: the JSON is invalid at {problem}", err=True)
            answer = keys.read("[e]dit again or [k]eep the original? ")
            if answer in ("e", "r"):  # r: "re-edit"
                text = edited
                continue
            return None
        return None if fields == row.fields else fields


# --- the review loop ------------------------------------------------------------------


def run_review(review: Review, keys: Keys, *, clear: bool | None = None) -> None:
    """Show each row and act on its key until the rows run out, ``q``, EOF or Ctrl-C."""
    clear = fancy() and keys.tty if clear is None else clear
    note = ""
    row = review.advance()
    while row is not None:
        if clear:
            click.clear()
        if note:
            click.echo(note)
        click.echo("\n".join(row_lines(row, position=_position(review))))
        answer = keys.read(f"{MENU} > ")
        action = "quit" if answer is None else KEYS.get(answer)
        note = ""
        if action is None:
            note = f"unknown key {answer!r} — {HELP}"
        elif action == "quit":
            return
        elif action == "help":
            note = HELP
        else:
            note, shown, ended = _act(review, action, row, keys)
            if ended:
                if note:
                    click.echo(note)
                return
            row = shown


def _act(review: Review, action: str, row: ContentRow, keys: Keys) -> tuple[str, ContentRow, bool]:
    """Do ``action`` on ``row``: a note for the next screen, the row to show next, and
    whether the review is over (a decision or a skip on the last row)."""
    from narrator.content_ops import APPROVED, REJECTED

    if action == "previous":
        back = review.back()
        return ("" if back is not None else "this is the first row"), back or row, False
    if action == "edit":
        try:
            fields = edit_fields(row, keys)
        except UsageError as problem:  # no editor: say so and stay in the review
            return f"{problem.message} — {problem.hint}", row, False
        if fields is None:
            return f"#{row.id} unchanged", row, False
        return f"✎ saved #{row.id}", review.replace(fields), False
    note = ""
    if action in ("approve", "reject"):
        status = APPROVED if action == "approve" else REJECTED
        review.decide(status)
        note = f"{'✓' if action == 'approve' else '✗'} {status} #{row.id}"
    following = review.advance()
    return note, following or row, following is None


def _position(review: Review) -> str:
    number = review.position + 1
    if review.total is None:
        return f"row {number}"
    return f"{number} of {max(review.total, number)}"
