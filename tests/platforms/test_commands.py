"""Every command family through discord.py's HTTP client against the emulator."""

from __future__ import annotations

from narrator.platforms.emulator import BOT_USER_ID
from tests.platforms.conftest import GUILD, Harness

USER = "100000000000000200"


async def test_server_and_guild(h: Harness) -> None:
    """server.get_stats counts; guild.edit renames the guild."""
    stats = await h.run("server.get_stats")
    assert stats.output["name"] == "Sandbox" and stats.output["member_count"] == 1
    await h.run("guild.edit", name="Renamed")
    assert h.emu.world.guilds[GUILD]["name"] == "Renamed"


async def test_channel_family(h: Harness) -> None:
    """channels create/list/get/edit/create_invite/delete work and keep the cache coherent."""
    cat = await h.run("channels.create", name="Info", kind="category")
    forum = await h.run("channels.create", name="ideas", kind="forum")
    ann = await h.run("channels.create", name="news", kind="announcement", category="Info")
    assert ann.output["kind"] == "announcement" and ann.output["category_id"] == cat.output["id"]
    names = {c["name"] for c in (await h.run("channels.list")).output}
    assert names == {"Info", "ideas", "news"}
    got = await h.run("channels.get", name="news")
    assert got.output["id"] == ann.output["id"]
    await h.run("channels.edit", channel_id=ann.output["id"], topic="Updates", name="updates")
    assert h.emu.world.channels[ann.output["id"]]["topic"] == "Updates"
    invite = await h.run("channels.create_invite", channel_id=ann.output["id"], max_age=0)
    assert invite.output["code"] and invite.output["max_age"] == 0
    codes = [i["code"] for i in (await h.run("invites.list")).output]
    assert codes == [invite.output["code"]]
    await h.run("channels.delete", channel_id=forum.output["id"], allow_destructive=True)
    names = {c["name"] for c in (await h.run("channels.list")).output}
    assert names == {"Info", "updates"}


async def test_role_and_member_family(h: Harness) -> None:
    """roles create/get/edit/assign/remove/delete and members list/get/edit/timeout/kick/ban."""
    h.emu.world.add_user(USER, "alice", GUILD)
    role = await h.run("roles.create", name="Helpers", color=0x00FF00, permissions=["view_channel"])
    assert (await h.run("roles.get", role="Helpers")).output["permissions"] == ["view_channel"]
    await h.run("roles.edit", role="Helpers", name="Helpers+", mentionable=True)
    await h.run("roles.assign", user_id=USER, role="Helpers+")
    member = await h.run("members.get", user_id=USER)
    assert member.output["roles"] == [role.output["id"]]
    await h.run("roles.remove", user_id=USER, role=role.output["id"])
    listed = await h.run("members.list", limit=10)
    assert {m["id"] for m in listed.output} == {BOT_USER_ID, USER}
    await h.run("members.edit", user_id=USER, nick="Al")
    timed = await h.run("members.timeout", user_id=USER, duration="10m")
    assert timed.output["communication_disabled_until"]
    await h.run("members.remove_timeout", user_id=USER)
    assert h.emu.world.guilds[GUILD]["members"][USER]["communication_disabled_until"] is None
    await h.run("members.ban", user_id=USER, allow_destructive=True, reason="spam")
    assert [b["user_id"] for b in (await h.run("bans.list")).output] == [USER]
    await h.run("members.unban", user_id=USER)
    assert (await h.run("bans.list")).output == []
    h.emu.world.add_user(USER, "alice", GUILD)
    await h.run("members.kick", user_id=USER, allow_destructive=True)
    assert USER not in h.emu.world.guilds[GUILD]["members"]
    await h.run("roles.delete", role="Helpers+", allow_destructive=True)
    assert "Helpers+" not in {r["name"] for r in (await h.run("roles.list")).output}


