"""Structured output of model acts (``output = "json"``): pure functions.

The executor asks a model, then calls :func:`parse_structured` on the answer:

1. :func:`extract_json` finds the JSON — a fenced ```` ```json ```` block
   first, else the first balanced object or array in the text;
2. :func:`validate` checks it against the act's optional ``schema``: an
   inline JSON Schema (the common subset: ``type``, ``properties``,
   ``required``, ``items``, ``enum``, ``const``, lengths, bounds,
   ``additionalProperties``, ``anyOf``/``oneOf``/``allOf``) or a field list
   (``["title", "body"]``, or ``{"fields": [...]}``) meaning "an object with
   these keys".

:func:`parse_structured` returns ``(value, None)`` or ``(None, problem)``;
:func:`parse_or_raise` raises :class:`StructuredOutputError` whose ``str`` is
the same readable explanation; :func:`retry_prompt` turns it into the follow-up message the
executor sends once. :func:`instruction` is the sentence appended to a JSON
act's prompt, and :func:`placeholder` builds the deterministic value the
sandbox model answers with.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "StructuredOutputError",
    "extract_json",
    "field_names",
    "instruction",
    "parse_or_raise",
    "parse_structured",
    "placeholder",
    "retry_prompt",
    "schema_from_instruction",
    "validate",
]

Schema = Mapping[str, Any] | Sequence[str] | None

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n(.*?)```", re.DOTALL)
_INSTRUCTION_MARK = "JSON Schema: "
_FIELDS_MARK = "with the fields: "


class StructuredOutputError(ValueError):
    """The answer holds no usable JSON, or the JSON does not fit the schema.

    ``errors`` lists each problem as a readable sentence.
    """

    def __init__(self, summary: str, errors: Sequence[str] = ()) -> None:
        self.summary = summary
        self.errors = list(errors)
        super().__init__(self.render())

    def render(self) -> str:
        if not self.errors:
            return self.summary
        return self.summary + ":\n" + "\n".join(f"  - {e}" for e in self.errors)


# --------------------------------------------------------------------------- extraction


def extract_json(text: str) -> Any:
    """The JSON value in a model's answer.

    A fenced block labelled ``json`` (or unlabelled) that parses wins; else the
    first balanced ``{...}`` or ``[...]`` that parses; else the whole text if it
    is JSON. Raises :class:`StructuredOutputError` when nothing parses.
    """
    fenced_error: str | None = None
    for match in _FENCE.finditer(text):
        lang = match.group(1).lower()
        if lang not in ("", "json", "json5", "jsonc"):
            continue
        body = match.group(2).strip()
        try:
            return json.loads(body)
        except json.JSONDecodeError as exc:
            fenced_error = fenced_error or f"the ```json block is not valid JSON: {exc}"
    for start in _candidate_starts(text):
        end = _balanced_end(text, start)
        if end is None:
            continue
        try:
            return json.loads(text[start:end])
        except json.JSONDecodeError:
            continue
    stripped = text.strip()
    try:
        return json.loads(stripped)
    except json.JSONDecodeError:
        pass
    summary = fenced_error or "the answer contains no JSON object or array"
    preview = stripped[:120] + ("…" if len(stripped) > 120 else "")
    raise StructuredOutputError(summary, [f"answer began: {preview!r}"] if preview else [])


def _candidate_starts(text: str) -> list[int]:
    return [i for i, ch in enumerate(text) if ch in "{["]


def _balanced_end(text: str, start: int) -> int | None:
    """Index just past the bracket that closes ``text[start]``, strings respected."""
    stack: list[str] = []
    in_string = False
    escaped = False
    closing = {"{": "}", "[": "]"}
    for i in range(start, len(text)):
        ch = text[i]
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            continue
        if ch == '"':
            in_string = True
        elif ch in closing:
            stack.append(closing[ch])
        elif ch in "}]":
            if not stack or stack.pop() != ch:
                return None
            if not stack:
                return i + 1
    return None


# --------------------------------------------------------------------------- validation


def field_names(schema: Schema) -> list[str] | None:
    """The field list of a field-list schema, or None for a JSON Schema / no schema."""
    if schema is None:
        return None
    if isinstance(schema, str):
        return [schema]
    if isinstance(schema, Mapping):
        fields = schema.get("fields")
        if isinstance(fields, Sequence) and not isinstance(fields, str):
            return [str(f) for f in fields]
        return None
    return [str(f) for f in schema]


def validate(value: Any, schema: Schema) -> list[str]:
    """Every way ``value`` fails ``schema``, as readable sentences (empty: valid)."""
    if schema is None:
        return []
    fields = field_names(schema)
    if fields is not None:
        if not isinstance(value, dict):
            return [f"expected an object with the fields {', '.join(fields)}, got {_kind(value)}"]
        return [f"missing field '{f}'" for f in fields if f not in value]
    assert isinstance(schema, Mapping)
    errors: list[str] = []
    _check(value, schema, "$", errors)
    return errors


_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _is_type(value: Any, name: str) -> bool:
    if name in ("integer", "number") and isinstance(value, bool):
        return False
    if name == "integer" and isinstance(value, float):
        return value.is_integer()
    return isinstance(value, _TYPES.get(name, (object,)))


def _check(value: Any, schema: Mapping[str, Any], path: str, errors: list[str]) -> None:
    declared = schema.get("type")
    if declared is not None:
        names = [declared] if isinstance(declared, str) else list(declared)
        if not any(_is_type(value, n) for n in names):
            errors.append(f"{path}: expected {' or '.join(names)}, got {_kind(value)}")
            return
    if "enum" in schema and value not in schema["enum"]:
        options = ", ".join(json.dumps(o) for o in schema["enum"])
        errors.append(f"{path}: {json.dumps(value)} is not one of {options}")
    if "const" in schema and value != schema["const"]:
        errors.append(f"{path}: must be {json.dumps(schema['const'])}")
    if isinstance(value, str):
        if "minLength" in schema and len(value) < schema["minLength"]:
            errors.append(f"{path}: shorter than {schema['minLength']} characters")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            errors.append(f"{path}: longer than {schema['maxLength']} characters")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append(f"{path}: does not match /{schema['pattern']}/")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            errors.append(f"{path}: {value} is less than the minimum {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            errors.append(f"{path}: {value} is more than the maximum {schema['maximum']}")
    if isinstance(value, dict):
        _check_object(value, schema, path, errors)
    if isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            errors.append(f"{path}: fewer than {schema['minItems']} items")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            errors.append(f"{path}: more than {schema['maxItems']} items")
        items = schema.get("items")
        if isinstance(items, Mapping):
            for i, item in enumerate(value):
                _check(item, items, f"{path}[{i}]", errors)
    for sub in schema.get("allOf", ()):
        _check(value, sub, path, errors)
    for keyword in ("anyOf", "oneOf"):
        alternatives: Sequence[Mapping[str, Any]] = schema.get(keyword) or ()
        if alternatives:
            passing = sum(1 for sub in alternatives if not _errors_of(value, sub, path))
            if passing == 0 or (keyword == "oneOf" and passing > 1):
                errors.append(f"{path}: matches {passing} of the {keyword} alternatives")


def _check_object(
    value: dict[str, Any], schema: Mapping[str, Any], path: str, errors: list[str]
) -> None:
    for name in schema.get("required", ()):
        if name not in value:
            errors.append(f"{path}: missing required field '{name}'")
    properties: Mapping[str, Any] = schema.get("properties", {})
    for name, sub in properties.items():
        if name in value and isinstance(sub, Mapping):
            _check(value[name], sub, f"{path}.{name}", errors)
    extra = schema.get("additionalProperties", True)
    for name in value:
        if name in properties:
            continue
        if extra is False:
            errors.append(f"{path}: unexpected field '{name}'")
        elif isinstance(extra, Mapping):
            _check(value[name], extra, f"{path}.{name}", errors)


def _errors_of(value: Any, schema: Mapping[str, Any], path: str) -> list[str]:
    errors: list[str] = []
    _check(value, schema, path, errors)
    return errors


def parse_structured(text: str, schema: Schema = None) -> tuple[Any, str | None]:
    """Extract and validate: ``(value, None)``, or ``(None, problem)`` as a readable string.

    The executor sends ``problem`` back to the model once (see :func:`retry_prompt`).
    """
    try:
        return parse_or_raise(text, schema), None
    except StructuredOutputError as exc:
        return None, str(exc)


def parse_or_raise(text: str, schema: Schema = None) -> Any:
    """Extract and validate; the value, or :class:`StructuredOutputError`."""
    value = extract_json(text)
    errors = validate(value, schema)
    if errors:
        raise StructuredOutputError("the JSON in the answer does not match the schema", errors)
    return value


# --------------------------------------------------------------------------- prompting


def instruction(schema: Schema = None) -> str:
    """The sentence appended to a JSON act's prompt so the model answers in JSON."""
    fields = field_names(schema)
    if fields is not None:
        return (
            "Answer with a single JSON object "
            f"{_FIELDS_MARK}{', '.join(fields)}. No prose outside the JSON."
        )
    if schema:
        return (
            "Answer with a single JSON value matching this "
            f"{_INSTRUCTION_MARK}{json.dumps(schema, sort_keys=True)}\n"
            "No prose outside the JSON."
        )
    return "Answer with a single JSON value. No prose outside the JSON."


