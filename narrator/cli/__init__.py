"""The ``narrator`` command line: argument parsing and rendering only.

Each verb (or verb group) lives in its own module of this package and is
imported only when it runs, so ``narrator --help`` and ``narrator validate``
start fast. The real work is done by plain functions elsewhere in the package.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from typing import Any

import click

# verb -> (module, attribute, one-line help). The help is here so --help needs no import.
VERBS: dict[str, tuple[str, str, str]] = {
    "run": ("narrator.cli.run_cmd", "run", "Run a narrative."),
    "plan": ("narrator.cli.run_cmd", "plan", "Show what run would do, without side effects."),
    "validate": ("narrator.cli.validate_cmd", "validate", "Check narrative files; list problems."),
    "resume": (
        "narrator.cli.run_cmd",
        "resume",
        "Resume a failed, interrupted or abandoned run.",
    ),
    "state": ("narrator.cli.state_cmd", "state", "Inspect and change persistent state."),
    "runs": ("narrator.cli.runs_cmd", "runs", "List runs and show one run's acts."),
    "db": ("narrator.cli.db_cmd", "db", "Database maintenance (migrations)."),
    "schema": ("narrator.cli.validate_cmd", "schema", "Print the JSON Schema of the format."),
    "usage": ("narrator.cli.usage_cmd", "usage", "Model spending by profile and day."),
    "schedule": ("narrator.cli.schedule_cmd", "schedule", "Recurring runs of a narrative."),
    "worker": ("narrator.cli.schedule_cmd", "worker", "Run due schedules."),
    "convert": (
        "narrator.cli.convert_cmd",
        "convert",
        "Convert a Botticelli-dialect file to the native format.",
    ),
    "content": (
        "narrator.cli.content_cmd",
        "content",
        "Content tables: list, review, approve, edit, export rows.",
    ),
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name in VERBS if self._available(name)]

    @staticmethod
    def _available(name: str) -> bool:
        module = VERBS[name][0]
        return importlib.util.find_spec(module) is not None

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = VERBS.get(cmd_name)
        if entry is None or not self._available(cmd_name):
            return None
        module = importlib.import_module(entry[0])
        command = getattr(module, entry[1])
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, VERBS[name][2]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else None
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            from narrator.errors import did_you_mean

            hint = did_you_mean(name, self.list_commands(ctx))
            message = f"no such command '{name}'."
            if hint:
                message += f" {hint[0].upper()}{hint[1:]}"
            ctx.fail(message)
        return super().resolve_command(ctx, args)


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Configuration file (default ./narrator.toml, or $NARRATOR_CONFIG).",
)
@click.option(
    "--database",
    "database_url",
    default=None,
    metavar="URL",
    help="SQLAlchemy URL of the database (default sqlite:///narrator.db, "
    "or $NARRATOR_DATABASE_URL, or [database] url).",
)
@click.option(
    "-v",
    "--verbose",
    "verbosity",
    count=True,
    help="Log to stderr: -v each act and its arguments, -vv also every request.",
)
@click.option("--quiet", is_flag=True, help="Log errors only (overrides $NARRATOR_LOG).")
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default=None,
    help="Log lines as text or one JSON object per line (or $NARRATOR_LOG=json:info).",
)
@click.version_option(package_name="narrator", prog_name="narrator")
@click.pass_context
def cli(
    ctx: click.Context,
    config_path: str | None,
    database_url: str | None,
    verbosity: int,
    quiet: bool,
    log_format: str | None,
) -> None:
    """Run narratives: TOML files of acts that drive Discord and language models.

    \b
    Start here:
      narrator validate FILE          check a narrative, every problem with its line
      narrator plan FILE              what run would do under the current state
      narrator run --sandbox FILE     rehearse against the local emulated guild
      narrator run FILE               the real thing
      narrator state list             what narratives remembered

    Logs go to stderr: -v acts, -vv requests, --log-format json, $NARRATOR_LOG=json:debug.

    Exit codes: 0 success, 1 a narrative or act failed, 2 bad usage or input,
    130/143/129 a run stopped by SIGINT/SIGTERM/SIGHUP (resume it).
    """
    from narrator import logs
    from narrator.cli.common import Globals

    logs.configure(verbosity, quiet=quiet, log_format=log_format)  # a verb runs: not for --help
    ctx.obj = Globals(
        config_path=config_path,
        database_url=database_url,
        verbosity=verbosity,
        quiet=quiet,
        log_format=log_format,
    )


def main(argv: list[str] | None = None) -> Any:
    """Console-script entry point."""
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    return cli.main(args=argv if argv is not None else sys.argv[1:], prog_name="narrator")
