"""The core engine through the command line, each call a separate process."""

from __future__ import annotations

import json

from tests.e2e.cli import RECORDING_CONFIG, Cli
from tests.providers.openai_server import OpenAIServer, Reply
from tests.seed import SEED


def test_seed_scenario_across_two_processes(cli: Cli) -> None:
    """First run does both acts; the second skips setup and sends to the stored id."""
    cli.write("narrator.toml", RECORDING_CONFIG)
    cli.write("seed.toml", SEED)
    first = cli("run", "seed.toml", "--var", "GUILD_ID=4242", "--json")
    assert first.code == 0, first.err
    acts = first.json()["acts"]
    assert [(a["name"], a["status"]) for a in acts] == [
        ("setup_channel", "done"),
        ("publish", "done"),
    ]
    channel_id = acts[0]["output"]["id"]
    assert acts[1]["output"]["channel_id"] == channel_id

    second = cli("run", "seed.toml", "--var", "GUILD_ID=4242", "--json")
    assert second.code == 0, second.err
    acts2 = second.json()["acts"]
    assert [(a["name"], a["status"]) for a in acts2] == [
        ("setup_channel", "skipped"),
        ("publish", "done"),
    ]
    assert acts2[1]["output"]["channel_id"] == channel_id

    listed = cli("state", "list", "--prefix", "discord.")
    assert listed.code == 0, listed.err
    assert "discord.4242.channel.welcome" in listed.out
    assert channel_id in listed.out
    got = cli("state", "get", "welcome_channel", "--json")
    assert got.code == 0, got.err
    assert json.loads(got.out)["value"]["id"] == channel_id


def test_runs_are_listed_and_shown(cli: Cli) -> None:
    cli.write("narrator.toml", RECORDING_CONFIG)
    cli.write("seed.toml", SEED)
    run_id = cli("run", "seed.toml", "--var", "GUILD_ID=1", "--json").json()["run_id"]
    listed = cli("runs", "list", "--json")
    assert listed.code == 0 and listed.json()[0]["run_id"] == run_id
    shown = cli("runs", "show", run_id, "--json")
    assert shown.code == 0
    assert [a["name"] for a in shown.json()["acts"]] == ["setup_channel", "publish"]
    missing = cli("runs", "show", "nope")
    assert missing.code == 2 and "runs list" in missing.err


FIVE_MISTAKES = """[narrative]
name = "broken"

[[act]]
name = "one"
output_vr = "x"
[[act.input]]
type = "bot_command"
command = "channels.craete"
args = { name = "a" }

[[act]]
name = "two"
temperature = "hot"
[[act.input]]
type = "text"
content = "uses {act.nobody.output}"

[[act]]
name = "one"
[[act.input]]
type = "text"
content = "fine"
"""


def test_validate_prints_five_located_problems_and_exits_2(cli: Cli) -> None:
    cli.write("broken.toml", FIVE_MISTAKES)
    result = cli("validate", "broken.toml")
    assert result.code == 2
    lines = [line for line in result.out.splitlines() if line.strip()]
    assert len(lines) == 5, result.out
    where = [tuple(int(x) for x in line.split(":")[1:3]) for line in lines]
    assert where == [(6, 1), (9, 11), (14, 15), (17, 17), (20, 8)]
    assert all(line.startswith("broken.toml:") for line in lines)
    assert any("did you mean 'output_var'" in line for line in lines)
    assert any("did you mean 'channels.create'" in line for line in lines)


def test_validate_accepts_a_good_file(cli: Cli) -> None:
    cli.write("seed.toml", SEED)
    result = cli("validate", "seed.toml")
    assert result.code == 0, result.out + result.err
    assert "ok" in result.err


def test_invalid_file_makes_run_exit_2_without_a_traceback(cli: Cli) -> None:
    cli.write("bad.toml", "[narrative\nname = 1")
    result = cli("run", "bad.toml")
    assert result.code == 2
    assert "Traceback" not in result.err and "bad.toml:1:" in result.err


def test_a_narrative_needing_discord_says_what_to_configure(cli: Cli) -> None:
    cli.write("seed.toml", SEED)
    result = cli("run", "seed.toml", "--var", "GUILD_ID=1")
    assert result.code in (1, 2)
    assert "Traceback" not in result.err
    assert "DISCORD_TOKEN" in result.err and "--sandbox" in result.err


