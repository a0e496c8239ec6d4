"""Issue 6 carousel acceptance through the CLI: a real model server and a real emulator process."""

from __future__ import annotations

from tests.e2e.cli import Cli
from tests.e2e.emulator import EmulatorProcess
from tests.providers.openai_server import OpenAIServer, Reply

DAILY = """
[narrative]
name = "daily_post"

[carousel]
iterations = 5
estimated_tokens_per_iteration = 100

[[act]]
name = "channel"
output_var = "posts_channel"
skip_if = "{state.posts_channel}"
[[act.input]]
type = "bot_command"
command = "channels.ensure"
args = { name = "posts" }

[[act]]
name = "write"
max_tokens = 20
[[act.input]]
type = "text"
content = "Post number {carousel.iteration}."

[[act]]
name = "send"
[[act.input]]
type = "bot_command"
command = "messages.send"
args = { channel_id = "{state.posts_channel.id}", content = "{act.write.output}" }
"""


def test_carousel_stops_on_its_daily_budget_after_three_posts(
    discord_cli: Cli, emulator: EmulatorProcess
) -> None:
    """tpd covers three iterations of 100 tokens: three run, stopped_reason budget_exhausted,
    exit 0, three messages in the channel."""
    with OpenAIServer() as server:
        server.script(
            *(Reply(text=f"post {i}", prompt_tokens=60, completion_tokens=40) for i in range(1, 6))
        )
        config = (discord_cli.cwd / "narrator.toml").read_text(encoding="utf-8")
        discord_cli.write(
            "narrator.toml",
            config
            + f"""
[models.default]
provider = "openai"
base_url = "{server.base_url}"
model = "local-model"
tpd = 300
""",
        )
        discord_cli.write("daily.toml", DAILY)
        result = discord_cli("run", "daily.toml", "--json")
        calls = len(server.completions())
    assert result.code == 0, result.err
    carousel = result.json()["carousel"]
    assert carousel["iterations_completed"] == 3
    assert carousel["stopped_reason"] == "budget_exhausted"
    assert calls == 3
    world = emulator.world()
    posts = [
        m["content"]
        for channel_messages in world["messages"].values()
        for m in channel_messages.values()
    ]
    assert sorted(posts) == ["post 1", "post 2", "post 3"]
    shown = discord_cli("runs", "show", result.json()["run_id"], "--json").json()
    assert shown["carousel"]["stopped_reason"] == "budget_exhausted"
