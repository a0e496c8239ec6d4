"""A forum channel's own fields (type 15), applied on create and PATCH of a channel.

Not a route table: ``routes/channels.py``'s ``apply_channel_fields`` hands the body to
:func:`apply_forum_fields`. ``available_tags``: at most 20; a tag sent with the id of
an existing tag keeps it, one without an id gets a new snowflake, a tag not sent is
gone. ``default_reaction_emoji`` and ``default_sort_order`` are stored as sent.
"""

from __future__ import annotations

from typing import Any

from narrator.platforms.emulator.errors import invalid
from narrator.platforms.emulator.world import World

FORUM = 15
FORUM_DEFAULTS: dict[str, Any] = {
    "available_tags": [],
    "default_reaction_emoji": None,
    "default_sort_order": None,
    "default_forum_layout": 0,
    "default_thread_rate_limit_per_user": 0,
}


def _emoji(value: Any, field: str) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise invalid(field, "Expected an object")
    emoji_id = value.get("emoji_id")
    name = value.get("emoji_name")
    if emoji_id is None and not name:
        raise invalid(field, "An emoji id or name is required")
    return {"emoji_id": None if emoji_id is None else str(emoji_id), "emoji_name": name}


def apply_forum_fields(world: World, channel: dict[str, Any], body: dict[str, Any]) -> None:
    if channel["type"] != FORUM:
        return
    for key, default in FORUM_DEFAULTS.items():
        channel.setdefault(key, default)
    if "available_tags" in body:
        tags = body["available_tags"] or []
        if not isinstance(tags, list) or len(tags) > 20:
            raise invalid(
                "available_tags", "Must be 20 or fewer in length.", "BASE_TYPE_MAX_LENGTH"
            )
        known = {tag["id"] for tag in channel["available_tags"]}
        stored = []
        for tag in tags:
            name = tag.get("name") if isinstance(tag, dict) else None
            if not isinstance(name, str) or not 1 <= len(name) <= 20:
                raise invalid("available_tags", "A tag name has 1-20 characters.")
            mark = (
                _emoji(tag, "available_tags")
                if (tag.get("emoji_id") is not None or tag.get("emoji_name"))
                else None
            )
            tag_id = str(tag["id"]) if tag.get("id") and str(tag["id"]) in known else None
            stored.append(
                {
                    "id": tag_id or world.snowflake(),
                    "name": name,
                    "moderated": bool(tag.get("moderated", False)),
                    "emoji_id": (mark or {}).get("emoji_id"),
                    "emoji_name": (mark or {}).get("emoji_name"),
                }
            )
        channel["available_tags"] = stored
    if "default_reaction_emoji" in body:
        channel["default_reaction_emoji"] = _emoji(
            body["default_reaction_emoji"], "default_reaction_emoji"
        )
    if "default_sort_order" in body:
        order = body["default_sort_order"]
        if order not in (None, 0, 1):
            raise invalid("default_sort_order", "Value is not a valid enum value.")
        channel["default_sort_order"] = order
