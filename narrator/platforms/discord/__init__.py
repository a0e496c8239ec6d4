"""Discord through discord.py 2.x, REST only. The only package that imports discord.py."""

from __future__ import annotations

from narrator.platforms.discord.platform import COMMANDS, DiscordPlatform
from narrator.platforms.discord.text import allowed_mentions, split_message

__all__ = ["COMMANDS", "DiscordPlatform", "allowed_mentions", "split_message"]
