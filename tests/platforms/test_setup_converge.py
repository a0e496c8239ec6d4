"""The setup-parity ensures against the emulator: guild.ensure, roles.ensure "@everyone",
members.roles_ensure, forum.ensure, invites.ensure — first run, converged re-run (counted in
the request log), plan's drift fields, and a repair with exactly the writes it needs."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from narrator.errors import DestructiveRefused, PlatformError
from narrator.platforms.emulator.server import Emulator
from tests.platforms.conftest import GUILD, Harness

PNG = "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\nfake icon").decode()
USER = "200000000000000001"


def writes(emu: Emulator) -> list[tuple[str, str]]:
    return [(e.method, e.path) for e in emu.writes()]


async def _channels(h: Harness) -> dict[str, str]:
    ids = {}
    for name, kind in (("rules", "text"), ("mod-news", "text"), ("Lounge", "voice")):
        result = await h.run("channels.ensure", act=f"ch_{name}", name=name, kind=kind)
        ids[name] = result.output["id"]
    return ids


SETTINGS = {
    "name": "Parity Guild",
    "description": "Everything Terraform manages",
    "verification_level": "medium",
    "default_message_notifications": "only_mentions",
    "explicit_content_filter": "all_members",
    "afk_channel": "Lounge",
    "afk_timeout": 900,
    "system_channel": "rules",
    "system_channel_flags": [
        "suppress_join_notifications",
        "suppress_guild_reminder_notifications",
    ],
    "rules_channel": "#rules",
    "public_updates_channel": "mod-news",
}


async def test_guild_ensure_sets_converges_and_repairs_one_field(h: Harness) -> None:
    ids = await _channels(h)
    plan = await h.run("guild.ensure", act="server", dry_run=True, **SETTINGS)
    change = plan.changes[0]
    assert change.action == "update" and change.resource == "server settings"
    assert change.fields["verification_level"] == ("none", "medium")
    assert change.fields["afk_channel_id"] == (None, ids["Lounge"])
    assert change.fields["system_channel_flags"] == (
        [],
        ["suppress_join_notifications", "suppress_guild_reminder_notifications"],
    )
    assert writes(h.emu) == [(m, p) for m, p in writes(h.emu) if p.endswith("/channels")]

    h.emu.clear_log()
    first = await h.run("guild.ensure", act="server", **SETTINGS)
    assert writes(h.emu) == [("PATCH", f"/guilds/{GUILD}")]
    guild = h.emu.world.guilds[GUILD]
    assert guild["verification_level"] == 2 and guild["explicit_content_filter"] == 2
    assert guild["default_message_notifications"] == 1 and guild["afk_timeout"] == 900
    assert guild["afk_channel_id"] == ids["Lounge"] and guild["rules_channel_id"] == ids["rules"]
    assert guild["public_updates_channel_id"] == ids["mod-news"]
    assert guild["system_channel_flags"] == 0b101
    assert first.output["name"] == "Parity Guild"

    await h.fresh_platform()
    h.emu.clear_log()
    again = await h.run("guild.ensure", act="server", **SETTINGS)
    assert again.changes[0].action == "unchanged" and again.wrote is False
    assert writes(h.emu) == []
    assert len(h.emu.reads()) <= 3  # login, the guild, its channels

    guild["verification_level"] = 0  # out of band: an admin lowered it
    await h.fresh_platform()
    plan = await h.run("guild.ensure", act="server", dry_run=True, **SETTINGS)
    assert plan.changes[0].action == "drift"
    assert plan.changes[0].fields == {"verification_level": ("none", "medium")}
    h.emu.clear_log()
    await h.run("guild.ensure", act="server", **SETTINGS)
    assert writes(h.emu) == [("PATCH", f"/guilds/{GUILD}")]
    assert guild["verification_level"] == 2

    raised = {**SETTINGS, "verification_level": "high"}  # the declaration changes: an update
    update = await h.run("guild.ensure", act="server", **raised)
    assert update.changes[0].action == "update"
    assert update.changes[0].fields == {"verification_level": ("medium", "high")}


async def test_guild_ensure_names_a_channel_still_to_be_created_in_plan_only(h: Harness) -> None:
    plan = await h.run("guild.ensure", act="server", dry_run=True, rules_channel="rules")
    assert plan.changes[0].fields == {"rules_channel_id": (None, "(new text channel rules)")}
    with pytest.raises(PlatformError, match="no text channel 'rules' for rules_channel"):
        await h.run("guild.ensure", act="server", rules_channel="rules")
    assert writes(h.emu) == []


async def test_guild_ensure_refuses_to_weaken_the_server_without_permission(h: Harness) -> None:
    await h.run("guild.ensure", act="server", verification_level="high")
    h.emu.clear_log()
    with pytest.raises(DestructiveRefused, match="lower verification_level from high to low"):
        await h.run("guild.ensure", act="server", verification_level="low")
    with pytest.raises(DestructiveRefused):
        await h.run("guild.ensure", act="server", dry_run=True, verification_level="low")
    assert writes(h.emu) == []
    await h.run("guild.ensure", act="server", verification_level="low", allow_destructive=True)
    assert h.emu.world.guilds[GUILD]["verification_level"] == 1


async def test_guild_icon_is_uploaded_once_and_a_replaced_icon_is_drift(h: Harness) -> None:
    await h.run("guild.ensure", act="server", icon=PNG)
    uploaded = h.emu.world.guilds[GUILD]["icon"]
    assert uploaded and h.state[f"discord.{GUILD}.spec.guild.icon"].endswith(":" + uploaded)
    await h.fresh_platform()
    h.emu.clear_log()
    same = await h.run("guild.ensure", act="server", icon=PNG)
    assert same.changes[0].action == "unchanged" and writes(h.emu) == []
    h.emu.world.guilds[GUILD]["icon"] = "0123abcd"  # someone uploaded another image
    await h.fresh_platform()
    plan = await h.run("guild.ensure", act="server", dry_run=True, icon=PNG)
    assert plan.changes[0].action == "drift"
    assert plan.changes[0].fields["icon"][0] == "hash 0123abcd"
    with pytest.raises(DestructiveRefused, match="remove the server icon"):
        await h.run("guild.ensure", act="server", icon="")


async def test_everyone_permissions_converge_and_drift(h: Harness) -> None:
    perms = ["read_message_history", "view_channel"]  # as plan lists them: sorted
    plan = await h.run(
        "roles.ensure", act="everyone", dry_run=True, name="@everyone", permissions=perms
    )
    assert plan.changes[0].action == "update"
    assert plan.changes[0].fields["permissions"][1] == perms
    await h.run("roles.ensure", act="everyone", name="@everyone", permissions=perms)
    everyone = h.emu.world.guilds[GUILD]["roles"][GUILD]
    assert everyone["permissions"] == str((1 << 10) | (1 << 16))
    await h.fresh_platform()
    h.emu.clear_log()
    again = await h.run("roles.ensure", act="everyone", name="@everyone", permissions=perms)
    assert again.changes[0].action == "unchanged" and writes(h.emu) == []
    assert len(h.emu.reads()) <= 2
    everyone["permissions"] = str(1 << 10)
    await h.fresh_platform()
    h.emu.clear_log()
    fixed = await h.run("roles.ensure", act="everyone", name="@everyone", permissions=perms)
    assert fixed.changes[0].action == "drift"
    assert fixed.changes[0].fields == {"permissions": (["view_channel"], perms)}
    assert writes(h.emu) == [("PATCH", f"/guilds/{GUILD}/roles/{GUILD}")]
    with pytest.raises(PlatformError, match="no color"):
        await h.run("roles.ensure", name="@everyone", color="#ff0000", permissions=perms)
    with pytest.raises(PlatformError, match="needs permissions"):
        await h.run("roles.ensure", name="@everyone")
    narrower = await h.run("roles.ensure", act="everyone", name="@everyone", permissions=[])
    assert narrower.changes[0].action == "update", "a changed declaration is an update"


async def _member_setup(h: Harness) -> dict[str, str]:
    h.emu.world.add_user(USER, "alice", GUILD)
    ids = {}
    for name in ("Members", "Trial", "Artists"):
        ids[name] = (await h.run("roles.ensure", act=f"role_{name}", name=name)).output["id"]
    h.emu.world.guilds[GUILD]["members"][USER]["roles"] = [ids["Trial"], ids["Artists"]]
    return ids


async def test_member_roles_add_and_remove_only_the_managed_ones(h: Harness) -> None:
    ids = await _member_setup(h)
    args = {"user_id": USER, "roles": ["Members"], "managed": ["Trial"]}
    plan = await h.run("members.roles_ensure", act="alice", dry_run=True, **args)
    change = plan.changes[0]
    assert change.resource == f"roles of member alice ({USER})"
    assert change.fields == {"Members": (False, True), "Trial": (True, False)}
    h.emu.clear_log()
    done = await h.run("members.roles_ensure", act="alice", **args)
    member_roles = f"/guilds/{GUILD}/members/{USER}/roles"
    assert writes(h.emu) == [
        ("PUT", f"{member_roles}/{ids['Members']}"),
        ("DELETE", f"{member_roles}/{ids['Trial']}"),
    ]
    assert done.output == {
        "user_id": USER,
        "roles": ["Members"],
        "added": ["Members"],
        "removed": ["Trial"],
    }
    held = h.emu.world.guilds[GUILD]["members"][USER]["roles"]
    assert set(held) == {ids["Members"], ids["Artists"]}, "an unmanaged role is left alone"

    await h.fresh_platform()
    h.emu.clear_log()
    again = await h.run("members.roles_ensure", act="alice", **args)
    assert again.changes[0].action == "unchanged" and writes(h.emu) == []
    assert len(h.emu.reads()) <= 3  # login, the guild (roles), the member

    held.remove(ids["Members"])  # a moderator took it away
    await h.fresh_platform()
    plan = await h.run("members.roles_ensure", act="alice", dry_run=True, **args)
    assert plan.changes[0].action == "drift"
    assert plan.changes[0].fields == {"Members": (False, True)}
    h.emu.clear_log()
    await h.run("members.roles_ensure", act="alice", **args)
    assert writes(h.emu) == [("PUT", f"{member_roles}/{ids['Members']}")]

    # the declaration changes: Artists is now governed and not wanted — an update, one DELETE
    h.emu.clear_log()
    changed = {**args, "managed": ["Trial", "Artists"]}
    update = await h.run("members.roles_ensure", act="alice", **changed)
    assert update.changes[0].action == "update"
    assert update.changes[0].fields == {"Artists": (True, False)}
    assert writes(h.emu) == [("DELETE", f"{member_roles}/{ids['Artists']}")]


async def test_member_roles_exactly_removes_every_other_assignable_role(h: Harness) -> None:
    ids = await _member_setup(h)
    before = list(h.emu.world.guilds[GUILD]["members"][USER]["roles"])
    h.emu.clear_log()
    args: dict[str, Any] = {"user_id": USER, "roles": ["Members"], "exactly": True}
    for dry_run in (True, False):  # plan shows the refusal; run refuses before any request
        with pytest.raises(DestructiveRefused, match=r"exactly = true would take '"):
            await h.run("members.roles_ensure", act="alice", dry_run=dry_run, **args)
    assert writes(h.emu) == [] and h.emu.world.guilds[GUILD]["members"][USER]["roles"] == before
    await h.run("members.roles_ensure", act="alice", allow_destructive=True, **args)
    held = h.emu.world.guilds[GUILD]["members"][USER]["roles"]
    assert held == [ids["Members"]]
    assert len(writes(h.emu)) == 3  # one PUT, two DELETEs; the bot's managed role untouched


async def test_forum_ensure_tags_and_reaction_keep_tag_ids(h: Harness) -> None:
    tags = ["Bug", {"name": "Idea", "emoji": "💡"}, {"name": "Staff", "moderated": True}]
    made = await h.run("forum.ensure", act="forum", name="Ideas", tags=tags, default_reaction="👍")
    forum = h.emu.world.channels[made.output["id"]]
    assert forum["type"] == 15 and forum["name"] == "ideas"
    assert [t["name"] for t in forum["available_tags"]] == ["Bug", "Idea", "Staff"]
    assert forum["default_reaction_emoji"] == {"emoji_id": None, "emoji_name": "👍"}
    assert made.output["tags"][1]["emoji"] == "💡"
    bug_id = forum["available_tags"][0]["id"]

    await h.fresh_platform()
    h.emu.clear_log()
    again = await h.run("forum.ensure", act="forum", name="Ideas", tags=tags, default_reaction="👍")
    assert again.changes[0].action == "unchanged" and writes(h.emu) == []
    assert len(h.emu.reads()) <= 2

    forum["available_tags"][0]["name"] = "Bugs"  # renamed out of band
    forum["default_reaction_emoji"] = None
    await h.fresh_platform()
    plan = await h.run(
        "forum.ensure", act="forum", dry_run=True, name="Ideas", tags=tags, default_reaction="👍"
    )
    assert plan.changes[0].action == "drift"
    assert plan.changes[0].fields == {
        "available_tags": (["Bugs", "💡 Idea", "Staff *"], ["Bug", "💡 Idea", "Staff *"]),
        "default_reaction_emoji": (None, "👍"),
    }
    h.emu.clear_log()
    await h.run("forum.ensure", act="forum", name="Ideas", tags=tags, default_reaction="👍")
    assert writes(h.emu) == [("PATCH", f"/channels/{forum['id']}")]
    assert [t["name"] for t in forum["available_tags"]] == ["Bug", "Idea", "Staff"]
    assert forum["available_tags"][0]["id"] == bug_id, "a renamed-back tag keeps its id"
    kept = {t["name"]: t["id"] for t in forum["available_tags"]}
    more = [*tags, "Question"]
    await h.run("forum.ensure", act="forum", name="Ideas", tags=more, default_reaction="👍")
    after = {t["name"]: t["id"] for t in forum["available_tags"]}
    assert {k: after[k] for k in kept} == kept, "tags that stay keep their ids"
    assert "Question" in after

    h.emu.clear_log()  # a tag left out is deleted (posts lose it): destructive
    for dry_run in (True, False):
        with pytest.raises(DestructiveRefused, match="would delete the tag 'Question'"):
            await h.run(
                "forum.ensure", act="forum", dry_run=dry_run, name="Ideas", tags=tags,
                default_reaction="👍",
            )  # fmt: skip
    assert writes(h.emu) == [] and "Question" in [t["name"] for t in forum["available_tags"]]
    await h.run(
        "forum.ensure", act="forum", name="Ideas", tags=tags, default_reaction="👍",
        allow_destructive=True,
    )  # fmt: skip
    assert [t["name"] for t in forum["available_tags"]] == ["Bug", "Idea", "Staff"]


async def test_invites_ensure_adopts_instead_of_making_another(h: Harness) -> None:
    channel = (await h.run("channels.ensure", act="ch", name="welcome")).output["id"]
    args = {"channel_id": channel, "max_age": 0, "max_uses": 0}
    first = await h.run("invites.ensure", act="join", **args)
    assert first.changes[0].action == "create"
    invites = h.emu.world.guilds[GUILD]["invites"]
    assert len(invites) == 1 and h.state[f"discord.{GUILD}.invite.join"] == first.output["code"]

    await h.fresh_platform()
    h.emu.clear_log()
    again = await h.run("invites.ensure", act="join", **args)
    assert again.changes[0].action == "unchanged" and writes(h.emu) == []
    assert len(h.emu.reads()) <= 3  # login, the channel, its invites
    assert again.output["code"] == first.output["code"]

    del h.state[f"discord.{GUILD}.invite.join"]  # state lost (a crash before the commit)
    adopted = await h.run("invites.ensure", act="join", **args)
    assert adopted.changes[0].reason == "adopted an invite with these settings"
    assert len(invites) == 1 and adopted.output["code"] == first.output["code"]

    invites.clear()  # revoked out of band
    plan = await h.run("invites.ensure", act="join", dry_run=True, **args)
    assert plan.changes[0].action == "drift"
    h.emu.clear_log()
    repaired = await h.run("invites.ensure", act="join", **args)
    assert writes(h.emu) == [("POST", f"/channels/{channel}/invites")]
    assert h.state[f"discord.{GUILD}.invite.join"] == repaired.output["code"]

    changed = await h.run("invites.ensure", act="join", channel_id=channel, max_age=3600)
    assert changed.changes[0].action == "create" and len(invites) == 2


async def test_emulator_reuses_a_similar_invite_unless_unique(h: Harness) -> None:
    """As Discord: unique = false answers the bot's invite with the same settings."""
    channel = (await h.run("channels.ensure", act="ch", name="welcome")).output["id"]
    one = await h.run("channels.create_invite", channel_id=channel, max_age=0)
    again = await h.run("channels.create_invite", channel_id=channel, max_age=0)
    other = await h.run("channels.create_invite", channel_id=channel, max_age=3600)
    fresh = await h.run("channels.create_invite", channel_id=channel, max_age=0, unique=True)
    assert one.output["code"] == again.output["code"]
    assert len({one.output["code"], other.output["code"], fresh.output["code"]}) == 3
    invite = h.emu.world.guilds[GUILD]["invites"][one.output["code"]]
    assert invite["inviter"]["id"] == h.emu.world.bot_id
