"""The one transport module of the providers: httpx, retries, error translation.

Every HTTP provider inherits :class:`HttpProvider`. It owns one
``httpx.AsyncClient``, posts JSON with a per-request timeout, retries what is
worth retrying with tenacity (429, 408/409/425, 5xx, connection errors,
timeouts) — honouring ``Retry-After`` (seconds or an HTTP date, capped), else
exponential backoff with jitter — and turns everything else into a
:class:`~narrator.errors.ProviderError` that names the profile and the fix.

The API key lives only in request headers: it is never part of a message, a
log line or a ``repr``; any text a provider sends back is scrubbed of it.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from narrator.clock import SystemClock
from narrator.config import ModelProfile, secret
from narrator.errors import ProviderError
from narrator.protocols import Clock, ModelRequest, ModelResponse
from narrator.providers.parts import check_parts

__all__ = ["RETRY_AFTER_CAP", "HttpProvider", "SystemClock", "parse_retry_after"]

RETRY_AFTER_CAP = 60.0  # never wait longer than this on one Retry-After
BACKOFF_INITIAL = 0.5
BACKOFF_MAX = 20.0
RETRYABLE_STATUS = frozenset({408, 409, 425, 429})


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


class _Retryable(ProviderError):
    """A failure worth another attempt; ``retry_after`` from the server, if any."""

    def __init__(self, message: str, *, act: str | None, retry_after: float | None) -> None:
        self.retry_after = retry_after
        super().__init__(message, act=act)


class HttpProvider:
    """Base of the OpenAI, Anthropic and Gemini providers."""

    kind = "http"
    default_base_url = ""
    default_key_env = ""

    def __init__(
        self,
        name: str,
        profile: ModelProfile,
        *,
        clock: Clock | None = None,
        environ: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.name = name
        self.profile = profile
        self.clock: Clock = clock or SystemClock()
        self.base_url = (profile.base_url or self.default_base_url).rstrip("/")
        self.key_env = profile.api_key_env or self.default_key_env
        self._key = self._read_key(dict(environ) if environ is not None else None)
        self._rng = rng
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(profile.timeout),
            transport=transport,
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} profile={self.name!r} base_url={self.base_url!r}>"

    # ------------------------------------------------------------------ subclass hooks

    def _key_required(self) -> bool:
        return True

    def _read_key(self, environ: dict[str, str] | None) -> str:
        if not self._key_required():
            return ""
        return secret(
            self.key_env,
            what=f"model profile '{self.name}' ({self.kind})",
            environ=environ,
        )

    def endpoint(self, request: ModelRequest, model: str) -> str:
        raise NotImplementedError

    def headers(self) -> dict[str, str]:
        raise NotImplementedError

    def body(self, request: ModelRequest, model: str) -> dict[str, Any]:
        raise NotImplementedError

    def parse(self, data: Any, model: str) -> ModelResponse:
        raise NotImplementedError

    def error_detail(self, data: Any) -> str:
        """The provider's own error message inside an error body."""
        if isinstance(data, dict):
            err = data.get("error", data)
            if isinstance(err, dict):
                message = err.get("message") or err.get("type")
                if message:
                    return str(message)
            elif isinstance(err, str):
                return err
        return ""

    # ------------------------------------------------------------------ the call

    async def complete(self, request: ModelRequest) -> ModelResponse:
        model = request.model or self.profile.model
        if not model:
            raise ProviderError(
                f"model profile '{self.name}' names no model",
                act=request.act or None,
                hint=f'add model = "..." to [models.{self.name}] in narrator.toml',
            )
        check_parts(request, self.name, self.kind)  # media this provider cannot take
        url = self.endpoint(request, model)
        payload = self.body(request, model)
        try:
            data = await self._post(url, payload, request, model)
        except _Retryable as first:
            data = await self._retry(url, payload, request, model, first)
        try:
            return self.parse(data, model)
        except (KeyError, IndexError, TypeError, ValueError, AttributeError):
            raise self._malformed(request, data) from None

    async def _retry(
        self,
        url: str,
        payload: dict[str, Any],
        request: ModelRequest,
        model: str,
        first: _Retryable,
    ) -> Any:
        """Attempts 2..max_retries+1 (the first one ran without tenacity's bookkeeping)."""
        attempts = max(1, self.profile.max_retries + 1)
        if attempts == 1:
            raise self._gave_up(first, attempts, request)
        await self.clock.sleep(self._delay(first, 1))
        retrying = AsyncRetrying(
            stop=stop_after_attempt(attempts - 1),
            wait=self._wait,
            retry=retry_if_exception(lambda exc: isinstance(exc, _Retryable)),
            sleep=self.clock.sleep,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._post(url, payload, request, model)
        except _Retryable as exc:
            raise self._gave_up(exc, attempts, request) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _gave_up(self, exc: _Retryable, attempts: int, request: ModelRequest) -> ProviderError:
        return ProviderError(
            f"model profile '{self.name}': gave up after {attempts} attempts: {exc.message}",
            act=request.act or None,
            hint="the provider is overloaded or unreachable; try again later, "
            "or raise max_retries in the profile",
        )

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        # tenacity's attempt 1 is our attempt 2: the backoff continues from there
        return self._delay(exc, state.attempt_number + 1)

    def _delay(self, exc: BaseException | None, attempt: int) -> float:
        """Retry-After when the server gave one (capped), else backoff with jitter."""
        if isinstance(exc, _Retryable) and exc.retry_after is not None:
            return min(float(exc.retry_after), RETRY_AFTER_CAP)
        ceiling = min(BACKOFF_MAX, BACKOFF_INITIAL * 2.0 ** (attempt - 1))
        return ceiling / 2 + self._rng() * ceiling / 2

    async def _post(
        self, url: str, payload: dict[str, Any], request: ModelRequest, model: str
    ) -> Any:
        act = request.act or None
        try:
            response = await self._client.post(url, json=payload, headers=self.headers())
        except httpx.TimeoutException:
            raise _Retryable(
                f"model profile '{self.name}': no answer within {self.profile.timeout:g} s",
                act=act,
                retry_after=None,
            ) from None
        except httpx.HTTPError as exc:
            raise _Retryable(
                f"model profile '{self.name}': cannot reach {self.base_url}: "
                f"{self._scrub(type(exc).__name__ + ': ' + str(exc))}",
                act=act,
                retry_after=None,
            ) from None
        status = response.status_code
        if status < 300:
            try:
                return response.json()
            except (json.JSONDecodeError, UnicodeDecodeError):
                raise self._malformed(request, response.text) from None
        detail = self._detail(response)
        if status in RETRYABLE_STATUS or status >= 500:
            retry_after = parse_retry_after(response.headers.get("retry-after"), self.clock.now())
            raise _Retryable(
                f"model profile '{self.name}': HTTP {status}{detail}",
                act=act,
                retry_after=retry_after,
            )
        raise ProviderError(
            f"model profile '{self.name}': HTTP {status}{detail}",
            act=act,
            hint=self._hint(status, model),
        )

    def _detail(self, response: httpx.Response) -> str:
        try:
            text = self.error_detail(response.json())
        except (json.JSONDecodeError, UnicodeDecodeError):
            text = response.text[:200]
        text = self._scrub(text.strip())
        return f" — {text}" if text else ""

    def _hint(self, status: int, model: str) -> str:
        if status == 401:
            return (
                f"check the API key in ${self.key_env} (the [models.{self.name}] "
                "profile's api_key_env)"
            )
        if status == 403:
            return (
                f"the key in ${self.key_env} may not have access to model "
                f"'{model}'; check the account's permissions"
            )
        if status == 404:
            return (
                f"check the model id '{model}' and base_url "
                f"'{self.base_url}' in [models.{self.name}]"
            )
        if status == 400:
            return (
                "the provider rejected the request; check the act's model, "
                "max_tokens and temperature"
            )
        return f"see the provider's documentation for HTTP {status}"

    def _malformed(self, request: ModelRequest, data: Any) -> ProviderError:
        preview = data if isinstance(data, str) else json.dumps(data)[:200]
        return ProviderError(
            f"model profile '{self.name}': unexpected answer from {self.base_url}: "
            f"{self._scrub(str(preview)[:200])!r}",
            act=request.act or None,
            hint=f"is base_url right for provider '{self.profile.provider}'?",
        )

    def _scrub(self, text: str) -> str:
        if self._key and self._key in text:
            text = text.replace(self._key, "[redacted]")
        return text

    async def aclose(self) -> None:
        await self._client.aclose()
