"""The emulator's server: lifecycle, the request pipeline, buckets, faults, control.

Realistic where discord.py looks: ``Content-Type: application/json`` exactly,
``X-RateLimit-*`` headers on every answer, 429 with ``Via`` and a JSON
``retry_after``, Discord's error bodies and codes (``errors.py``), permission
checks for the bot's role, nonce + ``enforce_nonce`` dedupe for ``nonce_ttl``
seconds (Discord honours a nonce for a few minutes only; ``DELETE
/_emulator/nonces`` forgets them all at once). Tests and benchmarks read the
request log; faults (429/5xx for the next N requests on a route) are injectable
in-process or over ``/_emulator/faults`` from another process.

A request goes: authentication → an injected fault → its rate-limit bucket →
JSON body → the route's permission → the route (``routes/<noun>.py``) → the
log → the configured latency → the answer.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from narrator.clock import SystemClock
from narrator.platforms.emulator.errors import (
    ApiError,
    bad_json_body,
    injected_fault_body,
    rate_limited_body,
    route_error_body,
    unauthorized_body,
)
from narrator.platforms.emulator.routes import ALL_ROUTES, Ctx, Route
from narrator.platforms.emulator.routes.base import check_permission
from narrator.platforms.emulator.world import World
from narrator.protocols import Clock

API_PREFIX = "/api/v10"
DEFAULT_LIMIT: tuple[int, float] = (50, 1.0)
# How long a message nonce dedupes a send (and is returned on the message). Discord
# documents "a few minutes"; tests shorten it or forget nonces at once.
DEFAULT_NONCE_TTL = 300.0

Answer = tuple[int, Any, dict[str, str]]  # status, JSON body, headers


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
    """A fixed-window rate limit per route, counted per major parameter."""

    limit: int
    per: float
    windows: dict[str, _Window] = field(default_factory=dict)

    def hit(self, major: str, now: float) -> tuple[bool, int, float]:
        """(allowed, remaining, reset_after) for one request at monotonic ``now``."""
        window = self.windows.setdefault(major, _Window(now, 0))
        if now >= window.start + self.per:
            window.start, window.count = now, 0
        reset_after = window.start + self.per - now
        if window.count >= self.limit:
            return False, 0, reset_after
        window.count += 1
        return True, self.limit - window.count, reset_after

    def headers(self, key: str, remaining: int, reset_after: float, now: float) -> dict[str, str]:
        """The ``X-RateLimit-*`` headers; ``now`` in Unix seconds."""
        reset_after = math.ceil(reset_after * 1000) / 1000
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": f"{now + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": hashlib.sha1(key.encode()).hexdigest()[:16],
        }


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
        clock: Clock | None = None,
    ) -> None:
        # one clock for snowflakes, timestamps, nonce ages, buckets and latency
        self.clock: Clock = clock or SystemClock()
        self.world = world or World()
        self.world.clock = self.clock
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
        return self.world.forget_nonces()

    def reads(self) -> list[LogEntry]:
        return [e for e in self.log if not e.is_write]

    def writes(self) -> list[LogEntry]:
        return [e for e in self.log if e.is_write]

    def clear_log(self) -> None:
        self.log.clear()

    # ------------------------------------------------------------------ pipeline
    def _build_app(self) -> web.Application:
        app = web.Application(client_max_size=8 * 1024 * 1024, middlewares=[_json_errors])
        for spec in ALL_ROUTES:
            app.router.add_route(spec.method, API_PREFIX + spec.path, self._wrap(spec))
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

    def _take_fault(self, key: str) -> Fault | None:
        for fault in self.faults:
            if fault.count > 0 and fnmatch.fnmatchcase(key, fault.pattern):
                fault.count -= 1
                return fault
        return None

    def _wrap(self, spec: Route) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handle(request: web.Request) -> web.Response:
            path = request.path[len(API_PREFIX) :]
            status, body, headers = await self._dispatch(spec, request, path)
            self.log.append(LogEntry(spec.method, path, status))
            key = f"{spec.method} {path}"
            stall = next((s for p, s in self.latency.items() if fnmatch.fnmatchcase(key, p)), 0)
            if stall > 0:
                await self.clock.sleep(stall)
            return json_response(status, body, headers)

        return handle

    async def _dispatch(self, spec: Route, request: web.Request, path: str) -> Answer:
        params = dict(request.match_info)
        if "guild_id" in params:  # a sandbox world emulates every guild it is asked about
            self.world.adopt_guild(params["guild_id"])
        bucket_key = f"{spec.method} {spec.path}"
        limit, per = self.rate_limits.get(bucket_key, self.default_limit)
        major = params.get("channel_id") or params.get("guild_id") or params.get("webhook_id", "")
        bucket = self.buckets.setdefault(bucket_key, Bucket(limit, per))

        wall = self.clock.now().timestamp()
        if spec.auth:
            auth = request.headers.get("Authorization", "")
            if not auth.startswith("Bot ") or len(auth) <= 4:
                # as Discord: the bucket's headers on a 401 too (the request is not counted)
                window = bucket.windows.get(major)
                used = window.count if window else 0
                headers = bucket.headers(bucket_key, max(0, limit - used), per, wall)
                return 401, unauthorized_body(), headers

        fault = self._take_fault(f"{spec.method} {path}")
        if fault is not None and not fault.after:
            return _fault_answer(fault, bucket, bucket_key, wall)

        allowed, remaining, reset_after = bucket.hit(major, self.clock.monotonic())
        headers = bucket.headers(bucket_key, remaining, reset_after, wall)
        if not allowed:
            self.rate_limited += 1
            headers["Retry-After"] = str(math.ceil(reset_after))
            headers["Via"] = "1.1 google"
            headers["X-RateLimit-Scope"] = "user"
            return 429, rate_limited_body(round(reset_after, 3)), headers

        try:
            raw = await request.read()
            body_in: Any = json.loads(raw) if raw else None
        except ValueError:
            return 400, bad_json_body(), headers
        ctx = Ctx(request, params, body_in, self.world, self.nonce_ttl, self.url)
        try:
            if spec.permission:
                check_permission(ctx, spec.permission)
            status, body = spec.handler(ctx)
        except ApiError as exc:
            return exc.status, exc.body(), headers
        if fault is not None:
            return _fault_answer(fault, bucket, bucket_key, wall)
        return status, body, headers

    # ------------------------------------------------------------------ /_emulator/*
    async def _admin_log(self, request: web.Request) -> web.Response:
        entries = [{"method": e.method, "path": e.path, "status": e.status} for e in self.log]
        return json_response(200, entries, {})

    async def _admin_clear_log(self, request: web.Request) -> web.Response:
        self.log.clear()
        return json_response(204, None, {})

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
        return json_response(204, None, {})

    async def _admin_world(self, request: web.Request) -> web.Response:
        return json_response(200, self.world.dump(), {})

    async def _admin_put_world(self, request: web.Request) -> web.Response:
        self.world = World(await request.json(), clock=self.clock)
        return json_response(204, None, {})

    async def _admin_forget_nonces(self, request: web.Request) -> web.Response:
        return json_response(200, {"forgotten": self.forget_nonces()}, {})

    async def _admin_latency(self, request: web.Request) -> web.Response:
        self.latency = {str(k): float(v) for k, v in (await request.json()).items()}
        return json_response(204, None, {})

    async def _admin_nonce_ttl(self, request: web.Request) -> web.Response:
        self.nonce_ttl = float((await request.json())["ttl"])
        return json_response(204, None, {})

    async def _admin_rate_limits(self, request: web.Request) -> web.Response:
        data = await request.json()
        for key, (limit, per) in data.items():
            self.rate_limits[key] = (int(limit), float(per))
            self.buckets.pop(key, None)
        return json_response(204, None, {})


@web.middleware
async def _json_errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """An unknown route or a wrong method answers as Discord does: JSON
    ``{"message": "404: Not Found", "code": 0}`` (405: ``405: Method Not Allowed``),
    not aiohttp's plain text."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status not in (404, 405):
            raise
        return json_response(exc.status, route_error_body(exc.status, exc.reason), {})


def _fault_answer(fault: Fault, bucket: Bucket, key: str, now: float) -> Answer:
    if fault.status == 429:
        headers = {"Via": "1.1 google", "Retry-After": str(math.ceil(fault.retry_after))}
        body = rate_limited_body(fault.retry_after)
        return 429, body, {**bucket.headers(key, 0, fault.retry_after, now), **headers}
    return (
        fault.status,
        injected_fault_body(fault.status),
        bucket.headers(key, bucket.limit, bucket.per, now),
    )


def json_response(status: int, body: Any, headers: dict[str, str]) -> web.Response:
    """Discord's answer shape: exactly ``application/json``, or an empty 204."""
    if status == 204 or body is None:
        return web.Response(status=status if status != 200 else 204, headers=headers)
    data = json.dumps(body).encode()
    return web.Response(
        status=status, body=data, headers={**headers, "Content-Type": "application/json"}
    )
