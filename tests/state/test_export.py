"""TOML export/import: exact round-trips, including what TOML itself cannot say."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from narrator.errors import UsageError
from narrator.protocols import StateEntry
from narrator.state.export import export_toml, import_toml, write_jsonl

NOW = datetime(2024, 6, 1, 12, 0, 0, 123456, tzinfo=UTC)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(exclude_categories=("Cs",))),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.text(st.characters(exclude_categories=("Cs",)), max_size=5), children, max_size=4
        )
    ),
    max_leaves=12,
)


def _entry(key: str, value: Any, **extra: Any) -> StateEntry:
    return StateEntry(key=key, value=value, created_at=NOW, updated_at=NOW, **extra)


@settings(max_examples=150, deadline=None)
@given(json_values)
def test_any_json_value_round_trips_byte_for_byte(value: Any) -> None:
    (back,) = import_toml(export_toml([_entry("k", value)]))
    assert json.dumps(back.value) == json.dumps(value)


@settings(max_examples=150, deadline=None)
@given(json_values, json_values)
def test_any_json_value_round_trips_through_json_lines(value: Any, meta: Any) -> None:
    import io

    entry = _entry("k", value, metadata={"m": meta}, expires_at=NOW)
    out = io.StringIO()
    assert write_jsonl([entry], out, count=1, now=NOW) == 1
    (back,) = import_toml(out.getvalue())
    assert json.dumps(back.value) == json.dumps(value)
    assert json.dumps(back.metadata) == json.dumps(entry.metadata)
    assert (back.key, back.version, back.expires_at) == ("k", 1, NOW)
    assert (back.created_at, back.updated_at) == (NOW, NOW)


def test_json_lines_keep_line_separators_other_than_newline_inside_values() -> None:
    import io

    value = "a\x85b\u2028c\u2029d\x0be\x1cf\rg"
    out = io.StringIO()
    write_jsonl([_entry("k", value, metadata={"m": value})], out, count=1, now=NOW)
    (back,) = import_toml(out.getvalue())
    assert (back.value, back.metadata) == (value, {"m": value})


def test_control_characters_and_del_are_escaped_as_toml_requires() -> None:
    text = export_toml([_entry("k", "a\x7fb\x00c\u2028d\n")])
    assert "\x7f" not in text and "\\u007F" in text
    (back,) = import_toml(text)
    assert back.value == "a\x7fb\x00c\u2028d\n"


def test_json_lines_allow_json_whitespace_around_each_line() -> None:
    text = ' {"narrator_state_export": 1}\r\n\n\t{"key": "a", "value": [1, "\\u2028"]} \r\n'
    (back,) = import_toml(text, "f.jsonl")
    assert (back.key, back.value) == ("a", [1, "\u2028"])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"other": 1}\n', "not a narrator state export"),
        ('{"narrator_state_export": 1}\n[1]\n', ":2: each line must be a JSON object"),
        ('{"narrator_state_export": 1}\n{"key": "a"\n', ":2: not valid JSON"),
        ('{"narrator_state_export": 1}\n{"key": "a", "value": 1} x\n', ":2: not valid JSON"),
        ('{"narrator_state_export": 1}\n{"key": "a", "value": 1}{}\n', ":2: not valid JSON"),
        ('{"narrator_state_export": 1}\n\n{"key": "a", "value": 1}\x85\n', ":3: not valid JSON"),
        ('{"narrator_state_export": 1}\n{"key": "a", "value": 1, "created_at": "x"}', "date-time"),
    ],
)
def test_malformed_json_lines_are_usage_errors(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        import_toml(text, "f.jsonl")


def test_values_without_null_are_plain_toml_and_null_uses_value_json() -> None:
    text = export_toml([_entry("plain", {"a": [1, 2.5, "x"]}), _entry("nully", [None])])
    assert 'value = {a = [1, 2.5, "x"]}' in text
    assert 'value_json = "[null]"' in text


def test_entry_bookkeeping_round_trips() -> None:
    entry = _entry(
        "k",
        1,
        expires_at=NOW + timedelta(hours=1),
        metadata={"run_id": "r", "act": None},
        version=7,
    )
    assert import_toml(export_toml([entry])) == [entry]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not toml [", "not valid TOML"),
        ("[other]\nx = 1", "not a narrator state export"),
        ("[export]\nformat = 1\n[[entry]]\nkey = 'bad key'\nvalue = 1", "whitespace"),
        ("[export]\nformat = 1\n[[entry]]\nkey = 'a'\n", "has no value"),
        (
            "[export]\nformat = 1\n[[entry]]\nkey = 'a'\nvalue = 1\n"
            "[[entry]]\nkey = 'a'\nvalue = 2",
            "appears twice",
        ),
    ],
)
def test_malformed_exports_are_usage_errors(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        import_toml(text, "f.toml")
