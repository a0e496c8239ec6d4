"""Discord benchmarks against the emulator (discord.py's real HTTP client over loopback).

1. Converged re-run of narratives/discord/community_setup_50.toml: REST requests
   (goal <= 3) and wall time; then the same 50 plus one of each setup-parity kind
   (issue 16: @everyone's permissions, a forum with tags, an invite, a member's roles,
   the server settings) — first run, converged re-run and a repair of two drifts.
2. 100 sends to one channel on an emulated bucket of 20 per second: total time
   (goal within 1.15x of the 5 s minimum) and 429s received (goal 0).
3. 10 pinned ``messages.ensure`` in one channel: requests of the first run, of a
   converged re-run, and of a re-run whose state lost the ids (a crash before the
   commit: the messages are adopted by content, nothing is written).

    .venv/bin/python benchmarks/discord_bench.py
"""

from __future__ import annotations

import asyncio
import platform as host
import time
import tomllib
from pathlib import Path
from typing import Any

from narrator.platforms.discord import DiscordPlatform
from narrator.platforms.emulator import Emulator, fresh_world
from narrator.platforms.emulator.world import BOT_USER_ID
from narrator.protocols import CommandCall

GUILD = "100000000000000001"
SCRIPT = Path(__file__).resolve().parent.parent / "narratives/discord/community_setup_50.toml"


# One of each kind issue 16 added, on top of the 50 ("{channel:NAME}": the id state holds).
SETUP_KINDS: list[tuple[str, str, dict[str, Any]]] = [
    ("everyone", "roles.ensure", {"name": "@everyone", "permissions": ["view_channel"]}),
    (
        "forum",
        "forum.ensure",
        {"name": "ideas", "category": "Area 0", "tags": ["Bug", "Idea"], "default_reaction": "👍"},
    ),
    ("invite", "invites.ensure", {"channel_id": "{channel:room-0}", "max_age": 0}),
    (
        "member",
        "members.roles_ensure",
        {"user_id": BOT_USER_ID, "roles": ["Team 0"], "managed": ["Team 1"]},
    ),
    (
        "settings",
        "guild.ensure",
        {
            "verification_level": "medium",
            "explicit_content_filter": "all_members",
            "afk_channel": "room-7",
            "afk_timeout": 900,
            "system_channel": "room-0",
            "rules_channel": "room-1",
        },
    ),
]


def _commands(extra: bool = False) -> list[tuple[str, str, dict[str, Any]]]:
    data = tomllib.loads(SCRIPT.read_text(encoding="utf-8"))
    out = []
    for act in data["act"]:
        spec = act["input"][0]
        out.append((act["name"], spec["command"], dict(spec.get("args", {}))))
    return out + (SETUP_KINDS if extra else [])


