"""What every route module shares: the request context, the route table, helpers.

A route is a plain function ``(ctx) -> (status, body)`` registered with
``@ROUTES.route(METHOD, PATH, permission)``; it reads and edits ``ctx.world`` and
raises :class:`~narrator.platforms.emulator.errors.ApiError` for Discord's error
answers. The server (``server.py``) does authentication, buckets, faults, the
permission named at registration, and the HTTP response.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from aiohttp import web

from narrator.platforms.emulator.errors import invalid, missing_permissions
from narrator.platforms.emulator.world import PERMISSIONS, World


@dataclass
class Ctx:
    """One request as the routes see it."""

    request: web.Request
    params: dict[str, str]
    body: Any
    world: World
    nonce_ttl: float  # seconds a message nonce dedupes a send
    api_url: str  # http://HOST:PORT/api/v10, for URLs in answers (webhooks)

    def q(self, name: str, default: str | None = None) -> str | None:
        """A query-string parameter."""
        return self.request.query.get(name, default)

    def json(self) -> dict[str, Any]:
        """The JSON body as an object (``{}`` when there is none)."""
        if self.body is None:
            return {}
        if not isinstance(self.body, dict):
            raise invalid("_", "Expected an object")
        return self.body


Answer = tuple[int, Any]
Handler = Callable[[Ctx], Answer]


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # below /api/v10, with aiohttp {placeholders}
    handler: Handler
    permission: str | None  # a PERMISSIONS name the bot needs in the route's guild
    auth: bool = True  # whether a "Bot TOKEN" Authorization header is required


@dataclass
class RouteTable:
    """Routes in registration order (aiohttp tries the first match first)."""

    routes: list[Route] = field(default_factory=list)

    def route(
        self, method: str, path: str, permission: str | None = None, *, auth: bool = True
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.routes.append(Route(method, path, handler, permission, auth))
            return handler

        return register


def public(obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` without the emulator's private ``_keys``."""
    return {k: v for k, v in obj.items() if not k.startswith("_")}


def now_iso(world: World) -> str:
    """Now on the world's clock, as Discord writes a timestamp (whole seconds)."""
    return world.clock.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def now_iso_ms(world: World) -> str:
    """Now on the world's clock with microseconds (pins are ordered by it)."""
    return world.clock.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def guild_of(ctx: Ctx) -> str | None:
    """The guild a request is about: its guild id, or its channel's or webhook's guild."""
    if "guild_id" in ctx.params:
        return ctx.params["guild_id"]
    channel = ctx.world.channels.get(ctx.params.get("channel_id", ""))
    if channel is not None:
        return str(channel.get("guild_id"))
    hook = ctx.world.webhooks.get(ctx.params.get("webhook_id", ""))
    return str(hook["guild_id"]) if hook else None


def check_permission(ctx: Ctx, permission: str) -> None:
    """403 Missing Permissions unless the bot has ``permission`` in the request's guild."""
    guild_id = guild_of(ctx)
    if guild_id is None or guild_id not in ctx.world.guilds:
        return  # the route answers 404
    if not ctx.world.bot_permissions(guild_id) & PERMISSIONS[permission]:
        raise missing_permissions()
