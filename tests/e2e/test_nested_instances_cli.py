"""A nested narrative used by two acts, and in every carousel turn, is a new instance each
time: its messages are not deduplicated against each other's nonces, and its ``take``
claims a new row each time (claims and idempotency keys carry the outer act and
iteration). Through the real CLI against the emulator process."""

from __future__ import annotations

import json

from tests.e2e.cli import Cli
from tests.e2e.emulator import GUILD, EmulatorProcess
from tests.e2e.kill_trials import posting_acts, queued_texts, take_seed

# take one row (no status filter: the claim alone keeps a row from being taken again),
# post its text, mark it posted with its message id
POSTER = '[narrative]\nname = "poster"\n' + posting_acts(where=None)

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
    cli.write("seed.toml", take_seed(4))
    cli.write("poster.toml", POSTER)
    cli.write("outer.toml", OUTER)
    assert cli("run", "seed.toml").code == 0
    ran = cli("run", "outer.toml", "--var", f"CHANNEL_ID={channel['id']}")
    assert ran.code == 0, ran.out + ran.err

    texts = queued_texts(4)
    messages = emulator.discord("GET", f"/channels/{channel['id']}/messages?limit=100")
    assert sorted(m["content"] for m in messages) == sorted(texts)
    rows = json.loads(cli("content", "list", "queue", "--json").out)
    by_text = {m["content"]: m["id"] for m in messages}
    assert [(r["fields"]["text"], r["status"], r["message_id"]) for r in rows] == [
        (text, "posted", by_text[text]) for text in texts
    ]
