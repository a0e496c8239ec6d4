"""Text from a content table pings nobody, through the real command and the Discord
emulator (issue 11 review): a table read's rows are tainted like a model's answer,
in the act's value and in its ``output_var`` — also when the act is skipped and its
output is read back from state.
"""

from __future__ import annotations

import json
from typing import Any

from tests.e2e.cli import Cli
from tests.e2e.emulator import EmulatorProcess

TITLE = "hi <@100000000000000123> and <@&100000000000000456>"

NARRATIVE = """[narrative]
name = "taint"

[[act]]
name = "channel"
[[act.input]]
type = "bot_command"
command = "channels.ensure"
[act.input.args]
name = "taintroom"

[[act]]
name = "pick"
output_var = "picked"
skip_if = "${SKIP}"
[[act.input]]
type = "table"
table = "taint"

[[act]]
name = "send"
[[act.input]]
type = "bot_command"
command = "messages.send"
[act.input.args]
channel_id = "{act.channel.output.id}"
content = "{act.pick.output.0.title}"
"""


def _sent(emulator: EmulatorProcess, *, exact: bool = True) -> list[dict[str, Any]]:
    """Every message the emulator holds whose content is the row's title (or, not
    ``exact``, contains its user mention), in order."""
    world = emulator.world()
    found = [
        message
        for channel in world["messages"].values()
        for message in channel.values()
        if (message.get("content") == TITLE)
        or (not exact and "<@100000000000000123>" in str(message.get("content")))
    ]
    return sorted(found, key=lambda m: int(m["id"]))


def _seed(cli: Cli) -> None:
    """One pending row in table ``taint`` whose title mentions a user and a role."""
    cli.write("rows.jsonl", json.dumps({"table": "taint", "fields": {"title": TITLE}}) + "\n")
    assert cli("content", "import", "rows.jsonl").code == 0


def test_rows_of_a_table_are_posted_with_no_mentions_even_after_a_skip(
    discord_cli: Cli, emulator: EmulatorProcess
) -> None:
    cli = discord_cli
    _seed(cli)
    cli.write("taint.toml", NARRATIVE)
    read = cli("run", "taint.toml", "--var", "SKIP=")
    assert read.code == 0, read.err
    skipped = cli("run", "taint.toml", "--var", "SKIP=1")
    assert skipped.code == 0, skipped.err
    assert "pick" in skipped.err and "skipped" in skipped.err.lower(), skipped.err
    first, second = _sent(emulator)
    assert first["_allowed_mentions"] == {"parse": []}  # the rows, read in this run
    assert second["_allowed_mentions"] == {"parse": []}  # the rows, read back from state


UPDATE = """[narrative]
name = "taint_update"

[[act]]
name = "channel"
[[act.input]]
type = "bot_command"
command = "channels.ensure"
[act.input.args]
name = "taintroom"

[[act]]
name = "mark"
output_var = "marked"
skip_if = "${SKIP}"
[[act.input]]
type = "bot_command"
platform = "content"
command = "content.update"
[act.input.args]
table = "taint"
where = "status = 'pending' OR status = 'seen'"
status = "seen"

[[act]]
name = "send"
[[act.input]]
type = "bot_command"
command = "messages.send"
[act.input.args]
channel_id = "{act.channel.output.id}"
content = "{act.mark.output.0.title}"
"""


def test_rows_a_content_command_answers_are_posted_with_no_mentions(
    discord_cli: Cli, emulator: EmulatorProcess
) -> None:
    cli = discord_cli
    _seed(cli)
    cli.write("update.toml", UPDATE)
    for skip in ("", "1"):  # the updated rows: this run's, then read back from state
        result = cli("run", "update.toml", "--var", f"SKIP={skip}")
        assert result.code == 0, result.err
    sent = _sent(emulator)
    assert [m["_allowed_mentions"] for m in sent] == [{"parse": []}, {"parse": []}]


def test_a_resumed_table_read_is_still_posted_with_no_mentions(
    discord_cli: Cli, emulator: EmulatorProcess
) -> None:
    """The send fails once; ``resume`` replays the finished read from the journal."""
    cli = discord_cli
    _seed(cli)
    cli.write("taint.toml", NARRATIVE)
    emulator.inject({"pattern": "POST /channels/*/messages", "status": 403, "count": 1})
    failed = cli("run", "taint.toml", "--var", "SKIP=", "--json")
    assert failed.code == 1, failed.err
    assert _sent(emulator) == []
    resumed = cli("resume", failed.json()["run_id"])  # pick finished: replayed, not run
    assert resumed.code == 0, resumed.err
    (sent,) = _sent(emulator)
    assert sent["_allowed_mentions"] == {"parse": []}


INNER = """[narrative]
name = "inner"

[[act]]
name = "read"
[[act.input]]
type = "table"
table = "taint"
columns = ["title"]
format = "markdown"
"""

OUTER = """[narrative]
name = "outer"

[[act]]
name = "channel"
[[act.input]]
type = "bot_command"
command = "channels.ensure"
[act.input.args]
name = "taintroom"

[[act]]
name = "nest"
narrative = "inner"
narrative_joins = true
output_var = "nested"
skip_if = "${SKIP}"

[[act]]
name = "send"
[[act.input]]
type = "bot_command"
command = "messages.send"
[act.input.args]
channel_id = "{act.channel.output.id}"
content = "{act.nest.output}"
"""


def test_a_nested_narratives_output_is_posted_with_no_mentions_after_a_skip(
    discord_cli: Cli, emulator: EmulatorProcess
) -> None:
    cli = discord_cli
    _seed(cli)
    cli.write("inner.toml", INNER)
    cli.write("outer.toml", OUTER)
    for skip in ("", "1"):  # the joined output: this run's, then read back from state
        result = cli("run", "outer.toml", "--var", f"SKIP={skip}")
        assert result.code == 0, result.err
    sent = _sent(emulator, exact=False)
    assert len(sent) == 2
    assert [m["_allowed_mentions"] for m in sent] == [{"parse": []}, {"parse": []}]
