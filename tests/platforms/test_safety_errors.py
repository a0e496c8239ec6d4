"""Destructive refusal, mentions, nonces, 403/404 translation, token hygiene, retries."""

from __future__ import annotations

import asyncio

import pytest

from narrator.errors import (
    ConfigError,
    DestructiveRefused,
    PermissionDenied,
    PlatformError,
    ResourceNotFound,
)
from narrator.platforms.discord import DiscordPlatform
from narrator.platforms.emulator import Emulator
from tests.platforms.conftest import GUILD, TOKEN, Harness

DESTRUCTIVE = [
    ("channels.delete", {"channel_id": "1"}),
    ("messages.delete", {"channel_id": "1", "message_id": "2"}),
    ("messages.bulk_delete", {"channel_id": "1", "message_ids": ["2", "3"]}),
    ("messages.clear", {"channel_id": "1"}),
    ("members.ban", {"user_id": "1"}),
    ("members.kick", {"user_id": "1"}),
    ("roles.delete", {"role": "x"}),
]


@pytest.mark.parametrize(("command", "args"), DESTRUCTIVE)
async def test_destructive_command_refused_before_any_request(
    h: Harness, command: str, args: dict[str, str]
) -> None:
    """Without allow_destructive: raises, and sends nothing (not even the login)."""
    with pytest.raises(DestructiveRefused, match="--allow-destructive"):
        await h.run(command, **args)
    assert h.emu.log == []


async def test_model_text_is_sent_with_no_allowed_mentions(h: Harness) -> None:
    """Content from a model pings nobody; static text may ping users/roles but never @everyone."""
    ch = (await h.run("channels.create", name="chat")).output["id"]
    text = "@everyone hello <@100000000000000200>"
    model = await h.run(
        "messages.send", channel_id=ch, content=text, model_text_keys=frozenset({"content"})
    )
    stored = h.emu.world.messages[ch][model.output["id"]]
    assert stored["_allowed_mentions"] == {"parse": []}
    assert stored["mention_everyone"] is False and stored["mentions"] == []
    static = await h.run("messages.send", channel_id=ch, content=text)
    stored = h.emu.world.messages[ch][static.output["id"]]
    assert stored["mention_everyone"] is False and len(stored["mentions"]) == 1
    listed = await h.run(
        "messages.send",
        channel_id=ch,
        content=text,
        mentions=("everyone",),
        model_text_keys=frozenset({"content"}),
    )
    assert h.emu.world.messages[ch][listed.output["id"]]["mention_everyone"] is True


async def test_long_content_is_split_into_several_messages(h: Harness) -> None:
    """A 4,500-character message goes out as 3 messages, each <= 2,000, in order."""
    ch = (await h.run("channels.create", name="chat")).output["id"]
    text = "\n".join(f"line {i} " + "x" * 40 for i in range(100))
    result = await h.run("messages.send", channel_id=ch, content=text)
    sent = [h.emu.world.messages[ch][i]["content"] for i in result.output["ids"]]
    assert len(sent) == 3 and all(len(s) <= 2000 for s in sent)
    assert "".join(sent) == text


async def test_retried_send_with_same_idempotency_key_is_not_duplicated(h: Harness) -> None:
    """messages.send carries a nonce with enforce_nonce: the same act retried posts once."""
    ch = (await h.run("channels.create", name="chat")).output["id"]
    one = await h.run("messages.send", act="post", key="run-1:post", channel_id=ch, content="hi")
    two = await h.run("messages.send", act="post", key="run-1:post", channel_id=ch, content="hi")
    assert one.output["id"] == two.output["id"]
    assert len(h.emu.world.messages[ch]) == 1


async def test_missing_permission_becomes_permission_denied_naming_it(h: Harness) -> None:
    """A bot role without manage_channels: 50013 → PermissionDenied naming manage_channels."""
    h.emu.world.set_bot_permissions(GUILD, ["view_channel", "send_messages"])
    with pytest.raises(PermissionDenied) as info:
        await h.run("channels.create", name="nope")
    text = str(info.value)
    assert "manage_channels" in text and "#nope" in text and "50013" in text
    assert TOKEN not in text


