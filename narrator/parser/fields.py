"""The field tables of the narrative format: each key, the values it takes, its fix.

One table per place a key can be written (``[narrative]``, ``[[act]]``, an input,
``[carousel]``; the Botticelli dialect's own keys beside them). The parser checks
tables against them with :func:`take`; ``narrator schema`` is generated from the
same tables (:mod:`narrator.schema`), so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from narrator.parser.context import Context, show, suggest, type_name
from narrator.parser.locate import Path


@dataclass(frozen=True)
class Field:
    """How one key is checked: a converter returning the value or raising ValueError."""

    convert: Callable[[Any], Any]
    expected: str  # "a string", "an integer >= 1", ...
    example: str  # the fix: "temperature = 0.7"

    def json_schema(self) -> dict[str, Any]:
        """The JSON Schema of the values ``convert`` accepts (for ``narrator schema``)."""
        return {**schema_of(self.convert), "description": f"{self.expected}, e.g. {self.example}"}


_SCHEMAS: dict[Callable[[Any], Any], dict[str, Any]] = {}


def _accepts(schema: dict[str, Any]) -> Callable[[Callable[[Any], Any]], Any]:
    """Record the JSON Schema of what a converter accepts."""

    def record(convert: Callable[[Any], Any]) -> Any:
        _SCHEMAS[convert] = schema
        return convert

    return record


def schema_of(convert: Callable[[Any], Any]) -> dict[str, Any]:
    """The JSON Schema recorded for ``convert`` (``{}``, anything, when none was)."""
    return dict(_SCHEMAS.get(convert, {}))


@_accepts({"type": "string"})
def as_str(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError
    return value


@_accepts({"type": "boolean"})
def as_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError
    return value


def as_int(minimum: int | None = None) -> Callable[[Any], int]:
    def convert(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError
        if minimum is not None and value < minimum:
            raise ValueError
        return value

    schema: dict[str, Any] = {"type": "integer"}
    if minimum is not None:
        schema["minimum"] = minimum
    return _accepts(schema)(convert)  # type: ignore[no-any-return]


def as_number(minimum: float | None = None, *, strict: bool = False) -> Callable[[Any], float]:
    def convert(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError
        number = float(value)
        if number != number:  # NaN
            raise ValueError
        if minimum is not None and (number <= minimum if strict else number < minimum):
            raise ValueError
        return number

    schema: dict[str, Any] = {"type": "number"}
    if minimum is not None:
        schema["exclusiveMinimum" if strict else "minimum"] = minimum
    return _accepts(schema)(convert)  # type: ignore[no-any-return]


def as_choice(*choices: str) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        if value not in choices:
            raise ValueError
        return str(value)

    return _accepts({"enum": list(choices)})(convert)  # type: ignore[no-any-return]


@_accepts({"type": "array", "items": {"type": "string"}})
def as_str_list(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError
    return tuple(value)


@_accepts({"type": "object"})
def as_table(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError
    return value


@_accepts(
    {
        "oneOf": [
            {"type": "number", "minimum": 0},
            {"type": "string", "pattern": r"^\s*(\d+(\.\d+)?(ms|s|m|h|d|w)?)+\s*$"},
        ]
    }
)
def as_duration(value: Any) -> float:
    """Seconds: a number, or a DURATION string like ``30s``, ``5m``, ``1h30m``."""
    if isinstance(value, str):
        from narrator.durations import parse_duration
        from narrator.errors import UsageError

        try:
            return parse_duration(value)
        except UsageError:
            raise ValueError from None
    return as_number(0.0)(value)


def take(
    ctx: Context,
    table: Mapping[str, Any],
    path: Path,
    fields: Mapping[str, Field],
    *,
    what: str,
    ignored: frozenset[str] = frozenset(),
    skip: frozenset[str] = frozenset(),
    warned: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Check ``table`` against ``fields``; return the converted values that passed.

    Unknown keys are problems (with "did you mean"), except ``ignored`` keys
    (accepted and dropped), ``skip`` keys (handled by the caller) and ``warned``
    keys (accepted and dropped with a warning: key -> what Botticelli does with it).
    """
    out: dict[str, Any] = {}
    for key, value in table.items():
        if key in skip or key in ignored:
            continue
        spec = fields.get(key)
        if spec is None and warned and key in warned:
            ctx.key_warning((*path, key), f"'{key}' in {what} is ignored: {warned[key]}")
            continue
        if spec is None:
            known = sorted(set(fields) | skip | ignored)
            hint = suggest(key, known)
            fix = "" if hint else f"; known keys: {', '.join(known)}"
            ctx.key_problem((*path, key), f"unknown key '{key}' in {what}{hint}{fix}")
            continue
        try:
            out[key] = spec.convert(value)
        except ValueError:
            ctx.value_problem(
                (*path, key),
                f"{key} must be {spec.expected}, not {type_name(value)} ({show(value)}); "
                f"write {spec.example}",
            )
    return out


