"""Nested narratives: an act that runs another narrative file (``Act.subplan``).

Both dialects nest the same way: the native ``[[act]] narrative = "stem"`` and
Botticelli's ``[narratives.X]``, ``narrative:stem`` and ``[acts.X] narrative``
all load ``stem.toml`` beside the file (in either dialect) through
:func:`load_nested`. The nested file's problems are reported with its own path;
a file that nests itself, directly or not, is a problem.
"""

from __future__ import annotations

import os
from typing import Any

from narrator.errors import NarrativeInvalid, Problem
from narrator.parser.context import Context
from narrator.parser.locate import Path
from narrator.plan import Plan


def nested_act(ctx: Context, table: dict[str, Any], path: Path) -> Plan | None:
    """The subplan of a native act with ``narrative = "stem"`` (None without one)."""
    stem = table.get("narrative")
    if not isinstance(stem, str) or not stem:
        return None  # not given, or its type is reported by the field table
    return load_nested(ctx, stem, (*path, "narrative"))


def load_nested(ctx: Context, stem: str, path: Path) -> Plan | None:
    """Parse ``stem.toml`` beside the file ``ctx`` reads; problems go to ``ctx``."""
    filename = stem if stem.endswith(".toml") else f"{stem}.toml"
    if ctx.base_dir is None:
        ctx.value_problem(
            path,
            f"cannot load nested narrative '{filename}': no base directory; "
            "parse the file with parse_file() or pass base_dir",
        )
        return None
    full = os.path.abspath(os.path.join(ctx.base_dir, filename))
    if full in ctx.stack:
        ctx.value_problem(path, f"nested narrative '{filename}' includes itself; break the cycle")
        return None
    from narrator.parser.stored import read_nested  # disk, or a schedule's stored copies

    try:
        text = read_nested(full)
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        ctx.value_problem(
            path,
            f"cannot read nested narrative '{filename}' in {ctx.base_dir}: {reason}; "
            "check the name (without .toml) and that the file is beside this one",
        )
        return None
    if ctx.source.startswith("<"):
        source = full
    else:
        source = os.path.join(os.path.dirname(ctx.source), filename)
    from narrator.parser import _parse

    try:
        return _parse(
            text,
            source,
            base_dir=os.path.dirname(full),
            stack=(*ctx.stack, full),
            secrets=ctx.secrets,
        )
    except NarrativeInvalid as exc:
        ctx.problems.extend(exc.problems)
        if not exc.problems:  # pragma: no cover - NarrativeInvalid always carries some
            ctx.problems.append(Problem(ctx.at_value(path), "invalid nested narrative"))
        return None
