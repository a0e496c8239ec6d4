"""The effective guild from the command line (issue 13 item 8): [discord] guild_id with a
${VAR} from --var, and the error when a command needs a guild and none resolves."""

from __future__ import annotations

from tests.e2e.cli import Cli

GUILD = "765432109876543210"  # a guild id the sandbox has not seen

NEWS = """
[narrative]
name = "news"

[[act]]
name = "setup_channel"
[[act.input]]
command = "channels.create"
args = { name = "news" }
"""


def test_a_config_default_guild_takes_its_variable_from_var(cli: Cli) -> None:
    """[discord] guild_id = "${GUILD_ID}" and --var GUILD_ID=...: a command without
    guild_id goes to that guild, and its capture is under that id."""
    cli.write("narrator.toml", '[discord]\nguild_id = "${GUILD_ID}"\n')
    cli.write("news.toml", NEWS)
    ran = cli("run", "--sandbox", "news.toml", "--var", f"GUILD_ID={GUILD}", "--json")
    assert ran.code == 0, ran.err
    channel_id = ran.json()["acts"][0]["output"]["id"]
    got = cli("state", "get", "--sandbox", f"discord.{GUILD}.channel.news")
    assert got.code == 0 and channel_id in got.out, got.out + got.err


def test_no_guild_is_an_error_naming_where_it_looked(cli: Cli) -> None:
    """No guild_id argument, none in [narrative], and narrator.toml's ${GUILD_ID} unset:
    plan exits 1 (an act that cannot be planned), and so does run, before Discord is
    needed (no token set); the message says where it looked and how to fix it."""
    cli.write("narrator.toml", '[discord]\nguild_id = "${GUILD_ID}"\n')
    cli.write("news.toml", NEWS)
    plan = cli("plan", "news.toml", "--detailed-exitcode")
    assert plan.code == 1, plan.out + plan.err
    said = plan.out + plan.err
    assert "channels.create needs a guild and none resolved" in said
    assert "no guild_id in [narrative]" in said
    assert '[discord] guild_id = "${GUILD_ID}" in narrator.toml' in said
    assert "${GUILD_ID} is not set" in said
    assert "changes pending" not in said
    run = cli("run", "news.toml")
    assert run.code == 1, run.out + run.err
    assert "channels.create needs a guild and none resolved" in run.out + run.err
    assert "DISCORD_TOKEN" not in run.out + run.err  # failed before a platform was opened
    fixed = cli("plan", "news.toml", "--var", "GUILD_ID=1")
    assert "needs a guild" not in fixed.out + fixed.err
