"""The emulated Discord world: plain JSON-able dicts, snowflakes, permissions.

Everything the emulator knows lives in one :class:`World` whose ``data`` is a
JSON document, so a sandbox guild can be dumped to and loaded from a blob.
"""

from __future__ import annotations

import copy
from typing import Any

from narrator.clock import SystemClock
from narrator.platforms.emulator.errors import unknown
from narrator.protocols import Clock

DISCORD_EPOCH_MS = 1_420_070_400_000

# Permission bits the emulator checks (the platform maps names with discord.py).
PERMISSIONS: dict[str, int] = {
    "create_instant_invite": 1 << 0,
    "kick_members": 1 << 1,
    "ban_members": 1 << 2,
    "administrator": 1 << 3,
    "manage_channels": 1 << 4,
    "manage_guild": 1 << 5,
    "add_reactions": 1 << 6,
    "view_channel": 1 << 10,
    "send_messages": 1 << 11,
    "manage_messages": 1 << 13,
    "read_message_history": 1 << 16,
    "manage_nicknames": 1 << 27,
    "manage_roles": 1 << 28,
    "manage_webhooks": 1 << 29,
    "manage_events": 1 << 33,
    "manage_threads": 1 << 34,
    "create_public_threads": 1 << 35,
    "moderate_members": 1 << 40,
}
ALL_PERMISSIONS = (1 << 47) - 1
DEFAULT_EVERYONE = (
    PERMISSIONS["view_channel"]
    | PERMISSIONS["send_messages"]
    | PERMISSIONS["read_message_history"]
    | PERMISSIONS["add_reactions"]
    | PERMISSIONS["create_instant_invite"]
)

THREAD_TYPES = {10, 11, 12}

BOT_USER_ID = "100000000000000100"
BOT_ROLE_ID = "100000000000000101"


def snowflake_time_ms(snowflake: str | int) -> int:
    """Unix milliseconds encoded in a snowflake."""
    return (int(snowflake) >> 22) + DISCORD_EPOCH_MS


