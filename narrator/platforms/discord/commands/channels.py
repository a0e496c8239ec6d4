"""Plain channel commands (``channels.ensure``, ``categories.ensure``: see converge/)."""

from __future__ import annotations

from typing import Any

from narrator.catalogue.keys import capture_key
from narrator.errors import ResourceNotFound
from narrator.platforms.discord import reconcile
from narrator.platforms.discord.session import Call, Session, forget_captures, ok, read
from narrator.platforms.discord.shapes import (
    channel_out,
    channel_payload,
    kind_of,
)
from narrator.platforms.discord.text import CHANNEL_KINDS, normalize_channel_name
from narrator.protocols import CommandResult


async def channels_list(session: Session, call: Call) -> CommandResult:
    found = list((await session.channels(call.guild())).values())
    if call.get("kind"):
        kind = kind_of(call)
        found = [ch for ch in found if ch["type"] == kind]
    found.sort(key=lambda ch: (ch.get("position") or 0, int(ch["id"])))
    return read([channel_out(ch) for ch in found])


async def channels_get(session: Session, call: Call) -> CommandResult:
    if call.get("channel_id"):
        return read(channel_out(await session.channel(call, call.id("channel_id"))))
    name = str(call.need("name"))
    for ch in (await session.channels(call.guild())).values():
        if ch["name"] == name or ch["name"] == normalize_channel_name(name, 0):
            return read(channel_out(ch))
    raise ResourceNotFound(
        f"no channel named '{name}' in guild {call.guild()}",
        act=call.raw.act,
        hint="create it with channels.ensure",
    )


async def channels_create(session: Session, call: Call) -> CommandResult:
    guild_id = call.guild()
    kind = kind_of(call)
    name = str(call.need("name"))
    parent = await session.resolve_category(call, call.get("category")) if kind != 4 else None
    created = await reconcile.created_channel(
        session, call, guild_id, name, kind
    ) or await session.http.request(
        "POST",
        "/guilds/{guild_id}/channels",
        guild_id=guild_id,
        json=channel_payload(call, kind, parent),
        reason=call.get("reason"),
        what=f"create channel #{name} in guild {guild_id}",
        permission="manage_channels",
    )
    session.remember_channel(created)
    what = "category" if kind == 4 else "channel"
    return ok(channel_out(created), {capture_key(guild_id, what, name): created["id"]})


async def channels_edit(session: Session, call: Call) -> CommandResult:
    channel_id = call.id("channel_id")
    current = await session.channel(call, channel_id)
    kind = int(current.get("type", 0))
    if call.get("guild_id") is None and current.get("guild_id"):
        call.guild_id = str(current["guild_id"])
    parent = (
        await session.resolve_category(call, call.get("category")) if call.get("category") else None
    )
    body = channel_payload(call, kind, parent)
    body.pop("type", None)
    if call.get("kind") is not None and CHANNEL_KINDS.get(str(call.get("kind"))) in (0, 5):
        body["type"] = CHANNEL_KINDS[str(call.get("kind"))]
    edited = await session.http.request(
        "PATCH",
        "/channels/{channel_id}",
        channel_id=channel_id,
        json=body,
        reason=call.get("reason"),
        what=f"edit channel {channel_id}",
        permission="manage_channels",
    )
    session.remember_channel(edited)
    return ok(channel_out(edited))


async def channels_delete(session: Session, call: Call) -> CommandResult:
    channel_id = call.id("channel_id")
    gone = await session.http.request(
        "DELETE",
        "/channels/{channel_id}",
        channel_id=channel_id,
        reason=call.get("reason"),
        what=f"delete channel {channel_id}",
        permission="manage_channels",
    )
    session.forget_channel(channel_id)
    forgotten: dict[str, Any] = {}
    if isinstance(gone, dict) and gone.get("guild_id") and gone.get("name"):
        what = "category" if gone.get("type") == 4 else "channel"
        forgotten = forget_captures(
            call, str(gone["guild_id"]), what, str(gone["name"]), channel_id
        )
    return ok({"id": channel_id}, forgotten)


async def channels_invite(session: Session, call: Call) -> CommandResult:
    channel_id = call.id("channel_id")
    body = {
        k: call.get(k)
        for k in ("max_age", "max_uses", "temporary", "unique")
        if call.get(k) is not None
    }
    invite = await session.http.request(
        "POST",
        "/channels/{channel_id}/invites",
        channel_id=channel_id,
        json=body,
        what=f"create an invite to channel {channel_id}",
        permission="create_instant_invite",
    )
    return ok(
        {
            "code": invite["code"],
            "url": f"https://discord.gg/{invite['code']}",
            "channel_id": channel_id,
            "max_age": invite.get("max_age"),
            "max_uses": invite.get("max_uses"),
        }
    )


async def channels_typing(session: Session, call: Call) -> CommandResult:
    channel_id = call.id("channel_id")
    await session.http.request(
        "POST",
        "/channels/{channel_id}/typing",
        channel_id=channel_id,
        what=f"show typing in channel {channel_id}",
        permission="send_messages",
    )
    return ok({"channel_id": channel_id, "typing": True})


COMMANDS = {
    "channels.list": channels_list,
    "channels.get": channels_get,
    "channels.create": channels_create,
    "channels.edit": channels_edit,
    "channels.delete": channels_delete,
    "channels.create_invite": channels_invite,
    "channels.typing": channels_typing,
}
