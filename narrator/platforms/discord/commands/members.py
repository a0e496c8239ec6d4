"""Members: list, read, edit, time out, kick, ban."""

from __future__ import annotations

from typing import Any

from narrator.platforms.discord.session import Call, Session, ok, read
from narrator.platforms.discord.shapes import (
    iso_in,
    member_out,
    parse_duration,
)
from narrator.protocols import CommandResult


async def members_list(session: Session, call: Call) -> CommandResult:
    guild_id = call.guild()
    params = {"limit": str(min(1000, int(call.get("limit", 50))))}
    if call.get("after"):
        params["after"] = str(call.get("after"))
    found = await session.http.request(
        "GET",
        "/guilds/{guild_id}/members",
        guild_id=guild_id,
        params=params,
        what=f"list the members of guild {guild_id}",
    )
    return read([member_out(m) for m in found])


async def members_get(session: Session, call: Call) -> CommandResult:
    guild_id, user_id = call.guild(), call.id("user_id")
    member = await session.http.request(
        "GET",
        "/guilds/{guild_id}/members/{user_id}",
        guild_id=guild_id,
        user_id=user_id,
        what=f"read member {user_id}",
    )
    return read(member_out(member))


async def _edit_member(
    session: Session, call: Call, body: dict[str, Any], what: str, perm: str
) -> Any:
    guild_id, user_id = call.guild(), call.id("user_id")
    return await session.http.request(
        "PATCH",
        "/guilds/{guild_id}/members/{user_id}",
        guild_id=guild_id,
        user_id=user_id,
        json=body,
        reason=call.get("reason"),
        what=f"{what} member {user_id}",
        permission=perm,
    )


async def members_edit(session: Session, call: Call) -> CommandResult:
    body: dict[str, Any] = {k: call.args[k] for k in ("nick", "mute", "deaf") if k in call.args}
    if call.args.get("roles") is not None:
        body["roles"] = [await session.resolve_role(call, r) for r in call.args["roles"]]
    perm = "manage_roles" if "roles" in body else "manage_nicknames"
    return ok(member_out(await _edit_member(session, call, body, "edit", perm)))


async def members_timeout(session: Session, call: Call) -> CommandResult:
    until = call.get("until") or iso_in(parse_duration(call.need("duration")), session.clock.now())
    member = await _edit_member(
        session, call, {"communication_disabled_until": until}, "time out", "moderate_members"
    )
    return ok(
        {"user_id": call.id("user_id"), "communication_disabled_until": until, **member_out(member)}
    )


async def members_untimeout(session: Session, call: Call) -> CommandResult:
    await _edit_member(
        session,
        call,
        {"communication_disabled_until": None},
        "end the timeout of",
        "moderate_members",
    )
    return ok({"user_id": call.id("user_id"), "communication_disabled_until": None})


async def members_kick(session: Session, call: Call) -> CommandResult:
    guild_id, user_id = call.guild(), call.id("user_id")
    await session.http.request(
        "DELETE",
        "/guilds/{guild_id}/members/{user_id}",
        guild_id=guild_id,
        user_id=user_id,
        reason=call.get("reason"),
        what=f"kick member {user_id}",
        permission="kick_members",
    )
    return ok({"user_id": user_id})


async def members_ban(session: Session, call: Call) -> CommandResult:
    guild_id, user_id = call.guild(), call.id("user_id")
    seconds = call.get("delete_message_seconds")
    if seconds is None:  # Botticelli gives days (0-7)
        seconds = min(7, max(0, int(call.get("delete_message_days", 0)))) * 86400
    body = {"delete_message_seconds": min(604800, max(0, int(seconds)))}
    await session.http.request(
        "PUT",
        "/guilds/{guild_id}/bans/{user_id}",
        guild_id=guild_id,
        user_id=user_id,
        json=body,
        reason=call.get("reason"),
        what=f"ban member {user_id}",
        permission="ban_members",
    )
    return ok({"user_id": user_id})


async def members_unban(session: Session, call: Call) -> CommandResult:
    guild_id, user_id = call.guild(), call.id("user_id")
    await session.http.request(
        "DELETE",
        "/guilds/{guild_id}/bans/{user_id}",
        guild_id=guild_id,
        user_id=user_id,
        reason=call.get("reason"),
        what=f"unban user {user_id}",
        permission="ban_members",
    )
    return ok({"user_id": user_id})


COMMANDS = {
    "members.list": members_list,
    "members.get": members_get,
    "members.edit": members_edit,
    "members.timeout": members_timeout,
    "members.remove_timeout": members_untimeout,
    "members.kick": members_kick,
    "members.ban": members_ban,
    "members.unban": members_unban,
}
