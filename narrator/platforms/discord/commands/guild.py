"""The guild itself: its stats and settings, and its listings (emojis, stickers, invites, bans)."""

from __future__ import annotations

from typing import Any

from narrator.platforms.discord.session import Call, Session, ok, read
from narrator.protocols import CommandResult


async def server_stats(session: Session, call: Call) -> CommandResult:
    guild_id = call.guild()
    guild = await session.http.request(
        "GET",
        "/guilds/{guild_id}",
        guild_id=guild_id,
        params={"with_counts": "true"},
        what=f"read guild {guild_id}",
    )
    channels = await session.channels(guild_id)
    return read(
        {
            "id": guild["id"],
            "name": guild["name"],
            "member_count": guild.get("approximate_member_count"),
            "online_count": guild.get("approximate_presence_count"),
            "channel_count": len(channels),
            "role_count": len(guild.get("roles", [])),
            "emoji_count": len(guild.get("emojis", [])),
        }
    )


async def guild_edit(session: Session, call: Call) -> CommandResult:
    guild_id = call.guild()
    body = {
        k: call.get(k)
        for k in ("name", "description", "verification_level")
        if call.get(k) is not None
    }
    guild = await session.http.request(
        "PATCH",
        "/guilds/{guild_id}",
        guild_id=guild_id,
        json=body,
        reason=call.get("reason"),
        what=f"edit guild {guild_id}",
        permission="manage_guild",
    )
    return ok({"id": guild["id"], "name": guild["name"], "description": guild.get("description")})


async def _listing(
    session: Session, call: Call, path: str, what: str, perm: str | None = None
) -> Any:
    guild_id = call.guild()
    return await session.http.request("GET", path, guild_id=guild_id, what=what, permission=perm)


async def emojis_list(session: Session, call: Call) -> CommandResult:
    found = await _listing(session, call, "/guilds/{guild_id}/emojis", "list emojis")
    return read(
        [
            {"id": e.get("id"), "name": e.get("name"), "animated": e.get("animated", False)}
            for e in found
        ]
    )


async def stickers_list(session: Session, call: Call) -> CommandResult:
    found = await _listing(session, call, "/guilds/{guild_id}/stickers", "list stickers")
    return read([{"id": s.get("id"), "name": s.get("name"), "tags": s.get("tags")} for s in found])


async def invites_list(session: Session, call: Call) -> CommandResult:
    found = await _listing(
        session, call, "/guilds/{guild_id}/invites", "list invites", "manage_guild"
    )
    return read(
        [
            {
                "code": i["code"],
                "channel_id": (i.get("channel") or {}).get("id"),
                "uses": i.get("uses"),
                "max_uses": i.get("max_uses"),
            }
            for i in found
        ]
    )


async def bans_list(session: Session, call: Call) -> CommandResult:
    found = await _listing(session, call, "/guilds/{guild_id}/bans", "list bans", "ban_members")
    return read([{"user_id": b["user"]["id"], "reason": b.get("reason")} for b in found])


async def integrations_list(session: Session, call: Call) -> CommandResult:
    found = await _listing(
        session, call, "/guilds/{guild_id}/integrations", "list integrations", "manage_guild"
    )
    return read(
        [
            {
                "id": i.get("id"),
                "name": i.get("name"),
                "type": i.get("type"),
                "enabled": i.get("enabled"),
                "account": i.get("account"),
            }
            for i in found or []
        ]
    )


async def voice_regions_list(session: Session, call: Call) -> CommandResult:
    found = await _listing(session, call, "/guilds/{guild_id}/regions", "list voice regions")
    keys = ("id", "name", "optimal", "deprecated", "custom")
    return read([{k: r.get(k) for k in keys} for r in found or []])


COMMANDS = {
    "server.get_stats": server_stats,
    "guild.edit": guild_edit,
    "emojis.list": emojis_list,
    "stickers.list": stickers_list,
    "invites.list": invites_list,
    "bans.list": bans_list,
    "integrations.list": integrations_list,
    "voice_regions.list": voice_regions_list,
}
