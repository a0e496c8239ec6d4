"""The one module that talks to discord.py: login, requests, error translation.

REST-only: a ``discord.Client`` whose ``HTTPClient`` logs in with the token
(``GET /users/@me``) and then performs raw ``Route`` requests; no gateway.

What retries where (so nothing is doubled):

* discord.py itself waits on ``X-RateLimit-*`` headers before a 429, honours
  ``retry_after`` on a 429, and retries 500/502/504/524 up to five tries.
* tenacity here retries only what discord.py does not: other 5xx (503) and
  connection errors/timeouts, at most 3 attempts with bounded exponential
  backoff, and only for requests that are safe to repeat (GET/PUT/PATCH/DELETE,
  or a message POST carrying an enforced nonce).

Every foreign exception is translated into the narrator error tree in
:func:`translate`; the token is scrubbed from every message.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from typing import Any

import aiohttp
import discord
from discord.http import Route
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from narrator import logs, tracing
from narrator.clock import SystemClock
from narrator.errors import (
    ConfigError,
    NarratorError,
    PermissionDenied,
    PlatformError,
    RateLimited,
    ResourceNotFound,
)
from narrator.protocols import Clock

log = logging.getLogger("narrator.discord")

CURRENT_ACT: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "narrator_discord_act", default=None
)
MAX_RATELIMIT_WAIT = 60.0  # seconds we wait on one 429 before giving up (RateLimited)
_RETRIED_BY_DISCORD_PY = {500, 502, 504, 524}
_log = logs.get("discord.http")  # DEBUG each request; INFO a failed one or a retry
TRACE = "narrator.discord.request"  # one span per attempt: method, route, status

PERMISSION_FLAGS: dict[str, int] = dict(discord.Permissions.VALID_FLAGS)
# discord.py also lists aliases (read_messages = view_channel); names we report are
# Discord's own (VIEW_CHANNEL, MANAGE_ROLES ...), one per bit.
_PREFERRED = {
    "view_channel",
    "use_external_emojis",
    "manage_roles",
    "manage_expressions",
    "use_external_stickers",
    "send_polls",
}
_CANONICAL: dict[str, int] = {}
for _name, _flag in sorted(PERMISSION_FLAGS.items(), key=lambda kv: kv[0] not in _PREFERRED):
    if _flag not in _CANONICAL.values():
        _CANONICAL[_name] = _flag


def permission_bits(names: list[str] | tuple[str, ...] | None) -> int:
    """Bits of permission names (``send_messages``, ``Manage Channels`` ...)."""
    bits = 0
    for raw in names or ():
        name = str(raw).strip().lower().replace(" ", "_").replace("-", "_")
        if name not in PERMISSION_FLAGS:
            from narrator.errors import did_you_mean

            hint = did_you_mean(name, list(PERMISSION_FLAGS))
            raise PlatformError(
                f"unknown Discord permission '{raw}'",
                act=CURRENT_ACT.get(),
                hint=hint or "see docs/discord.md for the permission names",
            )
        bits |= PERMISSION_FLAGS[name]
    return bits


def permission_names(bits: int) -> list[str]:
    return sorted(name for name, flag in _CANONICAL.items() if bits & flag == flag)


class Transport:
    """discord.py's HTTP client pointed at ``api_base``, with translated errors."""

    def __init__(
        self, token: str, *, api_base: str, timeout: float = 30.0, clock: Clock | None = None
    ) -> None:
        self._token = token
        self.clock: Clock = clock or SystemClock()  # tenacity's backoff sleeps on it
        self.api_base = api_base.rstrip("/")
        self.timeout = timeout
        self._route = type("NarratorRoute", (Route,), {"BASE": self.api_base})
        self._client: discord.Client | None = None
        self._opened = False
        self.user_id: str | None = None  # the bot's user id, known once logged in

    async def open(self) -> None:
        if self._opened:
            return
        client = discord.Client(
            intents=discord.Intents.none(), max_ratelimit_timeout=MAX_RATELIMIT_WAIT
        )
        # discord.py keeps the API base in a class attribute that its login route
        # reads synchronously, before the first await; commands use our own
        # Route subclass, so several platforms with different bases can coexist.
        previous = Route.BASE
        Route.BASE = self.api_base
        try:
            me: Any = await client.http.static_login(self._token)
        except BaseException as exc:
            await client.http.close()
            if isinstance(exc, Exception):
                raise self.translate(exc, "log in to Discord", None) from None
            raise
        finally:
            Route.BASE = previous
        self._client = client
        self._opened = True
        if isinstance(me, dict) and me.get("id"):
            self.user_id = str(me["id"])

    async def close(self) -> None:
        if self._client is not None:
            await self._client.http.close()
            self._client = None
        self._opened = False

    async def request(
        self,
        method: str,
        path: str,
        *,
        what: str,
        permission: str | None = None,
        json: Any = None,
        params: dict[str, Any] | None = None,
        reason: str | None = None,
        safe_to_repeat: bool | None = None,
        **route_params: Any,
    ) -> Any:
        """Perform one REST call; ``what`` ("create channel #x") names it in errors."""
        await self.open()
        assert self._client is not None
        http = self._client.http
        route = self._route(method, path, **route_params)
        kwargs: dict[str, Any] = {"timeout": aiohttp.ClientTimeout(total=self.timeout)}
        if json is not None:
            kwargs["json"] = json
        if params:
            kwargs["params"] = params
        if reason:
            kwargs["reason"] = reason
        repeatable = method != "POST" if safe_to_repeat is None else safe_to_repeat

        def retryable(exc: BaseException) -> bool:
            if not repeatable:
                return False
            if isinstance(exc, discord.DiscordServerError):
                return exc.status not in _RETRIED_BY_DISCORD_PY
            return isinstance(exc, aiohttp.ClientConnectionError | asyncio.TimeoutError)

        try:
            async for attempt in AsyncRetrying(
                retry=retry_if_exception(retryable),
                stop=stop_after_attempt(3),
                wait=wait_exponential(multiplier=0.5, max=4),
                sleep=self.clock.sleep,
                reraise=True,
            ):
                with attempt, tracing.span(TRACE, method=method, route=path) as span:
                    t0 = time.monotonic()
                    number = attempt.retry_state.attempt_number
                    try:
                        found = await http.request(route, **kwargs)
                    except BaseException as exc:  # the HTTP status, else the exception's name
                        status = getattr(exc, "status", type(exc).__name__)
                        span.set("status", str(status))
                        _log_request(method, path, status, t0, number, exc, retryable(exc))
                        raise
                    span.set("status", "ok")
                    _log_request(method, path, "ok", t0, number)
                    return found
        except Exception as exc:
            raise self.translate(exc, what, permission) from None
        raise AssertionError("unreachable")  # pragma: no cover

    # ------------------------------------------------------------------ errors
    def scrub(self, text: str) -> str:
        return text.replace(self._token, "***") if self._token else text

    def translate(self, exc: Exception, what: str, permission: str | None) -> NarratorError:
        """The one place discord.py / aiohttp exceptions become narrator errors."""
        act = CURRENT_ACT.get()
        if isinstance(exc, NarratorError):
            return exc
        if isinstance(exc, discord.LoginFailure):
            return ConfigError(
                "Discord rejected the bot token (401 Unauthorized)",
                hint="check the variable named by [discord] token_env, or rehearse with --sandbox",
            )
        if isinstance(exc, discord.RateLimited):
            return RateLimited(
                f"cannot {what}: Discord rate limit asks to wait {exc.retry_after:.1f}s, "
                f"longer than the {MAX_RATELIMIT_WAIT:.0f}s narrator waits",
                act=act,
                hint="run again later, or spread the sends over time (a carousel with a schedule)",
            )
        if isinstance(exc, discord.HTTPException):
            text = self.scrub(exc.text or "")
            code = f"{exc.status}, code {exc.code}" if exc.code else str(exc.status)
            if isinstance(exc, discord.Forbidden):
                perm = permission or "the required"
                label = perm.replace("_", " ").title()
                return PermissionDenied(
                    f"cannot {what}: the bot lacks the {perm} permission "
                    f"({text or 'Forbidden'}; {code})",
                    act=act,
                    hint=f"give the bot's role '{label}' in Server Settings → Roles "
                    "(or on the channel), then run again",
                )
            if isinstance(exc, discord.NotFound):
                return ResourceNotFound(
                    f"cannot {what}: {text or 'Not Found'} ({code})",
                    act=act,
                    hint="the id may be stale or from another server; "
                    "check it with `narrator state get`, or use an *.ensure command",
                )
            if exc.status >= 500:
                return PlatformError(
                    f"cannot {what}: Discord failed ({code}: {text}) after retries",
                    act=act,
                    hint="Discord may be having an outage; run again later",
                )
            return PlatformError(
                f"cannot {what}: Discord refused the request ({code}): {text}",
                act=act,
                hint="fix the argument named above",
            )
        if isinstance(exc, aiohttp.ClientError | asyncio.TimeoutError | OSError):
            detail = self.scrub(str(exc) or type(exc).__name__)
            return PlatformError(
                f"cannot {what}: no answer from {self.api_base} ({detail})",
                act=act,
                hint="check the network, or [discord] api_base in narrator.toml",
            )
        return PlatformError(
            f"cannot {what}: {type(exc).__name__}: {self.scrub(str(exc))}", act=act
        )


def _log_request(
    method: str,
    route: str,
    status: object,
    t0: float,
    attempt: int,
    exc: BaseException | None = None,
    retrying: bool = False,
) -> None:
    """One attempt of a request: method, route (its template, not the ids), status and
    duration; a failed attempt (and why it is retried) at INFO, so ``-v`` shows the trail
    of a failing act; a successful one at DEBUG (``-vv``)."""
    level = logging.DEBUG if exc is None else logging.INFO
    if not _log.isEnabledFor(level):
        return
    extra: dict[str, Any] = {
        "method": method,
        "route": route,
        "status": status,
        "duration_ms": round((time.monotonic() - t0) * 1000, 1),
        "attempt": attempt,
    }
    message = "%s %s -> %s"
    if exc is not None:
        extra["error"] = str(exc)[:300] or type(exc).__name__
        if retrying:
            extra["retry"] = f"{type(exc).__name__}: retried with backoff"
            message += " (retrying)"
    _log.log(level, message, method, route, status, extra=extra)
