"""Webhooks: create, list, delete, post through one."""

from __future__ import annotations

from typing import Any

from narrator.catalogue.keys import capture_key
from narrator.errors import PlatformError
from narrator.platforms.discord import reconcile
from narrator.platforms.discord.session import Call, Session, forget_captures, ok, read
from narrator.platforms.discord.shapes import (
    message_out,
    webhook_out,
    webhook_parts,
)
from narrator.protocols import CommandResult


async def webhooks_create(session: Session, call: Call) -> CommandResult:
    channel_id = call.id("channel_id")
    name = str(call.need("name"))
    hook = await reconcile.created_webhook(
        session, call, channel_id, name
    ) or await session.http.request(
        "POST",
        "/channels/{channel_id}/webhooks",
        channel_id=channel_id,
        json={"name": name},
        what=f"create webhook '{name}' on channel {channel_id}",
        permission="manage_webhooks",
    )
    guild_id = hook.get("guild_id") or call.guild_id
    return ok(
        webhook_out(hook),
        {capture_key(str(guild_id), "webhook", name): hook["id"]} if guild_id else {},
    )


async def webhooks_list(session: Session, call: Call) -> CommandResult:
    if call.get("channel_id"):
        channel_id = call.id("channel_id")
        hooks = await session.http.request(
            "GET",
            "/channels/{channel_id}/webhooks",
            channel_id=channel_id,
            what=f"list webhooks of channel {channel_id}",
            permission="manage_webhooks",
        )
    else:
        guild_id = call.guild()
        hooks = await session.http.request(
            "GET",
            "/guilds/{guild_id}/webhooks",
            guild_id=guild_id,
            what=f"list webhooks of guild {guild_id}",
            permission="manage_webhooks",
        )
    return read([webhook_out(h) for h in hooks])


async def webhooks_delete(session: Session, call: Call) -> CommandResult:
    webhook_id = call.id("webhook_id")
    hook: dict[str, Any] | None = None
    if call.guild_id:  # its name, to drop the captured key (DELETE answers 204)
        hooks = await session.http.request(
            "GET",
            "/guilds/{guild_id}/webhooks",
            guild_id=call.guild_id,
            what=f"list webhooks of guild {call.guild_id}",
            permission="manage_webhooks",
        )
        hook = next((h for h in hooks if str(h.get("id")) == webhook_id), None)
    await session.http.request(
        "DELETE",
        "/webhooks/{webhook_id}",
        webhook_id=webhook_id,
        what=f"delete webhook {webhook_id}",
        permission="manage_webhooks",
    )
    forgotten: dict[str, Any] = {}
    if hook is not None and hook.get("name"):
        guild_id = str(hook.get("guild_id") or call.guild_id)
        forgotten = forget_captures(call, guild_id, "webhook", str(hook["name"]), webhook_id)
    return ok({"id": webhook_id}, forgotten)


async def webhooks_send(session: Session, call: Call) -> CommandResult:
    if call.get("url"):
        parts = webhook_parts(str(call.get("url")))
        if parts is None:
            raise PlatformError(
                "webhooks.send: url is not a webhook URL (…/webhooks/ID/TOKEN)",
                act=call.raw.act,
                hint='use the url of webhooks.ensure\'s output: url = "{act.NAME.output.url}"',
            )
        webhook_id, token = parts
    else:
        webhook_id = call.id("webhook_id")
        token = str(call.get("token")) if call.get("token") else None
    if token is None:
        token = await _webhook_token(session, call, webhook_id)
    content = str(call.need("content"))
    if len(content) > 2000:
        raise PlatformError(
            f"a webhook message can hold 2,000 characters; this one has {len(content)}",
            act=call.raw.act,
            hint="shorten it or send several",
        )
    body: dict[str, Any] = {
        "content": content,
        "allowed_mentions": await session.mentions_for(call),
    }
    for key in ("username", "avatar_url", "embeds"):
        if call.get(key):
            body[key] = call.get(key)
    message = await session.http.request(
        "POST",
        "/webhooks/{webhook_id}/{webhook_token}",
        webhook_id=webhook_id,
        webhook_token=token,
        json=body,
        params={"wait": "true"},
        what=f"post through webhook {webhook_id}",
    )
    return ok(message_out(message))


async def _webhook_token(session: Session, call: Call, webhook_id: str) -> str:
    """The token of a webhook narrator's outputs name without it, fetched with the bot's
    token (``GET /webhooks/{id}``: Discord answers an incoming webhook with its token when
    the bot may manage webhooks or its application made it); once per run and webhook."""
    known = session.webhook_tokens.get(webhook_id)
    if known is not None:
        return known
    hook = await session.http.request(
        "GET",
        "/webhooks/{webhook_id}",
        webhook_id=webhook_id,
        what=f"read webhook {webhook_id}",
        permission="manage_webhooks",
    )
    token = hook.get("token") if isinstance(hook, dict) else None
    if not token:
        raise PlatformError(
            f"webhooks.send: webhook {webhook_id} has no token the bot can read "
            "(another application made it)",
            act=call.raw.act,
            hint="pass its full URL from Discord's channel settings: "
            'url = "${WEBHOOK_URL}" (and keep it out of the narrative file)',
        )
    session.webhook_tokens[webhook_id] = str(token)
    return str(token)


COMMANDS = {
    "webhooks.create": webhooks_create,
    "webhooks.list": webhooks_list,
    "webhooks.delete": webhooks_delete,
    "webhooks.send": webhooks_send,
}
