"""`narrator schema` and `narrator validate` agree: a file the one rejects for an unknown key,
a wrong type, an unknown platform, command or argument, or a missing argument, the other
rejects too; a valid file passes both (the schema is generated from the same tables)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from narrator.cli import cli
from narrator.schema import narrative_json_schema

HEAD = '[narrative]\nname = "agree"\n\n[[act]]\nname = "first"\n'
SEND = '[[act.input]]\ntype = "bot_command"\ncommand = "messages.send"\n'

FILES = {
    "good": HEAD
    + 'temperature = 0.5\n[[act.input]]\ntype = "text"\ncontent = "Say hi."\n'
    + '\n[[act]]\nname = "post"\n'
    + SEND
    + '[act.input.args]\nchannel_id = "{state.welcome}"\ncontent = "{act.first.output}"\n',
    "good_alias_and_guild": HEAD
    + '[[act.input]]\nplatform = "discord"\ncommand = "channel.create"\n'
    + '[act.input.args]\nguild_id = "${GUILD_ID}"\nname = "welcome"\n',
    "good_carousel": '[carousel]\niterations = 3\non_budget = "wait"\n\n'
    + HEAD
    + '[[act.input]]\ncontent = "Say hi."\n',
    "unknown_top_key": "[narative]\nname = 'x'\n\n" + HEAD + '[[act.input]]\ncontent = "hi"\n',
    "unknown_act_key": HEAD + 'temprature = 0.5\n[[act.input]]\ncontent = "hi"\n',
    "unknown_input_key": HEAD + '[[act.input]]\ncontent = "hi"\nvoice = "loud"\n',
    "unknown_command": HEAD
    + '[[act.input]]\ncommand = "messages.sned"\n[act.input.args]\nchannel_id = "1"\n',
    "unknown_platform": HEAD
    + '[[act.input]]\nplatform = "slack"\ncommand = "messages.send"\n'
    + '[act.input.args]\nchannel_id = "1"\ncontent = "hi"\n',
    "unknown_argument": HEAD + SEND + '[act.input.args]\nchannel_id = "1"\ncontnet = "hi"\n',
    "missing_argument": HEAD + SEND + '[act.input.args]\ncontent = "hi"\n',
    "missing_args_table": HEAD + SEND,
    "wrong_type": HEAD + 'temperature = "hot"\n[[act.input]]\ncontent = "hi"\n',
    "wrong_type_carousel": "[carousel]\niterations = 0\n\n"
    + HEAD
    + '[[act.input]]\ncontent = "hi"\n',
    "wrong_choice": HEAD + 'context = "some"\n[[act.input]]\ncontent = "hi"\n',
    "bad_act_name": '[[act]]\nname = "two words"\n[[act.input]]\ncontent = "hi"\n',
    "act_without_input": HEAD,
}


def _validate_exit(path: Path) -> int:
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code in (0, 2), result.output
    return result.exit_code


@pytest.mark.parametrize("name", sorted(FILES))
def test_schema_and_validate_agree(name: str, tmp_path: Path) -> None:
    path = tmp_path / f"{name}.toml"
    path.write_text(FILES[name])
    validator = Draft202012Validator(narrative_json_schema())
    schema_ok = validator.is_valid(tomllib.loads(FILES[name]))
    validate_ok = _validate_exit(path) == 0
    assert schema_ok == validate_ok
    assert schema_ok == name.startswith("good"), name


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(narrative_json_schema())
