"""Messages: send (with nonce dedupe), list, read, edit, delete, bulk delete, pins."""

from __future__ import annotations

import re
from typing import Any

from narrator.platforms.emulator.errors import ApiError, invalid
from narrator.platforms.emulator.routes.base import (
    Answer,
    Ctx,
    RouteTable,
    check_permission,
    now_iso,
    now_iso_ms,
)
from narrator.platforms.emulator.shapes import message_json as message_shape
from narrator.platforms.emulator.world import World, snowflake_time_ms

ROUTES = RouteTable()
MAX_CONTENT = 2000

_MENTION_USER = re.compile(r"<@!?(\d+)>")
_MENTION_ROLE = re.compile(r"<@&(\d+)>")


def new_message(
    world: World, channel: dict[str, Any], body: dict[str, Any], author: dict[str, Any]
) -> dict[str, Any]:
    """Validate ``body`` and store a message by ``author`` in ``channel``."""
    content = body.get("content") or ""
    if not isinstance(content, str):
        raise invalid("content", "Could not interpret value as string.")
    if len(content) > MAX_CONTENT:
        raise invalid("content", "Must be 2000 or fewer in length.", "BASE_TYPE_MAX_LENGTH")
    if not content and not body.get("embeds"):
        raise ApiError(400, 50006, "Cannot send an empty message")
    allowed = body.get("allowed_mentions")
    parse = set(allowed.get("parse", [])) if allowed else {"users", "roles", "everyone"}
    users = set(allowed.get("users", [])) if allowed else set()
    roles = set(allowed.get("roles", [])) if allowed else set()
    mention_users = [u for u in _MENTION_USER.findall(content) if "users" in parse or u in users]
    mention_roles = [r for r in _MENTION_ROLE.findall(content) if "roles" in parse or r in roles]
    everyone = "everyone" in parse and ("@everyone" in content or "@here" in content)
    message: dict[str, Any] = {
        "id": world.snowflake(),
        "type": 0,
        "channel_id": channel["id"],
        "guild_id": channel.get("guild_id"),
        "author": dict(author),
        "content": content,
        "timestamp": now_iso(world),
        "edited_timestamp": None,
        "tts": bool(body.get("tts", False)),
        "mention_everyone": everyone,
        "mentions": [_mentioned(world, u) for u in mention_users],
        "mention_roles": mention_roles,
        "attachments": [],
        "embeds": list(body.get("embeds") or []),
        "pinned": False,
        "nonce": body.get("nonce"),
        "reactions": [],
        "_allowed_mentions": allowed,
        "_reactions": {},
    }
    world.messages.setdefault(channel["id"], {})[message["id"]] = message
    channel["last_message_id"] = message["id"]
    return message


def _mentioned(world: World, user_id: str) -> dict[str, Any]:
    known = {world.bot_id: world.data["bot"], **world.data["users"]}
    return dict(known.get(user_id) or {"id": user_id, "username": user_id})


def nonce_alive(world: World, message: dict[str, Any], ttl: float) -> bool:
    """Whether the message's nonce still dedupes (it is younger than ``ttl`` seconds)."""
    # fractional milliseconds, as before: a ttl of 0 honours a nonce for no time at all
    age_ms = world.clock.now().timestamp() * 1000 - snowflake_time_ms(message["id"])
    return message.get("nonce") is not None and age_ms <= ttl * 1000


def message_json(ctx: Ctx, message: dict[str, Any]) -> dict[str, Any]:
    out = message_shape(message, keep_nonce=nonce_alive(ctx.world, message, ctx.nonce_ttl))
    bot_id = ctx.world.bot_id
    out["reactions"] = [
        {"emoji": {"id": None, "name": e}, "count": len(u), "me": bot_id in u}
        for e, u in message.get("_reactions", {}).items()
        if u
    ]
    return out


@ROUTES.route("POST", "/channels/{channel_id}/messages", "send_messages")
def create_message(ctx: Ctx) -> Answer:
    channel = ctx.world.channel(ctx.params["channel_id"])
    body = ctx.json()
    nonce = body.get("nonce")
    seen = ctx.world.data["nonces"].setdefault(channel["id"], {})
    if nonce is not None and body.get("enforce_nonce"):
        if len(str(nonce)) > 25:
            raise invalid("nonce", "Must be 25 or fewer in length.", "BASE_TYPE_MAX_LENGTH")
        existing = ctx.world.messages.get(channel["id"], {}).get(seen.get(str(nonce), ""))
        if existing is not None and nonce_alive(ctx.world, existing, ctx.nonce_ttl):
            return 200, message_json(ctx, existing)
    message = new_message(ctx.world, channel, body, ctx.world.data["bot"])
    if nonce is not None:
        seen[str(nonce)] = message["id"]
    return 200, message_json(ctx, message)


