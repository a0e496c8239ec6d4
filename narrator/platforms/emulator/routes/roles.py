"""Guild roles, and a member's roles."""

from __future__ import annotations

from typing import Any

from narrator.platforms.emulator.errors import invalid, unknown
from narrator.platforms.emulator.routes.base import Answer, Ctx, RouteTable
from narrator.platforms.emulator.shapes import role_json

ROUTES = RouteTable()
MEMBER_ROLE = "/guilds/{guild_id}/members/{user_id}/roles/{role_id}"


@ROUTES.route("GET", "/guilds/{guild_id}/roles")
def list_roles(ctx: Ctx) -> Answer:
    return 200, [role_json(r) for r in ctx.world.guild(ctx.params["guild_id"])["roles"].values()]


@ROUTES.route("GET", "/guilds/{guild_id}/roles/{role_id}")
def get_role(ctx: Ctx) -> Answer:
    return 200, role_json(ctx.world.role(ctx.params["guild_id"], ctx.params["role_id"]))


def apply_role_fields(role: dict[str, Any], body: dict[str, Any]) -> None:
    if "name" in body:
        if not isinstance(body["name"], str) or len(body["name"]) > 100:
            raise invalid("name", "Must be 100 or fewer in length.", "BASE_TYPE_MAX_LENGTH")
        role["name"] = body["name"]
    if "color" in body:
        role["color"] = int(body["color"] or 0)
    for key in ("hoist", "mentionable"):
        if key in body:
            role[key] = bool(body[key])
    if "permissions" in body:
        role["permissions"] = str(int(body["permissions"]))


@ROUTES.route("POST", "/guilds/{guild_id}/roles", "manage_roles")
def create_role(ctx: Ctx) -> Answer:
    guild = ctx.world.guild(ctx.params["guild_id"])
    role: dict[str, Any] = {
        "id": ctx.world.snowflake(),
        "name": "new role",
        "color": 0,
        "hoist": False,
        "mentionable": False,
        "managed": False,
        "permissions": guild["roles"][guild["id"]]["permissions"],
        "position": 1,
        "flags": 0,
    }
    apply_role_fields(role, ctx.json())
    guild["roles"][role["id"]] = role
    return 200, role_json(role)


@ROUTES.route("PATCH", "/guilds/{guild_id}/roles/{role_id}", "manage_roles")
def edit_role(ctx: Ctx) -> Answer:
    role = ctx.world.role(ctx.params["guild_id"], ctx.params["role_id"])
    apply_role_fields(role, ctx.json())
    return 200, role_json(role)


@ROUTES.route("DELETE", "/guilds/{guild_id}/roles/{role_id}", "manage_roles")
def delete_role(ctx: Ctx) -> Answer:
    guild = ctx.world.guild(ctx.params["guild_id"])
    role_id = ctx.params["role_id"]
    if role_id not in guild["roles"] or role_id == guild["id"]:
        raise unknown("Role")
    del guild["roles"][role_id]
    for member in guild["members"].values():
        if role_id in member["roles"]:
            member["roles"].remove(role_id)
    return 204, None


@ROUTES.route("PUT", MEMBER_ROLE, "manage_roles")
def add_member_role(ctx: Ctx) -> Answer:
    member = ctx.world.member(ctx.params["guild_id"], ctx.params["user_id"])
    ctx.world.role(ctx.params["guild_id"], ctx.params["role_id"])
    if ctx.params["role_id"] not in member["roles"]:
        member["roles"].append(ctx.params["role_id"])
    return 204, None


@ROUTES.route("DELETE", MEMBER_ROLE, "manage_roles")
def remove_member_role(ctx: Ctx) -> Answer:
    member = ctx.world.member(ctx.params["guild_id"], ctx.params["user_id"])
    ctx.world.role(ctx.params["guild_id"], ctx.params["role_id"])
    if ctx.params["role_id"] in member["roles"]:
        member["roles"].remove(ctx.params["role_id"])
    return 204, None
