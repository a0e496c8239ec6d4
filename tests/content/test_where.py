"""The where/order grammar (narrator/content/where.py): what it builds, what it refuses and
where, the pure evaluator, and rendering rows as text."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from narrator.content import (
    And,
    Compare,
    ContentRow,
    Field,
    In,
    IsNull,
    Like,
    Literal,
    Not,
    Or,
    OrderKey,
    WhereError,
    matches,
    parse_order,
    parse_where,
    render_rows,
    row_record,
    sort_rows,
)

T0 = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def row(fields: dict[str, Any], **meta: Any) -> ContentRow:
    base: dict[str, Any] = {
        "table": "posts",
        "id": 1,
        "status": "pending",
        "narrative": "gen",
        "run_id": "r1",
        "act": "write",
        "model": "gpt",
        "created_at": T0,
        "updated_at": T0,
    }
    base.update(meta)
    return ContentRow(fields=fields, **base)


# ------------------------------------------------------------------ what the parser builds


def test_comparisons_build_typed_literals_and_normalise_operators() -> None:
    assert parse_where("score >= 7") == Compare(Field(path=("score",)), ">=", Literal(7))
    assert parse_where("score == 7.5") == Compare(Field(path=("score",)), "=", Literal(7.5))
    assert parse_where("a <> -2") == Compare(Field(path=("a",)), "!=", Literal(-2))
    assert parse_where("a != 'x'") == Compare(Field(path=("a",)), "!=", Literal("x"))
    assert parse_where("1e3 < a") == Compare(Literal(1000.0), "<", Field(path=("a",)))
    assert parse_where("flag = TRUE") == Compare(Field(path=("flag",)), "=", Literal(True))
    assert parse_where("flag = false") == Compare(Field(path=("flag",)), "=", Literal(False))
    assert parse_where("x = NULL") == Compare(Field(path=("x",)), "=", Literal(None))
    assert parse_where("t = 'it''s'") == Compare(Field(path=("t",)), "=", Literal("it's"))
    for op in ("<", "<=", ">", ">="):
        assert parse_where(f"n {op} 1") == Compare(Field(path=("n",)), op, Literal(1))


def test_in_like_is_null_and_their_negations() -> None:
    f = Field(path=("tag",))
    assert parse_where("tag IN ('a', 2, TRUE, NULL)") == In(f, ("a", 2, True, None))
    assert parse_where("tag not in ('a')") == In(f, ("a",), negated=True)
    assert parse_where("tag LIKE 'a%'") == Like(f, "a%")
    assert parse_where("tag NOT LIKE '_b'") == Like(f, "_b", negated=True)
    assert parse_where("tag IS NULL") == IsNull(f)
    assert parse_where("tag is not null") == IsNull(f, negated=True)


def test_precedence_not_binds_tighter_than_and_tighter_than_or() -> None:
    a, b, c = (Compare(Field(path=(n,)), "=", Literal(1)) for n in "abc")
    assert parse_where("a = 1 OR b = 1 AND c = 1") == Or((a, And((b, c))))
    assert parse_where("(a = 1 OR b = 1) AND c = 1") == And((Or((a, b)), c))
    assert parse_where("NOT a = 1 AND b = 1") == And((Not(a), b))
    assert parse_where("NOT (a = 1 OR b = 1)") == Not(Or((a, b)))
    assert parse_where("a = 1 AND b = 1 AND c = 1") == And((a, b, c))


def test_names_metadata_columns_aliases_fields_and_paths() -> None:
    def left(text: str) -> Any:
        parsed = parse_where(text)
        assert isinstance(parsed, Compare | In | Like | IsNull)
        return parsed.left if isinstance(parsed, Compare) else parsed.operand

    assert left("status = 'a'") == Field(column="status")
    assert left("review_status = 'a'") == Field(column="status")
    assert left("generated_at > '2024-01-01'") == Field(column="created_at")
    assert left("source_narrative = 'n'") == Field(column="narrative")
    assert left("source_act = 'a'") == Field(column="act")
    assert left("generation_model = 'm'") == Field(column="model")
    for name in ("id", "run_id", "updated_at", "content_hash", "message_id", "claimed_by"):
        value = "1" if name == "id" else "'2024-01-01'" if name.endswith("_at") else "'x'"
        assert left(f"{name} = {value}") == Field(column=name)
    assert left("tags = 'a'") == Field(path=("tags",))  # Botticelli's tags/rating: fields
    assert left("rating >= 4") == Field(path=("rating",))
    assert left("fields.status = 'x'") == Field(path=("status",))
    assert left("author.name = 'x'") == Field(path=("author", "name"))
    assert left('"odd key; --" = 1') == Field(path=("odd key; --",))
    assert left('meta."a b" = 1') == Field(path=("meta", "a b"))


def test_order_by_keys_with_directions_and_aliases() -> None:
    assert parse_order("generated_at ASC") == (OrderKey(Field(column="created_at")),)
    assert parse_order("score DESC, title") == (
        OrderKey(Field(path=("score",)), descending=True),
        OrderKey(Field(path=("title",))),
    )
    assert parse_order("review_status desc") == (OrderKey(Field(column="status"), True),)


# ------------------------------------------------------------------ what it refuses, where

REFUSED = [
    ("1=1; DROP TABLE state", 3, "unexpected ';'"),
    ("status = 'a'; DELETE FROM state", 12, "unexpected ';'"),
    ("status = 'a' -- the rest", 13, "comments are not allowed"),
    ("status = 'a' /* c */", 13, "comments are not allowed"),
    ("(SELECT 1) = 1", 1, "SELECT: subqueries are not allowed"),
    ("id IN (SELECT id FROM state)", 7, "SELECT: subqueries are not allowed"),
    ("EXISTS (SELECT 1)", 0, "EXISTS: subqueries are not allowed"),
    ("status = 'a' UNION SELECT 1", 13, "UNION: subqueries are not allowed"),
    ("lower(status) = 'a'", 0, "function calls are not allowed: lower"),
    ("status = 'a' AND length(title) > 3", 17, "function calls are not allowed: length"),
    ("status = 'unterminated", 9, "unterminated string"),
    ('"no end = 1', 0, "unterminated quoted name"),
    ("status = 'a' XOR b = 1", 13, "expected AND, OR or the end"),
    ("score BETWEEN 1 AND 3", 6, "BETWEEN is not supported"),
    ("status = ", 9, "the where ends early"),
    ("status", 6, "the where ends early: expected a comparison"),
    ("status = 5", 9, "status is text; compare it with a 'string'"),
    ("id = 'x'", 5, "id is a number"),
    ("created_at > 'yesterday'", 13, "not an ISO-8601 time"),
    ("created_at > 5", 13, "created_at is a time"),
    ("a = b", 0, "comparing two fields is not supported"),
    ("'x' IN ('x')", 0, "IN needs a field name on its left"),
    ("a LIKE 5", 7, "expected a 'pattern' string after LIKE"),
    ("a LIKE 'x\\'", 7, "cannot end with a lone"),
    ("id LIKE '1%'", 0, "LIKE needs a text column or field"),
    ("a NOT = 1", 6, "expected IN or LIKE after NOT"),
    ("a IS 1", 5, "expected NULL after IS"),
    ("a = 1 AND", 9, "the where ends early"),
    ("(a = 1", 6, "expected ')'"),
    ("a IN (1, )", 9, "a literal value in the IN list"),
    ("a = 1 @", 6, "unexpected '@'"),
    ("", 0, "the where is empty"),
    ("   ", 0, "the where is empty"),
    ("AND = 1", 0, "expected a field name or a value"),
]


@pytest.mark.parametrize(("text", "offset", "message"), REFUSED, ids=[r[0] for r in REFUSED])
def test_refused_texts_name_the_exact_offset(text: str, offset: int, message: str) -> None:
    with pytest.raises(WhereError) as caught:
        parse_where(text)
    assert caught.value.offset == offset
    assert message in caught.value.message
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("text", "offset"),
    [("score DESC;", 10), ("lower(title)", 0), ("a, (SELECT 1)", 3), ("a ASC DESC", 6), ("", 0)],
)
def test_refused_orders_name_the_exact_offset(text: str, offset: int) -> None:
    with pytest.raises(WhereError) as caught:
        parse_order(text)
    assert caught.value.offset == offset


# ------------------------------------------------------------------ evaluation


@pytest.mark.parametrize(
    ("text", "fields", "expected"),
    [
        ("score >= 7", {"score": 9}, True),
        ("score >= 7", {"score": "9"}, False),  # a string is not a number
        ("NOT score >= 7", {"score": "9"}, False),  # …and NOT unknown is unknown
        ("score >= 7", {"score": True}, False),  # nor is a boolean
        ("score = 7", {"score": 7.0}, True),
        ("title = '7'", {"title": 7}, False),
        ("title > 'Z'", {"title": "a"}, True),  # code point order
        ("ok = TRUE", {"ok": True}, True),
        ("ok = TRUE", {"ok": 1}, False),
        ("x IS NULL", {}, True),
        ("x IS NULL", {"x": None}, True),
        ("x IS NOT NULL", {"x": 0}, True),
        ("x = NULL", {"x": None}, False),
        ("x IN (1, 2)", {"x": 2}, True),
        ("x IN (1, NULL)", {"x": 2}, False),
        ("NOT x IN (1, NULL)", {"x": 2}, False),  # unknown, not false
        ("x NOT IN (1, 3)", {"x": 2}, True),
        ("x LIKE 'a%c'", {"x": "abbbc"}, True),
        ("x LIKE 'a_c'", {"x": "abbc"}, False),
        ("x LIKE 'A%'", {"x": "abc"}, False),  # case-sensitive
        ("x LIKE '100\\%'", {"x": "100%"}, True),
        ("x LIKE '100\\%'", {"x": "1000"}, False),
        ("x LIKE 'a.c'", {"x": "abc"}, False),  # regex characters are literal
        ("x LIKE '%'", {"x": 5}, False),
        ("a.b = 1", {"a": {"b": 1}}, True),
        ("a.b = 1", {"a": [1]}, False),
        ("1 = 1 OR x = 1", {}, True),
        ("x = 1 OR y = 1", {"y": 1}, True),
        ("x = 1 AND y = 1", {"y": 1}, False),
    ],
)
def test_matches_with_typed_three_valued_logic(
    text: str, fields: dict[str, Any], expected: bool
) -> None:
    assert matches(parse_where(text), row(fields)) is expected


def test_matches_metadata_columns_and_aliases() -> None:
    r = row({"status": "field status"}, id=7, status="approved", message_id=None)
    assert matches(parse_where("status = 'approved'"), r)
    assert matches(parse_where("review_status IN ('approved', 'posted')"), r)
    assert matches(parse_where("fields.status = 'field status'"), r)
    assert matches(parse_where("id > 6 AND id < 8.5"), r)
    assert matches(parse_where("generated_at >= '2024-06-01T12:00:00Z'"), r)
    assert not matches(parse_where("generated_at > '2024-06-01T12:00:00+00:00'"), r)
    assert matches(parse_where("created_at < '2024-06-02'"), r)  # naive means UTC
    assert matches(parse_where("message_id IS NULL AND source_narrative = 'gen'"), r)
    assert matches(parse_where("generation_model LIKE 'gp_' AND source_act = 'write'"), r)
    assert matches(None, r)


def test_sort_rows_orders_types_then_values_and_ties_by_time_then_id() -> None:
    rows = [
        row({"v": "b"}, id=1),
        row({"v": 2}, id=2),
        row({}, id=3),
        row({"v": False}, id=4),
        row({"v": 10}, id=5),
        row({"v": [1]}, id=6),
        row({"v": "a"}, id=7),
        row({"v": None}, id=8, created_at=datetime(2020, 1, 1, tzinfo=UTC)),
    ]
    assert [r.id for r in sort_rows(rows, parse_order("v"))] == [8, 3, 4, 2, 5, 7, 1, 6]
    assert [r.id for r in sort_rows(rows, parse_order("v DESC"))] == [6, 1, 7, 5, 2, 4, 8, 3]
    assert [r.id for r in sort_rows(rows, ())] == [8, 1, 2, 3, 4, 5, 6, 7]


# ------------------------------------------------------------------ rendering


def test_render_json_markdown_and_csv() -> None:
    rows = [
        row({"title": "Hi | there", "body": "line1\nline2", "n": 1}, id=1),
        row({"title": "Bye", "tags": ["a", "b"]}, id=2, status="approved"),
    ]
    data = json.loads(render_rows(rows, "json"))
    assert data == [
        {
            "id": 1,
            "title": "Hi | there",
            "body": "line1\nline2",
            "n": 1,
            "tags": None,
            "status": "pending",
        },
        {
            "id": 2,
            "title": "Bye",
            "body": None,
            "n": None,
            "tags": ["a", "b"],
            "status": "approved",
        },
    ]
    markdown = render_rows(rows, "markdown", columns=["title", "review_status", "tags"])
    assert markdown.splitlines() == [
        "| title | review_status | tags |",
        "|---|---|---|",
        "| Hi \\| there | pending |  |",
        '| Bye | approved | ["a","b"] |',
    ]
    assert "line1<br>line2" in render_rows(rows, "markdown")
    parsed = list(
        csv.reader(io.StringIO(render_rows(rows, "csv", columns=["id", "body", "generated_at"])))
    )
    assert parsed == [
        ["id", "body", "generated_at"],
        ["1", "line1\nline2", "2024-06-01T12:00:00+00:00"],
        ["2", "", "2024-06-01T12:00:00+00:00"],
    ]
    assert render_rows([], "json") == "[]"
    assert render_rows([], "markdown") == "" and render_rows([], "csv") == ""
    with pytest.raises(ValueError, match="unknown format"):
        render_rows(rows, "xml")


def test_as_data_and_the_export_record() -> None:
    r = row({"title": "t", "id": "field id"}, id=3, message_id="m")
    data = r.as_data()
    assert data["id"] == 3 and data["title"] == "t" and data["message_id"] == "m"
    assert data["fields"] == {"title": "t", "id": "field id"}
    record = row_record(r)
    assert record["table"] == "posts" and record["fields"] == r.fields
    assert record["created_at"] == "2024-06-01T12:00:00+00:00"
