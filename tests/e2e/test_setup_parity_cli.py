"""Issue 16, done-when: a community setup using every ``*.ensure`` converges, in the sandbox
and against the emulator in its own process; two out-of-band drifts of the new kinds (the
server's verification level, a member's managed role) are listed by ``plan
--detailed-exitcode`` (exit 3, ``!`` lines with the fields) and repaired by the next run
with exactly the writes they need."""

from __future__ import annotations

import tomllib
from typing import Any

from narrator.platforms.emulator.world import BOT_USER_ID
from tests.e2e.cli import Cli, Result
from tests.e2e.emulator import GUILD, ROOT, EmulatorProcess

SETUP = ROOT / "narratives/discord/community_full_setup.toml"
MEMBER = ("--var", f"MEMBER_ID={BOT_USER_ID}")  # the member whose roles it manages: the bot
NEW_KINDS = {
    "members.roles_ensure",
    "guild.ensure",
    "forum.ensure",
    "invites.ensure",
}


def ok(result: Result) -> Result:
    assert result.code == 0, result.out + result.err
    return result


def test_the_setup_uses_every_ensure_command() -> None:
    """Every convergent ``*.ensure`` of the catalogue, old and new, and @everyone's role."""
    from narrator import catalogue

    acts = tomllib.loads(SETUP.read_text(encoding="utf-8"))["act"]
    used = {act["input"][0]["command"] for act in acts}
    ensures = {name for name in catalogue.command_names("discord") if name.endswith("ensure")}
    assert ensures <= used, ensures - used
    assert used >= NEW_KINDS
    assert any(act["input"][0]["args"].get("name") == "@everyone" for act in acts)


def test_the_setup_converges_in_the_sandbox(cli: Cli) -> None:
    first = ok(cli("run", "--sandbox", *MEMBER, "--json", str(SETUP))).json()
    assert first["status"] == "done"
    assert first["summary"]["created"] > 0
    second = ok(cli("run", "--sandbox", *MEMBER, "--json", str(SETUP))).json()
    summary = second["summary"]
    assert (summary["created"], summary["changed"], summary["messages_sent"]) == (0, 0, 0)
    assert summary["unchanged"] == len(second["acts"])
    plan = cli("plan", "--sandbox", *MEMBER, "--detailed-exitcode", str(SETUP))
    assert plan.code == 0, plan.out + plan.err


def _drifts(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        act["name"]: change
        for act in plan["acts"]
        for change in act.get("changes") or []
        if change["action"] != "unchanged"
    }


def test_the_setup_converges_against_the_emulator_and_repairs_two_drifts(
    discord_cli: Cli, emulator: EmulatorProcess
) -> None:
    ok(discord_cli("run", *MEMBER, str(SETUP)))
    world = emulator.world()
    guild = world["guilds"][GUILD]
    channels = {c["name"]: c for c in world["channels"].values() if c["guild_id"] == GUILD}
    roles = {r["name"]: r for r in guild["roles"].values()}
    assert guild["verification_level"] == 2 and guild["explicit_content_filter"] == 2
    assert guild["afk_channel_id"] == channels["Lounge"]["id"]
    assert guild["rules_channel_id"] == channels["rules"]["id"]
    assert guild["system_channel_id"] == channels["welcome"]["id"]
    assert guild["roles"][GUILD]["permissions"] == str((1 << 10) | (1 << 11) | (1 << 16) | (1 << 6))
    forum = channels["ideas"]
    assert forum["type"] == 15
    assert [t["name"] for t in forum["available_tags"]] == ["Question", "Idea", "Planned"]
    assert forum["default_reaction_emoji"] == {"emoji_id": None, "emoji_name": "👍"}
    assert len(guild["invites"]) == 1
    member_roles = guild["members"][BOT_USER_ID]["roles"]
    assert {roles["Members"]["id"], roles["Announcers"]["id"]} <= set(member_roles)

    emulator.clear_log()
    ok(discord_cli("run", *MEMBER, str(SETUP)))
    assert emulator.writes() == [], "a converged re-run makes zero writes"
    assert len(emulator.world()["guilds"][GUILD]["invites"]) == 1, "no second invite"

    # Out of band: an admin lowers verification, a moderator takes the member's Members role.
    members_role = roles["Members"]["id"]
    emulator.discord("PATCH", f"/guilds/{GUILD}", {"verification_level": 0})
    emulator.discord("DELETE", f"/guilds/{GUILD}/members/{BOT_USER_ID}/roles/{members_role}")
    emulator.clear_log()

    plan = ok(discord_cli("plan", *MEMBER, "--json", str(SETUP))).json()
    assert plan["pending"] is True
    drifts = _drifts(plan)
    assert set(drifts) == {"server_settings", "member_roles"}, drifts
    assert drifts["server_settings"] == {
        "action": "drift",
        "resource": "server settings",
        "fields": {"verification_level": ["none", "medium"]},
        "reason": "changed out of band; will be restored",
    }
    assert drifts["member_roles"]["action"] == "drift"
    assert drifts["member_roles"]["fields"] == {"Members": [False, True]}

    text = discord_cli("plan", *MEMBER, "--detailed-exitcode", str(SETUP))
    assert text.code == 3, text.out + text.err
    bang = [line.strip() for line in text.out.splitlines() if line.strip().startswith("!")]
    assert len(bang) == 2, text.out
    assert any("server settings" in line for line in bang)
    assert any("roles of member" in line for line in bang)
    assert "verification_level" in text.out and "Members" in text.out
    assert emulator.writes() == [], "plan writes nothing"

    emulator.clear_log()
    ok(discord_cli("run", *MEMBER, str(SETUP)))
    assert sorted(emulator.writes()) == sorted(
        [
            ("PATCH", f"/guilds/{GUILD}"),
            ("PUT", f"/guilds/{GUILD}/members/{BOT_USER_ID}/roles/{members_role}"),
        ]
    )
    patched = [e for e in emulator.log() if e["method"] == "PATCH"]
    assert len(patched) == 1
    world = emulator.world()
    assert world["guilds"][GUILD]["verification_level"] == 2
    assert members_role in world["guilds"][GUILD]["members"][BOT_USER_ID]["roles"]

    after = discord_cli("plan", *MEMBER, "--detailed-exitcode", str(SETUP))
    assert after.code == 0, after.out + after.err
    assert "no changes" in after.out
