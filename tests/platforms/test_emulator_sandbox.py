"""The emulator's wire behaviour and the sandbox's persistence."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

import aiohttp

from narrator.config import SANDBOX_GUILD_ID
from narrator.platforms.emulator import Emulator, World, fresh_world, snowflake_time_ms
from narrator.platforms.sandbox import BLOB_NAME, open_sandbox
from narrator.protocols import CommandCall

AUTH = {"Authorization": "Bot t"}


async def test_answers_carry_exact_content_type_and_rate_limit_headers() -> None:
    """Content-Type is exactly application/json; X-RateLimit-* on every answer; ids encode time."""
    async with Emulator(fresh_world(SANDBOX_GUILD_ID)) as emu, aiohttp.ClientSession() as s:
        url = f"{emu.url}/guilds/{SANDBOX_GUILD_ID}/channels"
        async with s.post(url, json={"name": "x"}, headers=AUTH) as r:
            assert r.headers["Content-Type"] == "application/json"
            for h in ("Limit", "Remaining", "Reset", "Reset-After", "Bucket"):
                assert f"X-RateLimit-{h}" in r.headers
            body = await r.json()
        assert abs(snowflake_time_ms(body["id"]) / 1000 - time.time()) < 60
        async with s.get(f"{emu.url}/channels/1", headers=AUTH) as r:
            assert r.status == 404 and (await r.json())["code"] == 10003
            assert "X-RateLimit-Limit" in r.headers


async def test_exceeding_a_bucket_answers_429_with_via_and_retry_after() -> None:
    """A 2-per-second bucket: the third request is a 429 with Via, retry_after and global false."""
    limits = {"GET /guilds/{guild_id}/roles": (2, 1.0)}
    async with Emulator(fresh_world(SANDBOX_GUILD_ID), rate_limits=limits) as emu:
        async with aiohttp.ClientSession() as s:
            url = f"{emu.url}/guilds/{SANDBOX_GUILD_ID}/roles"
            statuses = []
            for _ in range(3):
                async with s.get(url, headers=AUTH) as r:
                    statuses.append(r.status)
                    last: Any = await r.json()
                    headers = r.headers
        assert statuses == [200, 200, 429]
        assert headers["Via"] and last["global"] is False and 0 < last["retry_after"] <= 1
        assert emu.rate_limited == 1


async def test_unauthenticated_requests_get_401() -> None:
    """Requests without a bot token are refused."""
    async with (
        Emulator() as emu,
        aiohttp.ClientSession() as s,
        s.get(f"{emu.url}/users/@me") as r,
    ):
        assert r.status == 401


def test_world_round_trips_through_json() -> None:
    """A dumped world loads back equal (the sandbox blob)."""
    world = fresh_world("1")
    world.add_user("2", "bob", "1")
    again = World(json.loads(json.dumps(world.dump())))
    assert again.dump() == world.dump()


class DictBlobs:
    def __init__(self) -> None:
        self.data: dict[str, Any] = {}

    def get(self, name: str) -> Any:
        return self.data.get(name)

    def put(self, name: str, value: Any) -> None:
        self.data[name] = value


async def test_sandbox_persists_the_guild_between_rehearsals() -> None:
    """What a first sandbox session builds is there in the second (fresh world: Sandbox guild)."""
    blobs = DictBlobs()
    # the executor passes the effective guild: under --sandbox, the sandbox guild
    guild = {"default_guild_id": SANDBOX_GUILD_ID}
    call = CommandCall("discord", "channels.ensure", {"name": "welcome"}, "a", "r", "k", **guild)
    async with open_sandbox(blobs) as platform:
        first = await platform.execute(call)
    world = blobs.get(BLOB_NAME)
    assert world["guilds"][SANDBOX_GUILD_ID]["name"] == "Sandbox"
    state = dict(first.captures)
    async with open_sandbox(blobs) as platform:
        second = await platform.execute(
            CommandCall(
                "discord",
                "channels.ensure",
                {"name": "welcome"},
                "a",
                "r",
                "k",
                lookup=state.get,
                **guild,
            )
        )
    assert second.output["id"] == first.output["id"] and second.wrote is False


def test_module_entry_point_prints_url_and_saves_state(tmp_path: Any) -> None:
    """python -m narrator.platforms.emulator --port 0 --state FILE serves and saves on SIGTERM."""
    state = tmp_path / "world.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "narrator.platforms.emulator", "--port", "0", "--state", str(state)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/api/v10")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert SANDBOX_GUILD_ID in json.loads(state.read_text())["guilds"]
