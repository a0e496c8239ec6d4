"""``narrator validate`` and ``narrator schema``."""

from __future__ import annotations

import sys

import click

from narrator.cli.common import emit_json, handle_errors


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--quiet", "-q", is_flag=True, help="Print problems only, no 'ok' lines.")
@handle_errors
def validate(files: tuple[str, ...], quiet: bool) -> None:
    """Check narrative FILES without running anything.

    Every problem of every file is printed as PATH:LINE:COL: message, with a
    "did you mean" where a close name exists. Exit 0 when all files are
    valid, 2 when any problem was found.
    """
    from narrator.parser import check_file

    failed = False
    for file in files:
        problems = check_file(file)
        for problem in problems:
            click.echo(str(problem))
        if problems:
            failed = True
        elif not quiet:
            click.echo(f"{file}: ok", err=True)
    sys.exit(2 if failed else 0)


@click.command()
@handle_errors
def schema() -> None:
    """Print the JSON Schema of the native narrative format (for editors and CI)."""
    from narrator.schema import narrative_json_schema

    emit_json(narrative_json_schema())
