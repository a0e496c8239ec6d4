"""The sandbox emulates every guild a narrative names (issue 9, item 7).

A rehearsal of a real setup uses the real guild ids: ``--var GUILD_ID=...``,
``[discord] guild_id`` in narrator.toml, or a literal id in a Botticelli file.
The first reference creates an emulated guild (bot as administrator) in the
sandbox world, which the next rehearsal finds again.
"""

from __future__ import annotations

import urllib.error
import urllib.request

from tests.e2e.cli import Cli
from tests.e2e.emulator import emulator_process

REAL_GUILD = "987654321098765432"  # a guild id the sandbox has never seen
OTHER_GUILD = "876543210987654321"

WELCOME = """
[narrative]
name = "real_ids"

[[act]]
name = "setup_channel"
output_var = "welcome_channel"
skip_if = "{state.discord.${GUILD_ID}.channel.welcome}"
[[act.input]]
command = "channels.create"
args = { guild_id = "${GUILD_ID}", name = "welcome" }

[[act]]
name = "greet"
[[act.input]]
command = "messages.ensure"
args = { channel_id = "{state.discord.${GUILD_ID}.channel.welcome}", content = "Hello!" }
"""


def test_a_real_guild_id_from_var_is_emulated_and_remembered(cli: Cli) -> None:
    """--var GUILD_ID=<an unseen id>: the run works, and the second run finds the guild again."""
    cli.write("real_ids.toml", WELCOME)
    first = cli("run", "--sandbox", "real_ids.toml", "--var", f"GUILD_ID={REAL_GUILD}", "--json")
    assert first.code == 0, first.err
    assert [a["status"] for a in first.json()["acts"]] == ["done", "done"]
    channel_id = first.json()["acts"][0]["output"]["id"]

    second = cli("run", "--sandbox", "real_ids.toml", "--var", f"GUILD_ID={REAL_GUILD}", "--json")
    assert second.code == 0, second.err
    acts = second.json()["acts"]
    assert [a["status"] for a in acts] == ["skipped", "done"]
    assert acts[1]["output"]["channel_id"] == channel_id  # the channel is still there

    got = cli("state", "get", "--sandbox", f"discord.{REAL_GUILD}.channel.welcome")
    assert got.code == 0, got.err
    assert channel_id in got.out
    plan = cli(
        "plan", "--sandbox", "real_ids.toml", "--var", f"GUILD_ID={REAL_GUILD}",
        "--detailed-exitcode",
    )  # fmt: skip
    assert plan.code == 0, plan.out + plan.err


def test_the_configured_default_guild_is_the_one_rehearsed(cli: Cli) -> None:
    """[discord] guild_id = "${GUILD_ID}": commands without guild_id go to that guild,
    so the captures the skip_if reads are under the same id and the second run skips."""
    cli.write("narrator.toml", '[discord]\nguild_id = "${GUILD_ID}"\n')
    cli.write(
        "default_guild.toml",
        """
[narrative]
name = "default_guild"

[[act]]
name = "setup_channel"
skip_if = "{state.discord.${GUILD_ID}.channel.news}"
[[act.input]]
command = "channels.create"
args = { name = "news" }
""",
    )
    env = {"GUILD_ID": OTHER_GUILD}
    first = cli("run", "--sandbox", "default_guild.toml", "--json", env=env)
    assert first.code == 0, first.err
    second = cli("run", "--sandbox", "default_guild.toml", "--json", env=env)
    assert second.code == 0, second.err
    assert [a["status"] for a in second.json()["acts"]] == ["skipped"]


def test_a_botticelli_file_with_a_literal_guild_id_runs_in_the_sandbox(cli: Cli) -> None:
    """A Botticelli file that names its guild literally: created once, then converged."""
    cli.write(
        "literal.toml",
        f"""
[narrative]
name = "literal"

[toc]
order = ["make_channel"]

[bots.make_channel]
platform = "discord"
command = "channels.get_or_create"
guild_id = "{REAL_GUILD}"
name = "announcements"
channel_type = "text"

[acts]
make_channel = ["bots.make_channel"]
""",
    )
    first = cli("run", "--sandbox", "literal.toml", "--json")
    assert first.code == 0, first.err
    second = cli("run", "--sandbox", "literal.toml", "--json")
    assert second.code == 0, second.err
    assert second.json()["acts"][0]["output"]["id"] == first.json()["acts"][0]["output"]["id"]


def _guild_channels_status(flags: list[str]) -> int:
    """Start ``python -m narrator.platforms.emulator`` and GET an unseen guild's channels."""
    with emulator_process(*flags) as process:
        request = urllib.request.Request(
            f"{process.api_base}/guilds/{REAL_GUILD}/channels", headers={"Authorization": "Bot t"}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return int(answer.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)


def test_the_emulator_process_knows_only_its_guild_unless_told_otherwise() -> None:
    """The emulator process (the non-sandbox tests' Discord) answers Unknown Guild (404)
    for an unseen id, as Discord does; with --every-guild it emulates it, as --sandbox does."""
    assert _guild_channels_status([]) == 404
    assert _guild_channels_status(["--every-guild"]) == 200
