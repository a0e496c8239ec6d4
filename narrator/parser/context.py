"""One file being parsed: where problems go, how to locate them, how to word them.

Everything in the parser appends :class:`~narrator.errors.Problem` objects to a
:class:`Context` instead of raising, so one pass over a file reports all of
its problems.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from narrator.errors import Location, Problem, did_you_mean
from narrator.interpolate import DEFAULT_SECRET_ENV
from narrator.parser.locate import Locator, Path


@dataclass
class Context:
    """One file being parsed: where problems go and how to locate them."""

    source: str
    locator: Locator
    problems: list[Problem] = field(default_factory=list)
    # accepted with a warning (Plan.warnings): what Botticelli ignores, prompts sent verbatim
    warnings: list[Problem] = field(default_factory=list)
    # "botticelli" while a Botticelli file is read: what Botticelli ignores is a warning there
    dialect: str = "native"
    # environment variables a narrative may not read (narrator.config.secret_env_names)
    secrets: frozenset[str] = DEFAULT_SECRET_ENV
    # nested narrative files are read from base_dir; stack: the files being read (cycles)
    base_dir: str | None = None
    stack: tuple[str, ...] = ()

    def at_key(self, path: Path) -> Location:
        line, col = self.locator.key(path)
        return Location(self.source, line, col)

    def at_value(self, path: Path) -> Location:
        line, col = self.locator.value(path)
        return Location(self.source, line, col)

    def at_inside(self, path: Path, offset: int) -> Location:
        line, col = self.locator.inside(path, offset)
        return Location(self.source, line, col)

    def key_problem(self, path: Path, message: str) -> None:
        self.problems.append(Problem(self.at_key(path), message))

    def value_problem(self, path: Path, message: str) -> None:
        self.problems.append(Problem(self.at_value(path), message))

    def inside_problem(self, path: Path, offset: int, message: str) -> None:
        self.problems.append(Problem(self.at_inside(path, offset), message))

    def key_warning(self, path: Path, message: str) -> None:
        self.warnings.append(Problem(self.at_key(path), message))


def dotted(path: Path) -> str:
    """``("act", 2, "input", 0, "args")`` → ``act[2].input[0].args`` for messages."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


def _hint(name: str, candidates: Any) -> str:
    hint = did_you_mean(name, list(candidates))
    return f"; {hint}" if hint else ""


def suggest(name: str, candidates: Any) -> str:
    """``; did you mean 'x'?`` when a candidate is close, else an empty string."""
    found = did_you_mean(name, list(candidates))
    return f"; {found}" if found else ""


def type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return f"a {type(value).__name__}"


def show(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else f'"{value}"'
    return text if len(text) <= 40 else text[:37] + "..."
