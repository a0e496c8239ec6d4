"""An aiohttp emulation of the Discord REST API endpoints narrator uses.

Realistic where discord.py looks: ``Content-Type: application/json`` exactly,
``X-RateLimit-*`` headers on every answer, 429 with ``Via`` and a JSON
``retry_after``, Discord's error bodies and codes, permission checks for the
bot's role, nonce + ``enforce_nonce`` dedupe for ``nonce_ttl`` seconds (Discord
honours a nonce for a few minutes only; ``DELETE /_emulator/nonces`` forgets them
all at once). Tests and benchmarks read the
request log; faults (429/5xx for the next N requests on a route) are injectable
in-process or over ``/_emulator/faults`` from another process.
"""

from __future__ import annotations

import asyncio
import fnmatch
import hashlib
import json
import math
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from narrator.platforms.emulator.world import PERMISSIONS, World, snowflake_time_ms

API_PREFIX = "/api/v10"
DEFAULT_LIMIT: tuple[int, float] = (50, 1.0)
# How long a message nonce dedupes a send (and is returned on the message). Discord
# documents "a few minutes"; tests shorten it or forget nonces at once.
DEFAULT_NONCE_TTL = 300.0

Handler = Callable[["Ctx"], Awaitable[tuple[int, Any]]]


class ApiError(Exception):
    """An error answer in Discord's shape."""

    def __init__(
        self, status: int, code: int, message: str, errors: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.errors = status, code, message, errors

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors:
            body["errors"] = self.errors
        return body


def unknown(what: str) -> ApiError:
    codes = {
        "Channel": 10003,
        "Guild": 10004,
        "Member": 10007,
        "Message": 10008,
        "Role": 10011,
        "User": 10013,
        "Emoji": 10014,
        "Webhook": 10015,
        "Ban": 10026,
        "Guild Scheduled Event": 10070,
        "Invite": 10006,
    }
    return ApiError(404, codes.get(what, 10000), f"Unknown {what}")


def invalid(field_name: str, message: str, code: str = "BASE_TYPE_INVALID") -> ApiError:
    errors = {field_name: {"_errors": [{"code": code, "message": message}]}}
    return ApiError(400, 50035, "Invalid Form Body", errors)


def missing_permissions() -> ApiError:
    return ApiError(403, 50013, "Missing Permissions")


@dataclass
class LogEntry:
    method: str
    path: str
    status: int

    @property
    def is_write(self) -> bool:
        return self.method != "GET"


@dataclass
class Fault:
    """The next ``count`` requests matching ``pattern`` ("POST /channels/*/messages") fail."""

    pattern: str
    status: int = 500
    count: int = 1
    retry_after: float = 0.2
    after: bool = False  # perform the request first, then answer with the fault


@dataclass
class _Window:
    start: float = 0.0
    count: int = 0


@dataclass
class Bucket:
    limit: int
    per: float
    windows: dict[str, _Window] = field(default_factory=dict)

    def hit(self, major: str, now: float) -> tuple[bool, int, float]:
        window = self.windows.setdefault(major, _Window(now, 0))
        if now >= window.start + self.per:
            window.start, window.count = now, 0
        reset_after = window.start + self.per - now
        if window.count >= self.limit:
            return False, 0, reset_after
        window.count += 1
        return True, self.limit - window.count, reset_after


@dataclass
class Ctx:
    """One request as the handlers see it."""

    request: web.Request
    params: dict[str, str]
    body: Any
    world: World
    emulator: Emulator

    def q(self, name: str, default: str | None = None) -> str | None:
        return self.request.query.get(name, default)


@dataclass(frozen=True)
class _Route:
    method: str
    path: str
    handler: Handler
    permission: str | None
    auth: bool = True


_ROUTES: list[tuple[str, str, str, str | None, bool]] = []


def route(
    method: str, path: str, permission: str | None = None, *, auth: bool = True
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        _ROUTES.append((method, path, fn.__name__, permission, auth))
        return fn

    return deco


def _public(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if not k.startswith("_")}


def _now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())


def _now_iso_ms() -> str:
    now = time.time()
    micros = int(now * 1e6) % 1_000_000
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{micros:06d}+00:00"


_MENTION_USER = re.compile(r"<@!?(\d+)>")
_MENTION_ROLE = re.compile(r"<@&(\d+)>")
THREAD_TYPES = {10, 11, 12}


class Emulator:
    """The Discord REST emulator: ``async with Emulator() as emu: emu.url``."""

    def __init__(
        self,
        world: World | None = None,
        *,
        rate_limits: dict[str, tuple[int, float]] | None = None,
        default_limit: tuple[int, float] = DEFAULT_LIMIT,
        host: str = "127.0.0.1",
        port: int = 0,
        nonce_ttl: float = DEFAULT_NONCE_TTL,
    ) -> None:
        self.world = world or World()
        self.nonce_ttl = nonce_ttl
        self.host, self.port = host, port
        self.log: list[LogEntry] = []
        self.faults: list[Fault] = []
        self.rate_limits = dict(rate_limits or {})
        self.default_limit = default_limit
        self.buckets: dict[str, Bucket] = {}
        self.rate_limited = 0  # 429s answered because a bucket was exceeded
        # "METHOD /path/glob" → seconds between performing a request and answering it:
        # the window in which the client can die after Discord did the work
        self.latency: dict[str, float] = {}
        self._runner: web.AppRunner | None = None
        self.app = self._build_app()

    # ------------------------------------------------------------------ lifecycle
    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """The api_base to give discord.py (``http://127.0.0.1:PORT/api/v10``)."""
        return self.base_url + API_PREFIX

    async def start(self) -> str:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        assert server is not None
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1]
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ test helpers
    def inject(
        self,
        pattern: str,
        *,
        status: int = 500,
        count: int = 1,
        retry_after: float = 0.2,
        after: bool = False,
    ) -> None:
        """Make the next ``count`` requests matching ``"METHOD /path/glob"`` fail."""
        self.faults.append(Fault(pattern, status, count, retry_after, after))

    def forget_nonces(self) -> int:
        """Forget every message nonce now, as Discord does after a few minutes.

        Sends with a known nonce are no longer deduplicated and messages no longer
        carry their nonce. Returns how many nonces were forgotten.
        """
        forgotten = sum(len(seen) for seen in self.world.data["nonces"].values())
        self.world.data["nonces"] = {}
        for store in self.world.messages.values():
            for message in store.values():
                message["nonce"] = None
        return forgotten

    def _nonce_alive(self, message: dict[str, Any]) -> bool:
        age_ms = time.time() * 1000 - snowflake_time_ms(message["id"])
        return message.get("nonce") is not None and age_ms <= self.nonce_ttl * 1000

    def reads(self) -> list[LogEntry]:
        return [e for e in self.log if not e.is_write]

    def writes(self) -> list[LogEntry]:
        return [e for e in self.log if e.is_write]

    def clear_log(self) -> None:
        self.log.clear()

    # ------------------------------------------------------------------ plumbing
    def _build_app(self) -> web.Application:
        app = web.Application(client_max_size=8 * 1024 * 1024)
        for method, path, name, permission, auth in _ROUTES:
            spec = _Route(method, path, getattr(self, name), permission, auth)
            app.router.add_route(method, API_PREFIX + path, self._wrap(spec))
        app.router.add_get("/_emulator/log", self._admin_log)
        app.router.add_delete("/_emulator/log", self._admin_clear_log)
        app.router.add_post("/_emulator/faults", self._admin_faults)
        app.router.add_get("/_emulator/world", self._admin_world)
        app.router.add_put("/_emulator/world", self._admin_put_world)
        app.router.add_put("/_emulator/rate_limits", self._admin_rate_limits)
        app.router.add_delete("/_emulator/nonces", self._admin_forget_nonces)
        app.router.add_put("/_emulator/nonces", self._admin_nonce_ttl)
        app.router.add_put("/_emulator/latency", self._admin_latency)
        return app

    def _limit_for(self, spec: _Route) -> tuple[str, int, float]:
        key = f"{spec.method} {spec.path}"
        limit, per = self.rate_limits.get(key, self.default_limit)
        return key, limit, per

    def _take_fault(self, key: str) -> Fault | None:
        for fault in self.faults:
            if fault.count > 0 and fnmatch.fnmatchcase(key, fault.pattern):
                fault.count -= 1
                return fault
        return None

    def _wrap(self, spec: _Route) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handle(request: web.Request) -> web.Response:
            path = request.path[len(API_PREFIX) :]
            status, body, headers = await self._dispatch(spec, request, path)
            self.log.append(LogEntry(spec.method, path, status))
            key = f"{spec.method} {path}"
            stall = next((s for p, s in self.latency.items() if fnmatch.fnmatchcase(key, p)), 0)
            if stall > 0:
                await asyncio.sleep(stall)
            return _json_response(status, body, headers)

        return handle

    async def _dispatch(
        self, spec: _Route, request: web.Request, path: str
    ) -> tuple[int, Any, dict[str, str]]:
        params = dict(request.match_info)
        if "guild_id" in params:  # a sandbox world emulates every guild it is asked about
            self.world.adopt_guild(params["guild_id"])
        bucket_key, limit, per = self._limit_for(spec)
        major = params.get("channel_id") or params.get("guild_id") or params.get("webhook_id", "")
        bucket = self.buckets.setdefault(bucket_key, Bucket(limit, per))
        bucket_hash = hashlib.sha1(bucket_key.encode()).hexdigest()[:16]
        headers: dict[str, str] = {}

        def rl_headers(remaining: int, reset_after: float) -> dict[str, str]:
            reset_after = math.ceil(reset_after * 1000) / 1000
            return {
                "X-RateLimit-Limit": str(bucket.limit),
                "X-RateLimit-Remaining": str(remaining),
                "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
                "X-RateLimit-Reset-After": f"{reset_after:.3f}",
                "X-RateLimit-Bucket": bucket_hash,
            }

        if spec.auth:
            auth = request.headers.get("Authorization", "")
            if not auth.startswith("Bot ") or len(auth) <= 4:
                return 401, {"message": "401: Unauthorized", "code": 0}, {}

        fault = self._take_fault(f"{spec.method} {path}")
        if fault is not None and not fault.after:
            return self._fault_answer(fault, bucket, rl_headers)

        allowed, remaining, reset_after = bucket.hit(major, time.monotonic())
        headers = rl_headers(remaining, reset_after)
        if not allowed:
            self.rate_limited += 1
            headers["Retry-After"] = str(math.ceil(reset_after))
            headers["Via"] = "1.1 google"
            headers["X-RateLimit-Scope"] = "user"
            body = {
                "message": "You are being rate limited.",
                "retry_after": round(reset_after, 3),
                "global": False,
            }
            return 429, body, headers

        try:
            raw = await request.read()
            body_in: Any = json.loads(raw) if raw else None
        except ValueError:
            return 400, {"message": "400: Bad Request", "code": 50109}, headers
        ctx = Ctx(request, params, body_in, self.world, self)
        try:
            if spec.permission:
                self._check_permission(ctx, spec.permission)
            status, body = await spec.handler(ctx)
        except ApiError as exc:
            return exc.status, exc.body(), headers
        if fault is not None:
            return self._fault_answer(fault, bucket, rl_headers)
        return status, body, headers

    def _fault_answer(
        self, fault: Fault, bucket: Bucket, rl_headers: Callable[[int, float], dict[str, str]]
    ) -> tuple[int, Any, dict[str, str]]:
        if fault.status == 429:
            headers = {"Via": "1.1 google", "Retry-After": str(math.ceil(fault.retry_after))}
            body = {
                "message": "You are being rate limited.",
                "retry_after": fault.retry_after,
                "global": False,
            }
            return 429, body, {**rl_headers(0, fault.retry_after), **headers}
        body = {"message": f"{fault.status}: Injected fault", "code": 0}
        return fault.status, body, rl_headers(bucket.limit, bucket.per)

    def _guild_of(self, ctx: Ctx) -> str | None:
        if "guild_id" in ctx.params:
            return ctx.params["guild_id"]
        channel = self.world.channels.get(ctx.params.get("channel_id", ""))
        if channel is not None:
            return str(channel.get("guild_id"))
        hook = self.world.webhooks.get(ctx.params.get("webhook_id", ""))
        return str(hook["guild_id"]) if hook else None

    def _check_permission(self, ctx: Ctx, permission: str) -> None:
        guild_id = self._guild_of(ctx)
        if guild_id is None or guild_id not in self.world.guilds:
            return  # the handler answers 404
        if not self.world.bot_permissions(guild_id) & PERMISSIONS[permission]:
            raise missing_permissions()

    # ------------------------------------------------------------------ admin
    async def _admin_log(self, request: web.Request) -> web.Response:
        entries = [{"method": e.method, "path": e.path, "status": e.status} for e in self.log]
        return _json_response(200, entries, {})

    async def _admin_clear_log(self, request: web.Request) -> web.Response:
        self.log.clear()
        return _json_response(204, None, {})

    async def _admin_faults(self, request: web.Request) -> web.Response:
        data = await request.json()
        for item in data if isinstance(data, list) else [data]:
            self.inject(
                item["pattern"],
                status=int(item.get("status", 500)),
                count=int(item.get("count", 1)),
                retry_after=float(item.get("retry_after", 0.2)),
                after=bool(item.get("after", False)),
            )
        return _json_response(204, None, {})

    async def _admin_world(self, request: web.Request) -> web.Response:
        return _json_response(200, self.world.dump(), {})

    async def _admin_put_world(self, request: web.Request) -> web.Response:
        self.world = World(await request.json())
        return _json_response(204, None, {})

    async def _admin_forget_nonces(self, request: web.Request) -> web.Response:
        return _json_response(200, {"forgotten": self.forget_nonces()}, {})

    async def _admin_latency(self, request: web.Request) -> web.Response:
        self.latency = {str(k): float(v) for k, v in (await request.json()).items()}
        return _json_response(204, None, {})

    async def _admin_nonce_ttl(self, request: web.Request) -> web.Response:
        self.nonce_ttl = float((await request.json())["ttl"])
        return _json_response(204, None, {})

    async def _admin_rate_limits(self, request: web.Request) -> web.Response:
        data = await request.json()
        for key, (limit, per) in data.items():
            self.rate_limits[key] = (int(limit), float(per))
            self.buckets.pop(key, None)
        return _json_response(204, None, {})

    # ------------------------------------------------------------------ lookups
    def guild(self, guild_id: str) -> dict[str, Any]:
        guild = self.world.guilds.get(guild_id)
        if guild is None:
            raise unknown("Guild")
        return guild  # type: ignore[no-any-return]

    def channel(self, channel_id: str) -> dict[str, Any]:
        channel = self.world.channels.get(channel_id)
        if channel is None:
            raise unknown("Channel")
        return channel  # type: ignore[no-any-return]

    def message(self, channel_id: str, message_id: str) -> dict[str, Any]:
        self.channel(channel_id)
        message = self.world.messages.get(channel_id, {}).get(message_id)
        if message is None:
            raise unknown("Message")
        found: dict[str, Any] = message
        return found

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

    def _body(self, ctx: Ctx) -> dict[str, Any]:
        if ctx.body is None:
            return {}
        if not isinstance(ctx.body, dict):
            raise invalid("_", "Expected an object")
        return ctx.body

    # ------------------------------------------------------------------ users, guild
    @route("GET", "/users/@me")
    async def get_me(self, ctx: Ctx) -> tuple[int, Any]:
        return 200, {**self.world.data["bot"], "discriminator": "0", "avatar": None}

    @route("GET", "/oauth2/applications/@me")
    async def get_application(self, ctx: Ctx) -> tuple[int, Any]:
        bot = self.world.data["bot"]
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

    def _guild_json(self, guild: dict[str, Any], counts: bool) -> dict[str, Any]:
        out = {k: v for k, v in guild.items() if k not in ("members", "bans", "events", "invites")}
        out["roles"] = list(guild["roles"].values())
        if counts:
            out["approximate_member_count"] = len(guild["members"])
            out["approximate_presence_count"] = len(guild["members"])
        return out

    @route("GET", "/guilds/{guild_id}")
    async def get_guild(self, ctx: Ctx) -> tuple[int, Any]:
        guild = self.guild(ctx.params["guild_id"])
        return 200, self._guild_json(guild, ctx.q("with_counts") == "true")

    @route("PATCH", "/guilds/{guild_id}", "manage_guild")
    async def edit_guild(self, ctx: Ctx) -> tuple[int, Any]:
        guild = self.guild(ctx.params["guild_id"])
        for key in ("name", "description", "verification_level"):
            if key in self._body(ctx):
                guild[key] = self._body(ctx)[key]
        return 200, self._guild_json(guild, False)

    # ------------------------------------------------------------------ channels
    def _guild_channels(self, guild_id: str) -> list[dict[str, Any]]:
        return [c for c in self.world.channels.values() if c.get("guild_id") == guild_id]

    @route("GET", "/guilds/{guild_id}/channels")
    async def list_channels(self, ctx: Ctx) -> tuple[int, Any]:
        self.guild(ctx.params["guild_id"])
        found = self._guild_channels(ctx.params["guild_id"])
        return 200, [_public(c) for c in found if c["type"] not in THREAD_TYPES]

    def _apply_channel_fields(self, channel: dict[str, Any], body: dict[str, Any]) -> None:
        guild_id = channel["guild_id"]
        if "name" in body:
            name = body["name"]
            if not isinstance(name, str) or not 1 <= len(name) <= 100:
                raise invalid(
                    "name", "Must be between 1 and 100 in length.", "BASE_TYPE_BAD_LENGTH"
                )
            channel["name"] = name.lower().replace(" ", "-") if channel["type"] == 0 else name
        if "parent_id" in body:
            parent = body["parent_id"]
            if parent is not None:
                cat = self.world.channels.get(str(parent))
                if cat is None or cat["type"] != 4 or cat["guild_id"] != guild_id:
                    raise invalid("parent_id", "Category does not exist")
                parent = str(parent)
            channel["parent_id"] = parent
        if "topic" in body:
            topic = body["topic"]
            if topic is not None and len(topic) > 1024:
                raise invalid("topic", "Must be 1024 or fewer in length.", "BASE_TYPE_MAX_LENGTH")
            channel["topic"] = topic
        for key in ("position", "nsfw", "rate_limit_per_user", "bitrate", "user_limit"):
            if key in body:
                channel[key] = body[key]
        if "permission_overwrites" in body:
            channel["permission_overwrites"] = [
                {
                    "id": str(o["id"]),
                    "type": int(o.get("type", 0)),
                    "allow": str(o.get("allow", "0")),
                    "deny": str(o.get("deny", "0")),
                }
                for o in body["permission_overwrites"]
            ]
        for key in ("archived", "locked", "auto_archive_duration"):
            if key in body and channel["type"] in THREAD_TYPES:
                channel.setdefault("thread_metadata", {})[key] = body[key]

    @route("POST", "/guilds/{guild_id}/channels", "manage_channels")
    async def create_channel(self, ctx: Ctx) -> tuple[int, Any]:
        guild_id = ctx.params["guild_id"]
        self.guild(guild_id)
        body = self._body(ctx)
        if not body.get("name"):
            raise invalid("name", "This field is required", "BASE_TYPE_REQUIRED")
        kind = int(body.get("type", 0))
        if kind not in (0, 2, 4, 5, 13, 15):
            raise invalid("type", "Value is not a valid enum value.")
        position = len(self._guild_channels(guild_id))
        channel: dict[str, Any] = {
            "id": self.world.snowflake(),
            "type": kind,
            "guild_id": guild_id,
            "name": "",
            "position": position,
            "permission_overwrites": [],
            "parent_id": None,
            "nsfw": False,
        }
        if kind in (0, 5, 15):
            channel.update(topic=None, rate_limit_per_user=0, last_message_id=None)
        if kind == 2:
            channel.update(bitrate=64000, user_limit=0, rtc_region=None)
        self._apply_channel_fields(channel, body)
        self.world.channels[channel["id"]] = channel
        return 201, _public(channel)

    @route("GET", "/channels/{channel_id}")
    async def get_channel(self, ctx: Ctx) -> tuple[int, Any]:
        return 200, _public(self.channel(ctx.params["channel_id"]))

    @route("PATCH", "/channels/{channel_id}", "manage_channels")
    async def edit_channel(self, ctx: Ctx) -> tuple[int, Any]:
        channel = self.channel(ctx.params["channel_id"])
        self._apply_channel_fields(channel, self._body(ctx))
        return 200, _public(channel)

    @route("DELETE", "/channels/{channel_id}", "manage_channels")
    async def delete_channel(self, ctx: Ctx) -> tuple[int, Any]:
        channel = self.world.channels.pop(ctx.params["channel_id"], None)
        if channel is None:
            raise unknown("Channel")
        self.world.messages.pop(channel["id"], None)
        for other in self.world.channels.values():
            if other.get("parent_id") == channel["id"]:
                other["parent_id"] = None
        return 200, _public(channel)

    @route("PUT", "/channels/{channel_id}/permissions/{target_id}", "manage_roles")
    async def put_overwrite(self, ctx: Ctx) -> tuple[int, Any]:
        channel = self.channel(ctx.params["channel_id"])
        body = self._body(ctx)
        target = ctx.params["target_id"]
        if "type" not in body:
            raise invalid("type", "This field is required", "BASE_TYPE_REQUIRED")
        guild = self.guild(channel["guild_id"])
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

    @route("DELETE", "/channels/{channel_id}/permissions/{target_id}", "manage_roles")
    async def delete_overwrite(self, ctx: Ctx) -> tuple[int, Any]:
        channel = self.channel(ctx.params["channel_id"])
        target = ctx.params["target_id"]
        channel["permission_overwrites"] = [
            o for o in channel["permission_overwrites"] if o["id"] != target
        ]
        return 204, None

    # ------------------------------------------------------------------ invites
    def _invite_json(self, invite: dict[str, Any]) -> dict[str, Any]:
        channel = self.world.channels.get(invite["channel_id"], {})
        guild = self.world.guilds.get(invite["guild_id"], {})
        return {
            **invite,
            "type": 0,
            "channel": {"id": invite["channel_id"], "name": channel.get("name"), "type": 0},
            "guild": {"id": invite["guild_id"], "name": guild.get("name")},
        }

    @route("POST", "/channels/{channel_id}/invites", "create_instant_invite")
    async def create_invite(self, ctx: Ctx) -> tuple[int, Any]:
        channel = self.channel(ctx.params["channel_id"])
        body = self._body(ctx)
        code = hashlib.sha1(self.world.snowflake().encode()).hexdigest()[:8]
        invite = {
            "code": code,
            "channel_id": channel["id"],
            "guild_id": channel["guild_id"],
            "max_age": int(body.get("max_age", 86400)),
            "max_uses": int(body.get("max_uses", 0)),
            "temporary": bool(body.get("temporary", False)),
            "uses": 0,
            "created_at": _now_iso(),
        }
        self.guild(channel["guild_id"])["invites"][code] = invite
        return 200, self._invite_json(invite)

    @route("GET", "/channels/{channel_id}/invites", "manage_channels")
    async def channel_invites(self, ctx: Ctx) -> tuple[int, Any]:
        channel = self.channel(ctx.params["channel_id"])
        invites = self.guild(channel["guild_id"])["invites"].values()
        return 200, [self._invite_json(i) for i in invites if i["channel_id"] == channel["id"]]

    @route("GET", "/guilds/{guild_id}/invites", "manage_guild")
    async def guild_invites(self, ctx: Ctx) -> tuple[int, Any]:
        invites = self.guild(ctx.params["guild_id"])["invites"].values()
        return 200, [self._invite_json(i) for i in invites]

    # ------------------------------------------------------------------ roles
    @route("GET", "/guilds/{guild_id}/roles")
    async def list_roles(self, ctx: Ctx) -> tuple[int, Any]:
        return 200, list(self.guild(ctx.params["guild_id"])["roles"].values())

    @route("GET", "/guilds/{guild_id}/roles/{role_id}")
    async def get_role(self, ctx: Ctx) -> tuple[int, Any]:
        return 200, self.role(ctx.params["guild_id"], ctx.params["role_id"])

    def _apply_role_fields(self, role: dict[str, Any], body: dict[str, Any]) -> None:
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

    @route("POST", "/guilds/{guild_id}/roles", "manage_roles")
    async def create_role(self, ctx: Ctx) -> tuple[int, Any]:
        guild = self.guild(ctx.params["guild_id"])
        role: dict[str, Any] = {
            "id": self.world.snowflake(),
            "name": "new role",
            "color": 0,
            "hoist": False,
            "mentionable": False,
            "managed": False,
            "permissions": guild["roles"][guild["id"]]["permissions"],
            "position": 1,
            "flags": 0,
        }
        self._apply_role_fields(role, self._body(ctx))
        guild["roles"][role["id"]] = role
        return 200, role

    @route("PATCH", "/guilds/{guild_id}/roles/{role_id}", "manage_roles")
    async def edit_role(self, ctx: Ctx) -> tuple[int, Any]:
        role = self.role(ctx.params["guild_id"], ctx.params["role_id"])
        self._apply_role_fields(role, self._body(ctx))
        return 200, role

    @route("DELETE", "/guilds/{guild_id}/roles/{role_id}", "manage_roles")
    async def delete_role(self, ctx: Ctx) -> tuple[int, Any]:
        guild = self.guild(ctx.params["guild_id"])
        role_id = ctx.params["role_id"]
        if role_id not in guild["roles"] or role_id == guild["id"]:
            raise unknown("Role")
        del guild["roles"][role_id]
        for member in guild["members"].values():
            if role_id in member["roles"]:
                member["roles"].remove(role_id)
        return 204, None

    @route("PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}", "manage_roles")
    async def add_member_role(self, ctx: Ctx) -> tuple[int, Any]:
        member = self.member(ctx.params["guild_id"], ctx.params["user_id"])
        self.role(ctx.params["guild_id"], ctx.params["role_id"])
        if ctx.params["role_id"] not in member["roles"]:
            member["roles"].append(ctx.params["role_id"])
        return 204, None

    @route("DELETE", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}", "manage_roles")
    async def remove_member_role(self, ctx: Ctx) -> tuple[int, Any]:
        member = self.member(ctx.params["guild_id"], ctx.params["user_id"])
        self.role(ctx.params["guild_id"], ctx.params["role_id"])
        if ctx.params["role_id"] in member["roles"]:
            member["roles"].remove(ctx.params["role_id"])
        return 204, None

    # ------------------------------------------------------------------ members, bans
    @route("GET", "/guilds/{guild_id}/members")
    async def list_members(self, ctx: Ctx) -> tuple[int, Any]:
        members = sorted(
            self.guild(ctx.params["guild_id"])["members"].values(),
            key=lambda m: int(m["user"]["id"]),
        )
        after = int(ctx.q("after") or 0)
        limit = int(ctx.q("limit") or 1)
        return 200, [m for m in members if int(m["user"]["id"]) > after][:limit]

    @route("GET", "/guilds/{guild_id}/members/{user_id}")
    async def get_member(self, ctx: Ctx) -> tuple[int, Any]:
        return 200, self.member(ctx.params["guild_id"], ctx.params["user_id"])

    @route("PATCH", "/guilds/{guild_id}/members/{user_id}")
    async def edit_member(self, ctx: Ctx) -> tuple[int, Any]:
        guild_id = ctx.params["guild_id"]
        member = self.member(guild_id, ctx.params["user_id"])
        body = self._body(ctx)
        need = {
            "nick": "manage_nicknames",
            "roles": "manage_roles",
            "mute": "moderate_members",
            "deaf": "moderate_members",
            "communication_disabled_until": "moderate_members",
        }
        for key, permission in need.items():
            if key in body:
                self._check_permission(ctx, permission)
        if "roles" in body:
            for rid in body["roles"]:
                self.role(guild_id, str(rid))
            member["roles"] = [str(r) for r in body["roles"]]
        for key in ("nick", "mute", "deaf", "communication_disabled_until"):
            if key in body:
                member[key] = body[key]
        return 200, member

    @route("DELETE", "/guilds/{guild_id}/members/{user_id}", "kick_members")
    async def kick_member(self, ctx: Ctx) -> tuple[int, Any]:
        self.member(ctx.params["guild_id"], ctx.params["user_id"])
        del self.guild(ctx.params["guild_id"])["members"][ctx.params["user_id"]]
        return 204, None

    @route("PUT", "/guilds/{guild_id}/bans/{user_id}", "ban_members")
    async def ban_member(self, ctx: Ctx) -> tuple[int, Any]:
        guild = self.guild(ctx.params["guild_id"])
        user_id = ctx.params["user_id"]
        member = guild["members"].pop(user_id, None)
        user = member["user"] if member else self.world.data["users"].get(user_id)
        if user is None:
            raise unknown("User")
        reason = ctx.request.headers.get("X-Audit-Log-Reason")
        guild["bans"][user_id] = {"user": user, "reason": reason}
        return 204, None

    @route("DELETE", "/guilds/{guild_id}/bans/{user_id}", "ban_members")
    async def unban_member(self, ctx: Ctx) -> tuple[int, Any]:
        guild = self.guild(ctx.params["guild_id"])
        if guild["bans"].pop(ctx.params["user_id"], None) is None:
            raise unknown("Ban")
        return 204, None

    @route("GET", "/guilds/{guild_id}/bans", "ban_members")
    async def list_bans(self, ctx: Ctx) -> tuple[int, Any]:
        return 200, list(self.guild(ctx.params["guild_id"])["bans"].values())

    @route("GET", "/guilds/{guild_id}/emojis")
    async def list_emojis(self, ctx: Ctx) -> tuple[int, Any]:
        return 200, self.guild(ctx.params["guild_id"])["emojis"]

    @route("GET", "/guilds/{guild_id}/stickers")
    async def list_stickers(self, ctx: Ctx) -> tuple[int, Any]:
        return 200, self.guild(ctx.params["guild_id"])["stickers"]

    # ------------------------------------------------------------------ messages
    def _new_message(
        self, channel: dict[str, Any], body: dict[str, Any], author: dict[str, Any]
    ) -> dict[str, Any]:
        content = body.get("content") or ""
        if not isinstance(content, str):
            raise invalid("content", "Could not interpret value as string.")
        if len(content) > 2000:
            raise invalid("content", "Must be 2000 or fewer in length.", "BASE_TYPE_MAX_LENGTH")
        if not content and not body.get("embeds"):
            raise ApiError(400, 50006, "Cannot send an empty message")
        allowed = body.get("allowed_mentions")
        parse = set(allowed.get("parse", [])) if allowed else {"users", "roles", "everyone"}
        users = set(allowed.get("users", [])) if allowed else set()
        roles = set(allowed.get("roles", [])) if allowed else set()
        mention_users = [
            u for u in _MENTION_USER.findall(content) if "users" in parse or u in users
        ]
        mention_roles = [
            r for r in _MENTION_ROLE.findall(content) if "roles" in parse or r in roles
        ]
        everyone = "everyone" in parse and ("@everyone" in content or "@here" in content)
        message: dict[str, Any] = {
            "id": self.world.snowflake(),
            "type": 0,
            "channel_id": channel["id"],
            "guild_id": channel.get("guild_id"),
            "author": dict(author),
            "content": content,
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": everyone,
            "mentions": [{"id": u, "username": u} for u in mention_users],
            "mention_roles": mention_roles,
            "attachments": [],
            "embeds": list(body.get("embeds") or []),
            "pinned": False,
            "nonce": body.get("nonce"),
            "reactions": [],
            "_allowed_mentions": allowed,
            "_reactions": {},
        }
        self.world.messages.setdefault(channel["id"], {})[message["id"]] = message
        channel["last_message_id"] = message["id"]
        return message

    def _message_json(self, message: dict[str, Any]) -> dict[str, Any]:
        out = _public(message)
        if not self._nonce_alive(message):
            out.pop("nonce", None)
        out["reactions"] = [
            {"emoji": {"id": None, "name": e}, "count": len(u), "me": self.world.bot_id in u}
            for e, u in message.get("_reactions", {}).items()
            if u
        ]
        return out

    @route("POST", "/channels/{channel_id}/messages", "send_messages")
    async def create_message(self, ctx: Ctx) -> tuple[int, Any]:
        channel = self.channel(ctx.params["channel_id"])
        body = self._body(ctx)
        nonce = body.get("nonce")
        seen = self.world.data["nonces"].setdefault(channel["id"], {})
        if nonce is not None and body.get("enforce_nonce"):
            if len(str(nonce)) > 25:
                raise invalid("nonce", "Must be 25 or fewer in length.", "BASE_TYPE_MAX_LENGTH")
            existing = self.world.messages.get(channel["id"], {}).get(seen.get(str(nonce), ""))
            if existing is not None and self._nonce_alive(existing):
                return 200, self._message_json(existing)
        message = self._new_message(channel, body, self.world.data["bot"])
        if nonce is not None:
            seen[str(nonce)] = message["id"]
        return 200, self._message_json(message)

    @route("GET", "/channels/{channel_id}/messages", "read_message_history")
    async def list_messages(self, ctx: Ctx) -> tuple[int, Any]:
        self.channel(ctx.params["channel_id"])
        found = sorted(
            self.world.messages.get(ctx.params["channel_id"], {}).values(),
            key=lambda m: int(m["id"]),
            reverse=True,
        )
        before, after = ctx.q("before"), ctx.q("after")
        if before:
            found = [m for m in found if int(m["id"]) < int(before)]
        limit = max(1, min(100, int(ctx.q("limit") or 50)))
        if after and not before:
            # as Discord: the `limit` messages right after `after`, newest first
            found = [m for m in found if int(m["id"]) > int(after)][-limit:]
        elif after:
            found = [m for m in found if int(m["id"]) > int(after)]
        return 200, [self._message_json(m) for m in found[:limit]]

    # The current pins routes (``/messages/pins``); registered before
    # ``/messages/{message_id}`` so that "pins" is never read as a message id.
    @route("GET", "/channels/{channel_id}/messages/pins", "read_message_history")
    async def list_message_pins(self, ctx: Ctx) -> tuple[int, Any]:
        self.channel(ctx.params["channel_id"])
        found = [
            m for m in self.world.messages.get(ctx.params["channel_id"], {}).values() if m["pinned"]
        ]
        found.sort(key=lambda m: (m.get("_pinned_at") or "", int(m["id"])), reverse=True)
        before = ctx.q("before")
        if before:
            found = [m for m in found if (m.get("_pinned_at") or "") < before]
        limit = max(1, min(50, int(ctx.q("limit") or 50)))
        items = [
            {"pinned_at": m.get("_pinned_at") or m["timestamp"], "message": self._message_json(m)}
            for m in found[:limit]
        ]
        return 200, {"items": items, "has_more": len(found) > limit}

    @route("PUT", "/channels/{channel_id}/messages/pins/{message_id}", "manage_messages")
    async def create_pin(self, ctx: Ctx) -> tuple[int, Any]:
        return self._set_pinned(ctx, True)

    @route("DELETE", "/channels/{channel_id}/messages/pins/{message_id}", "manage_messages")
    async def delete_pin(self, ctx: Ctx) -> tuple[int, Any]:
        return self._set_pinned(ctx, False)

    @route("GET", "/channels/{channel_id}/messages/{message_id}", "read_message_history")
    async def get_message(self, ctx: Ctx) -> tuple[int, Any]:
        message = self.message(ctx.params["channel_id"], ctx.params["message_id"])
        return 200, self._message_json(message)

    @route("PATCH", "/channels/{channel_id}/messages/{message_id}")
    async def edit_message(self, ctx: Ctx) -> tuple[int, Any]:
        message = self.message(ctx.params["channel_id"], ctx.params["message_id"])
        if message["author"]["id"] != self.world.bot_id:
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        body = self._body(ctx)
        if "content" in body:
            content = body["content"] or ""
            if len(content) > 2000:
                raise invalid("content", "Must be 2000 or fewer in length.", "BASE_TYPE_MAX_LENGTH")
            message["content"] = content
        if "embeds" in body:
            message["embeds"] = list(body["embeds"] or [])
        message["edited_timestamp"] = _now_iso()
        return 200, self._message_json(message)

    @route("DELETE", "/channels/{channel_id}/messages/{message_id}")
    async def delete_message(self, ctx: Ctx) -> tuple[int, Any]:
        message = self.message(ctx.params["channel_id"], ctx.params["message_id"])
        if message["author"]["id"] != self.world.bot_id:
            self._check_permission(ctx, "manage_messages")
        del self.world.messages[ctx.params["channel_id"]][message["id"]]
        return 204, None

    @route("POST", "/channels/{channel_id}/messages/bulk-delete", "manage_messages")
    async def bulk_delete(self, ctx: Ctx) -> tuple[int, Any]:
        self.channel(ctx.params["channel_id"])
        ids = [str(i) for i in self._body(ctx).get("messages", [])]
        if not 2 <= len(ids) <= 100:
            raise invalid(
                "messages", "Must be between 2 and 100 in length.", "BASE_TYPE_BAD_LENGTH"
            )
        store = self.world.messages.get(ctx.params["channel_id"], {})
        for mid in ids:
            store.pop(mid, None)
        return 204, None

    @route("GET", "/channels/{channel_id}/pins", "read_message_history")
    async def list_pins(self, ctx: Ctx) -> tuple[int, Any]:
        self.channel(ctx.params["channel_id"])
        found = self.world.messages.get(ctx.params["channel_id"], {}).values()
        return 200, [self._message_json(m) for m in found if m["pinned"]]

    @route("PUT", "/channels/{channel_id}/pins/{message_id}", "manage_messages")
    async def pin(self, ctx: Ctx) -> tuple[int, Any]:
        return self._set_pinned(ctx, True)

    @route("DELETE", "/channels/{channel_id}/pins/{message_id}", "manage_messages")
    async def unpin(self, ctx: Ctx) -> tuple[int, Any]:
        return self._set_pinned(ctx, False)

    def _set_pinned(self, ctx: Ctx, pinned: bool) -> tuple[int, Any]:
        message = self.message(ctx.params["channel_id"], ctx.params["message_id"])
        if pinned and not message["pinned"]:
            message["_pinned_at"] = _now_iso_ms()
        message["pinned"] = pinned
        return 204, None

    # ------------------------------------------------------------------ reactions
    _REACT = "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}"

    @route("PUT", _REACT + "/@me", "add_reactions")
    async def add_reaction(self, ctx: Ctx) -> tuple[int, Any]:
        message = self.message(ctx.params["channel_id"], ctx.params["message_id"])
        users = message["_reactions"].setdefault(ctx.params["emoji"], [])
        if self.world.bot_id not in users:
            users.append(self.world.bot_id)
        return 204, None

    @route("DELETE", _REACT + "/@me")
    async def remove_own_reaction(self, ctx: Ctx) -> tuple[int, Any]:
        message = self.message(ctx.params["channel_id"], ctx.params["message_id"])
        users = message["_reactions"].get(ctx.params["emoji"], [])
        if self.world.bot_id in users:
            users.remove(self.world.bot_id)
        return 204, None

    @route("DELETE", _REACT + "/{user_id}", "manage_messages")
    async def remove_user_reaction(self, ctx: Ctx) -> tuple[int, Any]:
        message = self.message(ctx.params["channel_id"], ctx.params["message_id"])
        users = message["_reactions"].get(ctx.params["emoji"], [])
        if ctx.params["user_id"] in users:
            users.remove(ctx.params["user_id"])
        return 204, None

    @route("GET", _REACT)
    async def list_reactions(self, ctx: Ctx) -> tuple[int, Any]:
        message = self.message(ctx.params["channel_id"], ctx.params["message_id"])
        users = message["_reactions"].get(ctx.params["emoji"], [])
        known = {self.world.bot_id: self.world.data["bot"], **self.world.data["users"]}
        return 200, [known.get(u, {"id": u, "username": u}) for u in users]

    @route("DELETE", _REACT, "manage_messages")
    async def clear_emoji_reactions(self, ctx: Ctx) -> tuple[int, Any]:
        message = self.message(ctx.params["channel_id"], ctx.params["message_id"])
        message["_reactions"].pop(ctx.params["emoji"], None)
        return 204, None

    @route("DELETE", "/channels/{channel_id}/messages/{message_id}/reactions", "manage_messages")
    async def clear_reactions(self, ctx: Ctx) -> tuple[int, Any]:
        self.message(ctx.params["channel_id"], ctx.params["message_id"])["_reactions"] = {}
        return 204, None

    # ------------------------------------------------------------------ threads, forum
    def _new_thread(
        self, parent: dict[str, Any], name: str, kind: int, body: dict[str, Any]
    ) -> dict[str, Any]:
        if not name:
            raise invalid("name", "This field is required", "BASE_TYPE_REQUIRED")
        thread: dict[str, Any] = {
            "id": self.world.snowflake(),
            "type": kind,
            "guild_id": parent["guild_id"],
            "parent_id": parent["id"],
            "name": name,
            "owner_id": self.world.bot_id,
            "rate_limit_per_user": int(body.get("rate_limit_per_user", 0)),
            "message_count": 0,
            "member_count": 1,
            "applied_tags": [str(t) for t in body.get("applied_tags", [])],
            "thread_metadata": {
                "archived": False,
                "locked": False,
                "auto_archive_duration": int(body.get("auto_archive_duration", 4320)),
                "archive_timestamp": _now_iso(),
            },
            "_members": [self.world.bot_id],
        }
        self.world.channels[thread["id"]] = thread
        return thread

    @route("POST", "/channels/{channel_id}/messages/{message_id}/threads", "create_public_threads")
    async def thread_from_message(self, ctx: Ctx) -> tuple[int, Any]:
        parent = self.channel(ctx.params["channel_id"])
        message = self.message(ctx.params["channel_id"], ctx.params["message_id"])
        body = self._body(ctx)
        kind = 10 if parent["type"] == 5 else 11
        thread = self._new_thread(parent, body.get("name", ""), kind, body)
        message["thread"] = _public(thread)
        return 201, _public(thread)

    @route("POST", "/channels/{channel_id}/threads", "create_public_threads")
    async def create_thread(self, ctx: Ctx) -> tuple[int, Any]:
        parent = self.channel(ctx.params["channel_id"])
        body = self._body(ctx)
        if parent["type"] == 15:
            first = body.get("message")
            if not isinstance(first, dict):
                raise invalid("message", "This field is required", "BASE_TYPE_REQUIRED")
            thread = self._new_thread(parent, body.get("name", ""), 11, body)
            message = self._new_message(thread, first, self.world.data["bot"])
            # a forum post's first message has the thread's id
            del self.world.messages[thread["id"]][message["id"]]
            message["id"] = thread["id"]
            self.world.messages[thread["id"]][thread["id"]] = message
            thread["message_count"] = 1
            return 201, {**_public(thread), "message": self._message_json(message)}
        kind = int(body.get("type", 11))
        if kind not in (10, 11, 12):
            raise invalid("type", "Value is not a valid enum value.")
        return 201, _public(self._new_thread(parent, body.get("name", ""), kind, body))

    @route("GET", "/guilds/{guild_id}/threads/active")
    async def active_threads(self, ctx: Ctx) -> tuple[int, Any]:
        self.guild(ctx.params["guild_id"])
        threads = [
            _public(c)
            for c in self._guild_channels(ctx.params["guild_id"])
            if c["type"] in THREAD_TYPES and not c["thread_metadata"]["archived"]
        ]
        return 200, {"threads": threads, "members": []}

    def _thread(self, ctx: Ctx) -> dict[str, Any]:
        thread = self.channel(ctx.params["channel_id"])
        if thread["type"] not in THREAD_TYPES:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        return thread

    @route("PUT", "/channels/{channel_id}/thread-members/@me")
    async def join_thread(self, ctx: Ctx) -> tuple[int, Any]:
        members = self._thread(ctx)["_members"]
        if self.world.bot_id not in members:
            members.append(self.world.bot_id)
        return 204, None

    @route("DELETE", "/channels/{channel_id}/thread-members/@me")
    async def leave_thread(self, ctx: Ctx) -> tuple[int, Any]:
        members = self._thread(ctx)["_members"]
        if self.world.bot_id in members:
            members.remove(self.world.bot_id)
        return 204, None

    @route("PUT", "/channels/{channel_id}/thread-members/{user_id}", "send_messages")
    async def add_thread_member(self, ctx: Ctx) -> tuple[int, Any]:
        thread = self._thread(ctx)
        self.member(thread["guild_id"], ctx.params["user_id"])
        if ctx.params["user_id"] not in thread["_members"]:
            thread["_members"].append(ctx.params["user_id"])
        return 204, None

    @route("DELETE", "/channels/{channel_id}/thread-members/{user_id}", "manage_threads")
    async def remove_thread_member(self, ctx: Ctx) -> tuple[int, Any]:
        thread = self._thread(ctx)
        if ctx.params["user_id"] in thread["_members"]:
            thread["_members"].remove(ctx.params["user_id"])
        return 204, None

    @route("GET", "/channels/{channel_id}/thread-members")
    async def list_thread_members(self, ctx: Ctx) -> tuple[int, Any]:
        thread = self._thread(ctx)
        return 200, [{"id": thread["id"], "user_id": u} for u in thread["_members"]]

    # ------------------------------------------------------------------ scheduled events
    _EVENTS = "/guilds/{guild_id}/scheduled-events"

    def _apply_event(self, event: dict[str, Any], body: dict[str, Any]) -> None:
        for key in (
            "name",
            "description",
            "scheduled_start_time",
            "scheduled_end_time",
            "entity_type",
            "status",
            "privacy_level",
        ):
            if key in body:
                event[key] = body[key]
        if "channel_id" in body:
            event["channel_id"] = str(body["channel_id"]) if body["channel_id"] else None
        if "entity_metadata" in body:
            event["entity_metadata"] = body["entity_metadata"]
        if event.get("entity_type") == 3 and not event.get("scheduled_end_time"):
            raise invalid(
                "scheduled_end_time", "Required for external events", "BASE_TYPE_REQUIRED"
            )

    @route("POST", _EVENTS, "manage_events")
    async def create_event(self, ctx: Ctx) -> tuple[int, Any]:
        guild = self.guild(ctx.params["guild_id"])
        body = self._body(ctx)
        for key in ("name", "scheduled_start_time", "entity_type"):
            if key not in body:
                raise invalid(key, "This field is required", "BASE_TYPE_REQUIRED")
        event: dict[str, Any] = {
            "id": self.world.snowflake(),
            "guild_id": guild["id"],
            "creator_id": self.world.bot_id,
            "description": None,
            "scheduled_end_time": None,
            "channel_id": None,
            "entity_id": None,
            "entity_metadata": None,
            "status": 1,
            "privacy_level": 2,
        }
        self._apply_event(event, body)
        guild["events"][event["id"]] = event
        return 200, event

    @route("GET", _EVENTS)
    async def list_events(self, ctx: Ctx) -> tuple[int, Any]:
        return 200, list(self.guild(ctx.params["guild_id"])["events"].values())

    def _event(self, ctx: Ctx) -> dict[str, Any]:
        event = self.guild(ctx.params["guild_id"])["events"].get(ctx.params["event_id"])
        if event is None:
            raise unknown("Guild Scheduled Event")
        return event  # type: ignore[no-any-return]

    @route("GET", _EVENTS + "/{event_id}")
    async def get_event(self, ctx: Ctx) -> tuple[int, Any]:
        return 200, self._event(ctx)

    @route("PATCH", _EVENTS + "/{event_id}", "manage_events")
    async def edit_event(self, ctx: Ctx) -> tuple[int, Any]:
        event = self._event(ctx)
        self._apply_event(event, self._body(ctx))
        return 200, event

    @route("DELETE", _EVENTS + "/{event_id}", "manage_events")
    async def delete_event(self, ctx: Ctx) -> tuple[int, Any]:
        self._event(ctx)
        del self.guild(ctx.params["guild_id"])["events"][ctx.params["event_id"]]
        return 204, None

    # ------------------------------------------------------------------ webhooks
    def _webhook_json(self, hook: dict[str, Any]) -> dict[str, Any]:
        return {**hook, "url": f"{self.url}/webhooks/{hook['id']}/{hook['token']}"}

    @route("POST", "/channels/{channel_id}/webhooks", "manage_webhooks")
    async def create_webhook(self, ctx: Ctx) -> tuple[int, Any]:
        channel = self.channel(ctx.params["channel_id"])
        name = self._body(ctx).get("name")
        if not name:
            raise invalid("name", "This field is required", "BASE_TYPE_REQUIRED")
        hook_id = self.world.snowflake()
        hook = {
            "id": hook_id,
            "type": 1,
            "guild_id": channel["guild_id"],
            "channel_id": channel["id"],
            "name": name,
            "avatar": None,
            "application_id": None,
            "token": hashlib.sha256(hook_id.encode()).hexdigest()[:40],
            "user": self.world.data["bot"],
        }
        self.world.webhooks[hook_id] = hook
        return 200, self._webhook_json(hook)

    @route("GET", "/channels/{channel_id}/webhooks", "manage_webhooks")
    async def channel_webhooks(self, ctx: Ctx) -> tuple[int, Any]:
        channel = self.channel(ctx.params["channel_id"])
        hooks = self.world.webhooks.values()
        return 200, [self._webhook_json(h) for h in hooks if h["channel_id"] == channel["id"]]

    @route("GET", "/guilds/{guild_id}/webhooks", "manage_webhooks")
    async def guild_webhooks(self, ctx: Ctx) -> tuple[int, Any]:
        guild = self.guild(ctx.params["guild_id"])
        hooks = self.world.webhooks.values()
        return 200, [self._webhook_json(h) for h in hooks if h["guild_id"] == guild["id"]]

    @route("DELETE", "/webhooks/{webhook_id}", "manage_webhooks")
    async def delete_webhook(self, ctx: Ctx) -> tuple[int, Any]:
        if self.world.webhooks.pop(ctx.params["webhook_id"], None) is None:
            raise unknown("Webhook")
        return 204, None

    @route("POST", "/webhooks/{webhook_id}/{webhook_token}", auth=False)
    async def execute_webhook(self, ctx: Ctx) -> tuple[int, Any]:
        hook = self.world.webhooks.get(ctx.params["webhook_id"])
        if hook is None or hook["token"] != ctx.params["webhook_token"]:
            raise unknown("Webhook")
        channel = self.channel(hook["channel_id"])
        body = self._body(ctx)
        author = {
            "id": hook["id"],
            "username": body.get("username") or hook["name"],
            "bot": True,
        }
        message = self._new_message(channel, body, author)
        message["webhook_id"] = hook["id"]
        if ctx.q("wait") == "true":
            return 200, self._message_json(message)
        return 204, None


def _json_response(status: int, body: Any, headers: dict[str, str]) -> web.Response:
    if status == 204 or body is None:
        return web.Response(status=status if status != 200 else 204, headers=headers)
    data = json.dumps(body).encode()
    return web.Response(
        status=status, body=data, headers={**headers, "Content-Type": "application/json"}
    )


async def serve_forever(emulator: Emulator) -> None:
    """Run until cancelled (the ``python -m`` entry point)."""
    await emulator.start()
    try:
        await asyncio.Event().wait()
    finally:
        await emulator.stop()