# ------------------------------------------------------------------------ the tables

CAROUSEL_FIELDS: dict[str, Field] = {
    "iterations": Field(as_int(1), "an integer >= 1", "iterations = 5"),
    "estimated_tokens_per_iteration": Field(
        as_int(0), "an integer >= 0", "estimated_tokens_per_iteration = 500"
    ),
    "continue_on_error": Field(as_bool, "true or false", "continue_on_error = true"),
    "interval": Field(
        as_duration, 'seconds or a duration like "30s"', 'interval = "5m" (or interval = 300)'
    ),
    "until": Field(as_str, "a string (a condition)", 'until = "{state.done}"'),
    "on_budget": Field(as_choice("stop", "wait"), '"stop" or "wait"', 'on_budget = "stop"'),
}


NATIVE_TOP_KEYS = ("narrative", "metadata", "carousel", "act")

NARRATIVE_FIELDS: dict[str, Field] = {
    "name": Field(as_str, "a string", 'name = "publish_welcome"'),
    "description": Field(as_str, "a string", 'description = "What this narrative does"'),
    "guild_id": Field(as_str, "a string (a guild id or ${VAR})", 'guild_id = "${GUILD_ID}"'),
    "model": Field(as_str, "a string (a [models.NAME] profile or model id)", 'model = "default"'),
    "system": Field(as_str, "a string", 'system = "You are a helpful bot."'),
    "allow_destructive": Field(as_bool, "true or false", "allow_destructive = false"),
    "concurrency": Field(as_int(1), "an integer >= 1", "concurrency = 1"),
    "budget_multiplier": Field(
        as_number(0.0, strict=True), "a number > 0", "budget_multiplier = 1.0"
    ),
    # Botticelli's automatic id capture (executor/perform.result_id_captures), written out
    # by `narrator convert`
    "capture_result_ids": Field(as_bool, "true or false", "capture_result_ids = true"),
}

ACT_FIELDS: dict[str, Field] = {
    "name": Field(as_str, "a string", 'name = "setup_channel"'),
    "skip_if": Field(as_str, "a string (a condition)", 'skip_if = "{state.KEY}"'),
    "model": Field(as_str, "a string (a [models.NAME] profile or model id)", 'model = "default"'),
    "temperature": Field(as_number(0.0), "a number >= 0", "temperature = 0.7"),
    "max_tokens": Field(as_int(1), "an integer >= 1", "max_tokens = 300"),
    "context": Field(as_choice("full", "none"), '"full" or "none"', 'context = "none"'),
    "system": Field(as_str, "a string", 'system = "You are a helpful bot."'),
    "output": Field(as_choice("text", "json"), '"text" or "json"', 'output = "json"'),
    "mentions": Field(as_str_list, "an array of strings", 'mentions = ["users"]'),
    "allow_destructive": Field(as_bool, "true or false", "allow_destructive = true"),
    # content tables (issue 11): store the JSON answer's items as rows of a table
    "store": Field(as_str, "a string (a content table)", 'store = "posts"'),
    "dedupe": Field(as_str, '"hash" or a field name', 'dedupe = "hash"'),
    # with store: "extract" stores the JSON found in the answer and keeps the answer as the
    # output (Botticelli's content generation; `narrator convert` writes it)
    "store_mode": Field(
        as_choice("json", "extract"), '"json" or "extract"', 'store_mode = "extract"'
    ),
    "template": Field(as_str, "a string (a content template)", 'template = "discord_posts"'),
    "narrative": Field(
        as_str, "a string (a narrative file beside this one)", 'narrative = "welcome_drafts"'
    ),
    # with narrative: the nested acts' outputs, joined by blank lines, are this act's output
    # and join the conversation (Botticelli's narrative = "NAME" composition)
    "narrative_joins": Field(as_bool, "true or false", "narrative_joins = true"),
}
# handled separately (structure, not a plain typed value)
ACT_SPECIAL = frozenset({"output_var", "schema", "carousel", "input"})

