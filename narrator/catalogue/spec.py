"""What a command is, as pure data: its arguments and what it does.

The parser checks narratives against these at load time, the executor reads
``destructive``, and ``narrator schema`` can describe each command's arguments
from them. No imports beyond the standard library.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

ArgType = Literal["str", "int", "bool", "list", "dict", "any", "id", "number"]


@dataclass(frozen=True, slots=True)
class Arg:
    """One argument of a command.

    ``choices``: the values the platform accepts (compared case-insensitively),
    empty when any value of ``type`` goes.
    """

    type: ArgType = "any"
    required: bool = False
    doc: str = ""
    choices: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """One command of one platform."""

    platform: str
    name: str
    args: Mapping[str, Arg] = field(default_factory=dict)
    doc: str = ""
    destructive: bool = False
    convergent: bool = False  # an *.ensure command: converge, never duplicate
    writes: bool = True  # False for pure reads (list/get)
    result: str = ""

    @property
    def required_args(self) -> tuple[str, ...]:
        return tuple(n for n, a in self.args.items() if a.required)
