"""The Discord commands: every name narratives may use, its arguments and flags.

Pure data, assembled here from one module per noun group (``COMMANDS``) plus the
Botticelli spellings (``ALIASES``, ``ARGUMENT_ALIASES``); :mod:`narrator.catalogue`
indexes them. The platform that performs them is :mod:`narrator.platforms.discord`,
whose ``COMMANDS`` table must name the same commands (a test checks both ways).

* :mod:`~narrator.catalogue.discord_common` — ``spec`` and the shared argument groups;
* :mod:`~narrator.catalogue.discord_guild` — server, channels, categories, roles, members;
* :mod:`~narrator.catalogue.discord_messages` — messages, reactions, webhooks;
* :mod:`~narrator.catalogue.discord_community` — threads, forum, events, overwrites, listings.
"""

from __future__ import annotations

from collections.abc import Mapping

from narrator.catalogue import discord_community, discord_guild, discord_messages, discord_setup
from narrator.catalogue.discord_common import KINDS
from narrator.catalogue.spec import CommandSpec

__all__ = ["ALIASES", "ARGUMENT_ALIASES", "COMMANDS", "KINDS"]

COMMANDS: tuple[CommandSpec, ...] = (
    *discord_guild.COMMANDS,
    *discord_messages.COMMANDS,
    *discord_community.COMMANDS,
    *discord_setup.COMMANDS,
)

# Botticelli spells some commands differently; these resolve to the same spec.
ALIASES: Mapping[str, str] = {
    "channel.create": "channels.create",
    "channel.get_or_create": "channels.get_or_create",
    "message.send": "messages.send",
    "server.stats": "server.get_stats",
}

# Botticelli spells some arguments differently: alias -> the catalogue's name.
ARGUMENT_ALIASES: Mapping[str, str] = {
    "channel_type": "kind",
    "role_id": "role",
    "nickname": "nick",
    "deafen": "deaf",
    "duration_seconds": "duration",
}
