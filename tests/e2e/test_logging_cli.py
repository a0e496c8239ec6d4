"""Logging and what the journal keeps (issue 15), through the CLI against the emulator.

``narrator -v run`` shows the HTTP trail of a failing act; ``runs show ID --full`` its
rendered arguments and its error; a known secret appears in no log line and nowhere in
narrator.db; ``--log-format json`` lines parse as JSON.
"""

from __future__ import annotations

import json

from tests.e2e.cli import Cli

TOKEN = "MTA5ODc2NTQzMjEwOTg3NjU0.GkNoWn.known-secret-token-value-0123456789ab"
KEY = "sk-known-secret-api-key-0123456789abcdef"

FAILING = """
[narrative]
name = "logged"

[[act]]
name = "hello"
[[act.input]]
type = "bot_command"
command = "channels.ensure"
args = { name = "general", topic = "token ${NOTE}" }

[[act]]
name = "post"
[[act.input]]
type = "bot_command"
command = "messages.send"
args = { channel_id = "424242424242424242", content = "hi ${NOTE} and ${OTHER}" }
"""


def _run(cli: Cli, *options: str) -> tuple[int, str, str]:
    cli.env["DISCORD_TOKEN"] = TOKEN
    cli.env["OPENAI_API_KEY"] = KEY
    cli.write("logged.toml", FAILING)
    result = cli(*options, "run", "logged.toml", "--var", f"NOTE={TOKEN}", "--var", f"OTHER={KEY}")
    return result.code, result.out, result.err


def test_verbose_run_shows_the_http_trail_and_runs_show_full_the_arguments(
    discord_cli: Cli,
) -> None:
    code, out, err = _run(discord_cli, "-v")
    assert code == 1, out + err
    # the failing request: method, route, status
    assert "POST /channels/{channel_id}/messages -> 404" in err, err
    assert "act post failed" in err and "act hello done" in err
    assert TOKEN not in out + err and KEY not in out + err
    assert "[redacted]" in err

    shown = discord_cli("runs", "show", "--last", "--full")
    assert shown.code == 0, shown.err
    assert "discord.messages.send" in shown.out
    assert '"channel_id":"424242424242424242"' in shown.out
    assert "hi [redacted] and [redacted]" in shown.out
    assert "failed" in shown.out and "Unknown Channel (404" in shown.out
    assert TOKEN not in shown.out and KEY not in shown.out

    data = discord_cli("runs", "show", "--last", "--json").json()
    post = next(a for a in data["acts"] if a["name"] == "post")
    assert post["input"]["args"]["content"] == "hi [redacted] and [redacted]"
    assert post["error"]

    raw = (discord_cli.cwd / "narrator.db").read_bytes()
    for secret in (TOKEN, KEY, TOKEN.split(".")[-1]):
        assert secret.encode() not in raw


def test_json_logs_parse_and_vv_adds_every_request(discord_cli: Cli) -> None:
    code, out, err = _run(discord_cli, "-vv", "--log-format", "json")
    assert code == 1, out + err
    records = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert records, err
    for record in records:
        assert {"time", "level", "logger", "message"} <= record.keys()
    requests = [r for r in records if r["logger"] == "narrator.discord.http"]
    assert any(r["status"] == 404 and r["method"] == "POST" for r in requests), requests
    assert any(r["status"] == "ok" and r["level"] == "debug" for r in requests), requests
    acts = [r for r in records if r["logger"] == "narrator.act"]
    assert [a["act"] for a in acts] == ["hello", "post"]
    assert TOKEN not in err and KEY not in err


def test_narrator_log_configures_services_and_quiet_silences(discord_cli: Cli) -> None:
    code, _out, err = _run(discord_cli)  # default: warnings only, no act lines
    assert code == 1 and "act post failed" not in err
    discord_cli.env["NARRATOR_LOG"] = "json:info"
    code, _out, err = _run(discord_cli)
    assert any(
        json.loads(line).get("act") == "post" for line in err.splitlines() if line[:1] == "{"
    )
    code, _out, err = _run(discord_cli, "--quiet")
    assert "act post failed" not in err
