"""A Discord REST emulator on 127.0.0.1 for tests, benchmarks and ``--sandbox``.

::

    async with Emulator(fresh_world(GUILD)) as emu:
        platform = DiscordPlatform("fake-token", api_base=emu.url)
        ...
        assert not emu.writes()

From another process: ``python -m narrator.platforms.emulator --port 0 --state FILE``
prints its URL; ``/_emulator/log``, ``/_emulator/faults`` and ``/_emulator/world``
let tests count requests, inject faults and edit the world out of band.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from narrator.platforms.emulator.errors import ApiError
from narrator.platforms.emulator.server import Emulator, Fault, LogEntry
from narrator.platforms.emulator.world import (
    BOT_ROLE_ID,
    BOT_USER_ID,
    PERMISSIONS,
    World,
    fresh_world,
    snowflake_time_ms,
)


@contextmanager
def emulator_in_thread(emulator: Emulator) -> Iterator[Emulator]:
    """Run ``emulator`` on its own event loop in a daemon thread (for sync tests/CLI)."""
    loop = asyncio.new_event_loop()
    started = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(emulator.start())
        started.set()
        loop.run_forever()
        loop.run_until_complete(emulator.stop())
        loop.close()

    thread = threading.Thread(target=run, name="discord-emulator", daemon=True)
    thread.start()
    started.wait(timeout=30)
    try:
        yield emulator
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)


__all__ = [
    "BOT_ROLE_ID",
    "BOT_USER_ID",
    "PERMISSIONS",
    "ApiError",
    "Emulator",
    "Fault",
    "LogEntry",
    "World",
    "emulator_in_thread",
    "fresh_world",
    "snowflake_time_ms",
]
