"""narrator against Discord-like answers (issue 16) and Botticelli's commands (issue 12): no
reliance on fields Discord does not send, and the behaviour behind the new names."""

from __future__ import annotations

import aiohttp
import pytest

from narrator.errors import PlatformError
from narrator.platforms.emulator import BOT_USER_ID
from tests.platforms.conftest import GUILD, TOKEN, Harness

OTHER_GUILD = "100000000000000777"
USER = "100000000000000200"


async def test_a_message_key_is_saved_under_the_guild_of_its_channel(h: Harness) -> None:
    """The default guild is GUILD, the channel is OTHER_GUILD's: the message key names
    OTHER_GUILD (read from the channel, once per run for many sends)."""
    h.emu.world.add_guild(OTHER_GUILD, "Elsewhere")
    channel = (await h.run("channels.create", name="far", guild_id=OTHER_GUILD)).output["id"]
    await h.fresh_platform()  # a new run: nothing cached
    h.emu.clear_log()
    for act in ("one", "two", "three"):
        await h.run("messages.send", act=act, channel_id=channel, content=act)
    assert h.state[f"discord.{OTHER_GUILD}.message.one"]
    assert h.state[f"discord.{OTHER_GUILD}.message.three"]
    assert not [k for k in h.state if k.startswith(f"discord.{GUILD}.message.")]
    reads = [e.path for e in h.emu.reads() if e.path != "/users/@me"]
    assert reads == [f"/channels/{channel}"]


async def test_webhook_outputs_hide_the_token_and_send_reads_it_with_the_bots(
    h: Harness,
) -> None:
    """The emulator answers id and token only; create and list give Discord's execute URL
    with the token hidden (whoever has it can post as the webhook); webhooks.send through
    that url reads the token with the bot's token (GET /webhooks/ID) and posts; a full URL
    with its token posts without the read; a URL that is not a webhook's is refused."""
    channel = (await h.run("channels.create", name="feed")).output["id"]
    hook = (await h.run("webhooks.create", channel_id=channel, name="Feed")).output
    token = h.emu.world.webhooks[hook["id"]]["token"]
    assert hook["url"] == f"https://discord.com/api/webhooks/{hook['id']}/[redacted]"
    listed = (await h.run("webhooks.list", channel_id=channel)).output
    assert [w["url"] for w in listed] == [hook["url"]]
    assert token not in repr(hook) + repr(listed)
    h.emu.clear_log()
    sent = await h.run("webhooks.send", url=hook["url"] + "?wait=true", content="via url")
    assert h.emu.world.messages[channel][sent.output["id"]]["webhook_id"] == hook["id"]
    assert [(e.method, e.path) for e in h.emu.log] == [
        ("GET", f"/webhooks/{hook['id']}"),
        ("POST", f"/webhooks/{hook['id']}/{token}"),
    ]
    h.emu.clear_log()
    await h.run("webhooks.send", url=hook["url"], content="again")  # the token is known now
    assert [(e.method, e.path) for e in h.emu.log] == [("POST", f"/webhooks/{hook['id']}/{token}")]
    h.emu.clear_log()
    full = f"https://discord.com/api/webhooks/{hook['id']}/{token}"
    await h.run("webhooks.send", url=full, content="with its token")
    assert [(e.method, e.path) for e in h.emu.log] == [("POST", f"/webhooks/{hook['id']}/{token}")]
    with pytest.raises(PlatformError, match="not a webhook URL"):
        await h.run("webhooks.send", url="https://example.com/nothing", content="x")


