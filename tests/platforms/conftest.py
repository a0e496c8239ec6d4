"""Fixtures: the emulator on loopback and a DiscordPlatform (discord.py's real client) on it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest

from narrator.platforms.discord import DiscordPlatform
from narrator.platforms.emulator import Emulator, fresh_world
from narrator.protocols import CommandCall, CommandResult

GUILD = "100000000000000001"
TOKEN = "super-secret-token-XYZ.abc"


@dataclass
class Harness:
    """Runs commands like the executor does: captures go to a dict-backed state."""

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
            default_guild_id=GUILD,
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
        self.platform = DiscordPlatform(TOKEN, api_base=self.emu.url, default_guild_id=GUILD)
        return self.platform


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator(fresh_world(GUILD)) as emulator:
        yield emulator


@pytest.fixture
async def h(emu: Emulator) -> AsyncIterator[Harness]:
    platform = DiscordPlatform(TOKEN, api_base=emu.url, default_guild_id=GUILD)
    harness = Harness(emu, platform)
    try:
        yield harness
    finally:
        await harness.platform.aclose()