class World:
    """An in-memory set of guilds, channels, messages ... as JSON dicts."""

    def __init__(self, data: dict[str, Any] | None = None, *, clock: Clock | None = None) -> None:
        self.clock: Clock = clock or SystemClock()  # snowflakes and timestamps read it
        self.data: dict[str, Any] = copy.deepcopy(data) if data else empty_world()
        for key, default in empty_world().items():
            self.data.setdefault(key, default)
        self._increment = 0
        self._last_ms = 0

    # ------------------------------------------------------------------ ids
    def snowflake(self) -> str:
        """A new id whose top bits are the current time (ms since the Discord epoch)."""
        ms = self.now_ms()
        if ms <= self._last_ms:
            self._increment += 1
            if self._increment >= 4096:
                self._last_ms += 1
                self._increment = 0
            ms = self._last_ms
        else:
            self._last_ms, self._increment = ms, 0
        return str(((ms - DISCORD_EPOCH_MS) << 22) | (1 << 17) | self._increment)

    def now_ms(self) -> int:
        """Unix milliseconds on the world's clock."""
        return int(self.clock.now().timestamp() * 1000)

    # ------------------------------------------------------------------ shortcuts
    @property
    def guilds(self) -> dict[str, Any]:
        return self.data["guilds"]  # type: ignore[no-any-return]

    @property
    def channels(self) -> dict[str, Any]:
        return self.data["channels"]  # type: ignore[no-any-return]

    @property
    def messages(self) -> dict[str, dict[str, Any]]:
        return self.data["messages"]  # type: ignore[no-any-return]

    @property
    def webhooks(self) -> dict[str, Any]:
        return self.data["webhooks"]  # type: ignore[no-any-return]

    @property
    def bot_id(self) -> str:
        return str(self.data["bot"]["id"])

    # ------------------------------------------------------------------ lookups (404 when absent)
    def guild(self, guild_id: str) -> dict[str, Any]:
        guild = self.guilds.get(guild_id)
        if guild is None:
            raise unknown("Guild")
        return guild  # type: ignore[no-any-return]

    def channel(self, channel_id: str) -> dict[str, Any]:
        channel = self.channels.get(channel_id)
        if channel is None:
            raise unknown("Channel")
        return channel  # type: ignore[no-any-return]

    def message(self, channel_id: str, message_id: str) -> dict[str, Any]:
        self.channel(channel_id)
        message = self.messages.get(channel_id, {}).get(message_id)
        if message is None:
            raise unknown("Message")
        return message  # type: ignore[no-any-return]

    def member(self, guild_id: str, user_id: str) -> dict[str, Any]:
        member = self.guild(guild_id)["members"].get(user_id)
        if member is None:
            raise unknown("Member")
        return member  # type: ignore[no-any-return]

    def role(self, guild_id: str, role_id: str) -> dict[str, Any]:
        role = self.guild(guild_id)["roles"].get(role_id)
        if role is None:
            raise unknown("Role")
        return role  # type: ignore[no-any-return]

    def guild_channels(self, guild_id: str) -> list[dict[str, Any]]:
        """Every channel of the guild, threads included."""
        return [c for c in self.channels.values() if c.get("guild_id") == guild_id]

    def forget_nonces(self) -> int:
        """Forget every message nonce; returns how many were forgotten."""
        forgotten = sum(len(seen) for seen in self.data["nonces"].values())
        self.data["nonces"] = {}
        for store in self.messages.values():
            for message in store.values():
                message["nonce"] = None
        return forgotten

    # ------------------------------------------------------------------ every guild
    @property
    def every_guild(self) -> bool:
        """Whether a guild id nobody created yet becomes a guild on first reference.

        Off by default: the emulator answers Unknown Guild (10004) as Discord
        does. The sandbox turns it on, so a rehearsal of a real setup works with
        the real guild ids it names; the flag is part of the world's data, so a
        dumped and reloaded world keeps it.
        """
        return bool(self.data.get("every_guild"))

    @every_guild.setter
    def every_guild(self, on: bool) -> None:
        self.data["every_guild"] = bool(on)

    def adopt_guild(self, guild_id: str) -> bool:
        """Create guild ``guild_id`` (bot as administrator) when ``every_guild`` is on
        and it does not exist yet; True when it was created. Only a snowflake
        (digits) becomes a guild."""
        if not self.every_guild or guild_id in self.guilds:
            return False
        if not (guild_id.isascii() and guild_id.isdigit()) or len(guild_id) > 20:
            return False
        if int(guild_id) == 0:
            return False
        self.add_guild(guild_id, f"Sandbox {guild_id}")
        return True

    def dump(self) -> dict[str, Any]:
        """A deep copy of the world as JSON."""
        return copy.deepcopy(self.data)

    def add_guild(
        self, guild_id: str, name: str, *, bot_permissions: int = ALL_PERMISSIONS
    ) -> dict[str, Any]:
        """A guild with @everyone, a bot role with ``bot_permissions`` and the bot as member."""
        guild: dict[str, Any] = {
            "id": guild_id,
            "name": name,
            "description": None,
            "owner_id": "100000000000000099",
            "verification_level": 0,
            "roles": {
                guild_id: _role(guild_id, "@everyone", DEFAULT_EVERYONE, 0),
                BOT_ROLE_ID: {
                    **_role(BOT_ROLE_ID, "narrator", bot_permissions, 1),
                    "managed": True,
                },
            },
            "members": {
                self.bot_id: _member(self.data["bot"], [BOT_ROLE_ID]),
            },
            "bans": {},
            "emojis": [],
            "stickers": [],
            "events": {},
            "invites": {},
        }
        self.guilds[guild_id] = guild
        return guild

    def add_user(self, user_id: str, username: str, guild_id: str) -> dict[str, Any]:
        user = {"id": user_id, "username": username, "global_name": username, "bot": False}
        self.data["users"][user_id] = user
        self.guilds[guild_id]["members"][user_id] = _member(user, [])
        return user

    def set_bot_permissions(self, guild_id: str, names: list[str] | int) -> None:
        bits = names if isinstance(names, int) else sum(PERMISSIONS[n] for n in names)
        self.guilds[guild_id]["roles"][BOT_ROLE_ID]["permissions"] = str(bits)

    def bot_permissions(self, guild_id: str) -> int:
        guild = self.guilds[guild_id]
        member = guild["members"].get(self.bot_id)
        if member is None:
            return 0
        bits = int(guild["roles"][guild_id]["permissions"])
        for rid in member["roles"]:
            role = guild["roles"].get(rid)
            if role:
                bits |= int(role["permissions"])
        return ALL_PERMISSIONS if bits & PERMISSIONS["administrator"] else bits


def _role(role_id: str, name: str, permissions: int, position: int) -> dict[str, Any]:
    return {
        "id": role_id,
        "name": name,
        "color": 0,
        "hoist": False,
        "mentionable": False,
        "managed": False,
        "permissions": str(permissions),
        "position": position,
        "flags": 0,
    }


def _member(user: dict[str, Any], roles: list[str]) -> dict[str, Any]:
    return {
        "user": dict(user),
        "nick": None,
        "roles": list(roles),
        "joined_at": "2024-01-01T00:00:00+00:00",
        "deaf": False,
        "mute": False,
        "communication_disabled_until": None,
    }


def empty_world() -> dict[str, Any]:
    return {
        "version": 1,
        "bot": {"id": BOT_USER_ID, "username": "narrator", "global_name": None, "bot": True},
        "users": {},
        "guilds": {},
        "channels": {},
        "messages": {},
        "webhooks": {},
        "nonces": {},
    }


def fresh_world(guild_id: str, name: str = "Sandbox") -> World:
    """One guild with @everyone and an administrator bot role: the sandbox default."""
    world = World()
    world.add_guild(guild_id, name)
    return world