def test_model_output_reaches_a_later_act_character_for_character(cli: Cli) -> None:
    """A model answering template syntax has it posted literally, never rendered again."""
    nasty = "{state.secret} {{ 7*7 }} ${HOME}"
    with OpenAIServer() as server:
        server.script(Reply(text=nasty))
        cli.write(
            "narrator.toml",
            RECORDING_CONFIG
            + f"""
[models.default]
provider = "openai"
base_url = "{server.base_url}"
model = "local-model"
""",
        )
        cli.write(
            "n.toml",
            """
[narrative]
name = "literal"
[[act]]
name = "draft"
[[act.input]]
type = "text"
content = "Say something."
[[act]]
name = "post"
[[act.input]]
type = "bot_command"
command = "messages.send"
args = { channel_id = "1", content = "{act.draft.output}" }
""",
        )
        cli("state", "set", "secret", "hunter2")
        result = cli("run", "n.toml", "--json")
    assert result.code == 0, result.err
    assert result.json()["acts"][1]["output"]["content"] == nasty
    assert "hunter2" not in result.out


def test_plan_shows_run_and_skip_and_changes_nothing(cli: Cli) -> None:
    """plan under current state: setup would be skipped, publish would run; nothing is written."""
    cli.write("narrator.toml", RECORDING_CONFIG)
    cli.write("seed.toml", SEED)
    before = cli("plan", "seed.toml", "--var", "GUILD_ID=9", "--detailed-exitcode")
    assert before.code == 3, before.err
    assert "run   setup_channel" in before.out and "changes pending" in before.out
    assert cli("state", "list", "--json").json() == []
    assert cli("runs", "list", "--json").json() == []

    assert cli("run", "seed.toml", "--var", "GUILD_ID=9").code == 0
    state_before = cli("state", "list", "--json").json()
    after = cli("plan", "seed.toml", "--var", "GUILD_ID=9", "--json")
    assert after.code == 0
    planned = {a["name"]: a["status"] for a in after.json()["acts"]}
    assert planned == {"setup_channel": "skipped", "publish": "done"}
    assert cli("state", "list", "--json").json() == state_before
    assert len(cli("runs", "list", "--json").json()) == 1


def test_ephemeral_run_leaves_no_trace(cli: Cli) -> None:
    """run --ephemeral keeps state and runs in memory: a second run starts from nothing."""
    cli.write("narrator.toml", RECORDING_CONFIG)
    cli.write("seed.toml", SEED)
    for _ in range(2):
        result = cli("run", "seed.toml", "--var", "GUILD_ID=5", "--ephemeral", "--json")
        assert result.code == 0, result.err
        assert [a["status"] for a in result.json()["acts"]] == ["done", "done"]
    assert not (cli.cwd / "narrator.db").exists()


def test_resume_continues_a_failed_run_with_its_vars_and_without_repeating_acts(cli: Cli) -> None:
    """A run failing at its second act resumes with the same --var values and finishes."""
    cli.write("narrator.toml", RECORDING_CONFIG)
    broken = SEED.replace('channel_id = "{state.welcome_channel.id}"', 'channel_id = "${CHANNEL}"')
    cli.write("seed.toml", broken)
    failed = cli("run", "seed.toml", "--var", "GUILD_ID=77", "--json")
    assert failed.code == 1
    run_id = failed.json()["run_id"]
    assert [a["status"] for a in failed.json()["acts"]] == ["done", "failed"]
    assert "CHANNEL" in failed.json()["acts"][1]["error"]
    assert run_id in failed.err and "narrator resume" in failed.err

    cli.write("seed.toml", SEED)  # the fix: the file is read again on resume
    resumed = cli("resume", run_id, "--json")
    assert resumed.code == 0, resumed.err
    assert resumed.json()["run_id"] == run_id
    assert [(a["name"], a["status"]) for a in resumed.json()["acts"]] == [
        ("setup_channel", "done"),
        ("publish", "done"),
    ]
    shown = cli("runs", "show", run_id, "--json").json()
    assert shown["status"] == "done"
    creates = [a for a in shown["acts"] if a["name"] == "setup_channel"]
    assert len(creates) == 1  # not done again
    assert cli("state", "get", "discord.77.channel.welcome").code == 0  # GUILD_ID kept
    again = cli("resume", run_id)
    assert again.code == 2 and "only failed or interrupted runs resume" in again.err
