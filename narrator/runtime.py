"""Wiring: configuration + flags → the Services a run needs.

The CLI (and the scheduler's worker) call :func:`open_runtime`; tests build
:class:`~narrator.executor.Services` directly with fakes. Platforms and model
providers are created on first use, so a narrative that never talks to
Discord never needs a token.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from narrator.clock import SystemClock
from narrator.config import Config, secret
from narrator.errors import ConfigError, NotConfigured
from narrator.guilds import SANDBOX_GUILD_ID, GuildDefaults, sandbox_variables

if TYPE_CHECKING:
    from narrator.executor import Reporter, Services
    from narrator.protocols import (
        BudgetLeft,
        Clock,
        Database,
        ModelRequest,
        ModelResponse,
        Platform,
    )


@dataclass
class RunOptions:
    """What the command line says about one run."""

    sandbox: bool = False
    allow_destructive: bool = False
    vars: Mapping[str, str] = field(default_factory=dict)
    budget_multiplier: float | None = None
    on_wait: Callable[[str], None] | None = None
    # the one clock of the run: the executor, the model router's waits and retries,
    # Discord's retries, the sandbox emulator (a worker passes its own)
    clock: Clock = field(default_factory=SystemClock)


def environment(options: RunOptions, config: Config) -> dict[str, str]:
    """``${VAR}`` sources: the process environment, then ``--var`` (which wins).

    The variables config names as secrets are left out (DESIGN §6), and their values
    are given to :func:`narrator.logs.add_secrets`: no log line or journal row shows them.
    """
    from narrator import logs
    from narrator.config import secret_env_names, without_secrets

    env = dict(os.environ)
    env.update(options.vars)
    logs.add_secret_env(secret_env_names(config), env)
    if options.sandbox:
        env = sandbox_variables(env)
    return without_secrets(env, config)


def guild_defaults(options: RunOptions, config: Config) -> GuildDefaults:
    """Where a run's commands find their guild: ``[discord] guild_id`` as written
    (expanded per command by :func:`narrator.guilds.effective_guild`), and --sandbox."""
    return GuildDefaults(config=config.discord.guild_id, sandbox=options.sandbox)


def _load_factory(path: str) -> Callable[[], Any]:
    module, _, attr = path.partition(":")
    try:
        factory = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(
            f"platform factory '{path}' cannot be loaded: {exc}",
            hint="write it as 'package.module:callable'",
        ) from None
    if not callable(factory):
        raise ConfigError(f"platform factory '{path}' is not callable")
    return factory  # type: ignore[no-any-return]


class RuntimePlatforms:
    """Creates each platform the first time a command needs it."""

    def __init__(
        self,
        config: Config,
        options: RunOptions,
        database: Database,
        stack: AsyncExitStack,
    ) -> None:
        self.config = config
        self.options = options
        self.database = database
        self.stack = stack
        self._open: dict[str, Platform] = {}

    async def get(self, name: str) -> Platform:
        if name in self._open:
            return self._open[name]
        platform = await self._create(name)
        self._open[name] = platform
        return platform

    async def _create(self, name: str) -> Platform:
        plugin = self.config.platforms.get(name)
        if plugin is not None:
            platform: Platform = _load_factory(plugin.factory)()
            self.stack.push_async_callback(platform.aclose)
            return platform
        if name != "discord":
            raise NotConfigured(
                f"no '{name}' platform is configured",
                hint=f"add [platforms.{name}] factory = 'module:callable' to narrator.toml",
            )
        if self.options.sandbox:
            from narrator.platforms.sandbox import open_sandbox

            sandbox: Platform = await self.stack.enter_async_context(
                open_sandbox(
                    self.database.blobs, guild_id=SANDBOX_GUILD_ID, clock=self.options.clock
                )
            )
            return sandbox
        token = secret(self.config.discord.token_env, what="Discord")
        from narrator.platforms.discord import DiscordPlatform

        discord = DiscordPlatform(
            token,
            api_base=self.config.discord.api_base,
            timeout=self.config.discord.timeout,
            clock=self.options.clock,
        )
        self.stack.push_async_callback(discord.aclose)
        return discord


class _LazyModels:
    """The model router, built on the first model call or budget question.

    A narrative without model acts never imports the providers (httpx, tenacity, limits:
    ~80 ms of a Discord-only ``run``)."""

    def __init__(self, build: Callable[[], Any]) -> None:
        self._build = build
        self._router: Any = None

    def _get(self) -> Any:
        if self._router is None:
            self._router = self._build()
        return self._router

    async def complete(self, request: ModelRequest) -> ModelResponse:
        response: ModelResponse = await self._get().complete(request)
        return response

    def remaining(self, profile: str) -> BudgetLeft:
        left: BudgetLeft = self._get().remaining(profile)
        return left

    async def aclose(self) -> None:
        if self._router is not None:
            await self._router.aclose()


def _models(
    config: Config, options: RunOptions, database: Database, stack: AsyncExitStack
) -> _LazyModels:
    def build() -> Any:
        from narrator.providers.router import ModelRouter

        return ModelRouter(
            config,
            ledger=database.ledger,  # in the database; a memory ledger for run --ephemeral
            clock=options.clock,
            sandbox=options.sandbox,
            budget_multiplier=options.budget_multiplier or 1.0,
            on_wait=options.on_wait,
        )

    models = _LazyModels(build)
    stack.push_async_callback(models.aclose)
    return models


@asynccontextmanager
async def open_runtime(
    config: Config,
    database: Database,
    options: RunOptions,
    reporter: Reporter | None = None,
) -> AsyncIterator[Services]:
    """Services for one run; platforms and providers are closed on exit."""
    from narrator.executor import Services

    env = environment(options, config)
    async with AsyncExitStack() as stack:
        stack.enter_context(database.hold())  # one connection for the run's acts
        services = Services(
            state=database.state,
            journal=database.journal,
            platforms=RuntimePlatforms(config, options, database, stack),
            models=_models(config, options, database, stack),
            clock=options.clock,
            env=env,
            allow_destructive=options.allow_destructive,
            guilds=guild_defaults(options, config),
            unit_of_work=database.unit_of_work,
            content=database.content,
        )
        if reporter is not None:
            services.reporter = reporter
        yield services
