"""``narrator validate`` and ``narrator schema``."""

from __future__ import annotations

import re
import sys
from typing import TYPE_CHECKING

import click

from narrator.cli.common import emit_json, handle_errors, narrative_problems

if TYPE_CHECKING:
    from narrator.errors import Problem

_HINT = re.compile(r"[;,]?\s*(did you mean .*\?)\s*$")


def problem_json(problem: Problem) -> dict[str, object]:
    """A problem as the object ``validate --json`` prints (path, line, column, message, hint)."""
    message = problem.message
    hint: str | None = None
    found = _HINT.search(message)
    if found is not None:
        hint = found.group(1)
        message = message[: found.start()].rstrip()
    return {
        "path": problem.location.path,
        "line": problem.location.line,
        "column": problem.location.col,
        "message": message,
        "hint": hint,
    }


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--quiet", "-q", is_flag=True, help="Print problems only, no 'ok' lines.")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print one JSON object: {files: [{path, ok}], problems: [{path, line, column, "
    "message, hint}]}.",
)
@handle_errors
def validate(files: tuple[str, ...], quiet: bool, as_json: bool) -> None:
    """Check narrative FILES without running anything.

    Every problem of every file is printed as PATH:LINE:COL: message, with a
    "did you mean" where a close name exists. Exit 0 when all files are
    valid, 2 when any problem was found.

    \b
    Examples:
      narrator validate examples/*.toml
      narrator validate --json welcome.toml | jq '.problems[].message'
    """
    failed = False
    found: list[Problem] = []
    checked: list[dict[str, object]] = []
    for file in files:
        problems = narrative_problems(file)
        found.extend(problems)
        checked.append({"path": file, "ok": not problems})
        if problems:
            failed = True
        if as_json:
            continue
        for problem in problems:
            click.echo(str(problem))
        if not problems and not quiet:
            click.echo(f"{file}: ok", err=True)
    if as_json:
        emit_json({"files": checked, "problems": [problem_json(p) for p in found]})
    sys.exit(2 if failed else 0)


@click.command()
@handle_errors
def schema() -> None:
    """Print the JSON Schema of the native narrative format (for editors and CI)."""
    from narrator.schema import narrative_json_schema

    emit_json(narrative_json_schema())
