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

import dataclasses
import os
import re
from collections.abc import Collection
from typing import Any

from narrator.errors import Location, NarrativeInvalid, Problem
from narrator.plan import Plan

__all__ = [
    "MAX_DEPTH",
    "MAX_NARRATIVE_BYTES",
    "check_file",
    "detect_dialect",
    "inspect_file",
    "parse",
    "parse_file",
    "read_narrative",
]

MAX_NARRATIVE_BYTES = 1024 * 1024  # [limits] max_narrative_bytes
MAX_DEPTH = 64  # tables and arrays nested in one another, anywhere in a narrative

_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_TOML_END = re.compile(r"\s*\(at end of document\)\s*$")


def detect_dialect(data: dict[str, Any]) -> str:
    """``"botticelli"`` when the document has ``[toc]``, an ``[acts]`` table, or
    ``[narrative.NAME]`` tables with a ``toc`` (several Botticelli narratives)."""
    if isinstance(data.get("toc"), dict) or isinstance(data.get("acts"), dict):
        return "botticelli"
    head = data.get("narrative")
    if isinstance(head, dict) and any(isinstance(v, dict) and "toc" in v for v in head.values()):
        return "botticelli"
    return "native"


def parse(
    text: str,
    source: str = "<string>",
    *,
    base_dir: str | None = None,
    secrets: Collection[str] | None = None,
    narrative: str | None = None,
) -> Plan:
    """Parse narrative ``text``; raise NarrativeInvalid with every problem found.

    ``secrets``: environment variables the narrative may not read (default: the
    default token and API key names; the CLI passes ``secret_env_names(config)``).
    ``narrative``: which ``[narrative.NAME]`` of a Botticelli file with several
    (``--narrative NAME``). Warnings are in ``Plan.warnings``.
    """
    return _parse(text, source, base_dir=base_dir, stack=(), secrets=secrets, narrative=narrative)


def parse_file(
    path: str | os.PathLike[str],
    *,
    secrets: Collection[str] | None = None,
    max_bytes: int = MAX_NARRATIVE_BYTES,
    narrative: str | None = None,
) -> Plan:
    """Read and parse a narrative file (nested Botticelli narratives resolve beside it)."""
    source = os.fspath(path)
    text = read_narrative(source, max_bytes=max_bytes)
    base_dir = os.path.dirname(os.path.abspath(source))
    return _parse(
        text,
        source,
        base_dir=base_dir,
        stack=(os.path.abspath(source),),
        secrets=secrets,
        narrative=narrative,
    )


