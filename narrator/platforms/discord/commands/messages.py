"""Plain message commands (``messages.ensure`` converges: see converge/)."""

from __future__ import annotations

from typing import Any

from narrator.catalogue.keys import message_key
from narrator.errors import PlatformError
from narrator.platforms.discord.session import Call, Session, ok, read
from narrator.platforms.discord.shapes import (
    message_out,
)
from narrator.protocols import CommandResult


async def messages_send(session: Session, call: Call) -> CommandResult:
    channel_id = call.id("channel_id")
    content = str(call.need("content"))
    sent = await session.send_text(
        call, channel_id, content, what=f"send a message to channel {channel_id}"
    )
    # Discord's message objects carry no guild_id: the channel says which guild the
    # message key belongs to (read once per run, none when cached; a DM channel has none)
    guild_id = (await session.channel(call, channel_id)).get("guild_id")
    out = {**message_out(sent[0]), "content": content, "ids": [m["id"] for m in sent]}
    captures = {message_key(str(guild_id), call.raw.act): sent[0]["id"]} if guild_id else {}
    return ok(out, captures)


async def messages_edit(session: Session, call: Call) -> CommandResult:
    channel_id, message_id = call.id("channel_id"), call.id("message_id")
    content = str(call.need("content"))
    if len(content) > 2000:
        raise PlatformError(
            f"an edited message can hold 2,000 characters; this one has {len(content)}",
            act=call.raw.act,
            hint="shorten the content, or send the rest with messages.send",
        )
    body: dict[str, Any] = {
        "content": content,
        "allowed_mentions": await session.mentions_for(call),
    }
    if call.get("embeds"):
        body["embeds"] = call.get("embeds")
    edited = await session.http.request(
        "PATCH",
        "/channels/{channel_id}/messages/{message_id}",
        channel_id=channel_id,
        message_id=message_id,
        json=body,
        what=f"edit message {message_id} in channel {channel_id}",
        permission="send_messages",
    )
    return ok(message_out(edited))


async def messages_delete(session: Session, call: Call) -> CommandResult:
    channel_id, message_id = call.id("channel_id"), call.id("message_id")
    await session.http.request(
        "DELETE",
        "/channels/{channel_id}/messages/{message_id}",
        channel_id=channel_id,
        message_id=message_id,
        reason=call.get("reason"),
        what=f"delete message {message_id} in channel {channel_id}",
        permission="manage_messages",
    )
    return ok({"id": message_id})


async def messages_get(session: Session, call: Call) -> CommandResult:
    channel_id, message_id = call.id("channel_id"), call.id("message_id")
    message = await session.http.request(
        "GET",
        "/channels/{channel_id}/messages/{message_id}",
        channel_id=channel_id,
        message_id=message_id,
        what=f"read message {message_id} in channel {channel_id}",
        permission="read_message_history",
    )
    return read(message_out(message))


async def _recent(
    session: Session, call: Call, channel_id: str, limit: int
) -> list[dict[str, Any]]:
    params = {"limit": str(max(1, min(100, limit)))}
    for key in ("before", "after"):
        if call.get(key):
            params[key] = str(call.get(key))
    found: list[dict[str, Any]] = await session.http.request(
        "GET",
        "/channels/{channel_id}/messages",
        channel_id=channel_id,
        params=params,
        what=f"read the messages of channel {channel_id}",
        permission="read_message_history",
    )
    return found


async def messages_list(session: Session, call: Call) -> CommandResult:
    channel_id = call.id("channel_id")
    return read(
        [
            message_out(m)
            for m in await _recent(session, call, channel_id, int(call.get("limit", 50)))
        ]
    )


async def _pin(session: Session, call: Call, method: str) -> CommandResult:
    channel_id, message_id = call.id("channel_id"), call.id("message_id")
    await session.http.request(
        method,
        "/channels/{channel_id}/messages/pins/{message_id}",
        channel_id=channel_id,
        message_id=message_id,
        reason=call.get("reason"),
        what=f"{'pin' if method == 'PUT' else 'unpin'} message {message_id}",
        permission="manage_messages",
    )
    return ok({"id": message_id})


async def messages_pin(session: Session, call: Call) -> CommandResult:
    return await _pin(session, call, "PUT")


async def messages_unpin(session: Session, call: Call) -> CommandResult:
    return await _pin(session, call, "DELETE")


async def _bulk(session: Session, call: Call, channel_id: str, ids: list[str]) -> int:
    if not ids:
        return 0
    if len(ids) == 1:
        await session.http.request(
            "DELETE",
            "/channels/{channel_id}/messages/{message_id}",
            channel_id=channel_id,
            message_id=ids[0],
            what=f"delete message {ids[0]}",
            permission="manage_messages",
        )
        return 1
    for start in range(0, len(ids), 100):
        batch = ids[start : start + 100]
        if len(batch) == 1:
            return start + await _bulk(session, call, channel_id, batch)
        await session.http.request(
            "POST",
            "/channels/{channel_id}/messages/bulk-delete",
            channel_id=channel_id,
            json={"messages": batch},
            reason=call.get("reason"),
            safe_to_repeat=True,
            what=f"bulk-delete {len(batch)} messages in channel {channel_id}",
            permission="manage_messages",
        )
    return len(ids)


async def messages_bulk_delete(session: Session, call: Call) -> CommandResult:
    channel_id = call.id("channel_id")
    ids = [str(i) for i in call.need("message_ids")]
    return ok({"deleted": await _bulk(session, call, channel_id, ids)})


async def messages_clear(session: Session, call: Call) -> CommandResult:
    channel_id = call.id("channel_id")
    recent = await _recent(session, call, channel_id, int(call.get("limit", 100)))
    return ok({"deleted": await _bulk(session, call, channel_id, [m["id"] for m in recent])})


COMMANDS = {
    "messages.send": messages_send,
    "messages.edit": messages_edit,
    "messages.delete": messages_delete,
    "messages.get": messages_get,
    "messages.list": messages_list,
    "messages.pin": messages_pin,
    "messages.unpin": messages_unpin,
    "messages.bulk_delete": messages_bulk_delete,
    "messages.clear": messages_clear,
}
