"""Reactions on a message."""

from __future__ import annotations

from narrator.platforms.discord.session import Call, Session, ok, read
from narrator.platforms.discord.shapes import (
    emoji_param,
)
from narrator.protocols import CommandResult

_REACT = "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}"


async def reactions_add(session: Session, call: Call) -> CommandResult:
    channel_id, message_id, emoji = (
        call.id("channel_id"),
        call.id("message_id"),
        emoji_param(str(call.need("emoji"))),
    )
    await session.http.request(
        "PUT",
        _REACT + "/@me",
        channel_id=channel_id,
        message_id=message_id,
        emoji=emoji,
        what=f"react {emoji} to message {message_id}",
        permission="add_reactions",
    )
    return ok({"message_id": message_id, "emoji": emoji})


async def reactions_remove(session: Session, call: Call) -> CommandResult:
    channel_id, message_id, emoji = (
        call.id("channel_id"),
        call.id("message_id"),
        emoji_param(str(call.need("emoji"))),
    )
    if call.get("user_id"):
        await session.http.request(
            "DELETE",
            _REACT + "/{user_id}",
            channel_id=channel_id,
            message_id=message_id,
            emoji=emoji,
            user_id=call.id("user_id"),
            what=f"remove a reaction from message {message_id}",
            permission="manage_messages",
        )
    else:
        await session.http.request(
            "DELETE",
            _REACT + "/@me",
            channel_id=channel_id,
            message_id=message_id,
            emoji=emoji,
            what=f"remove the bot's reaction from message {message_id}",
        )
    return ok({"message_id": message_id, "emoji": emoji})


async def reactions_clear(session: Session, call: Call) -> CommandResult:
    channel_id, message_id = call.id("channel_id"), call.id("message_id")
    if call.get("emoji"):
        await session.http.request(
            "DELETE",
            _REACT,
            channel_id=channel_id,
            message_id=message_id,
            emoji=emoji_param(str(call.get("emoji"))),
            what=f"clear reactions of message {message_id}",
            permission="manage_messages",
        )
    else:
        await session.http.request(
            "DELETE",
            "/channels/{channel_id}/messages/{message_id}/reactions",
            channel_id=channel_id,
            message_id=message_id,
            what=f"clear reactions of message {message_id}",
            permission="manage_messages",
        )
    return ok({"message_id": message_id})


async def reactions_list(session: Session, call: Call) -> CommandResult:
    channel_id, message_id, emoji = (
        call.id("channel_id"),
        call.id("message_id"),
        emoji_param(str(call.need("emoji"))),
    )
    users = await session.http.request(
        "GET",
        _REACT,
        channel_id=channel_id,
        message_id=message_id,
        emoji=emoji,
        params={"limit": str(min(100, int(call.get("limit", 25))))},
        what=f"list reactions of message {message_id}",
    )
    return read([{"id": u["id"], "name": u.get("global_name") or u.get("username")} for u in users])


COMMANDS = {
    "reactions.add": reactions_add,
    "reactions.remove": reactions_remove,
    "reactions.clear": reactions_clear,
    "reactions.clear_emoji": reactions_clear,  # Botticelli's name for clear with an emoji
    "reactions.list": reactions_list,
}
