"""JSON Schema (draft 2020-12) of the native narrative format, for ``narrator schema``.

Hand-built to match :mod:`narrator.parser.native` key for key (a test keeps
the two in step). Editors that understand JSON Schema for TOML (taplo, Even
Better TOML) can use it for completion and checking; the parser remains the
authority and also checks what a schema cannot (references, commands).
"""

from __future__ import annotations

from typing import Any

SCHEMA_ID = "https://narrator.invalid/schema/narrative.json"


def _string(description: str, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "description": description, **extra}


def _carousel() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "Repeat within a budget.",
        "additionalProperties": False,
        "properties": {
            "iterations": {"type": "integer", "minimum": 1, "default": 1},
            "estimated_tokens_per_iteration": {"type": "integer", "minimum": 0},
            "continue_on_error": {"type": "boolean", "default": False},
            "interval": {
                "description": 'Seconds, or a DURATION like "30s", "5m", "2h", "1d".',
                "oneOf": [
                    {"type": "number", "minimum": 0},
                    {"type": "string", "pattern": r"^\s*(\d+(\.\d+)?(ms|s|m|h|d|w)?)+\s*$"},
                ],
            },
            "until": _string("Stop once this condition renders truthy."),
            "on_budget": {"enum": ["stop", "wait"], "default": "stop"},
        },
    }


def _narrative() -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "name": _string("Name of the narrative (default: the file's stem)."),
            "description": _string("What the narrative does."),
            "guild_id": _string("Default guild for commands, e.g. ${GUILD_ID}."),
            "model": _string("Default model: a [models.NAME] profile or a model id."),
            "system": _string("Default system prompt of model acts."),
            "allow_destructive": {"type": "boolean", "default": False},
            "concurrency": {"type": "integer", "minimum": 1, "default": 1},
            "budget_multiplier": {"type": "number", "exclusiveMinimum": 0, "default": 1.0},
            "carousel": {"$ref": "#/$defs/carousel"},
        },
    }


def _inputs() -> dict[str, Any]:
    text = {
        "type": "object",
        "additionalProperties": False,
        "required": ["content"],
        "properties": {
            "type": {"const": "text"},
            "content": _string("Prompt text; may hold references."),
        },
    }
    command = {
        "type": "object",
        "additionalProperties": False,
        "required": ["command"],
        "properties": {
            "type": {"const": "bot_command"},
            "platform": _string("Platform of the command.", default="discord"),
            "command": _string("A command of the catalogue, e.g. channels.create."),
            "args": {
                "type": "object",
                "description": "Arguments of the command; narrator validate checks them "
                "against the command's own (unknown and missing ones are problems).",
            },
        },
    }
    return {"text_input": text, "bot_command_input": command}


def _act() -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "input"],
        "properties": {
            "name": _string("Unique act name.", pattern=r"^[A-Za-z0-9_][A-Za-z0-9_-]*$"),
            "output_var": _string(
                "State key that stores the act's output.", pattern=r"^\S(.*\S)?$"
            ),
            "skip_if": _string("Skip the act when this condition renders truthy."),
            "model": _string("A [models.NAME] profile or a model id."),
            "temperature": {"type": "number", "minimum": 0},
            "max_tokens": {"type": "integer", "minimum": 1},
            "context": {"enum": ["full", "none"], "default": "full"},
            "system": _string("System prompt of this model act."),
            "output": {"enum": ["text", "json"], "default": "text"},
            "schema": {
                "description": "JSON Schema of a JSON output, or a list of required fields.",
                "oneOf": [
                    {"type": "object"},
                    {"type": "array", "items": {"type": "string", "minLength": 1}},
                ],
            },
            "mentions": {"type": "array", "items": {"type": "string"}},
            "allow_destructive": {"type": "boolean"},
            "carousel": {"$ref": "#/$defs/carousel"},
            "input": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "oneOf": [
                        {"$ref": "#/$defs/text_input"},
                        {"$ref": "#/$defs/bot_command_input"},
                    ]
                },
            },
        },
    }


def narrative_json_schema() -> dict[str, Any]:
    """The JSON Schema of a native narrative file (as the dict tomllib produces)."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "narrator narrative",
        "description": "A narrative file in narrator's native format (docs/format.md).",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "narrative": {"$ref": "#/$defs/narrative"},
            "metadata": {"$ref": "#/$defs/narrative"},
            "carousel": {"$ref": "#/$defs/carousel"},
            "act": {"type": "array", "items": {"$ref": "#/$defs/act"}},
        },
        "$defs": {
            "narrative": _narrative(),
            "carousel": _carousel(),
            "act": _act(),
            **_inputs(),
        },
    }
