"""Literal ids that cannot be Discord ids (``"YOUR_GUILD_ID_HERE"``): load-time problems.

An id-typed argument of the catalogue (``guild_id``, ``channel_id``, ...) written
as a literal must be a snowflake: digits only. A value with a reference in it
(``${GUILD_ID}``, ``{state.x}``, ``<state.x>``, ``{{ act }}``) is resolved when the
act runs and checked by the platform then. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from narrator import catalogue
from narrator.parser.context import Context
from narrator.parser.locate import Path

__all__ = ["check_ids", "is_snowflake"]

_REFERENCE_MARKS = ("{", "$", "<")


def is_snowflake(value: str) -> bool:
    """Digits only (a Discord snowflake is a 64-bit integer written in decimal)."""
    return value.isascii() and value.isdigit() and len(value) <= 20


def check_ids(
    ctx: Context, platform: str, command: str, args: Mapping[str, Any], args_path: Path
) -> None:
    """A problem at each id-typed argument whose literal value is not a snowflake."""
    spec = catalogue.lookup(platform, command)
    if spec is None:
        return
    aliases = catalogue.ARGUMENT_ALIASES.get(platform, {})
    for name, value in args.items():
        arg = spec.args.get(aliases.get(name, name))
        if arg is None or arg.type != "id" or not isinstance(value, str):
            continue
        if any(mark in value for mark in _REFERENCE_MARKS) or is_snowflake(value.strip()):
            continue
        ctx.value_problem(
            (*args_path, name),
            f'{name} = "{value[:40]}" is not a Discord id (ids are digits, like '
            '"1439415903753076859"); write the id, or a reference such as "${GUILD_ID}"',
        )
