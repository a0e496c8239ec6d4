"""One run's conversation with Discord: the arguments of a call, and what the run has read.

* :class:`Call` — a :class:`~narrator.protocols.CommandCall` with helpers that read
  its arguments (and fail with a fix when one is missing or not an id);
* :class:`Session` — the transport, the guild reads cached for the run (channels
  and roles, updated from Discord's answers to the run's own writes), the ids the
  run created or adopted (``claimed``), name → id resolution, and message sending.

Commands are ``async def name(session: Session, call: Call) -> CommandResult``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from narrator.catalogue.keys import capture_key, spec_key
from narrator.errors import GuildMissing, PlatformError, did_you_mean
from narrator.platforms.discord.reconcile import sent_parts
from narrator.platforms.discord.text import allowed_mentions, split_message
from narrator.platforms.discord.transport import Transport
from narrator.protocols import Clock, CommandCall, CommandResult


def ok(output: Any, captures: Mapping[str, Any] | None = None) -> CommandResult:
    """The result of a write."""
    return CommandResult(output=output, captures=dict(captures or {}), wrote=True)


def read(output: Any) -> CommandResult:
    """The result of a read."""
    return CommandResult(output=output, wrote=False)


@dataclass
class Call:
    """A CommandCall with helpers for reading its arguments."""

    raw: CommandCall
    args: dict[str, Any]
    guild_id: str | None

    @property
    def dry_run(self) -> bool:
        return self.raw.dry_run

    @property
    def act(self) -> str:
        return self.raw.act

    def get(self, name: str, default: Any = None) -> Any:
        value = self.args.get(name)
        return default if value is None or value == "" else value

    def need(self, name: str) -> Any:
        value = self.get(name)
        if value is None:
            raise PlatformError(
                f"{self.raw.command} needs the argument '{name}'",
                act=self.raw.act,
                hint=f"add {name} = ... under [act.input.args]",
            )
        return value

    def id(self, name: str) -> str:
        """The argument ``name`` as a Discord id (digits; an earlier output's ``id`` also)."""
        value = self.need(name)
        if isinstance(value, Mapping) and "id" in value:
            value = value["id"]
        text = str(value).strip()
        if not text.isdigit():
            raise PlatformError(
                f"{name} must be a Discord id (digits), got {text[:40]!r}",
                act=self.raw.act,
                hint=f'refer to an earlier act\'s output, e.g. {name} = "{{act.NAME.output.id}}"',
            )
        return text

    def guild(self) -> str:
        """The call's guild. None resolved (the executor decides which, and rewrites this
        error to say where it looked): :class:`~narrator.errors.GuildMissing`."""
        if not self.guild_id:
            raise GuildMissing(f"{self.raw.command} needs a guild", act=self.raw.act)
        return self.guild_id

    def lookup(self, key: str) -> Any:
        """A state value (None when missing)."""
        return self.raw.lookup(key) if self.raw.lookup else None


def forget_captures(
    call: Call, guild_id: str, what: str, name: str, deleted_id: str
) -> dict[str, Any]:
    """Captures that remove the keys naming a deleted resource (None deletes a key).

    Only a key that still holds the deleted id goes: another resource of the
    same name captured since keeps its key. The declared spec of a convergent
    ``*.ensure`` goes with it, so the next run recreates the resource.
    """
    key = capture_key(guild_id, what, name)
    if str(call.lookup(key)) != deleted_id:
        return {}
    return {key: None, spec_key(guild_id, what, name): None}


def nonce(key: str, index: int) -> str:
    """The nonce of part ``index`` of a send with idempotency key ``key``."""
    return hashlib.sha256(f"{key}#{index}".encode()).hexdigest()[:25]


@dataclass
class GuildCache:
    """What one run has read of a guild: the guild object (settings), channels and roles by id."""

    guild: dict[str, Any] | None = None
    channels: dict[str, dict[str, Any]] | None = None
    roles: dict[str, dict[str, Any]] | None = None


class Session:
    """The transport and everything one run has read of or claimed on Discord."""

    def __init__(self, http: Transport, clock: Clock) -> None:
        self.http = http
        self.clock = clock
        self._guilds: dict[str, GuildCache] = {}
        # id → who created or adopted it in this run (an ensure key, an idempotency
        # key): another act never adopts it (reconcile.py)
        self.claimed: dict[str, str] = {}
        self._channel_reads: dict[str, dict[str, Any]] = {}  # channels read one by one
        # webhook id → its token, read once (webhooks.send through an output's hidden url)
        self.webhook_tokens: dict[str, str] = {}

    def invalidate(self, guild_id: str | None = None) -> None:
        """Forget cached reads (all guilds, or one)."""
        if guild_id is None:
            self._guilds.clear()
        else:
            self._guilds.pop(guild_id, None)

    # ------------------------------------------------------------------ cached reads
    def _cache(self, guild_id: str) -> GuildCache:
        return self._guilds.setdefault(guild_id, GuildCache())

    async def channels(self, guild_id: str) -> dict[str, dict[str, Any]]:
        cache = self._cache(guild_id)
        if cache.channels is None:
            found = await self.http.request(
                "GET",
                "/guilds/{guild_id}/channels",
                guild_id=guild_id,
                what=f"list the channels of guild {guild_id}",
                permission="view_channel",
            )
            cache.channels = {channel["id"]: channel for channel in found}
        return cache.channels

    async def guild(self, guild_id: str) -> dict[str, Any]:
        """The guild object (its settings and its roles): one ``GET /guilds/{id}`` per run."""
        cache = self._cache(guild_id)
        if cache.guild is None:
            cache.guild = await self.http.request(
                "GET", "/guilds/{guild_id}", guild_id=guild_id, what=f"read guild {guild_id}"
            )
            if cache.roles is None:
                cache.roles = {role["id"]: role for role in cache.guild.get("roles", [])}
        return cache.guild

    def remember_guild(self, guild: dict[str, Any]) -> None:
        """The answer to a guild PATCH: the run's later reads see it."""
        self._cache(str(guild["id"])).guild = guild

    async def roles(self, guild_id: str) -> dict[str, dict[str, Any]]:
        """The guild's roles, from the run's one read of the guild (roles are part of it)."""
        cache = self._cache(guild_id)
        if cache.roles is None:
            await self.guild(guild_id)
        assert cache.roles is not None
        return cache.roles

    def remember_channel(self, channel: dict[str, Any]) -> None:
        """Discord's answer to the run's own write: later reads of the channel (its guild
        for messages.send's key, too) need no request."""
        self._channel_reads[channel["id"]] = channel
        guild_id = channel.get("guild_id")
        if guild_id and self._cache(str(guild_id)).channels is not None:
            self._cache(str(guild_id)).channels[channel["id"]] = channel  # type: ignore[index]

    def forget_channel(self, channel_id: str) -> None:
        self._channel_reads.pop(channel_id, None)
        for cache in self._guilds.values():
            if cache.channels:
                cache.channels.pop(channel_id, None)

    def remember_role(self, guild_id: str, role: dict[str, Any]) -> None:
        cache = self._cache(guild_id)
        if cache.roles is not None:
            cache.roles[role["id"]] = role

    def guild_of_channel(self, channel_id: str) -> str | None:
        """The guild whose cached channels hold ``channel_id`` (None when none read)."""
        for guild_id, cache in self._guilds.items():
            if cache.channels and channel_id in cache.channels:
                return guild_id
        return None

    async def channel(self, call: Call, channel_id: str) -> dict[str, Any]:
        """A channel by id: from the cache when this run read its guild or this channel,
        else one GET."""
        for cache in self._guilds.values():
            if cache.channels and channel_id in cache.channels:
                return cache.channels[channel_id]
        if channel_id in self._channel_reads:
            return self._channel_reads[channel_id]
        found: dict[str, Any] = await self.http.request(
            "GET",
            "/channels/{channel_id}",
            channel_id=channel_id,
            what=f"read channel {channel_id}",
            permission="view_channel",
        )
        self._channel_reads[channel_id] = found
        return found

    async def channel_and_guild(self, call: Call, channel_id: str) -> dict[str, Any]:
        """The channel; its guild becomes the call's guild unless guild_id was given."""
        channel = await self.channel(call, channel_id)
        if channel.get("guild_id") and not call.args.get("guild_id"):
            call.guild_id = str(channel["guild_id"])
        return channel

    # ------------------------------------------------------------------ names → ids
    async def resolve_category(self, call: Call, value: Any) -> str | None:
        """A category id from a name or id (None: no category given)."""
        if value is None or value == "":
            return None
        guild_id = call.guild()
        channels = await self.channels(guild_id)
        text = str(value)
        if text in channels and channels[text]["type"] == 4:
            return text
        for channel in channels.values():
            if channel["type"] == 4 and channel["name"].lower() == text.lower():
                return str(channel["id"])
        raise PlatformError(
            f"no category named '{text}' in guild {guild_id}",
            act=call.act,
            hint="create it first with categories.ensure (earlier in the narrative)",
        )

    async def resolve_role(self, call: Call, value: Any) -> str:
        """A role id from a name, an id, or "@everyone"."""
        guild_id = call.guild()
        text = str(value).strip()
        if text.lower() in ("@everyone", "everyone"):
            return guild_id
        roles = await self.roles(guild_id)
        if text in roles:
            return text
        for role in roles.values():
            if role["name"] == text:
                return str(role["id"])
        for role in roles.values():
            if role["name"].lower() == text.lower():
                return str(role["id"])
        raise PlatformError(
            f"no role named '{text}' in guild {guild_id}",
            act=call.act,
            hint=did_you_mean(text, [role["name"] for role in roles.values()])
            or "create it first with roles.ensure",
        )

    # ------------------------------------------------------------------ message sending
    async def mentions_for(self, call: Call, key: str = "content") -> dict[str, Any]:
        listed = call.raw.mentions
        if listed is None and call.get("mentions") is not None:
            listed = tuple(call.get("mentions"))
        from_model = key in call.raw.model_text_keys
        role_ids: dict[str, str] = {}
        if listed and any(
            not str(m).isdigit()
            and str(m).lower().lstrip("@") not in ("everyone", "here", "users", "roles")
            for m in listed
        ):
            roles = (await self.roles(call.guild())).values()
            role_ids = {role["name"]: role["id"] for role in roles}
        return allowed_mentions(listed, from_model=from_model, role_ids=role_ids)

    async def send_text(
        self, call: Call, channel_id: str, content: str, *, what: str, reconcile: bool = True
    ) -> list[dict[str, Any]]:
        """Send ``content`` (split when long) with nonces derived from the idempotency key.

        On a resumed act (``reconcile_since``), the parts Discord already has are
        adopted and only the rest is sent (:mod:`~narrator.platforms.discord.reconcile`).
        """
        mentions = await self.mentions_for(call)
        chunks = [chunk for chunk in split_message(content) if chunk.strip()] or [content]
        nonces = [nonce(call.raw.idempotency_key, i) for i in range(len(chunks))]
        sent: list[dict[str, Any]] = []
        if reconcile and call.raw.reconcile_since is not None:
            since = call.raw.reconcile_since
            sent = await sent_parts(self, call, channel_id, chunks, nonces, since)
        for index, chunk in enumerate(chunks):
            if index < len(sent):
                continue
            payload: dict[str, Any] = {
                "content": chunk,
                "allowed_mentions": mentions,
                "nonce": nonces[index],
                "enforce_nonce": True,
            }
            if index == 0 and call.get("embeds"):
                payload["embeds"] = call.get("embeds")
            if index == 0 and call.get("tts") is not None:
                payload["tts"] = bool(call.get("tts"))
            if index == 0 and call.get("reply_to"):
                payload["message_reference"] = {
                    "message_id": str(call.get("reply_to")),
                    "fail_if_not_exists": False,
                }
            message = await self.http.request(
                "POST",
                "/channels/{channel_id}/messages",
                channel_id=channel_id,
                json=payload,
                what=what,
                permission="send_messages",
                safe_to_repeat=True,
            )
            self.claimed[message["id"]] = call.raw.idempotency_key
            sent.append(message)
        return sent
