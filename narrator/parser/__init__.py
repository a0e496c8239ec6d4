"""Narrative text in, frozen :class:`~narrator.plan.Plan` out.

Pure: the only I/O is :func:`parse_file` reading its file and the Botticelli
dialect reading the nested narrative files it names (from ``base_dir``).
Every problem of a file is collected in one pass and raised together as
:class:`~narrator.errors.NarrativeInvalid`, each with ``file:line:col``.

Two dialects, detected from the text: a ``[toc]`` table or an ``[acts]``
table means Botticelli (:mod:`narrator.parser.botticelli`); anything else is
the native format (:mod:`narrator.parser.native`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection
from typing import Any

from narrator.errors import Location, NarrativeInvalid, Problem
from narrator.plan import Plan

__all__ = ["check_file", "detect_dialect", "parse", "parse_file"]

_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_TOML_END = re.compile(r"\s*\(at end of document\)\s*$")


def detect_dialect(data: dict[str, Any]) -> str:
    """``"botticelli"`` when the document has ``[toc]`` or an ``[acts]`` table."""
    if isinstance(data.get("toc"), dict) or isinstance(data.get("acts"), dict):
        return "botticelli"
    return "native"


def parse(
    text: str,
    source: str = "<string>",
    *,
    base_dir: str | None = None,
    secrets: Collection[str] | None = None,
) -> Plan:
    """Parse narrative ``text``; raise NarrativeInvalid with every problem found.

    ``secrets``: environment variables the narrative may not read (default: the
    default token and API key names; the CLI passes ``secret_env_names(config)``).
    """
    return _parse(text, source, base_dir=base_dir, stack=(), secrets=secrets)


def parse_file(path: str | os.PathLike[str], *, secrets: Collection[str] | None = None) -> Plan:
    """Read and parse a narrative file (nested Botticelli narratives resolve beside it)."""
    source = os.fspath(path)
    try:
        with open(source, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise NarrativeInvalid(
            [Problem(Location(source), f"cannot read narrative file: {reason}; check the path")]
        ) from None
    base_dir = os.path.dirname(os.path.abspath(source))
    return _parse(
        text, source, base_dir=base_dir, stack=(os.path.abspath(source),), secrets=secrets
    )


def check_file(
    path: str | os.PathLike[str], *, secrets: Collection[str] | None = None
) -> list[Problem]:
    """Every problem of a narrative file (empty when it is valid); for ``narrator validate``."""
    try:
        parse_file(path, secrets=secrets)
    except NarrativeInvalid as exc:
        return list(exc.problems)
    return []


def _parse(
    text: str,
    source: str,
    *,
    base_dir: str | None,
    stack: tuple[str, ...],
    secrets: Collection[str] | None = None,
) -> Plan:
    data = _load_toml(text, source)
    from narrator.parser.checks import Context
    from narrator.parser.locate import Locator

    ctx = Context(source, Locator(text))
    if secrets is not None:
        ctx.secrets = frozenset(secrets)
    plan: Plan | None
    try:
        if detect_dialect(data) == "botticelli":
            from narrator.parser.botticelli import parse_botticelli

            plan = parse_botticelli(ctx, data, base_dir=base_dir, stack=stack)
        else:
            from narrator.parser.native import parse_native

            plan = parse_native(ctx, data)
    except NarrativeInvalid:
        raise
    except (ValueError, TypeError) as exc:
        # a pydantic ValidationError (a ValueError) or a value we did not foresee:
        # still a problem of this file, never a traceback
        if not ctx.problems:
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            ctx.problems.append(Problem(Location(source, 1, 1), f"invalid narrative: {message}"))
        plan = None
    if ctx.problems or plan is None:
        raise NarrativeInvalid(_dedupe(ctx.problems))
    return plan


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[Location, str]] = set()
    out = []
    for problem in problems:
        key = (problem.location, problem.message)
        if key not in seen:
            seen.add(key)
            out.append(problem)
    return out


def _load_toml(text: str, source: str) -> dict[str, Any]:
    import tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        line, col = 1, 1
        match = _TOML_POSITION.search(message)
        if match:
            line, col = int(match.group(1)), int(match.group(2))
            message = message[: match.start()]
        elif _TOML_END.search(message):
            message = _TOML_END.sub("", message)
            lines = text.split("\n")
            line, col = len(lines), len(lines[-1]) + 1
        raise NarrativeInvalid(
            [Problem(Location(source, line, col), f"invalid TOML: {message}{_toml_fix(message)}")]
        ) from None


def _toml_fix(message: str) -> str:
    lowered = message.lower()
    if "unclosed" in lowered or "unterminated" in lowered:
        return "; close the string or bracket"
    if "cannot overwrite" in lowered or "cannot declare" in lowered:
        return "; each key and table may be defined once (use [[...]] for repeated tables)"
    if "expected '=' after a key" in lowered:
        return '; write key = value (quote the value if it is text: key = "text")'
    if "invalid value" in lowered:
        return '; quote text values: key = "text"'
    return "; fix the TOML syntax here"
