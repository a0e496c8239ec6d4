"""Guild channels (text, voice, category, announcement, forum) and their invites."""

from __future__ import annotations

import hashlib
from typing import Any

from narrator.platforms.emulator.errors import invalid, required, unknown
from narrator.platforms.emulator.routes.base import Answer, Ctx, RouteTable, now_iso
from narrator.platforms.emulator.routes.forums import apply_forum_fields
from narrator.platforms.emulator.routes.invites import reusable_invite
from narrator.platforms.emulator.shapes import channel_json, user_json
from narrator.platforms.emulator.shapes import invite_json as invite_shape
from narrator.platforms.emulator.world import THREAD_TYPES, World

ROUTES = RouteTable()
CHANNEL_TYPES = (0, 2, 4, 5, 13, 15)


@ROUTES.route("GET", "/guilds/{guild_id}/channels")
def list_channels(ctx: Ctx) -> Answer:
    ctx.world.guild(ctx.params["guild_id"])
    found = ctx.world.guild_channels(ctx.params["guild_id"])
    return 200, [channel_json(c) for c in found if c["type"] not in THREAD_TYPES]


def apply_channel_fields(world: World, channel: dict[str, Any], body: dict[str, Any]) -> None:
    """Validate and apply the editable fields of ``body`` (create and PATCH)."""
    guild_id = channel["guild_id"]
    if "name" in body:
        name = body["name"]
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            raise invalid("name", "Must be between 1 and 100 in length.", "BASE_TYPE_BAD_LENGTH")
        channel["name"] = name.lower().replace(" ", "-") if channel["type"] == 0 else name
    if "parent_id" in body:
        parent = body["parent_id"]
        if parent is not None:
            cat = world.channels.get(str(parent))
            if cat is None or cat["type"] != 4 or cat["guild_id"] != guild_id:
                raise invalid("parent_id", "Category does not exist")
            parent = str(parent)
        channel["parent_id"] = parent
    if "topic" in body:
        topic = body["topic"]
        if topic is not None and len(topic) > 1024:
            raise invalid("topic", "Must be 1024 or fewer in length.", "BASE_TYPE_MAX_LENGTH")
        channel["topic"] = topic
    for key in ("position", "nsfw", "rate_limit_per_user", "bitrate", "user_limit"):
        if key in body:
            channel[key] = body[key]
    if "permission_overwrites" in body:
        channel["permission_overwrites"] = [
            {
                "id": str(o["id"]),
                "type": int(o.get("type", 0)),
                "allow": str(o.get("allow", "0")),
                "deny": str(o.get("deny", "0")),
            }
            for o in body["permission_overwrites"]
        ]
    for key in ("archived", "locked", "auto_archive_duration"):
        if key in body and channel["type"] in THREAD_TYPES:
            channel.setdefault("thread_metadata", {})[key] = body[key]
    apply_forum_fields(world, channel, body)


@ROUTES.route("POST", "/guilds/{guild_id}/channels", "manage_channels")
def create_channel(ctx: Ctx) -> Answer:
    guild_id = ctx.params["guild_id"]
    ctx.world.guild(guild_id)
    body = ctx.json()
    if not body.get("name"):
        raise required("name")
    kind = int(body.get("type", 0))
    if kind not in CHANNEL_TYPES:
        raise invalid("type", "Value is not a valid enum value.")
    channel: dict[str, Any] = {
        "id": ctx.world.snowflake(),
        "type": kind,
        "guild_id": guild_id,
        "name": "",
        "position": len(ctx.world.guild_channels(guild_id)),
        "permission_overwrites": [],
        "parent_id": None,
        "nsfw": False,
    }
    if kind in (0, 5, 15):
        channel.update(topic=None, rate_limit_per_user=0, last_message_id=None)
    if kind == 2:
        channel.update(bitrate=64000, user_limit=0, rtc_region=None)
    apply_channel_fields(ctx.world, channel, body)
    ctx.world.channels[channel["id"]] = channel
    return 201, channel_json(channel)


@ROUTES.route("GET", "/channels/{channel_id}")
def get_channel(ctx: Ctx) -> Answer:
    return 200, channel_json(ctx.world.channel(ctx.params["channel_id"]))


@ROUTES.route("PATCH", "/channels/{channel_id}", "manage_channels")
def edit_channel(ctx: Ctx) -> Answer:
    channel = ctx.world.channel(ctx.params["channel_id"])
    apply_channel_fields(ctx.world, channel, ctx.json())
    return 200, channel_json(channel)


@ROUTES.route("DELETE", "/channels/{channel_id}", "manage_channels")
def delete_channel(ctx: Ctx) -> Answer:
    channel = ctx.world.channels.pop(ctx.params["channel_id"], None)
    if channel is None:
        raise unknown("Channel")
    ctx.world.messages.pop(channel["id"], None)
    for other in ctx.world.channels.values():
        if other.get("parent_id") == channel["id"]:
            other["parent_id"] = None
    return 200, channel_json(channel)


@ROUTES.route("POST", "/channels/{channel_id}/typing", "send_messages")
def trigger_typing(ctx: Ctx) -> Answer:
    """The typing indicator: nothing to store (it fades after ~10 s); 204 as Discord."""
    ctx.world.channel(ctx.params["channel_id"])
    return 204, None


# ---------------------------------------------------------------------- invites
def invite_json(world: World, invite: dict[str, Any]) -> dict[str, Any]:
    channel = world.channels.get(invite["channel_id"], {})
    guild = world.guilds.get(invite["guild_id"], {})
    return invite_shape(invite, channel, guild)


@ROUTES.route("POST", "/channels/{channel_id}/invites", "create_instant_invite")
def create_invite(ctx: Ctx) -> Answer:
    channel = ctx.world.channel(ctx.params["channel_id"])
    body = ctx.json()
    settings = {
        "max_age": int(body.get("max_age", 86400)),
        "max_uses": int(body.get("max_uses", 0)),
        "temporary": bool(body.get("temporary", False)),
    }
    invites = ctx.world.guild(channel["guild_id"])["invites"]
    if not body.get("unique"):  # Discord reuses the inviter's similar invite unless unique
        similar = reusable_invite(invites.values(), channel["id"], ctx.world.bot_id, settings)
        if similar is not None:
            return 200, invite_json(ctx.world, similar)
    code = hashlib.sha1(ctx.world.snowflake().encode()).hexdigest()[:8]
    invite = {
        "code": code,
        "channel_id": channel["id"],
        "guild_id": channel["guild_id"],
        **settings,
        "uses": 0,
        "created_at": now_iso(ctx.world),
        "inviter": user_json(ctx.world.data["bot"]),
    }
    invites[code] = invite
    return 200, invite_json(ctx.world, invite)


@ROUTES.route("GET", "/channels/{channel_id}/invites", "manage_channels")
def channel_invites(ctx: Ctx) -> Answer:
    channel = ctx.world.channel(ctx.params["channel_id"])
    invites = ctx.world.guild(channel["guild_id"])["invites"].values()
    return 200, [invite_json(ctx.world, i) for i in invites if i["channel_id"] == channel["id"]]


@ROUTES.route("GET", "/guilds/{guild_id}/invites", "manage_guild")
def guild_invites(ctx: Ctx) -> Answer:
    invites = ctx.world.guild(ctx.params["guild_id"])["invites"].values()
    return 200, [invite_json(ctx.world, i) for i in invites]