async def test_unknown_channel_becomes_resource_not_found(h: Harness) -> None:
    """A 404 (10003 Unknown Channel) becomes ResourceNotFound naming the channel."""
    with pytest.raises(ResourceNotFound) as info:
        await h.run("messages.send", channel_id="123456789", content="hi")
    assert "channel 123456789" in str(info.value) and "10003" in str(info.value)
    with pytest.raises(ResourceNotFound, match="10008"):
        ch = (await h.run("channels.create", name="c")).output["id"]
        await h.run("messages.get", channel_id=ch, message_id="42")
    with pytest.raises(PlatformError, match="no role named 'Ghosts'"):
        await h.run("roles.get", role="Ghosts")


async def test_invalid_form_body_is_a_platform_error_naming_the_field(h: Harness) -> None:
    """A 50035 answer surfaces Discord's field error."""
    with pytest.raises(PlatformError, match="50035") as info:
        await h.run("events.create", name="x", start_time="2030-01-01T00:00:00Z", location="here")
    assert "scheduled_end_time" in str(info.value)


async def test_token_never_in_errors(emu: Emulator) -> None:
    """Errors about a bad base URL or a refused token never contain the token."""
    platform = DiscordPlatform(TOKEN, api_base="http://127.0.0.1:9/api/v10", timeout=2)
    from narrator.protocols import CommandCall

    call = CommandCall("discord", "channels.list", {}, "a", "r", "k", default_guild_id=GUILD)
    with pytest.raises(PlatformError) as info:
        await platform.execute(call)
    assert TOKEN not in str(info.value) and "127.0.0.1:9" in str(info.value)
    await platform.aclose()


async def test_rejected_token_is_a_config_error(emu: Emulator) -> None:
    """An empty-ish token the server refuses (401) is a ConfigError with a hint."""
    platform = DiscordPlatform(" ", api_base=emu.url)
    from narrator.protocols import CommandCall

    with pytest.raises(ConfigError, match="401"):
        await platform.execute(
            CommandCall("discord", "channels.list", {}, "a", "r", "k", default_guild_id=GUILD)
        )
    await platform.aclose()


async def test_429s_and_500_each_message_posted_exactly_once(h: Harness) -> None:
    """Two 429s (retry_after 0.2) and one 500 after the write: five sends, five messages."""
    ch = (await h.run("channels.create", name="chat")).output["id"]
    h.emu.inject(f"POST /channels/{ch}/messages", status=429, count=2, retry_after=0.2)
    h.emu.inject(f"POST /channels/{ch}/messages", status=500, count=1, after=True)
    for i in range(5):
        await h.run("messages.send", act=f"m{i}", channel_id=ch, content=f"message {i}")
    contents = sorted(m["content"] for m in h.emu.world.messages[ch].values())
    assert contents == [f"message {i}" for i in range(5)]
    statuses = [e.status for e in h.emu.log if e.method == "POST" and "messages" in e.path]
    assert statuses.count(429) == 2 and statuses.count(500) == 1


async def test_503_retried_by_tenacity_for_repeatable_requests(h: Harness) -> None:
    """A 503 (which discord.py does not retry) on a GET is retried with bounded backoff."""
    h.emu.inject(f"GET /guilds/{GUILD}/channels", status=503, count=1)
    result = await h.run("channels.list")
    assert result.output == []


async def test_retry_backoff_sleeps_on_the_injected_clock(emu: Emulator) -> None:
    """A retried 503 waits on the platform's clock (a FakeClock here), never in real time."""
    from narrator.testing import FakeClock

    clock = FakeClock()
    platform = DiscordPlatform(TOKEN, api_base=emu.url, clock=clock)
    emu.inject(f"GET /guilds/{GUILD}/channels", status=503, count=2)
    from narrator.protocols import CommandCall

    result = await platform.execute(
        CommandCall("discord", "channels.list", {}, "a", "r", "k", default_guild_id=GUILD)
    )
    await platform.aclose()
    assert result.output == []
    assert len(clock.slept) == 2 and all(0 < s <= 4 for s in clock.slept)


async def test_concurrent_executes_share_one_guild_read(h: Harness) -> None:
    """The guild cache serves reads after the first: two lists, one channels GET."""
    await h.run("channels.list")
    await asyncio.gather(h.run("channels.list"), h.run("channels.list"))
    gets = [e for e in h.emu.log if e.path == f"/guilds/{GUILD}/channels"]
    assert len(gets) == 1
