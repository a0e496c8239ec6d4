"""The emulator's answers in Discord's shapes: every field Discord's OpenAPI spec marks
``required``, and none Discord does not send from these endpoints.

The world stores what the emulator needs (a role's ``color``, a message's author,
a guild's settings); these functions add Discord's constant or derived fields
when answering (a role's ``colors``, a user's ``discriminator``, a guild's
``features`` ...), so a world dumped by an older emulator still answers in full.
Fields Discord does not send are left out here: ``guild_id`` on a message object
from the REST message endpoints, ``url`` on a webhook from the bot endpoints
(Discord returns it only from the OAuth2 webhook flow). The contract test
(tests/platforms/test_discord_contract.py) checks every answer against the spec.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

USER_DEFAULTS: dict[str, Any] = {
    "avatar": None,
    "discriminator": "0",
    "public_flags": 0,
    "flags": 0,
    "global_name": None,
    "primary_guild": None,
}
MEMBER_DEFAULTS: dict[str, Any] = {
    "avatar": None,
    "banner": None,
    "communication_disabled_until": None,
    "flags": 0,
    "nick": None,
    "pending": False,
    "premium_since": None,
    "mute": False,
    "deaf": False,
}
ROLE_DEFAULTS: dict[str, Any] = {
    "color": 0,
    "hoist": False,
    "managed": False,
    "mentionable": False,
    "icon": None,
    "unicode_emoji": None,
    "flags": 0,
}
# What a plain community-less guild answers for the settings narrator does not manage.
GUILD_DEFAULTS: dict[str, Any] = {
    "icon": None,
    "description": None,
    "home_header": None,
    "splash": None,
    "discovery_splash": None,
    "features": [],
    "banner": None,
    "application_id": None,
    "region": "deprecated",
    "afk_channel_id": None,
    "afk_timeout": 300,
    "system_channel_id": None,
    "system_channel_flags": 0,
    "widget_enabled": False,
    "widget_channel_id": None,
    "verification_level": 0,
    "default_message_notifications": 0,
    "mfa_level": 0,
    "explicit_content_filter": 0,
    "max_presences": None,
    "max_members": 25000000,
    "max_stage_video_channel_users": 50,
    "max_video_channel_users": 25,
    "vanity_url_code": None,
    "premium_tier": 0,
    "premium_subscription_count": 0,
    "preferred_locale": "en-US",
    "rules_channel_id": None,
    "safety_alerts_channel_id": None,
    "public_updates_channel_id": None,
    "premium_progress_bar_enabled": False,
    "nsfw": False,
    "nsfw_level": 0,
    "emojis": [],
    "stickers": [],
    "incidents_data": None,
}
# The guild's private parts: answered by their own routes, never inside the guild object.
GUILD_PRIVATE = ("members", "bans", "events", "invites")
THREAD_TYPES = {10, 11, 12}


def public(obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` without the emulator's private ``_keys``."""
    return {k: v for k, v in obj.items() if not k.startswith("_")}


def user_json(user: dict[str, Any]) -> dict[str, Any]:
    """A user object (UserResponse)."""
    return {**USER_DEFAULTS, **public(user)}


def me_json(user: dict[str, Any]) -> dict[str, Any]:
    """``GET /users/@me`` for a bot (UserPIIResponse)."""
    return {**user_json(user), "mfa_enabled": False, "locale": "en-US"}


def role_json(role: dict[str, Any]) -> dict[str, Any]:
    """A role (GuildRoleResponse); ``colors`` follows the stored ``color``."""
    out = {**ROLE_DEFAULTS, **public(role)}
    out["colors"] = {
        "primary_color": int(out["color"] or 0),
        "secondary_color": None,
        "tertiary_color": None,
    }
    return out


def member_json(member: dict[str, Any]) -> dict[str, Any]:
    """A guild member (GuildMemberResponse)."""
    return {**MEMBER_DEFAULTS, **public(member), "user": user_json(member["user"])}


