"""JSON Schema (draft 2020-12) of the native narrative format, for ``narrator schema``.

Generated, not written: every key and value type comes from the parser's field
tables (:mod:`narrator.parser.fields`), every command and argument from the
command catalogue (:mod:`narrator.catalogue`). So the schema rejects what
``narrator validate`` rejects for keys, value types, commands and arguments:
an unknown key, a value of the wrong type, an unknown platform or command
(``command`` is an enum), an argument the command does not take or a required
one left out (one ``if``/``then`` per command). Editors that understand JSON
Schema for TOML (taplo, Even Better TOML) use it for completion and checking;
the parser still checks what a schema cannot (references, act order, secrets).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from narrator import catalogue
from narrator.parser.checks import ACT_NAME
from narrator.parser.fields import (
    ACT_FIELDS,
    ACT_SPECIAL,
    CAROUSEL_FIELDS,
    COMMAND_FIELDS,
    MEDIA_FIELDS,
    NARRATIVE_FIELDS,
    NATIVE_TOP_KEYS,
    TEXT_FIELDS,
    Field,
)
from narrator.parser.tables import TABLE_FIELDS

SCHEMA_ID = "https://narrator.invalid/schema/narrative.json"
DEFAULT_PLATFORM = "discord"  # an input without ``platform`` (narrator.parser.native)


def _object(fields: Mapping[str, Field], **extra: Any) -> dict[str, Any]:
    """A table whose keys are exactly ``fields`` (and ``extra`` properties)."""
    properties = {key: spec.json_schema() for key, spec in fields.items()}
    properties.update(extra)
    return {"type": "object", "additionalProperties": False, "properties": properties}


def _act() -> dict[str, Any]:
    special: dict[str, Any] = {
        "output_var": {
            "type": "string",
            "description": "State key that stores the act's output.",
            "pattern": r"^\S(.*\S)?$",
        },
        "schema": {
            "description": "JSON Schema of a JSON output, or a list of required fields.",
            "oneOf": [
                {"type": "object"},
                {"type": "array", "items": {"type": "string", "minLength": 1}},
            ],
        },
        "carousel": {"$ref": "#/$defs/carousel"},
        "input": {
            "type": "array",
            "minItems": 1,
            "items": {
                "oneOf": [
                    {"$ref": "#/$defs/text_input"},
                    {"$ref": "#/$defs/bot_command_input"},
                    {"$ref": "#/$defs/table_input"},
                    {"$ref": "#/$defs/media_input"},
                ]
            },
        },
    }
    assert set(special) == ACT_SPECIAL, "a structural act key without a schema"
    act = _object(ACT_FIELDS, **special)
    act["properties"]["name"]["pattern"] = "^" + ACT_NAME.pattern.removesuffix(r"\Z") + "$"
    act["required"] = ["name"]
    # an act has inputs, or runs a nested narrative (narrative = "stem"), or both
    act["anyOf"] = [{"required": ["input"]}, {"required": ["narrative"]}]
    return act


def _text_input() -> dict[str, Any]:
    text = _object(TEXT_FIELDS)
    text["properties"]["type"] = {"const": "text"}
    text["oneOf"] = [{"required": ["content"]}, {"required": ["file"]}]  # one, not both
    return text


def _media_input() -> dict[str, Any]:
    """An image, audio, video or document input: exactly one of url, file, base64."""
    media = _object(MEDIA_FIELDS)
    media["properties"]["type"] = {"enum": ["image", "audio", "video", "document"]}
    media["required"] = ["type"]
    media["oneOf"] = [{"required": [key]} for key in ("url", "file", "base64")]
    return media


def _table_input() -> dict[str, Any]:
    """Rows of a content table (narrator.parser.tables)."""
    table = _object(TABLE_FIELDS)
    table["properties"]["type"] = {"const": "table"}
    table["required"] = ["type", "table"]
    return table


def _arguments(spec: catalogue.CommandSpec) -> dict[str, Any]:
    """What ``args`` of one command may hold; ``guild_id`` has a default (DESIGN §3)."""
    properties = {
        name: {"description": arg.doc} if arg.doc else {} for name, arg in spec.args.items()
    }
    required = [name for name in spec.required_args if name != "guild_id"]
    args: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "properties": properties,
    }
    if required:
        args["required"] = required
    then: dict[str, Any] = {"properties": {"args": args}}
    if required:
        then["required"] = ["args"]
    return then


def _command_input() -> dict[str, Any]:
    """A bot_command input: the platform and command are enums, args checked per command."""
    command = _object(COMMAND_FIELDS, args={"type": "object"})
    platforms = list(catalogue.platforms())
    names: list[str] = []
    per_command: list[dict[str, Any]] = []
    for platform in platforms:
        spelled = {name: name for name in catalogue.command_names(platform)}
        spelled.update(catalogue.ALIASES.get(platform, {}))
        for name, target in sorted(spelled.items()):
            spec = catalogue.lookup(platform, target)
            if spec is None:  # pragma: no cover - an alias of nothing
                continue
            names.append(name)
            condition: dict[str, Any] = {
                "properties": {"platform": {"const": platform}, "command": {"const": name}},
                "required": ["command"]
                if platform == DEFAULT_PLATFORM
                else ["command", "platform"],
            }
            per_command.append({"if": condition, "then": _arguments(spec)})
    properties = command["properties"]
    properties["type"] = {"const": "bot_command"}
    properties["platform"] = {
        **properties["platform"],
        "enum": platforms,
        "default": DEFAULT_PLATFORM,
    }
    properties["command"] = {**properties["command"], "enum": sorted(set(names))}
    command["required"] = ["command"]
    command["allOf"] = per_command
    return command


def narrative_json_schema() -> dict[str, Any]:
    """The JSON Schema of a native narrative file (as the dict tomllib produces)."""
    narrative = _object(NARRATIVE_FIELDS, carousel={"$ref": "#/$defs/carousel"})
    top = {
        "narrative": {"$ref": "#/$defs/narrative"},
        "metadata": {"$ref": "#/$defs/narrative"},
        "carousel": {"$ref": "#/$defs/carousel"},
        "act": {"type": "array", "items": {"$ref": "#/$defs/act"}},
    }
    assert set(top) == set(NATIVE_TOP_KEYS), "a top-level key without a schema"
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "narrator narrative",
        "description": "A narrative file in narrator's native format (docs/format.md).",
        "type": "object",
        "additionalProperties": False,
        "properties": top,
        "$defs": {
            "narrative": narrative,
            "carousel": _object(CAROUSEL_FIELDS),
            "act": _act(),
            "text_input": _text_input(),
            "bot_command_input": _command_input(),
            "table_input": _table_input(),
            "media_input": _media_input(),
        },
    }