async def test_message_and_reaction_family(h: Harness) -> None:
    """messages send/get/list/edit/pin/unpin/delete/bulk_delete/clear and reactions."""
    ch = (await h.run("channels.create", name="chat")).output["id"]
    ids = [
        (await h.run("messages.send", channel_id=ch, content=f"m{i}")).output["id"]
        for i in range(5)
    ]
    assert (await h.run("messages.get", channel_id=ch, message_id=ids[0])).output["content"] == "m0"
    listed = await h.run("messages.list", channel_id=ch, limit=3)
    assert [m["content"] for m in listed.output] == ["m4", "m3", "m2"]
    await h.run("messages.edit", channel_id=ch, message_id=ids[0], content="edited")
    await h.run("messages.pin", channel_id=ch, message_id=ids[0])
    assert h.emu.world.messages[ch][ids[0]]["pinned"] is True
    await h.run("messages.unpin", channel_id=ch, message_id=ids[0])
    await h.run("reactions.add", channel_id=ch, message_id=ids[1], emoji="👍")
    users = await h.run("reactions.list", channel_id=ch, message_id=ids[1], emoji="👍")
    assert [u["id"] for u in users.output] == [BOT_USER_ID]
    await h.run("reactions.remove", channel_id=ch, message_id=ids[1], emoji="👍")
    await h.run("reactions.add", channel_id=ch, message_id=ids[1], emoji="🎉")
    await h.run("reactions.clear", channel_id=ch, message_id=ids[1], allow_destructive=True)
    assert h.emu.world.messages[ch][ids[1]]["_reactions"] == {}
    await h.run("messages.delete", channel_id=ch, message_id=ids[4], allow_destructive=True)
    await h.run("messages.bulk_delete", channel_id=ch, message_ids=ids[2:4], allow_destructive=True)
    assert set(h.emu.world.messages[ch]) == set(ids[:2])
    cleared = await h.run("messages.clear", channel_id=ch, allow_destructive=True)
    assert cleared.output == {"deleted": 2} and h.emu.world.messages[ch] == {}


async def test_thread_and_forum_family(h: Harness) -> None:
    """threads create/edit/join/leave/add/remove/list/get/delete; forum posts."""
    h.emu.world.add_user(USER, "alice", GUILD)
    ch = (await h.run("channels.create", name="chat")).output["id"]
    mid = (await h.run("messages.send", channel_id=ch, content="start")).output["id"]
    thread = (await h.run("threads.create", channel_id=ch, name="talk", message_id=mid)).output
    other = (await h.run("threads.create", channel_id=ch, name="side")).output
    await h.run("threads.edit", thread_id=other["id"], name="side-2")
    await h.run("threads.leave", thread_id=thread["id"])
    await h.run("threads.join", thread_id=thread["id"])
    await h.run("threads.add_member", thread_id=thread["id"], user_id=USER)
    assert USER in h.emu.world.channels[thread["id"]]["_members"]
    await h.run("threads.remove_member", thread_id=thread["id"], user_id=USER)
    names = {t["name"] for t in (await h.run("threads.list", channel_id=ch)).output}
    assert names == {"talk", "side-2"}
    assert (await h.run("threads.get", thread_id=thread["id"])).output["parent_id"] == ch
    await h.run("threads.delete", thread_id=other["id"], allow_destructive=True)
    forum = (await h.run("channels.create", name="ideas", kind="forum")).output["id"]
    post = (await h.run("forum.create_post", channel_id=forum, name="Idea", content="Body")).output
    assert post["message_id"] == post["id"]
    posts = await h.run("forum.list_posts", channel_id=forum)
    assert [p["name"] for p in posts.output] == ["Idea"]
    assert (await h.run("forum.get_post", thread_id=post["id"])).output["name"] == "Idea"


async def test_events_permissions_webhooks_and_listings(h: Harness) -> None:
    """events CRUD; permissions set/clear; webhooks create/list/send/delete; emoji/sticker lists."""
    event = (
        await h.run(
            "events.create",
            name="Game night",
            start_time="2030-01-01T20:00:00Z",
            end_time="2030-01-01T22:00:00Z",
            location="Online",
        )
    ).output
    await h.run("events.edit", event_id=event["id"], description="Bring snacks")
    assert (await h.run("events.get", event_id=event["id"])).output["description"] == "Bring snacks"
    assert len((await h.run("events.list")).output) == 1
    await h.run("events.delete", event_id=event["id"], allow_destructive=True)
    ch = (await h.run("channels.create", name="chat")).output["id"]
    await h.run("roles.create", name="Muted")
    await h.run("permissions.set", channel_id=ch, role="Muted", deny=["send_messages"])
    assert len(h.emu.world.channels[ch]["permission_overwrites"]) == 1
    await h.run("permissions.clear", channel_id=ch, role="Muted", allow_destructive=True)
    assert h.emu.world.channels[ch]["permission_overwrites"] == []
    hook = (await h.run("webhooks.create", channel_id=ch, name="Feed")).output
    assert [w["name"] for w in (await h.run("webhooks.list", channel_id=ch)).output] == ["Feed"]
    sent = await h.run("webhooks.send", url=hook["url"], content="via hook", username="Bot")
    assert h.emu.world.messages[ch][sent.output["id"]]["webhook_id"] == hook["id"]
    await h.run("webhooks.delete", webhook_id=hook["id"], allow_destructive=True)
    assert (await h.run("webhooks.list")).output == []
    assert (await h.run("emojis.list")).output == []
    assert (await h.run("stickers.list")).output == []
