"""Convergent *.ensure commands against the emulator, counted in its request log."""

from __future__ import annotations

from narrator.protocols import Change
from tests.platforms.conftest import GUILD, Harness

SETUP = [
    ("categories.ensure", {"name": "Info"}),
    ("channels.ensure", {"name": "welcome", "topic": "Say hi", "category": "Info"}),
    ("channels.ensure", {"name": "rules", "topic": "Be kind", "category": "Info"}),
    ("channels.ensure", {"name": "Lounge", "kind": "voice"}),
    (
        "roles.ensure",
        {
            "name": "Moderators",
            "color": "#3498db",
            "hoist": True,
            "permissions": ["manage_messages", "kick_members"],
        },
    ),
]


async def _setup(h: Harness) -> dict[str, str]:
    ids: dict[str, str] = {}
    for command, args in SETUP:
        result = await h.run(command, act=f"{command}:{args['name']}", **args)
        ids[args["name"]] = result.output["id"]
    rules = ids["rules"]
    await h.run(
        "permissions.ensure",
        act="ow",
        channel_id=rules,
        role="Moderators",
        allow=["send_messages"],
        deny=[],
    )
    await h.run(
        "permissions.ensure", act="ow2", channel_id=rules, role="@everyone", deny=["send_messages"]
    )
    return ids


async def test_first_run_creates_everything_with_category_placement(h: Harness) -> None:
    """A first run creates categories, channels (placed by category name), roles, overwrites."""
    ids = await _setup(h)
    world = h.emu.world
    assert world.channels[ids["welcome"]]["parent_id"] == ids["Info"]
    assert world.channels[ids["welcome"]]["topic"] == "Say hi"
    assert world.channels[ids["Lounge"]]["type"] == 2
    role = world.guilds[GUILD]["roles"][ids["Moderators"]]
    assert role["color"] == 0x3498DB and role["hoist"] is True
    overwrites = {o["id"]: o for o in world.channels[ids["rules"]]["permission_overwrites"]}
    assert overwrites[ids["Moderators"]]["allow"] == str(1 << 11)
    assert overwrites[GUILD]["deny"] == str(1 << 11)
    assert h.state[f"discord.{GUILD}.category.Info"] == ids["Info"]
    assert h.state[f"discord.{GUILD}.role.Moderators"] == ids["Moderators"]


async def test_converged_rerun_reads_guild_once_and_writes_nothing(h: Harness) -> None:
    """A second run: login + channels + roles = 3 reads, zero writes, all unchanged."""
    await _setup(h)
    await h.fresh_platform()
    h.emu.clear_log()
    ids = {}
    actions = []
    for command, args in SETUP:
        result = await h.run(command, act=f"{command}:{args['name']}", **args)
        ids[args["name"]] = result.output["id"]
        actions.append(result.changes[0].action)
        assert result.wrote is False
    for act, role in (("ow", "Moderators"), ("ow2", "@everyone")):
        allow = ["send_messages"] if role == "Moderators" else []
        deny = [] if role == "Moderators" else ["send_messages"]
        result = await h.run(
            "permissions.ensure",
            act=act,
            channel_id=ids["rules"],
            role=role,
            allow=allow,
            deny=deny,
        )
        actions.append(result.changes[0].action)
    assert set(actions) == {"unchanged"}
    assert h.emu.writes() == []
    assert len(h.emu.reads()) <= 3


async def test_out_of_band_delete_is_recreated_and_state_corrected(h: Harness) -> None:
    """A channel deleted behind narrator's back is drift: recreated, key points to the new id."""
    ids = await _setup(h)
    del h.emu.world.channels[ids["welcome"]]
    await h.fresh_platform()
    plan = await h.run(
        "channels.ensure", dry_run=True, name="welcome", topic="Say hi", category="Info"
    )
    assert plan.changes[0].action == "drift" and plan.wrote is False
    assert ids["welcome"] not in h.emu.world.channels
    result = await h.run("channels.ensure", name="welcome", topic="Say hi", category="Info")
    new_id = result.output["id"]
    assert new_id != ids["welcome"] and new_id in h.emu.world.channels
    assert h.state[f"discord.{GUILD}.channel.welcome"] == new_id


async def test_out_of_band_rename_is_reverted_and_reported_as_drift(h: Harness) -> None:
    """A renamed channel is found by its stored id, renamed back, and reported as drift."""
    ids = await _setup(h)
    h.emu.world.channels[ids["rules"]]["name"] = "anything-goes"
    await h.fresh_platform()
    h.emu.clear_log()
    result = await h.run("channels.ensure", name="rules", topic="Be kind", category="Info")
    change = result.changes[0]
    assert change.action == "drift"
    assert change.fields == {"name": ("anything-goes", "rules")}
    assert h.emu.world.channels[ids["rules"]]["name"] == "rules"
    assert [(e.method, e.path) for e in h.emu.writes()] == [("PATCH", f"/channels/{ids['rules']}")]


