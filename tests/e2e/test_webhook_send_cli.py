"""webhooks.ensure, then webhooks.send through its output's url, via the CLI against an emulator
process that answers webhooks as Discord does: id and token, no url (issue 16)."""

from __future__ import annotations

from tests.e2e.cli import Cli
from tests.e2e.emulator import GUILD, EmulatorProcess

HOOKED = """
[narrative]
name = "hooked"

[[act]]
name = "room"
[[act.input]]
type = "bot_command"
platform = "discord"
command = "channels.ensure"
args = { name = "announcements" }

[[act]]
name = "hook"
[[act.input]]
type = "bot_command"
platform = "discord"
command = "webhooks.ensure"
args = { channel_id = "{act.room.output.id}", name = "Herald" }

[[act]]
name = "post"
[[act.input]]
type = "bot_command"
platform = "discord"
command = "webhooks.send"
args = { url = "{act.hook.output.url}", content = "Hear ye", username = "Herald" }
"""


def test_webhook_ensure_then_send_through_its_url(
    discord_cli: Cli, emulator: EmulatorProcess
) -> None:
    """The emulator's webhook answers carry no url; narrator builds it from id and token, and
    webhooks.send through that url posts the message into the ensured channel — on the first
    run and on a converged re-run (which adopts the webhook instead of making another)."""
    discord_cli.write("hooked.toml", HOOKED)
    first = discord_cli("run", "--json", "hooked.toml")
    assert first.code == 0, first.out + first.err

    world = emulator.world()
    (channel,) = [c for c in world["channels"].values() if c["name"] == "announcements"]
    hooks = emulator.discord("GET", f"/channels/{channel['id']}/webhooks")
    assert [h["name"] for h in hooks] == ["Herald"]
    assert "url" not in hooks[0] and hooks[0]["token"]  # as Discord: id and token only
    hook = hooks[0]
    outputs = {a["name"]: a["output"] for a in first.json()["acts"]}
    url = f"https://discord.com/api/webhooks/{hook['id']}/[redacted]"
    assert outputs["hook"]["url"] == url  # Discord's execute URL, its token hidden

    second = discord_cli("run", "--json", "hooked.toml")
    assert second.code == 0, second.out + second.err
    assert [h["id"] for h in emulator.discord("GET", f"/guilds/{GUILD}/webhooks")] == [hook["id"]]

    posted = emulator.discord("GET", f"/channels/{channel['id']}/messages?limit=10")
    assert [m["content"] for m in posted] == ["Hear ye", "Hear ye"]
    assert {m["webhook_id"] for m in posted} == {hook["id"]}
    assert all("guild_id" not in m for m in posted)

    shown = discord_cli("state", "get", f"discord.{GUILD}.webhook.Herald")
    assert shown.code == 0 and hook["id"] in shown.out, shown.out + shown.err
    executes = [p for m, p in emulator.writes() if m == "POST" and p.startswith("/webhooks/")]
    assert executes == [f"/webhooks/{hook['id']}/{hook['token']}"] * 2

    # the token (a secret: whoever has it posts as the webhook) is in no output, journal
    # row, state value or log line: webhooks.send read it with the bot's token
    journal = "".join(
        discord_cli("runs", "show", r["run_id"], "--json", "--full").out
        for r in discord_cli("runs", "list", "--json").json()
    )
    state = discord_cli("state", "list", "--json").out
    logged = discord_cli("-vv", "run", "hooked.toml")
    assert logged.code == 0, logged.out + logged.err
    for where in (first.out, first.err, second.out, journal, state, logged.out + logged.err):
        assert hook["token"] not in where
