"""The sandbox guild: the emulator in-process, persisted through a blob store.

``narrator run --sandbox`` rehearses against it: the world is loaded from the
``sandbox.discord`` blob (a fresh "Sandbox" guild with an administrator bot
role when absent) and stored back on exit, so a second rehearsal sees what the
first one built. The sandbox emulates every guild a narrative names: a guild id
it has not seen becomes an emulated guild with the bot as administrator on first
reference, and stays in the world for the next rehearsal.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from narrator.guilds import SANDBOX_GUILD_ID
from narrator.platforms.discord import DiscordPlatform
from narrator.platforms.emulator import Emulator, World, fresh_world
from narrator.protocols import Blobs, Clock

BLOB_NAME = "sandbox.discord"
SANDBOX_TOKEN = "sandbox-token"  # the emulator accepts any bot token


@asynccontextmanager
async def open_sandbox(
    blobs: Blobs, *, guild_id: str = SANDBOX_GUILD_ID, clock: Clock | None = None
) -> AsyncIterator[DiscordPlatform]:
    """Yield a DiscordPlatform connected to an emulated guild stored in ``blobs``.

    ``clock`` (the run's) is the emulator's and the platform's: snowflakes,
    timestamps and retries read it.
    """
    data = blobs.get(BLOB_NAME)
    world = World(data) if data else fresh_world(guild_id)
    if guild_id not in world.guilds:
        world.add_guild(guild_id, "Sandbox")
    world.every_guild = True
    emulator = Emulator(world, clock=clock)
    await emulator.start()
    platform = DiscordPlatform(SANDBOX_TOKEN, api_base=emulator.url, clock=clock)
    platform.emulator = emulator  # type: ignore[attr-defined]
    try:
        yield platform
    finally:
        try:
            await platform.aclose()
        finally:
            blobs.put(BLOB_NAME, emulator.world.dump())
            await emulator.stop()
