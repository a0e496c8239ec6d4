"""A nested narrative used by two acts, and in every carousel turn, is a new instance each
time: its messages are not deduplicated against each other's nonces, and its ``take``
claims a new row each time (claims and idempotency keys carry the outer act and
iteration). Through the real CLI against the emulator process."""

from __future__ import annotations

import json

from tests.e2e.cli import Cli
from tests.e2e.emulator import GUILD, EmulatorProcess

SEED = """
[narrative]
name = "seed"

[[act]]
name = "fill"
[[act.input]]
type = "bot_command"
platform = "content"
command = "content.insert"
[act.input.args]
table = "queue"
status = "approved"
items = [{ text = "one" }, { text = "two" }, { text = "three" }, { text = "four" }]
"""

# take one row (no status filter: the claim alone keeps a row from being taken again),
# post its text, mark it posted with its message id
POSTER = """
[narrative]
name = "poster"

[[act]]
name = "pick"
[[act.input]]
type = "table"
table = "queue"
order_by = "id"
take = 1

[[act]]
name = "send"
skip_if = "not pick"
[[act.input]]
type = "bot_command"
command = "messages.send"
[act.input.args]
channel_id = "${CHANNEL_ID}"
content = "{act.pick.output.0.text}"

[[act]]
name = "mark"
skip_if = "not pick"
[[act.input]]
type = "bot_command"
platform = "content"
command = "content.update"
[act.input.args]
table = "queue"
where = "id = {act.pick.output.0.id}"
status = "posted"
message_id = "{act.send.output.id}"
"""

OUTER = """
[narrative]
name = "outer"

[carousel]
iterations = 2

[[act]]
name = "post_a"
narrative = "poster"

[[act]]
name = "post_b"
narrative = "poster"
"""


def test_a_nested_narrative_twice_per_turn_posts_four_rows_once_each(
    discord_cli: Cli, emulator: EmulatorProcess
) -> None:
    cli = discord_cli
    channel = emulator.discord("POST", f"/guilds/{GUILD}/channels", {"name": "queue", "type": 0})
    cli.write("seed.toml", SEED)
    cli.write("poster.toml", POSTER)
    cli.write("outer.toml", OUTER)
    assert cli("run", "seed.toml").code == 0
    ran = cli("run", "outer.toml", "--var", f"CHANNEL_ID={channel['id']}")
    assert ran.code == 0, ran.out + ran.err

    messages = emulator.discord("GET", f"/channels/{channel['id']}/messages?limit=100")
    assert sorted(m["content"] for m in messages) == ["four", "one", "three", "two"]
    rows = json.loads(cli("content", "list", "queue", "--json").out)
    by_text = {m["content"]: m["id"] for m in messages}
    assert [(r["fields"]["text"], r["status"], r["message_id"]) for r in rows] == [
        (text, "posted", by_text[text]) for text in ("one", "two", "three", "four")
    ]