def _resolved(args: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    return {
        k: state[f"discord.{GUILD}.channel.{v[9:-1]}"]
        if isinstance(v, str) and v.startswith("{channel:")
        else v
        for k, v in args.items()
    }


async def _run_script(emu: Emulator, state: dict[str, Any], extra: bool = False) -> None:
    platform = DiscordPlatform("bench-token", api_base=emu.url)
    try:
        for name, command, raw in _commands(extra):
            args = _resolved(raw, state)
            call = CommandCall(
                "discord",
                command,
                args,
                name,
                "bench",
                f"bench:{name}",
                default_guild_id=GUILD,
                lookup=state.get,
            )
            result = await platform.execute(call)
            state.update(result.captures)
    finally:
        await platform.aclose()


async def converged_rerun() -> dict[str, Any]:
    async with Emulator(fresh_world(GUILD)) as emu:
        state: dict[str, Any] = {}
        await _run_script(emu, state)
        emu.clear_log()
        started = time.perf_counter()
        await _run_script(emu, state)
        elapsed = time.perf_counter() - started
        return {
            "resources": len(_commands()),
            "requests": len(emu.log),
            "reads": len(emu.reads()),
            "writes": len(emu.writes()),
            "seconds": elapsed,
        }


async def setup_kinds() -> dict[str, Any]:
    """The 50 plus one of each issue-16 kind: first run, converged re-run, two drifts repaired."""
    async with Emulator(fresh_world(GUILD)) as emu:
        state: dict[str, Any] = {}
        await _run_script(emu, state, extra=True)
        first = (len(emu.reads()), len(emu.writes()))
        emu.clear_log()
        started = time.perf_counter()
        await _run_script(emu, state, extra=True)
        elapsed = time.perf_counter() - started
        converged = (len(emu.reads()), len(emu.writes()))
        guild = emu.world.guilds[GUILD]
        guild["verification_level"] = 0  # out of band
        guild["members"][BOT_USER_ID]["roles"].remove(state[f"discord.{GUILD}.role.Team_0"])
        emu.clear_log()
        await _run_script(emu, state, extra=True)
        repair = [f"{e.method} {e.path}" for e in emu.writes()]
        return {
            "resources": len(_commands(extra=True)),
            "first": first,
            "converged": converged,
            "converged_paths": sorted({e.path for e in emu.reads()}),
            "seconds": elapsed,
            "repair": repair,
        }


async def ensure_messages(count: int = 10) -> dict[str, Any]:
    async with Emulator(fresh_world(GUILD)) as emu:
        state: dict[str, Any] = {}

        async def run() -> tuple[int, int]:
            emu.clear_log()
            platform = DiscordPlatform("bench-token", api_base=emu.url)
            try:
                for n in range(count):
                    args = {"channel_id": channel, "content": f"Rule {n}", "pin": True}
                    call = CommandCall(
                        "discord",
                        "messages.ensure",
                        args,
                        f"rule_{n}",
                        "b",
                        f"b:rule_{n}",
                        default_guild_id=GUILD,
                        lookup=state.get,
                    )
                    state.update((await platform.execute(call)).captures)
            finally:
                await platform.aclose()
            return len(emu.reads()), len(emu.writes())

        setup = DiscordPlatform("bench-token", api_base=emu.url)
        try:
            made = await setup.execute(
                CommandCall(
                    "discord",
                    "channels.create",
                    {"name": "rules"},
                    "c",
                    "b",
                    "b:c",
                    default_guild_id=GUILD,
                )
            )
        finally:
            await setup.aclose()
        channel = made.output["id"]
        first = await run()
        converged = await run()
        for key in [k for k in state if ".message." in k]:
            del state[key]
        adopted = await run()
        return {"count": count, "first": first, "converged": converged, "adopted": adopted}


async def hundred_sends() -> dict[str, Any]:
    limits = {"POST /channels/{channel_id}/messages": (20, 1.0)}
    async with Emulator(fresh_world(GUILD), rate_limits=limits) as emu:
        platform = DiscordPlatform("bench-token", api_base=emu.url)
        try:
            ch = await platform.execute(
                CommandCall(
                    "discord",
                    "channels.create",
                    {"name": "spam"},
                    "c",
                    "b",
                    "b:c",
                    default_guild_id=GUILD,
                )
            )
            channel_id = ch.output["id"]
            started = time.perf_counter()
            for i in range(100):
                await platform.execute(
                    CommandCall(
                        "discord",
                        "messages.send",
                        {"channel_id": channel_id, "content": f"message {i}"},
                        f"send{i}",
                        "bench",
                        f"bench:send{i}",
                    )
                )
            elapsed = time.perf_counter() - started
        finally:
            await platform.aclose()
        posted = len(emu.world.messages[channel_id])
        got_429 = sum(1 for e in emu.log if e.status == 429)
        return {
            "messages": posted,
            "seconds": elapsed,
            "ratio_to_5s": elapsed / 5.0,
            "responses_429": got_429,
        }


async def main() -> None:
    print(f"machine: {host.machine()} {host.processor() or ''} / Python {host.python_version()}")
    print(f"date: {time.strftime('%Y-%m-%d')}")
    rerun = await converged_rerun()
    print(
        f"converged re-run of {rerun['resources']} resources: {rerun['requests']} REST requests "
        f"({rerun['reads']} reads, {rerun['writes']} writes), {rerun['seconds'] * 1000:.0f} ms"
    )
    setup = await setup_kinds()
    reads, writes = setup["converged"]
    print(
        f"{setup['resources']} resources with the issue-16 kinds: first run "
        f"{setup['first'][0]} reads + {setup['first'][1]} writes; converged re-run {reads} reads, "
        f"{writes} writes, {setup['seconds'] * 1000:.0f} ms; two drifts repaired with "
        f"{len(setup['repair'])} writes: {', '.join(setup['repair'])}"
    )
    ensure = await ensure_messages()
    for label in ("first", "converged", "adopted"):
        reads, writes = ensure[label]
        print(
            f"{ensure['count']} pinned messages.ensure, {label} run: "
            f"{reads} reads (login included), {writes} writes"
        )
    sends = await hundred_sends()
    print(
        f"100 sends at 20/s: {sends['messages']} posted in {sends['seconds']:.2f} s "
        f"({sends['ratio_to_5s']:.3f}x of 5 s), 429 received: {sends['responses_429']}"
    )


if __name__ == "__main__":
    asyncio.run(main())
