"""Fixtures: the emulator on loopback and a DiscordPlatform (discord.py's real client) on it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest

from narrator.executor.perform import admit
from narrator.guilds import GuildDefaults, effective_guild
from narrator.platforms.discord import DiscordPlatform
from narrator.platforms.emulator import Emulator, fresh_world
from narrator.protocols import CommandCall, CommandResult

GUILD = "100000000000000001"
TOKEN = "super-secret-token-XYZ.abc"
DEFAULTS = GuildDefaults(config=GUILD)  # as if narrator.toml said [discord] guild_id = GUILD


@dataclass
class Harness:
    """Runs commands like the executor does (admission, then the call with the effective
    guild): captures go to a dict-backed state."""

    emu: Emulator
    platform: DiscordPlatform
    state: dict[str, Any] = field(default_factory=dict)
    calls: int = 0

    async def run(
        self,
        command: str,
        *,
        act: str | None = None,
        dry_run: bool = False,
        allow_destructive: bool = False,
        model_text_keys: frozenset[str] = frozenset(),
        mentions: tuple[str, ...] | None = None,
        key: str | None = None,
        reconcile_since: datetime | None = None,
        **args: Any,
    ) -> CommandResult:
        self.calls += 1
        # the executor's admission: catalogue names, the destructive check
        _, command, args = admit(
            "discord", command, args, allow=allow_destructive, act=act or f"act{self.calls}"
        )
        call = CommandCall(
            platform="discord",
            command=command,
            args=args,
            act=act or f"act{self.calls}",
            run_id="run-1",
            idempotency_key=key or f"run-1:{act or self.calls}",
            allow_destructive=allow_destructive,
            model_text_keys=model_text_keys,
            mentions=mentions,
            dry_run=dry_run,
            default_guild_id=effective_guild(args.get("guild_id"), None, DEFAULTS, {}).id,
            lookup=self.state.get,
            reconcile_since=reconcile_since,
        )
        result = await self.platform.execute(call)
        if not dry_run:
            self.state.update(result.captures)
        return result

    async def fresh_platform(self) -> DiscordPlatform:
        """A new platform (a new run): empty cache, logs in again."""
        await self.platform.aclose()
        self.platform = DiscordPlatform(TOKEN, api_base=self.emu.url)
        return self.platform


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator(fresh_world(GUILD)) as emulator:
        yield emulator


@pytest.fixture
async def h(emu: Emulator) -> AsyncIterator[Harness]:
    platform = DiscordPlatform(TOKEN, api_base=emu.url)
    harness = Harness(emu, platform)
    try:
        yield harness
    finally:
        await harness.platform.aclose()
