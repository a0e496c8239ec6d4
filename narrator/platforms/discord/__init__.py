"""Discord through discord.py 2.x, REST only. The only package that imports discord.py."""

from __future__ import annotations

from narrator.platforms.discord import converge as _converge
from narrator.platforms.discord import handlers as _handlers
from narrator.platforms.discord.platform import HANDLERS, DiscordPlatform
from narrator.platforms.discord.text import allowed_mentions, split_message

del _converge, _handlers  # imported for their @command registrations

__all__ = ["HANDLERS", "DiscordPlatform", "allowed_mentions", "split_message"]
