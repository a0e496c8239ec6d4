"""The server settings a ``PATCH /guilds/{guild_id}`` may change, validated as Discord does.

Not a route table: ``routes/guilds.py``'s PATCH hands its body to
:func:`apply_guild_settings`. Channel references must name a channel of the guild of
the right type (``afk_channel_id`` a voice channel, the others text channels); an icon
is a ``data:`` URI, stored as its hash (Discord answers the hash, never the image).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

from narrator.platforms.emulator.errors import invalid
from narrator.platforms.emulator.world import World

RANGES = {
    "verification_level": range(5),
    "default_message_notifications": range(2),
    "explicit_content_filter": range(3),
}
AFK_TIMEOUTS = (60, 300, 900, 1800, 3600)
CHANNEL_FIELDS = {
    "afk_channel_id": 2,
    "system_channel_id": 0,
    "rules_channel_id": 0,
    "public_updates_channel_id": 0,
}


_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a")


def _is_image(data: bytes) -> bool:
    """PNG, JPEG, GIF or WebP by the first bytes, as Discord decodes an upload."""
    return data.startswith(_IMAGE_MAGIC) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")


def icon_hash(data: str) -> str:
    """The hash Discord answers for an uploaded image: 50035 Invalid Form Body unless the
    data: URI's decoded bytes are an image (a text file labelled image/png is refused)."""
    head, _, encoded = data.partition(";base64,")
    try:
        decoded = base64.b64decode("".join(encoded.split()), validate=True)
    except (binascii.Error, ValueError):
        decoded = b""
    if not head.startswith("data:image/") or not _is_image(decoded):
        raise invalid("icon", "Invalid image data", "IMAGE_INVALID")
    return hashlib.md5(data.encode()).hexdigest()


def apply_guild_settings(world: World, guild: dict[str, Any], body: dict[str, Any]) -> None:
    """Validate every field of ``body`` first, then store them (all or nothing, as Discord)."""
    changes: dict[str, Any] = {}
    if "name" in body:
        name = body["name"]
        if not isinstance(name, str) or not 2 <= len(name.strip()) <= 100:
            raise invalid("name", "Must be between 2 and 100 in length.", "BASE_TYPE_BAD_LENGTH")
        changes["name"] = name.strip()
    if "description" in body:
        description = body["description"]
        if description is not None and (not isinstance(description, str) or len(description) > 300):
            raise invalid("description", "Must be 300 or fewer in length.", "BASE_TYPE_MAX_LENGTH")
        changes["description"] = description or None
    if "icon" in body:
        changes["icon"] = None if body["icon"] is None else icon_hash(str(body["icon"]))
    for field, allowed in RANGES.items():
        if field in body:
            value = body[field]
            if isinstance(value, bool) or not isinstance(value, int) or value not in allowed:
                raise invalid(field, "Value is not a valid enum value.", "BASE_TYPE_CHOICES")
            changes[field] = value
    if "afk_timeout" in body:
        if body["afk_timeout"] not in AFK_TIMEOUTS:
            raise invalid("afk_timeout", "Value is not a valid enum value.", "BASE_TYPE_CHOICES")
        changes["afk_timeout"] = body["afk_timeout"]
    if "system_channel_flags" in body:
        flags = body["system_channel_flags"]
        if isinstance(flags, bool) or not isinstance(flags, int) or not 0 <= flags < 1 << 6:
            raise invalid("system_channel_flags", "Invalid flags")
        changes["system_channel_flags"] = flags
    for field, kind in CHANNEL_FIELDS.items():
        if field not in body:
            continue
        value = body[field]
        if value is not None:
            channel = world.channels.get(str(value))
            if channel is None or channel.get("guild_id") != guild["id"] or channel["type"] != kind:
                raise invalid(field, "Unknown channel or wrong channel type", "CHANNEL_INVALID")
            value = str(value)
        changes[field] = value
    guild.update(changes)
