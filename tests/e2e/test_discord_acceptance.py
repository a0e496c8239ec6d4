"""Issue 4 acceptance through the CLI against a real emulator process.

Both narrator and the Discord REST emulator run as separate processes: the
emulator is ``python -m narrator.platforms.emulator --port 0`` (one per test, a
fresh sandbox guild), narrator is ``python -m narrator`` in a fresh directory
whose narrator.toml points ``[discord] api_base`` at the emulator. The tests
read the emulator's request log and world, inject faults and edit the guild
out of band over HTTP, as an outside acceptance suite would.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from tests.e2e.cli import Cli, Result
from tests.e2e.emulator import GUILD, ROOT, EmulatorProcess

SETUP = ROOT / "narratives/discord/community_setup.toml"


def ok(result: Result) -> Result:
    assert result.code == 0, result.out + result.err
    return result


def changes(plan: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(act, action, resource) for every change a ``plan --json`` lists."""
    return [
        (act["name"], change["action"], change["resource"])
        for act in plan["acts"]
        for change in act.get("changes") or []
    ]


def test_community_setup_creates_converges_and_repairs_exactly_the_two_drifts(
    discord_cli: Cli, emulator: EmulatorProcess
) -> None:
    """First run creates everything, a re-run writes nothing, and out-of-band drift is repaired.

    After #rules is deleted and the Members role's colour is edited behind narrator's
    back, ``plan`` lists exactly two drifts (``!``): the role and the channel. The only
    other pending change is the one the recreated channel depends on: ``rules_readonly``
    (``permissions.ensure`` on #rules) is a ``+ create`` of the @everyone overwrite on
    "a channel to be created" — a new channel has no overwrites (docs/discord.md: the
    stored id is verified, the channel recreated and the key corrected, and later acts
    receive the new id). #rules has no other dependants (no message, no second overwrite).

    So the repair ``run`` makes exactly three writes:
      1. ``PATCH /guilds/G/roles/MEMBERS``          the role edit, reverted
      2. ``POST /guilds/G/channels``                #rules recreated
      3. ``PUT /channels/NEW/permissions/G``         its @everyone overwrite (G = @everyone id)
    and ``plan --detailed-exitcode`` then exits 0.
    """
    first = ok(discord_cli("run", "--json", str(SETUP)))
    assert first.json()["status"] == "done"
    world = emulator.world()
    channels = {c["name"]: c for c in world["channels"].values() if c["guild_id"] == GUILD}
    roles = {r["name"]: r for r in world["guilds"][GUILD]["roles"].values()}
    assert {"welcome", "rules", "announcements", "general", "introductions", "help"} <= set(
        channels
    )
    assert {"Info", "Community", "Voice", "Lounge"} <= set(channels)
    assert {"Moderators", "Members", "Announcers"} <= set(roles)
    assert emulator.writes(), "the first run must create the server"

    emulator.clear_log()
    ok(discord_cli("run", str(SETUP)))
    assert emulator.writes() == [], "a converged re-run makes zero writes"

    # Out of band: delete #rules, recolour Members (direct REST calls), then forget them.
    old_rules = channels["rules"]["id"]
    members = roles["Members"]["id"]
    emulator.discord("DELETE", f"/channels/{old_rules}")
    emulator.discord("PATCH", f"/guilds/{GUILD}/roles/{members}", {"color": 0xFF0000})
    emulator.clear_log()

    plan = ok(discord_cli("plan", "--json", str(SETUP))).json()
    assert plan["pending"] is True
    listed = changes(plan)
    drifts = [(act, resource) for act, action, resource in listed if action == "drift"]
    assert sorted(drifts) == [("channel_rules", "channel #rules"), ("role_members", "role Members")]
    others = [c for c in listed if c[1] not in {"drift", "unchanged"}]
    assert [(act, action) for act, action, _ in others] == [("rules_readonly", "create")]
    role_drift = next(
        change for act in plan["acts"] if act["name"] == "role_members" for change in act["changes"]
    )
    assert role_drift == {  # the JSON shape of a change, keys in this order
        "action": "drift",
        "resource": "role Members",
        "fields": {"color": ["#ff0000", "#2ecc71"]},
        "reason": "changed out of band; will be restored",
    }
    assert list(role_drift) == ["action", "resource", "fields", "reason"]

    text = discord_cli("plan", "--detailed-exitcode", str(SETUP))
    assert text.code == 3, text.out + text.err
    bang = [line.strip() for line in text.out.splitlines() if line.strip().startswith("!")]
    assert len(bang) == 2, text.out
    assert any("role Members" in line for line in bang)
    assert any("channel #rules" in line for line in bang)
    assert "changes pending" in text.out
    assert emulator.writes() == [], "plan writes nothing"

    emulator.clear_log()
    ok(discord_cli("run", str(SETUP)))
    world = emulator.world()
    new_rules = next(
        c for c in world["channels"].values() if c["guild_id"] == GUILD and c["name"] == "rules"
    )
    assert new_rules["id"] != old_rules
    assert sorted(emulator.writes()) == sorted(
        [
            ("PATCH", f"/guilds/{GUILD}/roles/{members}"),
            ("POST", f"/guilds/{GUILD}/channels"),
            ("PUT", f"/channels/{new_rules['id']}/permissions/{GUILD}"),
        ]
    )
    assert new_rules["topic"] == "Read before posting"
    assert new_rules["parent_id"] == channels["Info"]["id"]
    assert new_rules["permission_overwrites"] == channels["rules"]["permission_overwrites"]
    assert world["guilds"][GUILD]["roles"][members]["color"] == 0x2ECC71
    key = ok(discord_cli("state", "get", f"discord.{GUILD}.channel.rules", "--json")).json()
    assert key["value"] == new_rules["id"], "the stored id is corrected to the new channel"

    after = discord_cli("plan", "--detailed-exitcode", str(SETUP))
    assert after.code == 0, after.out + after.err
    assert "no changes" in after.out


