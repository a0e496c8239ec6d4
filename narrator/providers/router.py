"""The model router: one :class:`~narrator.protocols.ModelProvider` for the engine.

The executor sends every model act here with ``request.profile`` set to the
act's ``model`` (or the narrative's, or ``"default"``). The router

1. resolves it: a ``[models.NAME]`` profile; else a provider model id sent
   through the ``default`` profile (budgeted as ``default``); else
   :class:`~narrator.errors.NotConfigured` saying what to add;
2. reserves the call's estimate against the daily budget in the ledger
   (``rpd``/``tpd``; spent → :class:`~narrator.errors.BudgetExhausted`);
3. takes a slot in the ``rpm``/``tpm`` windows, waiting (and telling
   ``on_wait``) when the wait fits in ``max_wait``, else stopping;
4. calls the provider and settles the reservation to the reported usage, or
   refunds it when the call fails.

With ``sandbox=True`` every profile answers from the
:class:`~narrator.providers.sandbox.SandboxModel`. Sandbox calls are recorded
in the ledger (``narrator usage --sandbox``) and pass through the short
windows, but never spend or check a daily budget, so rehearsing again and
again never runs out; :meth:`ModelRouter.remaining` reports them as unlimited.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from narrator import logs, tracing
from narrator.budget import (
    Budget,
    Ledger,
    MemoryLedger,
    Remaining,
    Stop,
    Windows,
    daily_stop,
    day_of,
    decide_window,
    estimate_reservation,
)
from narrator.config import Config, ModelProfile
from narrator.errors import BudgetExhausted, NotConfigured
from narrator.protocols import Clock, ModelProvider, ModelRequest, ModelResponse
from narrator.providers._http import SystemClock
from narrator.providers.sandbox import SandboxModel

__all__ = ["DEFAULT_PROFILE", "ModelRouter", "Resolved"]

_log = logs.get("model")  # INFO each model call: profile, model, tokens, latency

T = TypeVar("T")

DEFAULT_PROFILE = "default"

_EXAMPLE = (
    "[models.{name}]\n"
    '    provider = "openai"\n'
    '    model = "gpt-4o-mini"\n'
    '    api_key_env = "OPENAI_API_KEY"'
)


@dataclasses.dataclass(frozen=True, slots=True)
class Resolved:
    """Where a request goes: the budget key, the profile, the model id."""

    budget_key: str
    profile: ModelProfile | None
    model: str
    sandbox: bool


class ModelRouter:
    """Routes model requests to providers within budgets. See the module docstring.

    ``ledger`` holds daily budgets (pass the database ledger so they hold across
    processes; default: in this process only). ``budget_multiplier`` scales every
    limit. ``on_wait(message)`` is told about each wait for a short window.
    ``environ`` and ``transport`` are for tests (where keys come from; an httpx
    transport for every provider). ``window`` is the short-window length in
    seconds (60).
    """

    def __init__(
        self,
        config: Config,
        *,
        ledger: Ledger | None = None,
        clock: Clock | None = None,
        sandbox: bool = False,
        budget_multiplier: float = 1.0,
        on_wait: Callable[[str], None] | None = None,
        environ: Mapping[str, str] | None = None,
        transport: Any = None,
        window: int = 60,
    ) -> None:
        if not 0 < budget_multiplier <= 1:
            raise ValueError(f"budget_multiplier must be in (0, 1], got {budget_multiplier}")
        self.config = config
        self.ledger: Ledger = ledger if ledger is not None else MemoryLedger()
        self.clock: Clock = clock or SystemClock()
        self.sandbox = sandbox
        self.budget_multiplier = budget_multiplier
        self.on_wait = on_wait
        self.windows = Windows(window)
        self._environ = environ
        self._transport = transport
        self._providers: dict[str, ModelProvider] = {}

    def __repr__(self) -> str:
        return f"<ModelRouter profiles={sorted(self.config.models)} sandbox={self.sandbox}>"

    # ------------------------------------------------------------------ resolution

    def resolve(self, name: str, act: str = "") -> Resolved:
        """Which profile, model and budget a request for ``name`` uses."""
        name = name or DEFAULT_PROFILE
        profile = self.config.profile(name)
        if profile is not None:
            return Resolved(
                name, profile, profile.model, self.sandbox or profile.provider == "sandbox"
            )
        default = self.config.profile(DEFAULT_PROFILE)
        if default is not None:
            return Resolved(
                DEFAULT_PROFILE, default, name, self.sandbox or default.provider == "sandbox"
            )
        if self.sandbox:
            return Resolved(name, None, name, True)
        if name == DEFAULT_PROFILE:
            what = "model acts need a model, and narrator.toml has no [models.default]"
        else:
            what = (
                f"no model profile '{name}': narrator.toml has neither [models.{name}] "
                "nor a [models.default] to send the model id through"
            )
        raise NotConfigured(
            what,
            act=act or None,
            hint="add to narrator.toml:\n    "
            + _EXAMPLE.format(name=DEFAULT_PROFILE if name == DEFAULT_PROFILE else name)
            + "\n  or rehearse with --sandbox",
        )

    def provider_of(self, name: str) -> tuple[str, str] | None:
        """``(profile, provider)`` a request for ``name`` goes to (``sandbox`` under
        --sandbox); None when nothing is configured for it (the act will say so)."""
        try:
            resolved = self.resolve(name)
        except NotConfigured:
            return None
        if resolved.sandbox or resolved.profile is None:
            return resolved.budget_key, "sandbox"
        return resolved.budget_key, resolved.profile.provider

    def _provider(self, resolved: Resolved) -> ModelProvider:
        key = ("sandbox:" if resolved.sandbox else "") + resolved.budget_key
        provider = self._providers.get(key)
        if provider is None:
            provider = self._build(resolved)
            self._providers[key] = provider
        return provider

    def _build(self, resolved: Resolved) -> ModelProvider:
        if resolved.sandbox or resolved.profile is None:
            return SandboxModel(resolved.budget_key)
        profile = resolved.profile
        kwargs: dict[str, Any] = {
            "clock": self.clock,
            "environ": self._environ,
            "transport": self._transport,
        }
        if profile.provider == "anthropic":
            from narrator.providers.anthropic import AnthropicProvider

            return AnthropicProvider(resolved.budget_key, profile, **kwargs)
        if profile.provider == "gemini":
            from narrator.providers.gemini import GeminiProvider

            return GeminiProvider(resolved.budget_key, profile, **kwargs)
        from narrator.providers.openai import OpenAIProvider

        return OpenAIProvider(resolved.budget_key, profile, **kwargs)

    def budget(self, name: str) -> Budget:
        """The scaled limits that apply to profile (or model id) ``name``."""
        resolved = self.resolve(name)
        return Budget.of(resolved.profile, self.budget_multiplier)

    # ------------------------------------------------------------------ budgets

    def remaining(self, profile: str) -> Remaining:
        """What is left today for ``profile``: ``(requests, tokens)``, None = unlimited.

        The carousel calls this before each iteration to stop early instead of
        failing mid-iteration. Reads the ledger (the database when one is given).
        """
        resolved = self.resolve(profile)
        if resolved.sandbox:
            return Remaining(None, None)
        budget = Budget.of(resolved.profile, self.budget_multiplier)
        used = self.ledger.usage(resolved.budget_key, day_of(self.clock.now()))
        return Remaining(
            None if budget.rpd is None else max(0, budget.rpd - used.requests),
            None if budget.tpd is None else max(0, budget.tpd - used.tokens),
        )

    async def _wait_for_windows(
        self, key: str, budget: Budget, estimate: int, request: ModelRequest
    ) -> None:
        waited = 0.0
        while True:
            full = self.windows.acquire(key, budget, estimate)
            if full is None:
                return
            window, seconds = full
            decision = decide_window(
                key, window, seconds, waited, budget.max_wait, self.clock.now()
            )
            if isinstance(decision, Stop):
                raise BudgetExhausted(decision.message, act=request.act or None)
            if self.on_wait is not None:
                self.on_wait(decision.message)
            await self.clock.sleep(decision.seconds)
            waited += decision.seconds

    # ------------------------------------------------------------------ the call

    async def complete(self, request: ModelRequest) -> ModelResponse:
        resolved = self.resolve(request.profile, request.act)
        provider = self._provider(resolved)
        budget = Budget.of(resolved.profile, self.budget_multiplier)
        key = resolved.budget_key
        estimate = estimate_reservation(request)
        day = day_of(self.clock.now())
        if resolved.sandbox:  # rehearsals are recorded but never spend a daily budget
            budget = dataclasses.replace(budget, rpd=None, tpd=None)
        ok = await self._ledger_call(
            self.ledger.reserve, key, day, estimate, rpd=budget.rpd, tpd=budget.tpd
        )
        if not ok:
            used = await self._ledger_call(self.ledger.usage, key, day)
            stop = daily_stop(key, budget, used, estimate, self.clock.now())
            raise BudgetExhausted(stop.message, act=request.act or None)
        try:
            await self._wait_for_windows(key, budget, estimate, request)
            sent = dataclasses.replace(request, model=request.model or resolved.model)
            t0 = time.monotonic()
            with tracing.span("narrator.model", profile=request.profile, model=sent.model) as span:
                try:
                    response = await provider.complete(sent)
                except Exception as exc:
                    _log_call(sent, t0, error=str(exc))
                    raise
                span.set("model", response.model or sent.model)  # the model that answered
                span.set("tokens", response.total_tokens)
            _log_call(sent, t0, response)
        except BaseException:
            await asyncio.shield(self._ledger_call(self.ledger.refund, key, day, estimate))
            raise
        await self._ledger_call(
            self.ledger.settle,
            key,
            day,
            estimate,
            response.prompt_tokens,
            response.completion_tokens,
        )
        self.windows.charge(key, budget, response.total_tokens - estimate)
        return response

    async def _ledger_call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Database ledgers run in a worker thread; the memory ledger runs inline."""
        if getattr(self.ledger, "blocking", True):
            return await asyncio.to_thread(fn, *args, **kwargs)
        return fn(*args, **kwargs)

    async def aclose(self) -> None:
        providers, self._providers = list(self._providers.values()), {}
        for provider in providers:
            await provider.aclose()


def _log_call(
    request: ModelRequest,
    t0: float,
    response: ModelResponse | None = None,
    *,
    error: str | None = None,
) -> None:
    """INFO: one model call — profile, model, tokens, latency (never the key)."""
    if not _log.isEnabledFor(20):  # logging.INFO
        return
    extra: dict[str, Any] = {
        "act": request.act,
        "profile": request.profile,
        "model": request.model,
        "latency_ms": round((time.monotonic() - t0) * 1000, 1),
    }
    if response is not None:
        extra["prompt_tokens"] = response.prompt_tokens
        extra["completion_tokens"] = response.completion_tokens
        extra["tokens"] = response.total_tokens
    if error is not None:
        extra["error"] = error
    outcome = f"{extra.get('tokens')} tokens" if response is not None else "failed"
    _log.info("model %s (%s): %s", request.profile, request.model, outcome, extra=extra)