@ROUTES.route("GET", "/channels/{channel_id}/messages", "read_message_history")
def list_messages(ctx: Ctx) -> Answer:
    ctx.world.channel(ctx.params["channel_id"])
    found = sorted(
        ctx.world.messages.get(ctx.params["channel_id"], {}).values(),
        key=lambda m: int(m["id"]),
        reverse=True,
    )
    before, after = ctx.q("before"), ctx.q("after")
    if before:
        found = [m for m in found if int(m["id"]) < int(before)]
    limit = max(1, min(100, int(ctx.q("limit") or 50)))
    if after and not before:
        # as Discord: the `limit` messages right after `after`, newest first
        found = [m for m in found if int(m["id"]) > int(after)][-limit:]
    elif after:
        found = [m for m in found if int(m["id"]) > int(after)]
    return 200, [message_json(ctx, m) for m in found[:limit]]


# The current pins routes (``/messages/pins``); registered before
# ``/messages/{message_id}`` so that "pins" is never read as a message id.
@ROUTES.route("GET", "/channels/{channel_id}/messages/pins", "read_message_history")
def list_message_pins(ctx: Ctx) -> Answer:
    ctx.world.channel(ctx.params["channel_id"])
    found = [
        m for m in ctx.world.messages.get(ctx.params["channel_id"], {}).values() if m["pinned"]
    ]
    found.sort(key=lambda m: (m.get("_pinned_at") or "", int(m["id"])), reverse=True)
    before = ctx.q("before")
    if before:
        found = [m for m in found if (m.get("_pinned_at") or "") < before]
    limit = max(1, min(50, int(ctx.q("limit") or 50)))
    items = [
        {"pinned_at": m.get("_pinned_at") or m["timestamp"], "message": message_json(ctx, m)}
        for m in found[:limit]
    ]
    return 200, {"items": items, "has_more": len(found) > limit}


def set_pinned(ctx: Ctx, pinned: bool) -> Answer:
    message = ctx.world.message(ctx.params["channel_id"], ctx.params["message_id"])
    if pinned and not message["pinned"]:
        message["_pinned_at"] = now_iso_ms(ctx.world)
    message["pinned"] = pinned
    return 204, None


@ROUTES.route("PUT", "/channels/{channel_id}/messages/pins/{message_id}", "manage_messages")
def create_pin(ctx: Ctx) -> Answer:
    return set_pinned(ctx, True)


@ROUTES.route("DELETE", "/channels/{channel_id}/messages/pins/{message_id}", "manage_messages")
def delete_pin(ctx: Ctx) -> Answer:
    return set_pinned(ctx, False)


@ROUTES.route("GET", "/channels/{channel_id}/messages/{message_id}", "read_message_history")
def get_message(ctx: Ctx) -> Answer:
    message = ctx.world.message(ctx.params["channel_id"], ctx.params["message_id"])
    return 200, message_json(ctx, message)


@ROUTES.route("PATCH", "/channels/{channel_id}/messages/{message_id}")
def edit_message(ctx: Ctx) -> Answer:
    message = ctx.world.message(ctx.params["channel_id"], ctx.params["message_id"])
    if message["author"]["id"] != ctx.world.bot_id:
        raise ApiError(403, 50005, "Cannot edit a message authored by another user")
    body = ctx.json()
    if "content" in body:
        content = body["content"] or ""
        if len(content) > MAX_CONTENT:
            raise invalid("content", "Must be 2000 or fewer in length.", "BASE_TYPE_MAX_LENGTH")
        message["content"] = content
    if "embeds" in body:
        message["embeds"] = list(body["embeds"] or [])
    message["edited_timestamp"] = now_iso(ctx.world)
    return 200, message_json(ctx, message)


@ROUTES.route("DELETE", "/channels/{channel_id}/messages/{message_id}")
def delete_message(ctx: Ctx) -> Answer:
    message = ctx.world.message(ctx.params["channel_id"], ctx.params["message_id"])
    if message["author"]["id"] != ctx.world.bot_id:
        check_permission(ctx, "manage_messages")
    del ctx.world.messages[ctx.params["channel_id"]][message["id"]]
    return 204, None


@ROUTES.route("POST", "/channels/{channel_id}/messages/bulk-delete", "manage_messages")
def bulk_delete(ctx: Ctx) -> Answer:
    ctx.world.channel(ctx.params["channel_id"])
    ids = [str(i) for i in ctx.json().get("messages", [])]
    if not 2 <= len(ids) <= 100:
        raise invalid("messages", "Must be between 2 and 100 in length.", "BASE_TYPE_BAD_LENGTH")
    store = ctx.world.messages.get(ctx.params["channel_id"], {})
    for mid in ids:
        store.pop(mid, None)
    return 204, None


# The older pins routes (``/channels/{id}/pins``), still served by Discord.
@ROUTES.route("GET", "/channels/{channel_id}/pins", "read_message_history")
def list_pins(ctx: Ctx) -> Answer:
    ctx.world.channel(ctx.params["channel_id"])
    found = ctx.world.messages.get(ctx.params["channel_id"], {}).values()
    return 200, [message_json(ctx, m) for m in found if m["pinned"]]


@ROUTES.route("PUT", "/channels/{channel_id}/pins/{message_id}", "manage_messages")
def pin(ctx: Ctx) -> Answer:
    return set_pinned(ctx, True)


@ROUTES.route("DELETE", "/channels/{channel_id}/pins/{message_id}", "manage_messages")
def unpin(ctx: Ctx) -> Answer:
    return set_pinned(ctx, False)