INPUT_TYPES = ("text", "bot_command", "table", "image", "audio", "video", "document")
TEXT_FIELDS: dict[str, Field] = {
    "type": Field(as_str, '"text"', 'type = "text"'),
    "content": Field(as_str, "a string", 'content = "Write a welcome."'),
    # sent as written, never rendered (Botticelli's verbatim prompts; `narrator convert`)
    "verbatim": Field(as_bool, "true or false", "verbatim = true"),
    "file": Field(as_str, "a string (a path)", 'file = "CONTEXT.md"'),
}
# media inputs (narrator.parser.media): exactly one of url, file, base64
MEDIA_FIELDS: dict[str, Field] = {
    "type": Field(as_str, '"image", "audio", "video" or "document"', 'type = "image"'),
    "url": Field(as_str, "a string (a URL)", 'url = "https://example.com/cat.png"'),
    "file": Field(as_str, "a string (a path)", 'file = "cat.png"'),
    "base64": Field(as_str, "a string (base64)", 'base64 = "iVBORw0KGgo..."'),
    "mime": Field(as_str, "a string (a MIME type)", 'mime = "image/png"'),
    "filename": Field(as_str, "a string", 'filename = "report.pdf"'),
}
COMMAND_FIELDS: dict[str, Field] = {
    "type": Field(as_str, '"bot_command"', 'type = "bot_command"'),
    "platform": Field(as_str, "a string", 'platform = "discord"'),
    "command": Field(as_str, "a string", 'command = "messages.send"'),
    # false: a failure becomes the text "[Bot command 'C' failed: ...]" and the act goes on
    "required": Field(as_bool, "true or false", "required = false"),
}

# the Botticelli dialect (narrator.parser.botticelli)
BOTT_TOP_KEYS = ("narrative", "toc", "acts", "bots", "tables", "media", "narratives")
# [narrative] keys Botticelli uses for its content-generation pipeline; narrator ignores them
IGNORED_NARRATIVE_KEYS = frozenset({"skip_content_generation", "template", "target", "budget"})
BOTT_NARRATIVE_FIELDS: dict[str, Field] = {
    **NARRATIVE_FIELDS,
    "temperature": Field(as_number(0.0), "a number >= 0", "temperature = 0.7"),
    "max_tokens": Field(as_int(1), "an integer >= 1", "max_tokens = 300"),
}
# store/dedupe are native: a Botticelli narrative stores through target/template
BOTT_ACT_FIELDS = {
    k: v
    for k, v in ACT_FIELDS.items()
    if k not in ("name", "store", "dedupe", "store_mode", "template", "narrative_joins")
}
BOTT_ACT_SPECIAL = frozenset(
    {"input", "narrative", "narrative_ref", "carousel", "output_var", "schema"}
)
IGNORED_ACT_KEYS = frozenset({"extract_output"})
# keys Botticelli's parser drops without a word: accepted with a warning saying so
WARNED_TOP_KEYS: dict[str, str] = {
    "config": "Botticelli does not read [config] in a narrative file (its model settings "
    "come from botticelli.toml); set model, temperature and max_tokens in [narrative] or "
    "the act, and profiles in narrator.toml",
}
WARNED_ACT_KEYS: dict[str, str] = {
    "state_capture": "Botticelli drops it; bot command ids are captured automatically "
    "(discord.channels.create.id, id, ...), read them with ${state:KEY}",
    "skip_content_generation": "Botticelli reads it only in [narrative]; remove it here",
}
# per-input keys of Botticelli that narrator accepts and ignores (see docs/format.md)
IGNORED_INPUT_KEYS = frozenset({"required", "cache_duration", "history_retention"})
TABLE_KEYS: dict[str, Field] = {
    "table_name": Field(as_str, "a string", 'table_name = "welcome_messages"'),
    "columns": Field(lambda v: v, "an array", 'columns = ["content"]'),
    "where": Field(as_str, "a string", "where = \"tone = 'casual'\""),
    "limit": Field(as_int(0), "an integer", "limit = 100"),
    "offset": Field(as_int(0), "an integer", "offset = 0"),
    "order_by": Field(as_str, "a string", 'order_by = "created_at"'),
    "format": Field(lambda v: v, "a string", 'format = "markdown"'),
    "sample": Field(as_int(0), "an integer", "sample = 5"),
    "pull_and_delete": Field(lambda v: v, "true or false", "pull_and_delete = false"),
}
