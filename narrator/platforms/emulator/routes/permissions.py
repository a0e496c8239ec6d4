"""Channel permission overwrites (a role's or a member's allow/deny bits)."""

from __future__ import annotations

from narrator.platforms.emulator.errors import required, unknown
from narrator.platforms.emulator.routes.base import Answer, Ctx, RouteTable

ROUTES = RouteTable()
OVERWRITE = "/channels/{channel_id}/permissions/{target_id}"


@ROUTES.route("PUT", OVERWRITE, "manage_roles")
def put_overwrite(ctx: Ctx) -> Answer:
    channel = ctx.world.channel(ctx.params["channel_id"])
    body = ctx.json()
    target = ctx.params["target_id"]
    if "type" not in body:
        raise required("type")
    guild = ctx.world.guild(channel["guild_id"])
    kind = int(body["type"])
    if kind == 0 and target not in guild["roles"]:
        raise unknown("Role")
    if kind == 1 and target not in guild["members"]:
        raise unknown("Member")
    entry = {
        "id": target,
        "type": kind,
        "allow": str(body.get("allow", "0")),
        "deny": str(body.get("deny", "0")),
    }
    rest = [o for o in channel["permission_overwrites"] if o["id"] != target]
    channel["permission_overwrites"] = [*rest, entry]
    return 204, None


@ROUTES.route("DELETE", OVERWRITE, "manage_roles")
def delete_overwrite(ctx: Ctx) -> Answer:
    channel = ctx.world.channel(ctx.params["channel_id"])
    target = ctx.params["target_id"]
    channel["permission_overwrites"] = [
        o for o in channel["permission_overwrites"] if o["id"] != target
    ]
    return 204, None