def read_narrative(path: str | os.PathLike[str], *, max_bytes: int = MAX_NARRATIVE_BYTES) -> str:
    """The text of a narrative file: at most ``max_bytes`` bytes of UTF-8.

    Reads at most ``max_bytes + 1`` bytes, so ``/dev/zero`` or a FIFO that never
    ends cannot exhaust memory; opening does not block on a FIFO with no writer.
    Raises NarrativeInvalid (located; invalid UTF-8 at the LINE:COL of the byte).
    """
    source = os.fspath(path)
    try:
        fd = os.open(source, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        try:
            os.set_blocking(fd, True)
            with os.fdopen(fd, "rb", closefd=False) as handle:
                data = handle.read(max_bytes + 1)
        finally:
            os.close(fd)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise NarrativeInvalid(
            [Problem(Location(source), f"cannot read narrative file: {reason}; check the path")]
        ) from None
    if len(data) > max_bytes:
        raise NarrativeInvalid(
            [
                Problem(
                    Location(source, 1, 1),
                    f"narrative file is larger than {max_bytes} bytes; split it into nested "
                    "narratives, or raise [limits] max_narrative_bytes in narrator.toml",
                )
            ]
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        line = data.count(b"\n", 0, exc.start) + 1
        col = len(data[line_start : exc.start].decode("utf-8", errors="replace")) + 1
        byte = data[exc.start]
        raise NarrativeInvalid(
            [
                Problem(
                    Location(source, line, col),
                    f"invalid UTF-8: byte 0x{byte:02x} cannot be decoded; "
                    "save the file as UTF-8 text",
                )
            ]
        ) from None


def check_file(
    path: str | os.PathLike[str],
    *,
    secrets: Collection[str] | None = None,
    max_bytes: int = MAX_NARRATIVE_BYTES,
    narrative: str | None = None,
) -> list[Problem]:
    """Every problem of a narrative file (empty when it is valid); for ``narrator validate``."""
    return inspect_file(path, secrets=secrets, max_bytes=max_bytes, narrative=narrative)[0]


def inspect_file(
    path: str | os.PathLike[str],
    *,
    secrets: Collection[str] | None = None,
    max_bytes: int = MAX_NARRATIVE_BYTES,
    narrative: str | None = None,
) -> tuple[list[Problem], list[Problem]]:
    """The problems and the warnings of a narrative file.

    A Botticelli file with several ``[narrative.NAME]`` and no ``narrative``
    chosen is checked narrative by narrative (each problem once).
    """
    names: list[str | None] = [narrative]
    if narrative is None:
        names = [*_several_narratives(path, max_bytes)] or [None]
    problems: list[Problem] = []
    warnings: list[Problem] = []
    for name in names:
        try:
            plan = parse_file(path, secrets=secrets, max_bytes=max_bytes, narrative=name)
        except NarrativeInvalid as exc:
            problems.extend(exc.problems)
        else:
            warnings.extend(plan.warnings)
    return _dedupe(problems), _dedupe(warnings)


def _several_narratives(path: str | os.PathLike[str], max_bytes: int) -> list[str]:
    """The ``[narrative.NAME]`` of a Botticelli file with more than one (else empty)."""
    import tomllib

    from narrator.parser.botticelli_multi import narrative_entries

    try:
        data = tomllib.loads(read_narrative(path, max_bytes=max_bytes))
    except (NarrativeInvalid, tomllib.TOMLDecodeError, RecursionError):
        return []
    if detect_dialect(data) != "botticelli":
        return []
    names = list(narrative_entries(data))
    return names if len(names) > 1 else []


def _dotted_too_deep(text: str) -> tuple[int, int] | None:
    """LINE:COL of a key or table header with more than MAX_DEPTH dots.

    Checked before tomllib, whose dotted-key parsing (like our locator) is
    quadratic in the number of parts: ``[t.t.t. ... ]`` with 20,000 parts would
    take seconds before the nesting check could refuse it.
    """
    if text.count(".") <= MAX_DEPTH:
        return None
    for number, line in enumerate(text.split("\n"), 1):
        stripped = line.lstrip()
        if stripped.startswith("["):
            head = stripped.split("]", 1)[0]
        elif "=" in stripped:
            head = stripped.split("=", 1)[0]
        else:
            continue
        if head.count(".") > MAX_DEPTH:
            return number, len(line) - len(stripped) + 1
    return None


def _parse(
    text: str,
    source: str,
    *,
    base_dir: str | None,
    stack: tuple[str, ...],
    secrets: Collection[str] | None = None,
    narrative: str | None = None,
) -> Plan:
    dotted = _dotted_too_deep(text)
    if dotted is not None:
        raise NarrativeInvalid([Problem(Location(source, *dotted), _nesting_message())])
    data = _load_toml(text, source)
    from narrator.parser.context import Context
    from narrator.parser.locate import Locator

    ctx = Context(source, Locator(text), base_dir=base_dir, stack=stack)
    too_deep = _deeper_than(data, MAX_DEPTH)
    if too_deep is not None:
        raise NarrativeInvalid([Problem(ctx.at_key(too_deep), _nesting_message())])
    if secrets is not None:
        ctx.secrets = frozenset(secrets)
    plan: Plan | None
    try:
        if detect_dialect(data) == "botticelli":
            from narrator.parser.botticelli import parse_botticelli

            plan = parse_botticelli(ctx, data, base_dir=base_dir, stack=stack, narrative=narrative)
        else:
            from narrator.parser.native import parse_native

            plan = parse_native(ctx, data)
            if narrative is not None and plan is not None and narrative != plan.name:
                ctx.problems.append(
                    Problem(
                        Location(source, 1, 1),
                        f"--narrative {narrative}: this file holds one narrative "
                        f"('{plan.name}'); leave --narrative out",
                    )
                )
    except NarrativeInvalid:
        raise
    except (ValueError, TypeError) as exc:
        # a pydantic ValidationError (a ValueError) or a value we did not foresee:
        # still a problem of this file, never a traceback
        if not ctx.problems:
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            ctx.problems.append(Problem(Location(source, 1, 1), f"invalid narrative: {message}"))
        plan = None
    if plan is not None and not plan.acts and not ctx.problems:
        ctx.problems.append(
            Problem(
                Location(source, 1, 1),
                "the narrative has no acts; add an [[act]] with a name and an [[act.input]] "
                "(Botticelli dialect: list acts in [toc] order), see docs/format.md",
            )
        )
    if ctx.problems or plan is None:
        raise NarrativeInvalid(_dedupe(ctx.problems))
    if ctx.warnings:
        plan = dataclasses.replace(plan, warnings=tuple(_dedupe(ctx.warnings)))
    return plan


def _nesting_message() -> str:
    return (
        f"values are nested more than {MAX_DEPTH} levels deep; flatten the tables and arrays here"
    )


def _deeper_than(data: Any, limit: int) -> tuple[str | int, ...] | None:
    """The key path of the first value nested deeper than ``limit`` (no recursion)."""
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        if len(path) > limit:
            return path
        if isinstance(value, dict):
            stack.extend((v, (*path, k)) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, (*path, i)) for i, v in enumerate(value))
    return None


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
    except RecursionError:
        line, col = _deepest_bracket(text)
        raise NarrativeInvalid([Problem(Location(source, line, col), _nesting_message())]) from None
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


def _deepest_bracket(text: str) -> tuple[int, int]:
    """LINE:COL where brackets first nest deeper than MAX_DEPTH (strings and comments skipped)."""
    depth = 0
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                break
        elif ch in "]}":
            depth = max(0, depth - 1)
        elif ch == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        elif ch in "\"'":
            quote = text[i : i + 3] if text.startswith(ch * 3, i) else ch
            end = text.find(quote, i + len(quote))
            while ch == '"' and end > 0 and text[end - 1] == "\\":
                end = text.find(quote, end + 1)
            i = n if end < 0 else end + len(quote)
            continue
        i += 1
    line = text.count("\n", 0, i) + 1
    return line, i - (text.rfind("\n", 0, i) + 1) + 1
