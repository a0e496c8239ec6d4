"""The bot user, its application, guilds, emojis and stickers."""

from __future__ import annotations

from typing import Any

from narrator.platforms.emulator.routes.base import Answer, Ctx, RouteTable
from narrator.platforms.emulator.routes.guild_settings import apply_guild_settings
from narrator.platforms.emulator.shapes import guild_json as guild_shape
from narrator.platforms.emulator.shapes import me_json, user_json

ROUTES = RouteTable()


@ROUTES.route("GET", "/users/@me")
def get_me(ctx: Ctx) -> Answer:
    return 200, me_json(ctx.world.data["bot"])


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
        "owner": user_json(bot),
        "team": None,
        "interactions_endpoint_url": None,
    }


def guild_json(guild: dict[str, Any], counts: bool) -> dict[str, Any]:
    out = guild_shape(guild)
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


@ROUTES.route("GET", "/guilds/{guild_id}/integrations", "manage_guild")
def list_integrations(ctx: Ctx) -> Answer:
    return 200, list(ctx.world.guild(ctx.params["guild_id"]).get("integrations", []))


# What Discord answers for a guild's voice regions (automatic selection is the default).
VOICE_REGIONS = [
    {"id": "us-east", "name": "US East", "custom": False, "deprecated": False, "optimal": True},
    {
        "id": "rotterdam",
        "name": "Rotterdam",
        "custom": False,
        "deprecated": False,
        "optimal": False,
    },
    {
        "id": "singapore",
        "name": "Singapore",
        "custom": False,
        "deprecated": False,
        "optimal": False,
    },
]


@ROUTES.route("GET", "/guilds/{guild_id}/regions")
def list_voice_regions(ctx: Ctx) -> Answer:
    ctx.world.guild(ctx.params["guild_id"])
    return 200, [dict(region) for region in VOICE_REGIONS]
