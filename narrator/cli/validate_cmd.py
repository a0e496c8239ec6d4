"""``narrator validate`` and ``narrator schema``."""

from __future__ import annotations

import re
import sys
from typing import TYPE_CHECKING

import click

from narrator.cli.common import emit_json, get_globals, handle_errors

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
    "--narrative",
    "narrative",
    default=None,
    metavar="NAME",
    help="In a Botticelli file with several narratives, check only [narrative.NAME] "
    "(default: each of them).",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print one JSON object: {files: [{path, ok}], problems: [{path, line, column, "
    "message, hint}]}.",
)
@handle_errors
def validate(files: tuple[str, ...], quiet: bool, narrative: str | None, as_json: bool) -> None:
    """Check narrative FILES without running anything.

    Every problem of every file is printed as PATH:LINE:COL: message, with a
    "did you mean" where a close name exists. Exit 0 when all files are
    valid, 2 when any problem was found. Warnings (keys a Botticelli file may
    hold that Botticelli ignores, prompts sent verbatim) go to stderr as
    PATH:LINE:COL: warning: message and do not fail the file.

    \b
    Examples:
      narrator validate examples/*.toml
      narrator validate --json welcome.toml | jq '.problems[].message'
    """
    failed = False
    found: list[Problem] = []
    warned: list[Problem] = []
    checked: list[dict[str, object]] = []
    for file in files:
        problems, warnings = _inspect(file, narrative)
        found.extend(problems)
        warned.extend(warnings)
        checked.append({"path": file, "ok": not problems})
        if problems:
            failed = True
        if as_json:
            continue
        for problem in problems:
            click.echo(str(problem))
        for warning in warnings:
            click.echo(f"{warning.location}: warning: {warning.message}", err=True)
        if not problems and not quiet:
            click.echo(f"{file}: ok", err=True)
    if as_json:
        report: dict[str, object] = {
            "files": checked,
            "problems": [problem_json(p) for p in found],
        }
        if warned:  # only when there are some: the shape of a clean report is unchanged
            report["warnings"] = [problem_json(w) for w in warned]
        emit_json(report)
    sys.exit(2 if failed else 0)


def _inspect(file: str, narrative: str | None) -> tuple[list[Problem], list[Problem]]:
    """FILE's problems (checked as ``run`` loads it: its secrets, its size limit) and its
    warnings."""
    from narrator.parser import inspect_file

    g = get_globals()
    return inspect_file(
        file, secrets=g.secret_names(), max_bytes=g.max_narrative_bytes(), narrative=narrative
    )


@click.command()
@handle_errors
def schema() -> None:
    """Print the JSON Schema of the native narrative format (for editors and CI)."""
    from narrator.schema import narrative_json_schema

    emit_json(narrative_json_schema())
