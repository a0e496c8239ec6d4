"""``narrator convert``: wiring only; the conversion is :func:`narrator.convert.convert`."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import click

from narrator.cli.common import get_globals, handle_errors

if TYPE_CHECKING:
    from narrator.errors import Problem


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
@click.option("--force", is_flag=True, help="Overwrite OUT (and its companion files).")
@click.option(
    "--narrative",
    "narrative",
    default=None,
    metavar="NAME",
    help="Which [narrative.NAME] of a file with several to convert.",
)
@handle_errors
def convert(file: str, out: str | None, force: bool, narrative: str | None) -> None:
    """Convert a Botticelli-dialect FILE into the native format.

    The native file plans exactly like FILE (same acts, commands, arguments,
    prompts and carousel); comments are carried over. Each thing the native
    format cannot say is a warning on stderr, PATH:LINE:COL of FILE. Exit 0
    when written (warnings or not), 2 when FILE does not load or OUT exists.
    A narrative that composes another [narrative.NAME] of the same file needs
    -o: that one is written beside OUT as OUT_STEM.NAME.toml.

    \b
    Examples:
      narrator convert post_news.toml                 # print the native file
      narrator convert post_news.toml -o news.toml    # write it (never overwrites
                                                      # without --force)
      narrator convert several.toml --narrative daily -o daily.toml
    """
    from narrator.convert import convert as convert_text
    from narrator.errors import UsageError
    from narrator.parser import read_narrative

    g = get_globals()
    text = read_narrative(file, max_bytes=g.max_narrative_bytes())
    to_stdout = out is None or out == "-"
    base_dir = os.path.dirname(os.path.abspath(file))
    target = file if to_stdout or out is None else out
    target_dir = os.path.dirname(os.path.abspath(target))
    result = convert_text(
        text,
        file,
        narrative=narrative,
        base_dir=base_dir,
        target_dir=target_dir,
        target_name=os.path.basename(target),
        secrets=g.secret_names(),
    )
    if to_stdout or out is None:
        if result.companions:
            raise UsageError(
                f"{file} composes other narratives of the same file; their native files "
                "are written beside the converted one",
                hint="give -o OUT (they become " + ", ".join(sorted(result.companions)) + ")",
            )
        _warn(result.warnings)
        sys.stdout.write(result.text)
        sys.stdout.flush()
        return
    for name in result.companions:  # the parser refuses such narrative names; never write one
        if os.path.basename(name) != name or name.startswith("."):
            raise UsageError(
                f"{file}: a composed narrative would be written as {name!r}, outside {target_dir}",
                hint="rename the narrative (letters, digits, '_' and '-')",
            )
    paths = [out, *(os.path.join(target_dir, name) for name in sorted(result.companions))]
    taken = [path for path in paths if os.path.lexists(path)]
    if taken and not force:
        raise UsageError(
            f"{taken[0]} exists; not overwriting it",
            hint="pass --force, or choose another -o path",
        )
    _warn(result.warnings)
    _write(out, result.text, force=force)
    for name, companion in sorted(result.companions.items()):
        _write(os.path.join(target_dir, name), companion, force=force)
    acts = len(result.plan.acts)
    also = f" (and {', '.join(sorted(result.companions))})" if result.companions else ""
    click.echo(
        f"wrote {out}{also}: {acts} act{'s' * (acts != 1)}, "
        f"{len(result.warnings)} warning{'s' * (len(result.warnings) != 1)}",
        err=True,
    )


def _warn(warnings: tuple[Problem, ...]) -> None:
    for problem in warnings:
        click.echo(f"{problem.location}: warning: {problem.message}", err=True)


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
