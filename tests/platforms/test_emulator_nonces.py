"""Emulator realism: nonces expire, can be forgotten at once; the current pins routes."""

from __future__ import annotations

import aiohttp

from narrator.platforms.emulator import Emulator, fresh_world
from tests.platforms.conftest import GUILD, Harness

AUTH = {"Authorization": "Bot t"}


async def _post(session: aiohttp.ClientSession, emu: Emulator, ch: str, nonce: str) -> str:
    body = {"content": "once", "nonce": nonce, "enforce_nonce": True}
    async with session.post(f"{emu.url}/channels/{ch}/messages", json=body, headers=AUTH) as r:
        assert r.status == 200
        return str((await r.json())["id"])


async def test_enforced_nonce_dedupes_while_fresh_and_not_once_forgotten(h: Harness) -> None:
    """Same nonce twice → one message; after DELETE /_emulator/nonces the same nonce posts again."""
    ch = (await h.run("channels.create", name="n")).output["id"]
    async with aiohttp.ClientSession() as session:
        first = await _post(session, h.emu, ch, "abc")
        assert await _post(session, h.emu, ch, "abc") == first
        async with session.get(f"{h.emu.url}/channels/{ch}/messages/{first}", headers=AUTH) as r:
            assert (await r.json())["nonce"] == "abc"
        async with session.delete(f"{h.emu.base_url}/_emulator/nonces") as r:
            assert (await r.json()) == {"forgotten": 1}
        async with session.get(f"{h.emu.url}/channels/{ch}/messages/{first}", headers=AUTH) as r:
            assert "nonce" not in await r.json()
        assert await _post(session, h.emu, ch, "abc") != first


async def test_a_nonce_older_than_the_ttl_no_longer_dedupes() -> None:
    """nonce_ttl = 0: a nonce is honoured for no time at all, so a resend posts twice."""
    async with Emulator(fresh_world(GUILD), nonce_ttl=0) as emu:
        ch = emu.world.snowflake()
        emu.world.channels[ch] = {"id": ch, "guild_id": GUILD, "type": 0, "name": "x"}
        async with aiohttp.ClientSession() as session:
            one = await _post(session, emu, ch, "n1")
            two = await _post(session, emu, ch, "n1")
        assert one != two and len(emu.world.messages[ch]) == 2


async def test_current_pins_route_lists_items_with_pinned_at(h: Harness) -> None:
    """PUT /messages/pins/{id} pins; GET /messages/pins answers {items: [{pinned_at, message}]}."""
    ch = (await h.run("channels.create", name="p")).output["id"]
    mid = (await h.run("messages.send", channel_id=ch, content="pin me")).output["id"]
    await h.run("messages.pin", channel_id=ch, message_id=mid)
    async with aiohttp.ClientSession() as session:
        url = f"{h.emu.url}/channels/{ch}/messages/pins"
        async with session.get(url, headers=AUTH) as r:
            listing = await r.json()
    assert listing["has_more"] is False
    (item,) = listing["items"]
    assert item["message"]["id"] == mid and item["pinned_at"]
    assert ("PUT", f"/channels/{ch}/messages/pins/{mid}") in [
        (e.method, e.path) for e in h.emu.writes()
    ]
