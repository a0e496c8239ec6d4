"""Plain role commands, and giving or taking a member's role."""

from __future__ import annotations

from narrator.catalogue.keys import capture_key
from narrator.platforms.discord import reconcile
from narrator.platforms.discord.session import Call, Session, forget_captures, ok, read
from narrator.platforms.discord.shapes import (
    role_out,
    role_payload,
)
from narrator.protocols import CommandResult


async def roles_list(session: Session, call: Call) -> CommandResult:
    found = sorted((await session.roles(call.guild())).values(), key=lambda r: r.get("position", 0))
    return read([role_out(r) for r in found])


async def roles_get(session: Session, call: Call) -> CommandResult:
    role_id = await session.resolve_role(call, call.need("role"))
    return read(role_out((await session.roles(call.guild()))[role_id]))


async def roles_create(session: Session, call: Call) -> CommandResult:
    guild_id = call.guild()
    name = str(call.need("name"))
    role = await reconcile.created_role(
        session, call, guild_id, name
    ) or await session.http.request(
        "POST",
        "/guilds/{guild_id}/roles",
        guild_id=guild_id,
        json=role_payload(call),
        reason=call.get("reason"),
        what=f"create role '{name}' in guild {guild_id}",
        permission="manage_roles",
    )
    session.remember_role(guild_id, role)
    return ok(role_out(role), {capture_key(guild_id, "role", name): role["id"]})


async def roles_edit(session: Session, call: Call) -> CommandResult:
    guild_id = call.guild()
    role_id = await session.resolve_role(call, call.need("role"))
    role = await session.http.request(
        "PATCH",
        "/guilds/{guild_id}/roles/{role_id}",
        guild_id=guild_id,
        role_id=role_id,
        json=role_payload(call),
        reason=call.get("reason"),
        what=f"edit role {role_id}",
        permission="manage_roles",
    )
    session.remember_role(guild_id, role)
    return ok(role_out(role))


async def roles_delete(session: Session, call: Call) -> CommandResult:
    guild_id = call.guild()
    role_id = await session.resolve_role(call, call.need("role"))
    roles = await session.roles(guild_id)
    name = roles[role_id]["name"] if role_id in roles else None
    await session.http.request(
        "DELETE",
        "/guilds/{guild_id}/roles/{role_id}",
        guild_id=guild_id,
        role_id=role_id,
        reason=call.get("reason"),
        what=f"delete role {role_id}",
        permission="manage_roles",
    )
    roles.pop(role_id, None)
    return ok(
        {"id": role_id}, forget_captures(call, guild_id, "role", str(name), role_id) if name else {}
    )


async def _member_role(session: Session, call: Call, method: str) -> CommandResult:
    guild_id = call.guild()
    user_id = call.id("user_id")
    role_id = await session.resolve_role(call, call.need("role"))
    verb = "give" if method == "PUT" else "take"
    await session.http.request(
        method,
        "/guilds/{guild_id}/members/{user_id}/roles/{role_id}",
        guild_id=guild_id,
        user_id=user_id,
        role_id=role_id,
        reason=call.get("reason"),
        what=f"{verb} role {role_id} {'to' if method == 'PUT' else 'from'} member {user_id}",
        permission="manage_roles",
    )
    return ok({"user_id": user_id, "role_id": role_id})


async def roles_assign(session: Session, call: Call) -> CommandResult:
    return await _member_role(session, call, "PUT")


async def roles_remove(session: Session, call: Call) -> CommandResult:
    return await _member_role(session, call, "DELETE")


COMMANDS = {
    "roles.list": roles_list,
    "roles.get": roles_get,
    "roles.create": roles_create,
    "roles.edit": roles_edit,
    "roles.delete": roles_delete,
    "roles.assign": roles_assign,
    "roles.remove": roles_remove,
}
