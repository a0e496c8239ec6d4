"""Old name of :mod:`narrator.catalogue`, kept because docs/discord.md has told users
to read the command list from ``narrator.commands``. New code imports
``narrator.catalogue``; nothing inside narrator imports this module.
"""

from __future__ import annotations

from narrator.catalogue import (
    ALIASES,
    CATALOGUE,
    Arg,
    ArgType,
    CommandSpec,
    canonical,
    capture_key,
    command_names,
    key_segment,
    lookup,
    platforms,
)

__all__ = [
    "ALIASES",
    "CATALOGUE",
    "Arg",
    "ArgType",
    "CommandSpec",
    "canonical",
    "capture_key",
    "command_names",
    "key_segment",
    "lookup",
    "platforms",
]
