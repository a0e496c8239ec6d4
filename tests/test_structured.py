"""Structured output: extracting JSON from answers and validating it."""

from __future__ import annotations

import pytest

from narrator.structured import (
    StructuredOutputError,
    extract_json,
    instruction,
    parse_or_raise,
    parse_structured,
    placeholder,
    retry_prompt,
    schema_from_instruction,
    validate,
)


def test_fenced_json_block_wins_over_earlier_braces() -> None:
    """A ```json block is preferred even when prose before it contains braces."""
    text = 'Sure {not json}. Here:\n```json\n{"title": "Hi", "n": 2}\n```\nDone.'
    assert extract_json(text) == {"title": "Hi", "n": 2}


def test_unlabelled_fence_is_accepted_and_other_languages_skipped() -> None:
    """An unlabelled fence counts; a ```python fence does not."""
    text = '```python\nx = {"a": 1}\n```\n```\n[1, 2]\n```'
    assert extract_json(text) == [1, 2]


def test_first_balanced_object_inside_prose() -> None:
    """Without a fence the first balanced object that parses wins; braces in strings are fine."""
    text = 'The answer is {"title": "a } tricky { one", "tags": ["x"]} as requested.'
    assert extract_json(text) == {"title": "a } tricky { one", "tags": ["x"]}


def test_array_inside_prose() -> None:
    """Arrays are found like objects."""
    assert extract_json('Items: [1, {"a": [2]}, 3] — that\'s all') == [1, {"a": [2]}, 3]


def test_skips_unparseable_candidates() -> None:
    """A balanced but invalid candidate ({like this}) is skipped for a later valid one."""
    assert extract_json('See {like this} and then {"ok": true}') == {"ok": True}


def test_no_json_is_a_readable_error() -> None:
    """Plain prose raises StructuredOutputError saying no JSON was found, with a preview."""
    with pytest.raises(StructuredOutputError) as info:
        extract_json("I cannot do that, sorry.")
    assert "contains no JSON" in str(info.value)
    assert "I cannot do that" in str(info.value)


def test_invalid_fenced_block_is_reported_when_nothing_else_parses() -> None:
    """A broken ```json block is named in the error."""
    with pytest.raises(StructuredOutputError, match="```json block is not valid JSON"):
        extract_json('```json\n{"a": \n```')


def test_field_list_schema_reports_each_missing_field() -> None:
    """A field list means: an object with these keys; each missing one is named."""
    assert validate({"title": 1}, ["title", "body", "tags"]) == [
        "missing field 'body'",
        "missing field 'tags'",
    ]
    assert validate({"title": 1}, {"fields": ["title"]}) == []
    assert validate([1], ["title"]) == ["expected an object with the fields title, got an array"]


def test_json_schema_messages_name_the_path() -> None:
    """JSON Schema failures say where and what: type, required, enum, bounds, extras."""
    schema = {
        "type": "object",
        "required": ["title", "score"],
        "additionalProperties": False,
        "properties": {
            "title": {"type": "string", "minLength": 3},
            "score": {"type": "integer", "minimum": 0, "maximum": 10},
            "mood": {"enum": ["happy", "sad"]},
            "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
        },
    }
    errors = validate(
        {"title": "Hi", "score": 11, "mood": "meh", "tags": ["a", 2, "c"], "x": 1}, schema
    )
    assert errors == [
        "$.title: shorter than 3 characters",
        "$.score: 11 is more than the maximum 10",
        '$.mood: "meh" is not one of "happy", "sad"',
        "$.tags: more than 2 items",
        "$.tags[1]: expected string, got an integer",
        "$: unexpected field 'x'",
    ]
    assert validate({"title": "Hello"}, schema) == ["$: missing required field 'score'"]
    assert validate("x", {"type": "object"}) == ["$: expected object, got a string"]


def test_booleans_are_not_numbers_and_anyof_works() -> None:
    """true is not an integer; anyOf accepts any alternative."""
    assert validate(True, {"type": "integer"}) == ["$: expected integer, got a boolean"]
    assert validate(3, {"anyOf": [{"type": "string"}, {"type": "integer"}]}) == []
    assert validate(None, {"anyOf": [{"type": "string"}, {"type": "integer"}]}) == [
        "$: matches 0 of the anyOf alternatives"
    ]


def test_parse_structured_returns_value_or_problem() -> None:
    """(value, None) on success; (None, readable problem) on failure — the executor's contract."""
    assert parse_structured('{"title": "x"}', ["title"]) == ({"title": "x"}, None)
    value, problem = parse_structured('{"name": "x"}', ["title"])
    assert value is None
    assert problem is not None and "missing field 'title'" in problem
    value, problem = parse_structured("prose only", None)
    assert value is None and problem is not None and "no JSON" in problem
    with pytest.raises(StructuredOutputError):
        parse_or_raise("prose only")


def test_instruction_round_trips_the_schema_for_the_sandbox() -> None:
    """The prompt sentence carries the schema so the sandbox model can satisfy it."""
    assert schema_from_instruction("Write it.\n\n" + instruction(["title", "body"])) == [
        "title",
        "body",
    ]
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    assert schema_from_instruction("x\n" + instruction(schema)) == schema
    assert schema_from_instruction("no instruction here") is None


def test_placeholder_satisfies_its_schema() -> None:
    """Deterministic placeholder values validate against field lists and JSON Schemas."""
    schema = {
        "type": "object",
        "required": ["title", "n", "tags", "mood"],
        "properties": {
            "title": {"type": "string", "minLength": 20},
            "n": {"type": "integer", "minimum": 3},
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
            "mood": {"enum": ["calm"]},
        },
    }
    value = placeholder(schema)
    assert validate(value, schema) == []
    assert value == placeholder(schema)
    assert validate(placeholder(["a", "b"]), ["a", "b"]) == []
    assert placeholder(["title"]) == {"title": "[sandbox] title"}


def test_retry_prompt_quotes_the_problem() -> None:
    """The follow-up message repeats the validation error and the instruction."""
    text = retry_prompt("missing field 'title'", ["title"])
    assert "missing field 'title'" in text
    assert "with the fields: title" in text
