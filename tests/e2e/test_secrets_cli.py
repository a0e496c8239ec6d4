"""Secret variables (DESIGN §6) cannot be read by a narrative, through the real command.

The variables narrator.toml names as secrets (``[discord] token_env``, every
``[models.*] api_key_env``, and the default names) are absent from ``${VAR}``
and ``{{ env }}``; a reference the parser can see is a located load-time
error, any other read is an act error, and the value never reaches the journal.
"""

from __future__ import annotations

from pathlib import Path

from narrator.state import open_database
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


def test_a_secret_given_with_var_is_never_journalled_nor_printed(cli: Cli) -> None:
    """run --var DISCORD_TOKEN=... (and a config's token_env): the run's summary keeps the
    other variables, never a secret's value — not in narrator.db, runs show, or any output."""
    cli.write("narrator.toml", RECORDING_CONFIG + '\n[discord]\ntoken_env = "MY_BOT_TOKEN"\n')
    cli.write("ok.toml", narrative("hello ${CHANNEL_NAME}"))
    got = cli(
        "run",
        "ok.toml",
        "--json",
        "--var",
        f"DISCORD_TOKEN={TOKEN}",
        "--var",
        f"MY_BOT_TOKEN={KEY}",
        "--var",
        "CHANNEL_NAME=general",
    )
    assert got.code == 0, got.err
    assert got.json()["acts"][0]["output"]["content"] == "hello general"
    run_id = got.json()["run_id"]
    shown = cli("runs", "show", run_id, "--json")
    assert shown.code == 0, shown.err
    database = open_database(f"sqlite:///{cli.cwd / 'narrator.db'}")
    try:
        record = database.journal.get_run(run_id)
    finally:
        database.close()
    assert record is not None
    assert record.summary["vars"] == {"CHANNEL_NAME": "general"}  # the others are kept
    listed = cli("runs", "list", "--json")
    for result in (got, shown, listed):
        assert TOKEN not in result.out + result.err and KEY not in result.out + result.err
    files = list(cli.cwd.glob("narrator.db*"))
    assert files
    for path in files:  # the database and any WAL beside it
        data = path.read_bytes()
        assert TOKEN.encode() not in data and KEY.encode() not in data, path