def schema_from_instruction(text: str) -> Schema:
    """Recover the schema :func:`instruction` wrote into ``text`` (for the sandbox model)."""
    at = text.rfind(_INSTRUCTION_MARK)
    if at >= 0:
        line = text[at + len(_INSTRUCTION_MARK) :].split("\n", 1)[0]
        try:
            loaded = json.loads(line)
        except json.JSONDecodeError:
            loaded = None
        if isinstance(loaded, dict):
            return loaded
    at = text.rfind(_FIELDS_MARK)
    if at >= 0:
        rest = text[at + len(_FIELDS_MARK) :].split("\n", 1)[0]
        rest = rest.split(". No prose", 1)[0].rstrip(".")
        return [f.strip() for f in rest.split(",") if f.strip()]
    return None


def retry_prompt(error: StructuredOutputError | str, schema: Schema = None) -> str:
    """The follow-up message asking the model, once, to fix its answer."""
    return f"Your previous answer could not be used: {error}\n{instruction(schema)}"


def placeholder(schema: Schema = None, label: str = "sandbox") -> Any:
    """A deterministic value that satisfies ``schema`` (the sandbox model's answer)."""
    fields = field_names(schema)
    if fields is not None:
        return {f: f"[{label}] {f}" for f in fields}
    if not schema:
        return {"result": f"[{label}] json"}
    assert isinstance(schema, Mapping)
    return _placeholder(schema, label, "value")


