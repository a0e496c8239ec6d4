"""``python -m narrator.platforms.emulator --port 0 --state FILE``: serve until interrupted.

Prints the api_base URL on the first line of stdout. With ``--state``, the world
is loaded from FILE (a fresh sandbox guild when absent) and written back on exit
(SIGINT/SIGTERM).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from pathlib import Path

from narrator.guilds import SANDBOX_GUILD_ID
from narrator.platforms.emulator.server import DEFAULT_NONCE_TTL, Emulator
from narrator.platforms.emulator.world import World, fresh_world


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m narrator.platforms.emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--state", help="JSON file holding the world (loaded and saved)")
    parser.add_argument("--guild-id", default=SANDBOX_GUILD_ID)
    parser.add_argument(
        "--rate-limit",
        action="append",
        default=[],
        metavar="'METHOD /path=LIMIT/SECONDS'",
        help="e.g. 'POST /channels/{channel_id}/messages=20/1'",
    )
    parser.add_argument(
        "--nonce-ttl",
        type=float,
        default=DEFAULT_NONCE_TTL,
        metavar="SECONDS",
        help="how long a message nonce dedupes a send (Discord: a few minutes)",
    )
    parser.add_argument(
        "--every-guild",
        action="store_true",
        help="a guild id it has not seen becomes a guild (bot as administrator), "
        "as under --sandbox; without it an unknown guild is Unknown Guild (404)",
    )
    args = parser.parse_args(argv)
    state = Path(args.state) if args.state else None
    if state and state.exists():
        world = World(json.loads(state.read_text(encoding="utf-8")))
    else:
        world = fresh_world(args.guild_id)
    limits = {}
    for item in args.rate_limit:
        key, _, spec = item.rpartition("=")
        limit, _, per = spec.partition("/")
        limits[key] = (int(limit), float(per or 1))
    if args.every_guild:
        world.every_guild = True
    emulator = Emulator(
        world, rate_limits=limits, host=args.host, port=args.port, nonce_ttl=args.nonce_ttl
    )

    async def serve() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await emulator.start()
        print(emulator.url, flush=True)  # only once a SIGTERM would save the state
        await stop.wait()
        await emulator.stop()

    asyncio.run(serve())
    if state:
        state.write_text(json.dumps(emulator.world.dump(), indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
