"""``narrator convert``: wiring only; the conversion is :func:`narrator.convert.convert`."""

from __future__ import annotations

import os
import sys

import click

from narrator.cli.common import get_globals, handle_errors


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "-o",
    "--output",
    "out",
    default=None,
    metavar="OUT",
    help="Write the native file here (default, or -: standard output).",
)
@click.option("--force", is_flag=True, help="Overwrite OUT when it exists.")
@handle_errors
def convert(file: str, out: str | None, force: bool) -> None:
    """Convert a Botticelli-dialect FILE into the native format.

    The native file plans exactly like FILE (same acts, commands, arguments,
    prompts and carousel); comments are carried over. Each thing the native
    format cannot say is a warning on stderr, PATH:LINE:COL of FILE. Exit 0
    when written (warnings or not), 2 when FILE does not load or OUT exists.

    \b
    Examples:
      narrator convert post_news.toml                 # print the native file
      narrator convert post_news.toml -o news.toml    # write it (never overwrites
                                                      # without --force)
    """
    from narrator.convert import convert as convert_text
    from narrator.errors import UsageError
    from narrator.parser import read_narrative

    g = get_globals()
    text = read_narrative(file, max_bytes=g.max_narrative_bytes())
    to_stdout = out is None or out == "-"
    if not to_stdout and out is not None and os.path.exists(out) and not force:
        raise UsageError(
            f"{out} exists; not overwriting it", hint="pass --force, or choose another -o path"
        )
    base_dir = os.path.dirname(os.path.abspath(file))
    target_dir = base_dir if to_stdout or out is None else os.path.dirname(os.path.abspath(out))
    result = convert_text(
        text, file, base_dir=base_dir, target_dir=target_dir, secrets=g.secret_names()
    )
    for problem in result.warnings:
        click.echo(f"{problem.location}: warning: {problem.message}", err=True)
    if to_stdout or out is None:
        sys.stdout.write(result.text)
        sys.stdout.flush()
        return
    _write(out, result.text, force=force)
    acts = len(result.plan.acts)
    click.echo(
        f"wrote {out}: {acts} act{'s' * (acts != 1)}, "
        f"{len(result.warnings)} warning{'s' * (len(result.warnings) != 1)}",
        err=True,
    )


def _write(path: str, text: str, *, force: bool) -> None:
    """Write ``text`` at ``path``: a new file only, unless ``force``.

    With ``force`` a regular file is replaced atomically (through a symlink, the file
    it points to); anything else that exists (a device, a FIFO) is written into, never
    replaced, so ``-o /dev/stderr --force`` cannot turn a device into a file.
    """
    from narrator.errors import UsageError

    try:
        if not force:
            with open(path, "x", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
            return
        if os.path.exists(path) and not os.path.isfile(path):
            with open(path, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
            return
        target = os.path.realpath(path)
        temporary = f"{target}.tmp-{os.getpid()}"
        with open(temporary, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(temporary, target)
    except FileExistsError:
        raise UsageError(
            f"{path} exists; not overwriting it", hint="pass --force, or choose another -o path"
        ) from None
    except OSError as exc:
        raise UsageError(
            f"cannot write {path}: {exc.strerror or exc}",
            hint="check the folder exists and is writable",
        ) from None
