"""What every verb shares: global options, error rendering, JSON output."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import click

from narrator.errors import NarratorError, UsageError

if TYPE_CHECKING:
    from narrator.config import Config
    from narrator.errors import Problem
    from narrator.plan import Plan
    from narrator.state import Database
    from narrator.state.peek import Reader

P = ParamSpec("P")
R = TypeVar("R")


@dataclass
class Globals:
    """Options given before the verb (``narrator --database URL state list``)."""

    config_path: str | None = None
    database_url: str | None = None
    verbosity: int = 0  # -v: 1 (INFO), -vv: 2 (DEBUG)
    quiet: bool = False  # --quiet: errors only
    log_format: str | None = None  # --log-format text|json (else NARRATOR_LOG, else text)
    _config: Config | None = field(default=None, repr=False)

    def config(self) -> Config:
        if self._config is None:
            from narrator.config import load_config

            self._config = load_config(self.config_path)
        return self._config

    def secret_names(self) -> frozenset[str]:
        """The variables a narrative may not read; the defaults when there is no config file.

        Without a config file this does not import pydantic, so ``validate`` stays fast.
        """
        if self._config is None and not self._has_config_file():
            from narrator.interpolate import DEFAULT_SECRET_ENV

            return DEFAULT_SECRET_ENV
        from narrator.config import secret_env_names

        return secret_env_names(self.config())

    def max_narrative_bytes(self) -> int:
        """``[limits] max_narrative_bytes``; the default when there is no config file."""
        if self._config is None and not self._has_config_file():
            from narrator.parser import MAX_NARRATIVE_BYTES

            return MAX_NARRATIVE_BYTES
        return self.config().limits.max_narrative_bytes

    def _has_config_file(self) -> bool:
        import os

        return bool(self.config_path or os.environ.get("NARRATOR_CONFIG")) or os.path.exists(
            "narrator.toml"
        )

    def url(self, *, sandbox: bool = False) -> str:
        """The database URL; a SQLite file as an absolute path (see ``resolve_database_url``).

        Without a config file this does not import pydantic (the defaults need no models).
        """
        from pathlib import Path

        from narrator.database_urls import (
            resolve_database_url,
            sandbox_database_url,
            sqlite_url_relative_to,
        )

        configured: str | None = None
        config_path: str | None = None
        if self._config is not None or self._has_config_file():
            config = self.config()
            configured, config_path = config.database.url, config.path
        url = resolve_database_url(self.database_url, configured, config_path)
        if not sandbox:
            return url
        base = Path(config_path).resolve().parent if config_path else Path.cwd()
        return sqlite_url_relative_to(sandbox_database_url(url), base)

    def where(self, *, sandbox: bool = False) -> str:
        """The database for people: ``/abs/path/narrator.db``, or the URL without password."""
        from narrator.database_urls import database_label

        return database_label(self.url(sandbox=sandbox))

    def database(self, *, sandbox: bool = False) -> Database:
        """Open (and migrate on first use) the database."""
        from narrator.state import open_database

        return open_database(self.url(sandbox=sandbox))

    def peek(self, read: Callable[[Reader], R | None], *, sandbox: bool = False) -> R | None:
        """``read``'s answer straight from a SQLite file at the head revision, without
        SQLAlchemy; None when the verb must open :meth:`database` instead
        (see :mod:`narrator.state.peek`)."""
        from narrator.state.peek import peek

        return peek(self.url(sandbox=sandbox), read)


def parse_vars(pairs: tuple[str, ...]) -> dict[str, str]:
    """``--var K=V`` pairs into a mapping; a variable narrator.toml names a secret is refused.

    A narrative cannot read a secret, so ``--var DISCORD_TOKEN=...`` could only
    leak it (into a journal or a stored schedule): say so instead.
    """
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(
                f"--var expects KEY=VALUE, got '{pair}'", hint="e.g. --var GUILD_ID=123"
            )
        out[key.strip()] = value
    if out:
        refused = sorted(set(out) & get_globals().secret_names())
        if refused:
            raise UsageError(
                f"--var {refused[0]} names a secret: narratives cannot read it",
                hint=f"export {refused[0]} in the environment narrator runs in; "
                "it is read only by the platform or provider that needs it",
            )
    return out


def get_globals() -> Globals:
    ctx = click.get_current_context()
    obj = ctx.find_root().obj
    return obj if isinstance(obj, Globals) else Globals()


def handle_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn a NarratorError into its message on stderr and its exit code."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except NarratorError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)

    return wrapper


def to_jsonable(value: Any) -> Any:
    """Datetimes as ISO strings, tuples as lists; everything else as is."""
    from datetime import datetime

    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    return value


def emit_json(value: Any) -> None:
    click.echo(json.dumps(to_jsonable(value), indent=2, ensure_ascii=False, sort_keys=False))


def render_value(value: Any) -> str:
    """A state value for humans: strings bare, everything else as compact JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def load_narrative(file: str) -> Plan:
    """Parse FILE the way narrator.toml says: its secrets unreadable, its size limit."""
    from narrator.parser import parse_file

    g = get_globals()
    return parse_file(file, secrets=g.secret_names(), max_bytes=g.max_narrative_bytes())


def narrative_problems(file: str) -> list[Problem]:
    """Every problem of FILE (empty when valid), checked as :func:`load_narrative` would."""
    from narrator.parser import check_file

    g = get_globals()
    return check_file(file, secrets=g.secret_names(), max_bytes=g.max_narrative_bytes())
