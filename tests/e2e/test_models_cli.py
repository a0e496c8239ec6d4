"""Model acts through the CLI against a local OpenAI-compatible server, each run its own process."""

from __future__ import annotations

import time

from tests.e2e.cli import Cli
from tests.providers.openai_server import OpenAIServer, Reply

THREE_ACTS = """
[narrative]
name = "three"
[[act]]
name = "a"
context = "none"
[[act.input]]
type = "text"
content = "one"
[[act]]
name = "b"
context = "none"
[[act.input]]
type = "text"
content = "two"
[[act]]
name = "c"
context = "none"
[[act.input]]
type = "text"
content = "three"
"""


def config(server: OpenAIServer, extra: str = "") -> str:
    return f"""
[models.default]
provider = "openai"
base_url = "{server.base_url}"
model = "local-model"
max_retries = 3
{extra}
"""


def test_daily_request_budget_holds_across_two_processes(cli: Cli) -> None:
    """rpd = 5: two runs of three model acts make 5 calls; the second stops at its third act."""
    with OpenAIServer() as server:
        cli.write("narrator.toml", config(server, "rpd = 5"))
        cli.write("three.toml", THREE_ACTS)
        first = cli("run", "three.toml", "--json")
        second = cli("run", "three.toml", "--json")
        calls = len(server.completions())
    assert first.code == 0, first.err
    assert second.code == 1
    acts = second.json()["acts"]
    assert [(a["name"], a["status"]) for a in acts] == [
        ("a", "done"),
        ("b", "done"),
        ("c", "failed"),
    ]
    assert "budget exhausted until" in acts[2]["error"]
    assert calls == 5
    usage = cli("usage", "--json")
    assert usage.code == 0, usage.err
    assert usage.json()["totals"]["requests"] == 5


def test_retry_after_is_honoured_and_the_act_succeeds(cli: Cli) -> None:
    """429 with Retry-After: 1 twice, then 200: three requests, about two seconds."""
    with OpenAIServer() as server:
        server.script(
            Reply(status=429, headers={"Retry-After": "1"}, body='{"error": "slow down"}'),
            Reply(status=429, headers={"Retry-After": "1"}, body='{"error": "slow down"}'),
            Reply(text="finally"),
        )
        cli.write("narrator.toml", config(server))
        cli.write("one.toml", THREE_ACTS.split('[[act]]\nname = "b"')[0])
        started = time.monotonic()
        result = cli("run", "one.toml", "--json")
        took = time.monotonic() - started
        calls = len(server.completions())
    assert result.code == 0, result.err
    assert result.json()["acts"][0]["output"] == "finally"
    assert calls == 3
    assert took >= 2.0


def test_prose_then_json_succeeds_with_two_calls(cli: Cli) -> None:
    """A model that first answers prose is asked once more; the field then resolves."""
    with OpenAIServer() as server:
        server.script(
            Reply(text="Here is a great title for you!"), Reply(text='{"title": "Hello"}')
        )
        cli.write("narrator.toml", config(server))
        cli.write(
            "j.toml",
            """
[narrative]
name = "j"
[[act]]
name = "idea"
output = "json"
schema = ["title"]
[[act.input]]
type = "text"
content = "A title, please."
[[act]]
name = "echo"
context = "none"
[[act.input]]
type = "text"
content = "Repeat: {act.idea.output.title}"
""",
        )
        result = cli("run", "j.toml", "--json")
        bodies = [seen.body for seen in server.completions()]
    assert result.code == 0, result.err
    assert result.json()["acts"][0]["output"] == {"title": "Hello"}
    assert len(bodies) == 3
    assert bodies[2]["messages"][-1]["content"] == "Repeat: Hello"


def test_api_key_never_appears_in_output(cli: Cli) -> None:
    """A 401 names the profile and the variable, never the key."""
    with OpenAIServer() as server:
        server.script(Reply(status=401, body='{"error": {"message": "bad key sk-SECRET-123"}}'))
        cli.write("narrator.toml", config(server, 'api_key_env = "MY_KEY"'))
        cli.write("one.toml", THREE_ACTS.split('[[act]]\nname = "b"')[0])
        result = cli("run", "one.toml", env={"MY_KEY": "sk-SECRET-123"})
    assert result.code == 1
    assert "sk-SECRET-123" not in result.out + result.err
    assert "MY_KEY" in result.err
