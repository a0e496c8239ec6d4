"""Threads (from a message, standalone, forum posts) and thread members."""

from __future__ import annotations

from typing import Any

from narrator.platforms.emulator.errors import ApiError, invalid, required
from narrator.platforms.emulator.routes.base import Answer, Ctx, RouteTable, now_iso, public
from narrator.platforms.emulator.routes.messages import message_json, new_message
from narrator.platforms.emulator.shapes import channel_json
from narrator.platforms.emulator.world import THREAD_TYPES

ROUTES = RouteTable()
FORUM = 15
ANNOUNCEMENT = 5


def new_thread(
    ctx: Ctx, parent: dict[str, Any], name: str, kind: int, body: dict[str, Any]
) -> dict[str, Any]:
    if not name:
        raise required("name")
    thread: dict[str, Any] = {
        "id": ctx.world.snowflake(),
        "type": kind,
        "guild_id": parent["guild_id"],
        "parent_id": parent["id"],
        "name": name,
        "owner_id": ctx.world.bot_id,
        "rate_limit_per_user": int(body.get("rate_limit_per_user", 0)),
        "message_count": 0,
        "member_count": 1,
        "applied_tags": [str(t) for t in body.get("applied_tags", [])],
        "thread_metadata": {
            "archived": False,
            "locked": False,
            "auto_archive_duration": int(body.get("auto_archive_duration", 4320)),
            "archive_timestamp": now_iso(ctx.world),
        },
        "_members": [ctx.world.bot_id],
    }
    ctx.world.channels[thread["id"]] = thread
    return thread


@ROUTES.route(
    "POST", "/channels/{channel_id}/messages/{message_id}/threads", "create_public_threads"
)
def thread_from_message(ctx: Ctx) -> Answer:
    parent = ctx.world.channel(ctx.params["channel_id"])
    message = ctx.world.message(ctx.params["channel_id"], ctx.params["message_id"])
    body = ctx.json()
    kind = 10 if parent["type"] == ANNOUNCEMENT else 11
    thread = new_thread(ctx, parent, body.get("name", ""), kind, body)
    message["thread"] = public(thread)
    return 201, channel_json(thread)


@ROUTES.route("POST", "/channels/{channel_id}/threads", "create_public_threads")
def create_thread(ctx: Ctx) -> Answer:
    parent = ctx.world.channel(ctx.params["channel_id"])
    body = ctx.json()
    if parent["type"] == FORUM:
        first = body.get("message")
        if not isinstance(first, dict):
            raise required("message")
        thread = new_thread(ctx, parent, body.get("name", ""), 11, body)
        message = new_message(ctx.world, thread, first, ctx.world.data["bot"])
        # a forum post's first message has the thread's id
        del ctx.world.messages[thread["id"]][message["id"]]
        message["id"] = thread["id"]
        ctx.world.messages[thread["id"]][thread["id"]] = message
        thread["message_count"] = 1
        return 201, {**channel_json(thread), "message": message_json(ctx, message)}
    kind = int(body.get("type", 11))
    if kind not in THREAD_TYPES:
        raise invalid("type", "Value is not a valid enum value.")
    return 201, channel_json(new_thread(ctx, parent, body.get("name", ""), kind, body))


@ROUTES.route("GET", "/guilds/{guild_id}/threads/active")
def active_threads(ctx: Ctx) -> Answer:
    ctx.world.guild(ctx.params["guild_id"])
    threads = [
        channel_json(c)
        for c in ctx.world.guild_channels(ctx.params["guild_id"])
        if c["type"] in THREAD_TYPES and not c["thread_metadata"]["archived"]
    ]
    return 200, {"threads": threads, "members": [], "has_more": False}


def thread_of(ctx: Ctx) -> dict[str, Any]:
    thread = ctx.world.channel(ctx.params["channel_id"])
    if thread["type"] not in THREAD_TYPES:
        raise ApiError(400, 50024, "Cannot execute action on this channel type")
    return thread


# ``/@me`` is registered before ``/{user_id}`` so that "@me" is never read as a user id.
@ROUTES.route("PUT", "/channels/{channel_id}/thread-members/@me")
def join_thread(ctx: Ctx) -> Answer:
    members = thread_of(ctx)["_members"]
    if ctx.world.bot_id not in members:
        members.append(ctx.world.bot_id)
    return 204, None


@ROUTES.route("DELETE", "/channels/{channel_id}/thread-members/@me")
def leave_thread(ctx: Ctx) -> Answer:
    members = thread_of(ctx)["_members"]
    if ctx.world.bot_id in members:
        members.remove(ctx.world.bot_id)
    return 204, None


@ROUTES.route("PUT", "/channels/{channel_id}/thread-members/{user_id}", "send_messages")
def add_thread_member(ctx: Ctx) -> Answer:
    thread = thread_of(ctx)
    ctx.world.member(thread["guild_id"], ctx.params["user_id"])
    if ctx.params["user_id"] not in thread["_members"]:
        thread["_members"].append(ctx.params["user_id"])
    return 204, None


@ROUTES.route("DELETE", "/channels/{channel_id}/thread-members/{user_id}", "manage_threads")
def remove_thread_member(ctx: Ctx) -> Answer:
    thread = thread_of(ctx)
    if ctx.params["user_id"] in thread["_members"]:
        thread["_members"].remove(ctx.params["user_id"])
    return 204, None


@ROUTES.route("GET", "/channels/{channel_id}/thread-members")
def list_thread_members(ctx: Ctx) -> Answer:
    thread = thread_of(ctx)
    return 200, [{"id": thread["id"], "user_id": u} for u in thread["_members"]]
