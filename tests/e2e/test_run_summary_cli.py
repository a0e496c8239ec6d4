"""Run summaries (issue 15): after ``run``/``resume`` one line like Terraform's on stderr,
and the same counts as ``summary`` in ``run --json``."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.cli import Cli

SETUP = str(Path(__file__).resolve().parents[2] / "narratives" / "discord" / "community_setup.toml")

MIXED = """
[narrative]
name = "mixed"

[[act]]
name = "write"
context = "none"
[[act.input]]
type = "text"
content = "Say hello"

[[act]]
name = "skipme"
skip_if = "true"
[[act.input]]
command = "messages.send"
args = { channel_id = "1", content = "x" }

[[act]]
name = "channel"
[[act.input]]
command = "channels.ensure"
args = { name = "general" }

[[act]]
name = "post"
[[act.input]]
command = "messages.send"
args = { channel_id = "{state.discord.${GUILD_ID}.channel.general}", content = "{acts.write}" }
"""


def test_second_setup_run_reports_nothing_created_or_changed(cli: Cli) -> None:
    first = cli("run", "--sandbox", SETUP)
    assert first.code == 0, first.err
    assert "18 created, 0 changed, 0 unchanged, 0 skipped, 0 failed; 1 message sent" in first.err

    second = cli("run", "--sandbox", SETUP)
    assert second.code == 0, second.err
    assert "0 created, 0 changed, 19 unchanged, 0 skipped, 0 failed" in second.err
    assert "message" not in second.err.splitlines()[-2]

    as_json = cli("run", "--sandbox", SETUP, "--json")
    assert as_json.code == 0, as_json.err
    data = as_json.json()
    assert data["summary"] == {
        "created": 0,
        "changed": 0,
        "deleted": 0,
        "unchanged": 19,
        "skipped": 0,
        "failed": 0,
        "messages_sent": 0,
        "model_calls": 0,
        "tokens": 0,
    }
    assert {"run_id", "status", "acts"} <= data.keys()  # the contract's keys stay
    assert "0 created, 0 changed, 19 unchanged" in as_json.err  # the line is on stderr


def test_summary_counts_messages_model_calls_and_skips(cli: Cli) -> None:
    cli.write("mixed.toml", MIXED)
    result = cli("run", "--sandbox", "mixed.toml", "--json")
    assert result.code == 0, result.err
    summary = result.json()["summary"]
    assert summary["created"] == 1
    assert summary["skipped"] == 1
    assert summary["messages_sent"] == 1
    assert summary["model_calls"] == 1
    assert summary["tokens"] > 0
    line = (
        "1 created, 0 changed, 0 unchanged, 1 skipped, 0 failed; 1 message sent;"
        f" 1 model call, {summary['tokens']} tokens"
    )
    assert line in result.err


def test_plan_json_has_no_run_summary(cli: Cli) -> None:
    result = cli("plan", "--sandbox", SETUP, "--json")
    assert result.code == 0, result.err
    assert "summary" not in result.json()
