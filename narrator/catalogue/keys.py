"""State keys the Discord commands write (DESIGN §4), formatted in this one place.

* ``discord.{guild}.{what}.{name}`` — a captured id (``what``: channel, category,
  role, webhook); ``discord.{guild}.message.{key}`` — a sent or ensured message;
  ``discord.{guild}.invite.{key}`` — an ensured invite's code;
* ``discord.{guild}.spec.{what}.{name}`` — the fingerprint of what a convergent
  ``*.ensure`` last applied (tells drift from a changed declaration);
* ``discord.{guild}.spec.overwrite.{channel}.{target}`` — the same for a
  permission overwrite; ``spec.guild.settings``, ``spec.role.@everyone`` and
  ``spec.member_roles.{user}`` for the server settings, ``@everyone``'s permissions and a
  member's roles (nothing to capture: their ids are the guild's and the user's), and
  ``spec.guild.icon`` — ``"{fingerprint}:{hash}"`` of the icon narrator uploaded.
"""

from __future__ import annotations

import re


def key_segment(name: str) -> str:
    """A Discord name as one segment of a state key (DESIGN §4).

    Keys hold no whitespace and use dots as separators, so runs of whitespace
    and dots become ``_`` ("Server Booster" → ``Server_Booster``) and control
    characters are dropped; ``{state.discord.G.role.Server_Booster}`` reads it.
    """
    cleaned = "".join(ch for ch in name.strip() if ch.isprintable() or ch.isspace())
    return re.sub(r"[\s.]+", "_", cleaned) or "_"


def is_internal(key: str) -> bool:
    """A fingerprint key (``discord.{guild}.spec.…``): narrator's bookkeeping, not an id
    a narrative reads; ``state list`` hides these unless ``--internal``."""
    parts = key.split(".", 3)
    return len(parts) >= 3 and parts[0] == "discord" and parts[2] == "spec"


def capture_key(guild_id: str, what: str, name: str) -> str:
    """``discord.{guild_id}.{what}.{name}``: where a produced id is captured."""
    return f"discord.{guild_id}.{what}.{key_segment(name)}"


def message_key(guild_id: str, key: str) -> str:
    """``discord.{guild_id}.message.{key}``: a sent message's id (``key``: the act name)."""
    return capture_key(guild_id, "message", key)


def spec_key(guild_id: str, what: str, name: str) -> str:
    """``discord.{guild_id}.spec.{what}.{name}``: the fingerprint an ``*.ensure`` applied."""
    return f"discord.{guild_id}.spec.{what}.{key_segment(name)}"


def overwrite_spec_key(guild_id: str, channel_id: str, target_id: str) -> str:
    """``discord.{guild_id}.spec.overwrite.{channel_id}.{target_id}``: a permissions.ensure's."""
    return f"discord.{guild_id}.spec.overwrite.{channel_id}.{target_id}"