def channel_json(channel: dict[str, Any]) -> dict[str, Any]:
    """A guild channel or a thread (GuildChannelResponse / ThreadResponse)."""
    out = {"flags": 0, **public(channel)}
    if int(out.get("type", 0)) in THREAD_TYPES:
        out.setdefault("message_count", 0)
        out.setdefault("member_count", len(channel.get("_members", [])))
        out.setdefault("total_message_sent", out["message_count"])
        meta = {"archived": False, "locked": False, "auto_archive_duration": 4320}
        out["thread_metadata"] = {
            **meta,
            "archive_timestamp": None,
            **(out.get("thread_metadata") or {}),
        }
    return out


def guild_json(guild: dict[str, Any]) -> dict[str, Any]:
    """A guild (GuildResponse): stored settings over Discord's defaults, roles as a list."""
    out = {**GUILD_DEFAULTS, **{k: v for k, v in guild.items() if k not in GUILD_PRIVATE}}
    out["roles"] = [role_json(r) for r in guild["roles"].values()]
    return public(out)


def message_json(message: dict[str, Any], *, keep_nonce: bool) -> dict[str, Any]:
    """A message (MessageResponse) as the REST message endpoints answer it: no ``guild_id``;
    ``nonce`` only while Discord still remembers it (``keep_nonce``)."""
    out = public(message)
    out.pop("guild_id", None)
    if not keep_nonce or out.get("nonce") is None:
        out.pop("nonce", None)
    out.setdefault("flags", 0)
    out.setdefault("components", [])
    out["author"] = user_json(message["author"])
    out["mentions"] = [user_json(u) for u in message.get("mentions", [])]
    out["embeds"] = [{"type": "rich", **e} for e in message.get("embeds", [])]
    if isinstance(out.get("thread"), dict):
        out["thread"] = channel_json(out["thread"])
    return out


def webhook_json(hook: dict[str, Any]) -> dict[str, Any]:
    """An incoming webhook from the bot endpoints: ``id`` and ``token``, no ``url``."""
    out = public(hook)
    out.pop("url", None)
    if isinstance(out.get("user"), dict):
        out["user"] = user_json(out["user"])
    return out


def ban_json(ban: dict[str, Any]) -> dict[str, Any]:
    return {"reason": ban.get("reason"), "user": user_json(ban["user"])}


def event_json(event: dict[str, Any]) -> dict[str, Any]:
    """A scheduled event (ScheduledEventResponse)."""
    return {
        "image": None,
        "recurrence_rule": None,
        "guild_scheduled_event_exceptions": [],
        "entity_id": None,
        "creator_id": None,
        **public(event),
    }


def invite_json(
    invite: dict[str, Any], channel: dict[str, Any], guild: dict[str, Any]
) -> dict[str, Any]:
    """A guild invite (GuildInviteResponse, type 0) with its channel and guild parts."""
    expires_at = None
    if int(invite.get("max_age") or 0) > 0 and invite.get("created_at"):
        created = datetime.fromisoformat(str(invite["created_at"]))
        expires_at = (created + timedelta(seconds=int(invite["max_age"]))).isoformat()
    settings = guild_json(guild) if guild else GUILD_DEFAULTS
    return {
        **public(invite),
        "type": 0,
        "expires_at": expires_at,
        "channel": {
            "id": invite["channel_id"],
            "name": channel.get("name"),
            "type": int(channel.get("type", 0)),
        },
        "guild": {
            "id": invite["guild_id"],
            "name": guild.get("name", ""),
            **{
                k: settings[k]
                for k in (
                    "splash",
                    "banner",
                    "description",
                    "icon",
                    "features",
                    "verification_level",
                    "vanity_url_code",
                    "nsfw_level",
                    "nsfw",
                    "premium_subscription_count",
                )
            },
        },
    }
