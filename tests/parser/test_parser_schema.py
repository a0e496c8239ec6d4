"""`narrator schema`: the JSON Schema covers exactly the keys the native parser accepts."""

from __future__ import annotations

import json

from narrator.parser import native
from narrator.parser.fields import CAROUSEL_FIELDS
from narrator.schema import narrative_json_schema


def test_schema_is_draft_2020_12_and_json_serialisable() -> None:
    schema = narrative_json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert json.loads(json.dumps(schema)) == schema


def test_schema_top_level_keys_match_the_parser() -> None:
    assert set(narrative_json_schema()["properties"]) == set(native.TOP_KEYS)


def test_schema_narrative_keys_match_the_parser() -> None:
    props = narrative_json_schema()["$defs"]["narrative"]["properties"]
    assert set(props) == set(native.NARRATIVE_FIELDS) | {"carousel"}


def test_schema_act_keys_match_the_parser() -> None:
    props = narrative_json_schema()["$defs"]["act"]["properties"]
    assert set(props) == set(native.ACT_FIELDS) | native.ACT_SPECIAL


def test_schema_carousel_and_input_keys_match_the_parser() -> None:
    defs = narrative_json_schema()["$defs"]
    assert set(defs["carousel"]["properties"]) == set(CAROUSEL_FIELDS)
    assert set(defs["text_input"]["properties"]) == set(native.TEXT_FIELDS)
    assert set(defs["bot_command_input"]["properties"]) == set(native.COMMAND_FIELDS) | {"args"}


def test_every_object_in_the_schema_forbids_unknown_keys_like_the_parser() -> None:
    defs = narrative_json_schema()["$defs"]
    for name in ("narrative", "carousel", "act", "text_input", "bot_command_input"):
        assert defs[name]["additionalProperties"] is False, name
