"""DiscordPlatform: every bot command of the catalogue, over discord.py's HTTP client.

Reads of a guild's channels and roles happen once per run and are cached;
the platform's own writes update the cache from Discord's answers. Convergent
commands (``*.ensure``) live in :mod:`narrator.platforms.discord.converge`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from narrator import catalogue
from narrator.catalogue.keys import capture_key, message_key
from narrator.errors import DestructiveRefused, NarratorError, NotConfigured, PlatformError
from narrator.platforms.discord.text import (
    CHANNEL_KINDS,
    KIND_NAMES,
    allowed_mentions,
    parse_color,
    split_message,
)
from narrator.platforms.discord.transport import (
    CURRENT_ACT,
    Transport,
    permission_bits,
    permission_names,
)
from narrator.protocols import CommandCall, CommandResult

Handler = Callable[["DiscordPlatform", "Call"], Awaitable[CommandResult]]
HANDLERS: dict[str, Handler] = {}


def command(name: str) -> Callable[[Handler], Handler]:
    def deco(fn: Handler) -> Handler:
        HANDLERS[name] = fn
        return fn

    return deco


@dataclass
class GuildCache:
    """What one run has read of a guild: channels and roles by id."""

    channels: dict[str, dict[str, Any]] | None = None
    roles: dict[str, dict[str, Any]] | None = None


@dataclass
class Call:
    """A CommandCall with helpers for reading its arguments."""

    raw: CommandCall
    args: dict[str, Any]
    guild_id: str | None
    changes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def dry_run(self) -> bool:
        return self.raw.dry_run

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
        return _as_id(self.need(name), name, self.raw)

    def guild(self) -> str:
        if not self.guild_id:
            raise PlatformError(
                f"{self.raw.command} needs a guild_id",
                act=self.raw.act,
                hint="pass guild_id, or set [discord] guild_id in narrator.toml "
                "or guild_id in [narrative]",
            )
        return self.guild_id

    def lookup(self, key: str) -> Any:
        return self.raw.lookup(key) if self.raw.lookup else None


def _as_id(value: Any, name: str, raw: CommandCall) -> str:
    if isinstance(value, Mapping) and "id" in value:
        value = value["id"]
    text = str(value).strip()
    if not text.isdigit():
        raise PlatformError(
            f"{name} must be a Discord id (digits), got {text[:40]!r}",
            act=raw.act,
            hint=f'refer to an earlier act\'s output, e.g. {name} = "{{act.NAME.output.id}}"',
        )
    return text


def _nonce(key: str, index: int) -> str:
    return hashlib.sha256(f"{key}#{index}".encode()).hexdigest()[:25]


def fingerprint(fields: Mapping[str, Any]) -> str:
    """A short hash of declared fields: tells an out-of-band change from a new declaration."""
    data = json.dumps(fields, sort_keys=True, default=str)
    return hashlib.sha256(data.encode()).hexdigest()[:16]


# --------------------------------------------------------------------------- shapes


def channel_out(c: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": c["id"],
        "name": c.get("name"),
        "kind": KIND_NAMES.get(int(c.get("type", 0)), str(c.get("type"))),
        "type": c.get("type"),
        "topic": c.get("topic"),
        "category_id": c.get("parent_id"),
        "parent_id": c.get("parent_id"),
        "position": c.get("position"),
        "nsfw": c.get("nsfw", False),
        "guild_id": c.get("guild_id"),
    }


def role_out(r: Mapping[str, Any]) -> dict[str, Any]:
    color = int(r.get("color", 0))
    return {
        "id": r["id"],
        "name": r.get("name"),
        "color": f"#{color:06x}",
        "hoist": r.get("hoist", False),
        "mentionable": r.get("mentionable", False),
        "permissions": permission_names(int(r.get("permissions", 0))),
        "position": r.get("position"),
    }


def message_out(m: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": m["id"],
        "channel_id": m.get("channel_id"),
        "content": m.get("content", ""),
        "author_id": (m.get("author") or {}).get("id"),
        "pinned": m.get("pinned", False),
        "timestamp": m.get("timestamp"),
    }


def member_out(m: Mapping[str, Any]) -> dict[str, Any]:
    user = m.get("user") or {}
    return {
        "id": user.get("id"),
        "name": user.get("global_name") or user.get("username"),
        "username": user.get("username"),
        "nick": m.get("nick"),
        "roles": list(m.get("roles", [])),
        "joined_at": m.get("joined_at"),
        "communication_disabled_until": m.get("communication_disabled_until"),
    }


def thread_out(t: Mapping[str, Any]) -> dict[str, Any]:
    meta = t.get("thread_metadata") or {}
    return {
        "id": t["id"],
        "name": t.get("name"),
        "parent_id": t.get("parent_id"),
        "archived": meta.get("archived", False),
        "locked": meta.get("locked", False),
        "kind": KIND_NAMES.get(int(t.get("type", 11)), str(t.get("type"))),
        "guild_id": t.get("guild_id"),
    }


def event_out(e: Mapping[str, Any]) -> dict[str, Any]:
    statuses = {1: "scheduled", 2: "active", 3: "completed", 4: "canceled"}
    meta = e.get("entity_metadata") or {}
    return {
        "id": e["id"],
        "name": e.get("name"),
        "description": e.get("description"),
        "start_time": e.get("scheduled_start_time"),
        "end_time": e.get("scheduled_end_time"),
        "status": statuses.get(int(e.get("status", 1)), str(e.get("status"))),
        "location": meta.get("location"),
        "channel_id": e.get("channel_id"),
    }


# --------------------------------------------------------------------------- platform


class DiscordPlatform:
    """The Discord platform (REST only). One instance serves one run."""

    name = "discord"

    def __init__(
        self,
        token: str,
        *,
        api_base: str,
        default_guild_id: str | None,
        timeout: float = 30.0,
    ) -> None:
        if not token:
            raise NotConfigured(
                "Discord needs a bot token", hint="export DISCORD_TOKEN=... or use --sandbox"
            )
        self.http = Transport(token, api_base=api_base, timeout=timeout)
        self.default_guild_id = default_guild_id
        self._guilds: dict[str, GuildCache] = {}
        # id → who created or adopted it in this run (an ensure key, an idempotency
        # key): another act never adopts it (reconcile.py)
        self.claimed: dict[str, str] = {}
        self._channel_reads: dict[str, dict[str, Any]] = {}  # channels read one by one

    async def aclose(self) -> None:
        await self.http.close()

    def invalidate(self, guild_id: str | None = None) -> None:
        """Forget cached reads (all guilds, or one)."""
        if guild_id is None:
            self._guilds.clear()
        else:
            self._guilds.pop(guild_id, None)

    # ------------------------------------------------------------------ entry point
    async def execute(self, call: CommandCall) -> CommandResult:
        name = catalogue.canonical("discord", call.command)
        spec = catalogue.lookup("discord", name)
        handler = HANDLERS.get(name)
        if spec is None or handler is None:
            from narrator.errors import did_you_mean

            raise PlatformError(
                f"unknown Discord command '{call.command}'",
                act=call.act,
                hint=did_you_mean(call.command, list(HANDLERS)) or "see docs/discord.md",
            )
        if spec.destructive and not call.allow_destructive and not call.dry_run:
            raise DestructiveRefused(
                f"{name} is destructive and was refused; nothing was sent to Discord",
                act=call.act,
                hint="set allow_destructive = true in [narrative], or run with --allow-destructive",
            )
        args = dict(call.args)
        if "channel_type" in args and "kind" not in args:
            args["kind"] = args.pop("channel_type")
        guild = args.get("guild_id") or call.default_guild_id or self.default_guild_id
        wrapped = Call(call, args, str(guild) if guild else None)
        token = CURRENT_ACT.set(call.act)
        try:
            if call.dry_run and not spec.writes:
                return CommandResult(output=None, wrote=False)
            if call.dry_run and not spec.convergent:
                return self._plan_plain(wrapped, spec.name)
            return await handler(self, wrapped)
        except NarratorError:
            raise
        except (ValueError, TypeError) as exc:
            raise PlatformError(
                f"{name}: {exc}", act=call.act, hint="fix the argument in the narrative"
            ) from None
        finally:
            CURRENT_ACT.reset(token)

    def _plan_plain(self, call: Call, name: str) -> CommandResult:
        """A non-convergent write in a dry run: report it, touch nothing."""
        noun = name.split(".")[0].rstrip("s")
        verb = name.split(".")[1]
        action = "send" if verb == "send" else "delete" if "delete" in verb else verb
        target = call.get("name") or call.get("channel_id") or call.get("message_id") or ""
        change = {"action": action, "resource": f"{noun} {target}".strip(), "fields": {}}
        return CommandResult(output=None, changes=[change], wrote=False)

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
            cache.channels = {c["id"]: c for c in found}
        return cache.channels

    async def roles(self, guild_id: str) -> dict[str, dict[str, Any]]:
        cache = self._cache(guild_id)
        if cache.roles is None:
            found = await self.http.request(
                "GET",
                "/guilds/{guild_id}/roles",
                guild_id=guild_id,
                what=f"list the roles of guild {guild_id}",
            )
            cache.roles = {r["id"]: r for r in found}
        return cache.roles

    def remember_channel(self, channel: dict[str, Any]) -> None:
        if channel["id"] in self._channel_reads:
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

    async def resolve_category(self, call: Call, value: Any) -> str | None:
        """A category id from a name or id (None: no category given)."""
        if value is None or value == "":
            return None
        guild_id = call.guild()
        channels = await self.channels(guild_id)
        text = str(value)
        if text in channels and channels[text]["type"] == 4:
            return text
        for c in channels.values():
            if c["type"] == 4 and c["name"].lower() == text.lower():
                return str(c["id"])
        raise PlatformError(
            f"no category named '{text}' in guild {guild_id}",
            act=call.raw.act,
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
        for r in roles.values():
            if r["name"] == text:
                return str(r["id"])
        for r in roles.values():
            if r["name"].lower() == text.lower():
                return str(r["id"])
        from narrator.errors import did_you_mean

        raise PlatformError(
            f"no role named '{text}' in guild {guild_id}",
            act=call.raw.act,
            hint=did_you_mean(text, [r["name"] for r in roles.values()])
            or "create it first with roles.ensure",
        )

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
            role_ids = {r["name"]: r["id"] for r in (await self.roles(call.guild())).values()}
        return allowed_mentions(listed, from_model=from_model, role_ids=role_ids)

    # ------------------------------------------------------------------ message sending
    async def send_text(
        self, call: Call, channel_id: str, content: str, *, what: str, reconcile: bool = True
    ) -> list[dict[str, Any]]:
        """Send ``content`` (split when long) with nonces derived from the idempotency key.

        On a resumed act (``reconcile_since``), the parts Discord already has are
        adopted and only the rest is sent (:mod:`~narrator.platforms.discord.reconcile`).
        """
        from narrator.platforms.discord.reconcile import sent_parts

        mentions = await self.mentions_for(call)
        chunks = [c for c in split_message(content) if c.strip()] or [content]
        nonces = [_nonce(call.raw.idempotency_key, i) for i in range(len(chunks))]
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

    def message_key(self, call: Call, guild_id: str | None, key: str) -> str | None:
        return message_key(guild_id, key) if guild_id else None


# --------------------------------------------------------------------------- helpers for handlers


def ok(output: Any, captures: Mapping[str, Any] | None = None) -> CommandResult:
    return CommandResult(output=output, captures=dict(captures or {}), wrote=True)


def read(output: Any) -> CommandResult:
    return CommandResult(output=output, wrote=False)


def channel_payload(call: Call, kind: int, parent: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"type": kind}
    if call.get("name") is not None:
        body["name"] = str(call.get("name"))
    if parent is not None:
        body["parent_id"] = parent
    for arg, key in (
        ("topic", "topic"),
        ("position", "position"),
        ("nsfw", "nsfw"),
        ("slowmode", "rate_limit_per_user"),
        ("bitrate", "bitrate"),
        ("user_limit", "user_limit"),
    ):
        if call.get(arg) is not None:
            body[key] = call.get(arg)
    return body


def kind_of(call: Call, default: str = "text") -> int:
    name = str(call.get("kind", default)).lower()
    if name not in CHANNEL_KINDS:
        from narrator.errors import did_you_mean

        raise PlatformError(
            f"unknown channel kind '{name}'",
            act=call.raw.act,
            hint=did_you_mean(name, list(CHANNEL_KINDS))
            or "use text, voice, category, announcement or forum",
        )
    return CHANNEL_KINDS[name]


def role_payload(call: Call) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if call.get("name") is not None:
        body["name"] = str(call.get("name"))
    if call.get("color") is not None:
        body["color"] = parse_color(call.get("color"))
    for key in ("hoist", "mentionable"):
        if call.get(key) is not None:
            body[key] = bool(call.get(key))
    if call.args.get("permissions") is not None:
        body["permissions"] = str(permission_bits(list(call.args["permissions"])))
    return body


def parse_duration(value: Any) -> float:
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip().lower()
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    if text and text[-1] in units:
        return float(text[:-1]) * units[text[-1]]
    return float(text)


def iso_in(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


def emoji_param(emoji: str) -> str:
    """``<:name:id>`` / ``<a:name:id>`` → ``name:id``; unicode emoji unchanged (Route quotes)."""
    return emoji.strip().strip("<>").removeprefix("a:").strip(":")


def name_key(guild_id: str, what: str, name: str) -> str:
    return capture_key(guild_id, what, name)
