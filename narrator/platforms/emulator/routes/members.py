"""Guild members, kicks and bans."""

from __future__ import annotations

from narrator.platforms.emulator.errors import unknown
from narrator.platforms.emulator.routes.base import Answer, Ctx, RouteTable, check_permission
from narrator.platforms.emulator.shapes import ban_json, member_json

ROUTES = RouteTable()

# The permission each editable member field needs (PATCH checks per field).
EDIT_NEEDS = {
    "nick": "manage_nicknames",
    "roles": "manage_roles",
    "mute": "moderate_members",
    "deaf": "moderate_members",
    "communication_disabled_until": "moderate_members",
}


@ROUTES.route("GET", "/guilds/{guild_id}/members")
def list_members(ctx: Ctx) -> Answer:
    members = sorted(
        ctx.world.guild(ctx.params["guild_id"])["members"].values(),
        key=lambda m: int(m["user"]["id"]),
    )
    after = int(ctx.q("after") or 0)
    limit = int(ctx.q("limit") or 1)
    return 200, [member_json(m) for m in members if int(m["user"]["id"]) > after][:limit]


@ROUTES.route("GET", "/guilds/{guild_id}/members/{user_id}")
def get_member(ctx: Ctx) -> Answer:
    return 200, member_json(ctx.world.member(ctx.params["guild_id"], ctx.params["user_id"]))


@ROUTES.route("PATCH", "/guilds/{guild_id}/members/{user_id}")
def edit_member(ctx: Ctx) -> Answer:
    guild_id = ctx.params["guild_id"]
    member = ctx.world.member(guild_id, ctx.params["user_id"])
    body = ctx.json()
    for key, permission in EDIT_NEEDS.items():
        if key in body:
            check_permission(ctx, permission)
    if "roles" in body:
        for rid in body["roles"]:
            ctx.world.role(guild_id, str(rid))
        member["roles"] = [str(r) for r in body["roles"]]
    for key in ("nick", "mute", "deaf", "communication_disabled_until"):
        if key in body:
            member[key] = body[key]
    return 200, member_json(member)


@ROUTES.route("DELETE", "/guilds/{guild_id}/members/{user_id}", "kick_members")
def kick_member(ctx: Ctx) -> Answer:
    ctx.world.member(ctx.params["guild_id"], ctx.params["user_id"])
    del ctx.world.guild(ctx.params["guild_id"])["members"][ctx.params["user_id"]]
    return 204, None


@ROUTES.route("PUT", "/guilds/{guild_id}/bans/{user_id}", "ban_members")
def ban_member(ctx: Ctx) -> Answer:
    guild = ctx.world.guild(ctx.params["guild_id"])
    user_id = ctx.params["user_id"]
    member = guild["members"].pop(user_id, None)
    user = member["user"] if member else ctx.world.data["users"].get(user_id)
    if user is None:
        raise unknown("User")
    reason = ctx.request.headers.get("X-Audit-Log-Reason")
    guild["bans"][user_id] = {"user": user, "reason": reason}
    return 204, None


@ROUTES.route("DELETE", "/guilds/{guild_id}/bans/{user_id}", "ban_members")
def unban_member(ctx: Ctx) -> Answer:
    guild = ctx.world.guild(ctx.params["guild_id"])
    if guild["bans"].pop(ctx.params["user_id"], None) is None:
        raise unknown("Ban")
    return 204, None


@ROUTES.route("GET", "/guilds/{guild_id}/bans", "ban_members")
def list_bans(ctx: Ctx) -> Answer:
    return 200, [ban_json(b) for b in ctx.world.guild(ctx.params["guild_id"])["bans"].values()]
