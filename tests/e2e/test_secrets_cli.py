"""Secret variables (DESIGN §6) cannot be read by a narrative, through the real command.

The variables narrator.toml names as secrets (``[discord] token_env``, every
``[models.*] api_key_env``, and the default names) are absent from ``${VAR}``
and ``{{ env }}``; a reference the parser can see is a located load-time
error, any other read is an act error, and the value never reaches the journal.
"""

from __future__ import annotations

from pathlib import Path

from tests.e2e.cli import RECORDING_CONFIG, Cli

TOKEN = "sekrit-token-value-0123456789"
KEY = "sk-sekrit-api-key-9876543210"


def narrative(content: str) -> str:
    return f"""[narrative]
name = "leak"

[[act]]
name = "post"
output_var = "posted"
[[act.input]]
type = "bot_command"
platform = "discord"
command = "messages.send"
[act.input.args]
channel_id = "1"
content = "{content}"
"""


def test_validate_names_a_default_secret_at_its_line_and_column(cli: Cli) -> None:
    """${DISCORD_TOKEN} and {{ env.OPENAI_API_KEY }} are load-time errors, even without a config."""
    cli.write("leak.toml", narrative("t=${DISCORD_TOKEN} k={{ env.OPENAI_API_KEY }}"))
    got = cli("validate", "leak.toml")
    assert got.code == 2
    lines = got.out.strip().splitlines()
    assert len(lines) == 2, got.out
    assert lines[0].startswith("leak.toml:13:")
    assert "DISCORD_TOKEN is a secret" in lines[0]
    assert "OPENAI_API_KEY is a secret" in lines[1]
    assert lines[1].rstrip().endswith("in narrator.toml")


def test_the_configs_secret_names_are_load_time_errors_in_run_and_plan(cli: Cli) -> None:
    """token_env and api_key_env of narrator.toml are secrets for validate, plan and run."""
    cli.write(
        "narrator.toml",
        RECORDING_CONFIG
        + '\n[discord]\ntoken_env = "MY_BOT_TOKEN"\n'
        + '\n[models.writer]\nprovider = "openai"\napi_key_env = "WRITER_KEY"\n',
    )
    cli.write("leak.toml", narrative("{{ env['WRITER_KEY'] }} ${MY_BOT_TOKEN}"))
    env = {"MY_BOT_TOKEN": TOKEN, "WRITER_KEY": KEY}
    for verb in ("validate", "plan", "run"):
        got = cli(verb, "leak.toml", env=env)
        assert got.code == 2, (verb, got.out, got.err)
        shown = got.out + got.err
        assert "leak.toml:13:" in shown
        assert "MY_BOT_TOKEN is a secret" in shown and "WRITER_KEY is a secret" in shown
        assert TOKEN not in shown and KEY not in shown
    assert (
        not (cli.cwd / "narrator.db").exists()
        or TOKEN.encode() not in (cli.cwd / "narrator.db").read_bytes()
    )


def test_allow_env_lets_a_narrative_read_a_listed_secret(cli: Cli) -> None:
    """[secrets] allow_env is the explicit way to let narratives read a secret variable."""
    cli.write(
        "narrator.toml",
        RECORDING_CONFIG + '\n[secrets]\nallow_env = ["DISCORD_TOKEN"]\n',
    )
    cli.write("ok.toml", narrative("id ${DISCORD_TOKEN}"))
    assert cli("validate", "ok.toml").code == 0
    got = cli("run", "ok.toml", "--json", env={"DISCORD_TOKEN": "public-ish"})
    assert got.code == 0, got.err
    assert got.json()["acts"][0]["output"]["content"] == "id public-ish"


def test_a_secret_read_the_parser_cannot_see_fails_the_act_and_is_not_journalled(
    cli: Cli,
) -> None:
    """env['DISCORD_' ~ 'TOKEN'] fails the act naming the secret; {{ env }} lacks the secrets."""
    cli.write("narrator.toml", RECORDING_CONFIG)
    cli.write("dynamic.toml", narrative("{{ env['DISCORD_' ~ 'TOKEN'] }}"))
    env = {"DISCORD_TOKEN": TOKEN, "OPENAI_API_KEY": KEY, "HARMLESS": "visible"}
    got = cli("run", "dynamic.toml", env=env)
    assert got.code == 1
    assert "DISCORD_TOKEN is a secret" in got.out + got.err
    assert TOKEN not in got.out + got.err

    cli.write("dump.toml", narrative("{{ env | tojson }}"))
    dumped = cli("run", "dump.toml", "--json", env=env)
    assert dumped.code == 0, dumped.err
    content = dumped.json()["acts"][0]["output"]["content"]
    assert "visible" in content
    assert TOKEN not in content and KEY not in content
    assert "DISCORD_TOKEN" not in content and "OPENAI_API_KEY" not in content
    database = Path(cli.cwd / "narrator.db").read_bytes()
    assert TOKEN.encode() not in database and KEY.encode() not in database


def test_a_secret_given_with_var_is_refused_and_never_stored_nor_printed(cli: Cli) -> None:
    """run/plan/schedule add --var DISCORD_TOKEN=... (or a config's token_env): a narrative
    cannot read a secret, so passing one is a usage error (exit 2) naming the variable —
    the value is in no output, no run and no schedule, and nothing was written."""
    cli.write("narrator.toml", RECORDING_CONFIG + '\n[discord]\ntoken_env = "MY_BOT_TOKEN"\n')
    cli.write("ok.toml", narrative("hello ${CHANNEL_NAME}"))
    results = []
    for name, value in (("DISCORD_TOKEN", TOKEN), ("MY_BOT_TOKEN", KEY)):
        for verb in (("run", "ok.toml"), ("plan", "ok.toml")):
            got = cli(*verb, "--var", f"{name}={value}", "--var", "CHANNEL_NAME=general")
            assert got.code == 2, (verb, got.err)
            assert f"--var {name} names a secret" in got.err
            results.append(got)
        scheduled = cli("schedule", "add", "ok.toml", "--every", "1h", "--var", f"{name}={value}")
        assert scheduled.code == 2 and "names a secret" in scheduled.err
        results.append(scheduled)
    fine = cli("run", "ok.toml", "--json", "--var", "CHANNEL_NAME=general")
    assert fine.code == 0, fine.err
    assert fine.json()["acts"][0]["output"]["content"] == "hello general"
    listed = cli("runs", "list", "--json")
    assert [r["run_id"] for r in listed.json()] == [fine.json()["run_id"]]  # refusals ran nothing
    assert cli("schedule", "list", "--json").json() == []
    for result in [*results, fine, listed]:
        assert TOKEN not in result.out + result.err and KEY not in result.out + result.err
    files = list(cli.cwd.glob("narrator.db*"))
    assert files
    for path in files:  # the database and any WAL beside it
        data = path.read_bytes()
        assert TOKEN.encode() not in data and KEY.encode() not in data, path
