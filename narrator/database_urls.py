"""Where the database is: the URL from ``--database``, the environment or narrator.toml.

Pure string and path work with no pydantic, so the read-only verbs find their
SQLite file without building the configuration models when there is no
configuration file (:mod:`narrator.config` re-exports all of it).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

__all__ = [
    "DEFAULT_DATABASE_URL",
    "database_label",
    "resolve_database_url",
    "sandbox_database_url",
    "sqlite_url_relative_to",
]

DEFAULT_DATABASE_URL = "sqlite:///narrator.db"


def resolve_database_url(
    cli_url: str | None,
    configured_url: str | None,
    config_path: str | None,
    environ: Mapping[str, str] | None = None,
) -> str:
    """``--database`` wins, then ``$NARRATOR_DATABASE_URL``, then ``[database] url``.

    A SQLite file comes back as an absolute path. A relative one in narrator.toml,
    and the default ``narrator.db`` when a configuration file is in use, is
    relative to that file (DESIGN §6), so every directory sees the same database;
    one given with ``--database`` or ``$NARRATOR_DATABASE_URL`` is relative to the
    working directory, as paths on a command line are.
    """
    env = os.environ if environ is None else environ
    explicit = cli_url or env.get("NARRATOR_DATABASE_URL")
    if explicit:
        return sqlite_url_relative_to(explicit, Path.cwd())
    url = configured_url or DEFAULT_DATABASE_URL
    base = Path(config_path).resolve().parent if config_path else Path.cwd()
    return sqlite_url_relative_to(url, base)


_SQLITE_URL = re.compile(r"(?P<scheme>sqlite(?:\+\w+)?):///(?P<path>[^?]*)(?P<query>\?.*)?", re.S)


def sqlite_url_relative_to(url: str, base: Path) -> str:
    """``url`` with a relative SQLite file made absolute against ``base``; others as given."""
    found = _SQLITE_URL.fullmatch(url)
    if found is None:
        return url
    path = found["path"]
    if not path or path == ":memory:" or path.startswith("file:") or Path(path).is_absolute():
        return url
    absolute = os.path.normpath(base / path)
    return f"{found['scheme']}:///{absolute}{found['query'] or ''}"


def database_label(url: str) -> str:
    """Where a database is, for people: a SQLite file's path, else the URL without password."""
    found = _SQLITE_URL.fullmatch(url)
    if found is not None and found["path"]:
        return found["path"]
    return re.sub(r"://([^:/@]+):[^@/]*@", r"://\1:***@", url)


def sandbox_database_url(real_url: str) -> str:
    """The sandbox database lives beside the real one: ``x.db`` → ``x.sandbox.db``.

    For a server database (PostgreSQL) the sandbox is a SQLite file in the
    working directory, so a rehearsal never touches the real server.
    """
    prefix = "sqlite:///"
    if real_url.startswith(prefix) and real_url != "sqlite:///:memory:":
        path = real_url[len(prefix) :]
        stem, dot, ext = path.rpartition(".")
        sandbox = f"{stem}.sandbox.{ext}" if dot and "/" not in ext else f"{path}.sandbox"
        return prefix + sandbox
    return "sqlite:///narrator.sandbox.db"
