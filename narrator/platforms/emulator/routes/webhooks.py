"""Webhooks: create, read, list, delete, and execute (no bot token: the webhook's own)."""

from __future__ import annotations

import hashlib

from narrator.platforms.emulator.errors import required, unknown
from narrator.platforms.emulator.routes.base import Answer, Ctx, RouteTable
from narrator.platforms.emulator.routes.messages import message_json, new_message
from narrator.platforms.emulator.shapes import webhook_json

ROUTES = RouteTable()


@ROUTES.route("POST", "/channels/{channel_id}/webhooks", "manage_webhooks")
def create_webhook(ctx: Ctx) -> Answer:
    channel = ctx.world.channel(ctx.params["channel_id"])
    name = ctx.json().get("name")
    if not name:
        raise required("name")
    hook_id = ctx.world.snowflake()
    hook = {
        "id": hook_id,
        "type": 1,
        "guild_id": channel["guild_id"],
        "channel_id": channel["id"],
        "name": name,
        "avatar": None,
        "application_id": None,
        "token": hashlib.sha256(hook_id.encode()).hexdigest()[:40],
        "user": ctx.world.data["bot"],
    }
    ctx.world.webhooks[hook_id] = hook
    return 200, webhook_json(hook)


@ROUTES.route("GET", "/channels/{channel_id}/webhooks", "manage_webhooks")
def channel_webhooks(ctx: Ctx) -> Answer:
    channel = ctx.world.channel(ctx.params["channel_id"])
    hooks = ctx.world.webhooks.values()
    return 200, [webhook_json(h) for h in hooks if h["channel_id"] == channel["id"]]


@ROUTES.route("GET", "/guilds/{guild_id}/webhooks", "manage_webhooks")
def guild_webhooks(ctx: Ctx) -> Answer:
    guild = ctx.world.guild(ctx.params["guild_id"])
    hooks = ctx.world.webhooks.values()
    return 200, [webhook_json(h) for h in hooks if h["guild_id"] == guild["id"]]


@ROUTES.route("GET", "/webhooks/{webhook_id}", "manage_webhooks")
def get_webhook(ctx: Ctx) -> Answer:
    hook = ctx.world.webhooks.get(ctx.params["webhook_id"])
    if hook is None:
        raise unknown("Webhook")
    return 200, webhook_json(hook)


@ROUTES.route("DELETE", "/webhooks/{webhook_id}", "manage_webhooks")
def delete_webhook(ctx: Ctx) -> Answer:
    if ctx.world.webhooks.pop(ctx.params["webhook_id"], None) is None:
        raise unknown("Webhook")
    return 204, None


@ROUTES.route("POST", "/webhooks/{webhook_id}/{webhook_token}", auth=False)
def execute_webhook(ctx: Ctx) -> Answer:
    hook = ctx.world.webhooks.get(ctx.params["webhook_id"])
    if hook is None or hook["token"] != ctx.params["webhook_token"]:
        raise unknown("Webhook")
    channel = ctx.world.channel(hook["channel_id"])
    body = ctx.json()
    author = {"id": hook["id"], "username": body.get("username") or hook["name"], "bot": True}
    message = new_message(ctx.world, channel, body, author)
    message["webhook_id"] = hook["id"]
    if ctx.q("wait") == "true":
        return 200, message_json(ctx, message)
    return 204, None
