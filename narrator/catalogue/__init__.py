"""The catalogue of platform commands: names, arguments, and what they do.

Pure data. The parser checks narratives against it at load time (unknown
command or argument → a problem with "did you mean"); the executor resolves
Botticelli spellings of commands and arguments here (:func:`lookup`,
:func:`canonical_args`) and reads which commands are destructive, so a platform
receives only the catalogue's names; platforms implement what it lists.

* :mod:`~narrator.catalogue.spec` — ``Arg``, ``CommandSpec``;
* :mod:`~narrator.catalogue.discord` — the Discord table (joined from ``discord_*`` per noun)
  and its Botticelli aliases;
* :mod:`~narrator.catalogue.keys` — the state keys Discord commands write.

The tables are read-only mappings assembled here; nothing registers into them.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from narrator.catalogue import content as _content
from narrator.catalogue import discord as _discord
from narrator.catalogue.keys import capture_key, key_segment
from narrator.catalogue.spec import Arg, ArgType, CommandSpec

__all__ = [
    "ALIASES",
    "ARGUMENT_ALIASES",
    "CATALOGUE",
    "Arg",
    "ArgType",
    "CommandSpec",
    "canonical",
    "canonical_args",
    "capture_key",
    "command_names",
    "key_segment",
    "lookup",
    "platforms",
]

CATALOGUE: Mapping[str, Mapping[str, CommandSpec]] = MappingProxyType(
    {
        "discord": MappingProxyType({spec.name: spec for spec in _discord.COMMANDS}),
        # content tables (issue 11): performed against the content store, not a platform
        "content": MappingProxyType({spec.name: spec for spec in _content.COMMANDS}),
        "database": MappingProxyType({spec.name: spec for spec in _content.DATABASE_COMMANDS}),
    }
)
# Botticelli spells some commands differently; these resolve to the same spec.
ALIASES: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {"discord": MappingProxyType(dict(_discord.ALIASES))}
)
ARGUMENT_ALIASES: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {"discord": MappingProxyType(dict(_discord.ARGUMENT_ALIASES))}
)


def canonical(platform: str, command: str) -> str:
    """The catalogue's name of ``command`` (a Botticelli alias resolved)."""
    return ALIASES.get(platform, {}).get(command, command)


def canonical_args(platform: str, args: Mapping[str, Any]) -> dict[str, Any]:
    """``args`` with Botticelli argument spellings renamed (``channel_type`` -> ``kind``);
    when both spellings are given the catalogue's wins."""
    out = dict(args)
    for alias, name in ARGUMENT_ALIASES.get(platform, {}).items():
        if alias in out:
            value = out.pop(alias)
            out.setdefault(name, value)
    return out


def lookup(platform: str, command: str) -> CommandSpec | None:
    """The spec of ``command``, also when spelled with a Botticelli alias."""
    return CATALOGUE.get(platform, {}).get(canonical(platform, command))


def platforms() -> tuple[str, ...]:
    return tuple(sorted(CATALOGUE))


def command_names(platform: str) -> tuple[str, ...]:
    return tuple(sorted(CATALOGUE.get(platform, {})))
