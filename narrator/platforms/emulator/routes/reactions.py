"""Reactions on a message (the bot's own, a user's, one emoji's, all)."""

from __future__ import annotations

from narrator.platforms.emulator.routes.base import Answer, Ctx, RouteTable
from narrator.platforms.emulator.shapes import user_json

ROUTES = RouteTable()
REACT = "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}"


# ``/@me`` is registered before ``/{user_id}`` so that "@me" is never read as a user id.
@ROUTES.route("PUT", REACT + "/@me", "add_reactions")
def add_reaction(ctx: Ctx) -> Answer:
    message = ctx.world.message(ctx.params["channel_id"], ctx.params["message_id"])
    users = message["_reactions"].setdefault(ctx.params["emoji"], [])
    if ctx.world.bot_id not in users:
        users.append(ctx.world.bot_id)
    return 204, None


@ROUTES.route("DELETE", REACT + "/@me")
def remove_own_reaction(ctx: Ctx) -> Answer:
    message = ctx.world.message(ctx.params["channel_id"], ctx.params["message_id"])
    users = message["_reactions"].get(ctx.params["emoji"], [])
    if ctx.world.bot_id in users:
        users.remove(ctx.world.bot_id)
    return 204, None


@ROUTES.route("DELETE", REACT + "/{user_id}", "manage_messages")
def remove_user_reaction(ctx: Ctx) -> Answer:
    message = ctx.world.message(ctx.params["channel_id"], ctx.params["message_id"])
    users = message["_reactions"].get(ctx.params["emoji"], [])
    if ctx.params["user_id"] in users:
        users.remove(ctx.params["user_id"])
    return 204, None


@ROUTES.route("GET", REACT)
def list_reactions(ctx: Ctx) -> Answer:
    message = ctx.world.message(ctx.params["channel_id"], ctx.params["message_id"])
    users = message["_reactions"].get(ctx.params["emoji"], [])
    known = {ctx.world.bot_id: ctx.world.data["bot"], **ctx.world.data["users"]}
    return 200, [user_json(known.get(u, {"id": u, "username": u})) for u in users]


@ROUTES.route("DELETE", REACT, "manage_messages")
def clear_emoji_reactions(ctx: Ctx) -> Answer:
    message = ctx.world.message(ctx.params["channel_id"], ctx.params["message_id"])
    message["_reactions"].pop(ctx.params["emoji"], None)
    return 204, None


@ROUTES.route("DELETE", "/channels/{channel_id}/messages/{message_id}/reactions", "manage_messages")
def clear_reactions(ctx: Ctx) -> Answer:
    ctx.world.message(ctx.params["channel_id"], ctx.params["message_id"])["_reactions"] = {}
    return 204, None