async def test_role_edited_out_of_band_is_drift_and_only_differing_fields_patched(
    h: Harness,
) -> None:
    """An out-of-band role colour change is drift; the repair PATCH sends only the colour."""
    ids = await _setup(h)
    h.emu.world.guilds[GUILD]["roles"][ids["Moderators"]]["color"] = 0xFF0000
    await h.fresh_platform()
    args = dict(SETUP[4][1])
    plan = await h.run("roles.ensure", dry_run=True, **args)
    assert plan.changes[0].action == "drift"
    assert plan.changes[0].fields == {"color": ("#ff0000", "#3498db")}
    h.emu.clear_log()
    await h.run("roles.ensure", **args)
    assert [e.method for e in h.emu.writes()] == ["PATCH"]
    assert h.emu.world.guilds[GUILD]["roles"][ids["Moderators"]]["color"] == 0x3498DB


async def test_changed_declaration_is_an_update_not_drift(h: Harness) -> None:
    """When the narrative's declared topic changes, ensure reports an update with old -> new."""
    await _setup(h)
    result = await h.run("channels.ensure", name="welcome", topic="New topic", category="Info")
    assert result.changes[0] == Change(
        "update", "channel #welcome", fields={"topic": ("Say hi", "New topic")}
    )


async def test_plan_dry_run_writes_nothing(h: Harness) -> None:
    """dry_run on a fresh guild reports creates and performs no write request."""
    for command, args in SETUP:
        result = await h.run(command, dry_run=True, **args)
        assert result.changes[0].action == "create" and result.wrote is False
    result = await h.run(
        "permissions.ensure",
        dry_run=True,
        channel_id=None,
        role="Moderators",
        allow=["send_messages"],
    )
    assert result.changes[0].action == "create"
    result = await h.run("messages.ensure", dry_run=True, channel_id=None, content="hi")
    assert result.changes[0].action == "send"
    result = await h.run("messages.send", dry_run=True, channel_id="1", content="hi")
    assert result.changes[0].action == "send"
    assert h.emu.writes() == []
    assert h.state == {}


async def test_adopts_existing_channel_by_name_without_stored_id(h: Harness) -> None:
    """A channel made by hand is adopted by name (no duplicate) and its id captured."""
    made = await h.run("channels.create", name="general")
    h.state.clear()
    result = await h.run("channels.ensure", name="general")
    assert result.output["id"] == made.output["id"]
    assert h.state[f"discord.{GUILD}.channel.general"] == made.output["id"]


async def test_get_or_create_alias_with_channel_type(h: Harness) -> None:
    """Botticelli's channels.get_or_create with channel_type creates once, then returns it."""
    one = await h.run("channels.get_or_create", name="welcome", channel_type="text")
    two = await h.run("channels.get_or_create", name="welcome", channel_type="text")
    assert one.output["id"] == two.output["id"] and two.wrote is False


async def test_messages_ensure_posts_once_edits_and_reposts(h: Harness) -> None:
    """messages.ensure: post+pin once; unchanged re-run; edit on new content; re-send if deleted."""
    ch = (await h.run("channels.ensure", name="welcome")).output["id"]
    first = await h.run(
        "messages.ensure", act="welcome_msg", channel_id=ch, content="Hello", pin=True
    )
    mid = first.output["id"]
    assert h.emu.world.messages[ch][mid]["pinned"] is True
    assert h.state[f"discord.{GUILD}.message.welcome_msg"] == mid
    h.emu.clear_log()
    same = await h.run(
        "messages.ensure", act="welcome_msg", channel_id=ch, content="Hello", pin=True
    )
    assert same.changes[0].action == "unchanged" and h.emu.writes() == []
    edit = await h.run(
        "messages.ensure", act="welcome_msg", channel_id=ch, content="Hello!", pin=True
    )
    assert edit.changes[0].action == "update" and edit.output["id"] == mid
    assert h.emu.world.messages[ch][mid]["content"] == "Hello!"
    del h.emu.world.messages[ch][mid]
    again = await h.run(
        "messages.ensure", act="welcome_msg", channel_id=ch, content="Hello!", pin=True
    )
    assert again.changes[0].action == "drift"
    new = again.output["id"]
    assert new != mid and h.emu.world.messages[ch][new]["pinned"] is True


async def test_webhooks_ensure_creates_once(h: Harness) -> None:
    """webhooks.ensure creates a webhook by name once and captures its id."""
    ch = (await h.run("channels.ensure", name="announcements")).output["id"]
    one = await h.run("webhooks.ensure", channel_id=ch, name="Feed")
    two = await h.run("webhooks.ensure", channel_id=ch, name="Feed")
    assert one.output["id"] == two.output["id"] and two.wrote is False
    assert h.state[f"discord.{GUILD}.webhook.Feed"] == one.output["id"]