async def test_botticelli_commands_and_argument_names(h: Harness) -> None:
    """channels.typing, integrations.list, voice_regions.list, reactions.clear_emoji; tts,
    delete_message_days, nickname/deafen, duration_seconds, role_id, auto_archive_duration."""
    h.emu.world.add_user(USER, "alice", GUILD)
    channel = (await h.run("channels.create", name="chat")).output["id"]
    typing = await h.run("channels.typing", channel_id=channel)
    assert typing.output == {"channel_id": channel, "typing": True}
    assert ("POST", f"/channels/{channel}/typing") in [(e.method, e.path) for e in h.emu.log]
    assert (await h.run("integrations.list")).output == []
    regions = (await h.run("voice_regions.list")).output
    assert {"id", "name", "optimal", "deprecated", "custom"} == set(regions[0])

    spoken = (await h.run("messages.send", channel_id=channel, content="hi", tts=True)).output
    assert h.emu.world.messages[channel][spoken["id"]]["tts"] is True
    mid = spoken["id"]
    for emoji in ("👍", "🎉"):
        await h.run("reactions.add", channel_id=channel, message_id=mid, emoji=emoji)
    await h.run(
        "reactions.clear_emoji",
        channel_id=channel,
        message_id=mid,
        emoji="🎉",
        allow_destructive=True,
    )
    assert h.emu.world.messages[channel][mid]["_reactions"] == {"👍": [BOT_USER_ID]}

    role = (await h.run("roles.create", name="Crew")).output["id"]
    await h.run("roles.assign", user_id=USER, role_id=role)
    assert (await h.run("roles.get", role_id=role)).output["name"] == "Crew"
    await h.run("members.edit", user_id=USER, nickname="Al", deafen=True)
    member = h.emu.world.guilds[GUILD]["members"][USER]
    assert (member["nick"], member["deaf"], member["roles"]) == ("Al", True, [role])
    timed = await h.run("members.timeout", user_id=USER, duration_seconds=120)
    assert timed.output["communication_disabled_until"]

    forum = (await h.run("channels.create", name="ideas", kind="forum")).output["id"]
    post = await h.run(
        "forum.create_post", channel_id=forum, name="Q", content="?", auto_archive_duration=60
    )
    meta = h.emu.world.channels[post.output["id"]]["thread_metadata"]
    assert meta["auto_archive_duration"] == 60


async def test_ban_with_delete_message_days_sends_seconds(h: Harness) -> None:
    """Botticelli's delete_message_days (0-7) becomes Discord's delete_message_seconds."""
    h.emu.world.add_user(USER, "alice", GUILD)
    bodies: list[object] = []
    original = h.platform.http.request

    async def spy(method: str, path: str, **kwargs: object) -> object:
        if path == "/guilds/{guild_id}/bans/{user_id}" and method == "PUT":
            bodies.append(kwargs.get("json"))
        return await original(method, path, **kwargs)  # type: ignore[arg-type]

    h.platform.http.request = spy  # type: ignore[method-assign]
    await h.run("members.ban", user_id=USER, delete_message_days=2, allow_destructive=True)
    await h.run("members.unban", user_id=USER)
    h.emu.world.add_user(USER, "alice", GUILD)
    await h.run("members.ban", user_id=USER, delete_message_days=30, allow_destructive=True)
    assert bodies == [{"delete_message_seconds": 172800}, {"delete_message_seconds": 604800}]


async def test_pins_use_the_current_route_and_the_old_one_is_still_served(h: Harness) -> None:
    """narrator pins through /messages/pins; the emulator keeps the deprecated /pins routes for
    clients that still call them (documented in docs/discord.md)."""
    channel = (await h.run("channels.create", name="pins")).output["id"]
    mid = (await h.run("messages.send", channel_id=channel, content="pin me")).output["id"]
    await h.run("messages.pin", channel_id=channel, message_id=mid)
    await h.run("messages.unpin", channel_id=channel, message_id=mid)
    calls = [(e.method, e.path) for e in h.emu.log if "pins" in e.path]
    current = f"/channels/{channel}/messages/pins/{mid}"
    assert calls == [("PUT", current), ("DELETE", current)]
    old = f"{h.emu.url}/channels/{channel}/pins/{mid}"
    async with (
        aiohttp.ClientSession(headers={"Authorization": f"Bot {TOKEN}"}) as http,
        http.put(old) as answer,
    ):
        assert answer.status == 204
    assert h.emu.world.messages[channel][mid]["pinned"] is True
