"""The seed scenario of issue 2, shared by the executor tests and the CLI tests."""

SEED = """
[narrative]
name = "seed"

[[act]]
name = "setup_channel"
output_var = "welcome_channel"
skip_if = "{state.discord.${GUILD_ID}.channel.welcome}"
[[act.input]]
type = "bot_command"
platform = "discord"
command = "channels.create"
[act.input.args]
guild_id = "${GUILD_ID}"
name = "welcome"

[[act]]
name = "publish"
[[act.input]]
type = "bot_command"
platform = "discord"
command = "messages.send"
[act.input.args]
channel_id = "{state.welcome_channel.id}"
content = "Welcome!"
"""
