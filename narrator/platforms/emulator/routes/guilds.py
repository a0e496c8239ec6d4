"""The bot user, its application, guilds, emojis and stickers."""

from __future__ import annotations

from typing import Any

from narrator.platforms.emulator.routes.base import Answer, Ctx, RouteTable
from narrator.platforms.emulator.routes.guild_settings import apply_guild_settings

ROUTES = RouteTable()


@ROUTES.route("GET", "/users/@me")
def get_me(ctx: Ctx) -> Answer:
    return 200, {**ctx.world.data["bot"], "discriminator": "0", "avatar": None}


@ROUTES.route("GET", "/oauth2/applications/@me")
def get_application(ctx: Ctx) -> Answer:
    bot = ctx.world.data["bot"]
    return 200, {
        "id": bot["id"],
        "name": bot["username"],
        "description": "",
        "icon": None,
        "bot_public": False,
        "bot_require_code_grant": False,
        "verify_key": "0" * 64,
        "flags": 0,
        "owner": {**bot, "discriminator": "0", "avatar": None},
        "team": None,
        "interactions_endpoint_url": None,
    }


def guild_json(guild: dict[str, Any], counts: bool) -> dict[str, Any]:
    out = {k: v for k, v in guild.items() if k not in ("members", "bans", "events", "invites")}
    out["roles"] = list(guild["roles"].values())
    if counts:
        out["approximate_member_count"] = len(guild["members"])
        out["approximate_presence_count"] = len(guild["members"])
    return out


@ROUTES.route("GET", "/guilds/{guild_id}")
def get_guild(ctx: Ctx) -> Answer:
    guild = ctx.world.guild(ctx.params["guild_id"])
    return 200, guild_json(guild, ctx.q("with_counts") == "true")


@ROUTES.route("PATCH", "/guilds/{guild_id}", "manage_guild")
def edit_guild(ctx: Ctx) -> Answer:
    guild = ctx.world.guild(ctx.params["guild_id"])
    apply_guild_settings(ctx.world, guild, ctx.json())
    return 200, guild_json(guild, False)


@ROUTES.route("GET", "/guilds/{guild_id}/emojis")
def list_emojis(ctx: Ctx) -> Answer:
    return 200, ctx.world.guild(ctx.params["guild_id"])["emojis"]


@ROUTES.route("GET", "/guilds/{guild_id}/stickers")
def list_stickers(ctx: Ctx) -> Answer:
    return 200, ctx.world.guild(ctx.params["guild_id"])["stickers"]
