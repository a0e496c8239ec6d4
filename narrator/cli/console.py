"""The terminal, decided once: whether a stream may carry colour and live displays,
and the rich renderables (tables, the live progress) that only a terminal sees.

``rich`` is imported inside the functions that draw: ``narrator --help`` and
``validate`` never load it, and neither does any output that goes to a pipe.

A stream is *fancy* when it is a terminal, ``NO_COLOR`` is unset or empty
(https://no-color.org) and ``TERM`` is not ``dumb``. Anything else gets plain
text: no colour, no cursor movement, no escape sequence at all.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["fancy", "print_table", "rich_console", "style"]


def fancy(stream: IO[str] | None = None) -> bool:
    """Colour and live displays allowed on ``stream`` (stdout by default)."""
    stream = sys.stdout if stream is None else stream
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):  # a closed or fake stream
        return False
    if not tty:
        return False
    if os.environ.get("NO_COLOR"):
        return False
    return os.environ.get("TERM", "") != "dumb"


def style(text: str, stream: IO[str] | None = None, **styles: Any) -> str:
    """``text`` in ``styles`` (click.style's) when ``stream`` is fancy, else unchanged."""
    return click.style(text, **styles) if fancy(stream) else text


def rich_console(stream: IO[str]) -> Console:
    """A rich Console for a fancy ``stream`` (callers check :func:`fancy` first)."""
    from rich.console import Console

    return Console(file=stream, force_terminal=True, highlight=False, soft_wrap=False)


def print_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    plain: Sequence[str],
    *,
    styles: Sequence[str | None] = (),
    right: Sequence[int] = (),
) -> None:
    """``rows`` as a table on a fancy stdout; the ``plain`` lines (one per row, the
    stable format scripts read) anywhere else."""
    if not fancy(sys.stdout):
        for line in plain:
            click.echo(line)
        return
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
    for index, header in enumerate(headers):
        column_style = styles[index] if index < len(styles) else None
        table.add_column(
            header,
            style=column_style or "",
            overflow="fold",
            justify="right" if index in right else "left",
        )
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))  # cells are data, never markup
    rich_console(sys.stdout).print(table)