FIVE_SENDS = "\n".join(
    f"""
[[act]]
name = "post_{n}"
[[act.input]]
type = "bot_command"
platform = "discord"
command = "messages.send"
[act.input.args]
channel_id = "${{CHANNEL_ID}}"
content = "Message {n} of five"
"""
    for n in range(1, 6)
)


def test_five_sends_through_two_429s_and_a_500_post_each_message_exactly_once(
    discord_cli: Cli, emulator: EmulatorProcess
) -> None:
    """Two 429s (retry_after 0.2 s) then a 500 on the message route: five sends, five messages.

    The 500 is injected with ``after``: the emulator stores the message and then
    answers 500, the hardest case — the retried send must not post it twice (the
    nonce with enforce_nonce returns the first message).
    """
    channel = emulator.discord("POST", f"/guilds/{GUILD}/channels", {"name": "news", "type": 0})
    emulator.clear_log()
    route = f"POST /channels/{channel['id']}/messages"
    emulator.inject(
        {"pattern": route, "status": 429, "count": 2, "retry_after": 0.2},
        {"pattern": route, "status": 500, "count": 1, "after": True},
    )
    discord_cli.write("five.toml", '[narrative]\nname = "five_posts"\n' + FIVE_SENDS)

    result = ok(discord_cli("run", "--json", "five.toml", "--var", f"CHANNEL_ID={channel['id']}"))
    assert result.json()["status"] == "done"

    statuses = Counter(
        e["status"]
        for e in emulator.log()
        if (e["method"], e["path"]) == ("POST", f"/channels/{channel['id']}/messages")
    )
    assert statuses[429] == 2 and statuses[500] == 1, "every injected fault was met"
    stored = emulator.world()["messages"].get(channel["id"], {})
    contents = [m["content"] for _, m in sorted(stored.items(), key=lambda kv: int(kv[0]))]
    assert contents == [f"Message {n} of five" for n in range(1, 6)]


DELETE_NARRATIVE = """
[narrative]
name = "cleanup"

[[act]]
name = "drop"
[[act.input]]
type = "bot_command"
platform = "discord"
command = "channels.delete"
[act.input.args]
channel_id = "${CHANNEL_ID}"
"""


def test_channel_delete_is_refused_before_any_request_and_done_with_allow_destructive(
    discord_cli: Cli, emulator: EmulatorProcess
) -> None:
    """Without permission to destroy, channels.delete exits 1 naming --allow-destructive.

    The refusal happens before narrator talks to Discord at all: the emulator logs no
    request for that run, not even the login. With ``--allow-destructive`` the channel
    is deleted (one DELETE) and gone from the guild.
    """
    channel = emulator.discord("POST", f"/guilds/{GUILD}/channels", {"name": "doomed"})
    emulator.clear_log()
    discord_cli.write("cleanup.toml", DELETE_NARRATIVE)
    var = f"CHANNEL_ID={channel['id']}"

    refused = discord_cli("run", "cleanup.toml", "--var", var)
    assert refused.code == 1, refused.out + refused.err
    assert "--allow-destructive" in refused.out + refused.err
    assert emulator.log() == [], "refused before any request, login included"
    assert channel["id"] in emulator.world()["channels"]

    ok(discord_cli("run", "cleanup.toml", "--var", var, "--allow-destructive"))
    assert channel["id"] not in emulator.world()["channels"]
    assert ("DELETE", f"/channels/{channel['id']}") in emulator.writes()
