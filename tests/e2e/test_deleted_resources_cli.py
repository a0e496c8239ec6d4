"""A resource deleted by a narrative leaves state with it (issue 9, item 8).

Each call is a separate ``narrator`` process against the sandbox guild, so
what one run deletes is what the next run reads.
"""

from __future__ import annotations

from narrator.config import SANDBOX_GUILD_ID
from tests.e2e.cli import Cli

G = SANDBOX_GUILD_ID

CREATE_THEN_DELETE = """
[narrative]
name = "short_lived"
allow_destructive = true

[[act]]
name = "make_channel"
skip_if = "{state.discord.${GUILD_ID}.channel.doomed}"
[[act.input]]
command = "channels.create"
args = { name = "doomed" }

[[act]]
name = "make_category"
skip_if = "{state.discord.${GUILD_ID}.category.Attic}"
[[act.input]]
command = "channels.create"
args = { name = "Attic", kind = "category" }

[[act]]
name = "make_role"
skip_if = "{state.discord.${GUILD_ID}.role.temp}"
[[act.input]]
command = "roles.create"
args = { name = "temp" }

[[act]]
name = "make_hook"
skip_if = "{state.discord.${GUILD_ID}.webhook.relay}"
[[act.input]]
command = "webhooks.create"
args = { channel_id = "{state.discord.${GUILD_ID}.channel.doomed}", name = "relay" }

[[act]]
name = "tear_down"
[[act.input]]
command = "webhooks.delete"
args = { webhook_id = "{state.discord.${GUILD_ID}.webhook.relay}" }
[[act.input]]
command = "roles.delete"
args = { role = "temp" }
[[act.input]]
command = "channels.delete"
args = { channel_id = "{state.discord.${GUILD_ID}.category.Attic}" }
[[act.input]]
command = "channels.delete"
args = { channel_id = "{state.discord.${GUILD_ID}.channel.doomed}" }
"""

GONE = [
    f"discord.{G}.channel.doomed",
    f"discord.{G}.category.Attic",
    f"discord.{G}.role.temp",
    f"discord.{G}.webhook.relay",
]


def test_a_deleted_channel_category_role_and_webhook_leave_no_captured_id(cli: Cli) -> None:
    """After the deletes, no capture key holds a dead id, so the next run creates them again."""
    cli.write("short_lived.toml", CREATE_THEN_DELETE)
    first = cli("run", "--sandbox", "short_lived.toml", "--json")
    assert first.code == 0, first.err
    assert all(a["status"] == "done" for a in first.json()["acts"])

    listed = cli("state", "list", "--sandbox", "--prefix", f"discord.{G}.", "--json")
    assert listed.code == 0, listed.err
    keys = {entry["key"] for entry in listed.json()}
    assert not keys & set(GONE), keys

    second = cli("run", "--sandbox", "short_lived.toml", "--json")
    assert second.code == 0, second.err
    assert [(a["name"], a["status"]) for a in second.json()["acts"]] == [
        ("make_channel", "done"),
        ("make_category", "done"),
        ("make_role", "done"),
        ("make_hook", "done"),
        ("tear_down", "done"),
    ]
    shown = cli("runs", "show", "--sandbox", second.json()["run_id"], "--json")
    assert shown.code == 0, shown.err
    assert [a["status"] for a in shown.json()["acts"]] == ["done"] * 5
    assert cli("plan", "--sandbox", "short_lived.toml").code == 0


def test_deleting_a_channel_keeps_a_key_that_names_another_channel(cli: Cli) -> None:
    """Only a key that still holds the deleted id is removed."""
    cli.write(
        "other.toml",
        """
[narrative]
name = "other"
allow_destructive = true

[[act]]
name = "keep"
[[act.input]]
command = "channels.create"
args = { name = "keeper" }

[[act]]
name = "twin"
output_var = "twin"
[[act.input]]
command = "channels.create"
args = { name = "keeper" }

[[act]]
name = "drop_first"
[[act.input]]
command = "channels.delete"
args = { channel_id = "{act.keep.output.id}" }
""",
    )
    run = cli("run", "--sandbox", "other.toml", "--json")
    assert run.code == 0, run.err
    twin_id = run.json()["acts"][1]["output"]["id"]
    got = cli("state", "get", "--sandbox", f"discord.{G}.channel.keeper", "--json")
    assert got.code == 0, got.err
    assert got.json()["value"] == twin_id
