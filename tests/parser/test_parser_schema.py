"""`narrator schema`: generated from the parser's field tables, it covers exactly the keys the
native parser accepts, and every command of the catalogue with its own arguments."""

from __future__ import annotations

import json

from narrator import catalogue
from narrator.parser import fields
from narrator.schema import narrative_json_schema


def test_schema_is_draft_2020_12_and_json_serialisable() -> None:
    schema = narrative_json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert json.loads(json.dumps(schema)) == schema


def test_schema_top_level_keys_match_the_parser() -> None:
    assert set(narrative_json_schema()["properties"]) == set(fields.NATIVE_TOP_KEYS)


def test_schema_narrative_keys_match_the_parser() -> None:
    props = narrative_json_schema()["$defs"]["narrative"]["properties"]
    assert set(props) == set(fields.NARRATIVE_FIELDS) | {"carousel"}


def test_schema_act_keys_match_the_parser() -> None:
    props = narrative_json_schema()["$defs"]["act"]["properties"]
    assert set(props) == set(fields.ACT_FIELDS) | fields.ACT_SPECIAL


def test_schema_carousel_and_input_keys_match_the_parser() -> None:
    defs = narrative_json_schema()["$defs"]
    assert set(defs["carousel"]["properties"]) == set(fields.CAROUSEL_FIELDS)
    assert set(defs["text_input"]["properties"]) == set(fields.TEXT_FIELDS)
    assert set(defs["bot_command_input"]["properties"]) == set(fields.COMMAND_FIELDS) | {"args"}


def test_every_object_in_the_schema_forbids_unknown_keys_like_the_parser() -> None:
    defs = narrative_json_schema()["$defs"]
    for name in ("narrative", "carousel", "act", "text_input", "bot_command_input"):
        assert defs[name]["additionalProperties"] is False, name


def test_schema_commands_are_the_catalogue_with_its_aliases() -> None:
    command = narrative_json_schema()["$defs"]["bot_command_input"]
    names = {n for p in catalogue.platforms() for n in catalogue.command_names(p)}
    names |= set(catalogue.ALIASES["discord"])
    assert set(command["properties"]["command"]["enum"]) == names
    assert command["properties"]["platform"]["enum"] == list(catalogue.platforms())


def test_schema_arguments_of_each_command_are_its_catalogue_arguments() -> None:
    command = narrative_json_schema()["$defs"]["bot_command_input"]
    by_name = {
        rule["if"]["properties"]["command"]["const"]: rule["then"] for rule in command["allOf"]
    }
    for name in catalogue.command_names("discord"):
        spec = catalogue.lookup("discord", name)
        assert spec is not None
        args = by_name[name]["properties"]["args"]
        assert set(args["properties"]) == set(spec.args), name
        assert args["additionalProperties"] is False, name
        assert set(args.get("required", ())) == set(spec.required_args) - {"guild_id"}, name
