"""A where parsed once with its references as slots, bound as literals (issue 11 review)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from narrator.content import ContentRow, WhereError, matches
from narrator.parser.where_slots import bind_values, parse_slotted, reference_spans

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _row(row_id: int, **fields: Any) -> ContentRow:
    return ContentRow(
        table="t",
        id=row_id,
        fields=fields,
        status="pending",
        narrative=None,
        run_id=None,
        act=None,
        model=None,
        created_at=NOW,
        updated_at=NOW,
    )


ROWS = [_row(1, title="alpha", n=1), _row(2, title="50% off", n=2), _row(3, title="a_b", n=3)]


def hits(text: str, *values: Any) -> list[int]:
    spans = reference_spans(text)
    condition = bind_values(parse_slotted(text, spans), list(values))
    return [r.id for r in ROWS if matches(condition, r)]


@pytest.mark.parametrize(
    ("text", "offset"),
    [
        ('"{state.v}" = 1', 1),
        ("\"x{state.v}\" = 'a'", 2),
        ("n{state.v} = 1", 1),
        ("id = '{state.v}'", 5),
        ("id IN (1, 'a{state.v}')", 10),
    ],
)
def test_a_reference_that_is_not_a_whole_literal_is_refused_at_its_offset(
    text: str, offset: int
) -> None:
    with pytest.raises(WhereError) as info:
        parse_slotted(text, reference_spans(text))
    assert info.value.offset == offset


def test_values_are_literals_wherever_they_stand() -> None:
    breakout = "' OR id IS NOT NULL OR title = '"
    assert hits("\"it's\" = '{state.v}' OR title = {state.w}", breakout, breakout) == []
    assert hits("title = {state.v}", "alpha") == [1]
    assert hits("n IN ({state.v}, 3)", 2) == [2, 3]
    assert hits("title = 'a{state.v}'", "_b") == [3]
    with pytest.raises(WhereError, match="is a number"):
        hits("id = {state.v}", "1 OR 1=1")
    with pytest.raises(WhereError, match="a list"):
        hits("title = {state.v}", ["a"])


def test_a_value_in_a_like_is_literal_text_on_the_memory_store() -> None:
    assert hits("title LIKE '{state.v}'", "%") == []
    assert hits("title LIKE {state.v}", "a_b") == [3]
    assert hits("title LIKE '{state.v}'", "a%b") == []
    assert hits("title LIKE '%{state.v}%'", "0%") == [2]
    assert hits("title LIKE '%{state.v}'", "\\") == []
    assert hits("title LIKE '_{state.v}'", "_b") == [3]
    with pytest.raises(WhereError, match="lone"):
        parse_slotted("title LIKE '\\{state.v}'", reference_spans("title LIKE '\\{state.v}'"))