def _placeholder(schema: Mapping[str, Any], label: str, name: str, index: int = 0) -> Any:
    """``index``: the item's position in an array, so items differ (distinct rows when
    a sandbox rehearsal stores them; numbers spread over their range)."""
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        options = schema["enum"]
        return options[index % len(options)]
    for keyword in ("anyOf", "oneOf", "allOf"):
        if schema.get(keyword):
            return _placeholder(schema[keyword][0], label, name, index)
    declared = schema.get("type", "object" if "properties" in schema else "string")
    kind = declared if isinstance(declared, str) else declared[0]
    if kind == "object":
        properties: Mapping[str, Any] = schema.get("properties", {})
        names = list(dict.fromkeys([*properties, *schema.get("required", ())]))
        return {n: _placeholder(properties.get(n, {}), label, n, index) for n in names}
    if kind == "array":
        items = schema.get("items", {})
        count = max(1, int(schema.get("minItems", 1)))
        return [_placeholder(items, label, name, i) for i in range(count)]
    if kind in ("integer", "number"):
        low = schema.get("minimum", 0)
        high = schema.get("maximum")
        step = index * 3 % (int(high - low) + 1) if high is not None and high > low else index
        return int(low) + step if kind == "integer" else float(low + step)
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    text = f"[{label}] {name}" + (f" {index + 1}" if index else "")
    if "minLength" in schema and len(text) < schema["minLength"]:
        text = text.ljust(int(schema["minLength"]), ".")
    if "maxLength" in schema:
        text = text[: int(schema["maxLength"])]
    return text
