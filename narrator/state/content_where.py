"""A parsed ``where`` / ``order`` (:mod:`narrator.content.condition`) as SQLAlchemy expressions.

Every value is a bound parameter; no text from a narrative reaches SQL as SQL.
JSON fields are read with typed guards, so a comparison means the same on
SQLite, PostgreSQL and in memory (:func:`narrator.content.where.matches`):

* SQLite — ``json_extract(fields, '$."k"')`` under a ``json_type`` guard:
  ``CASE WHEN json_type(…) IN ('integer', 'real') THEN json_extract(…) END >= :n``.
* PostgreSQL — ``fields`` is ``json`` (its text kept as written), read with
  ``json_extract_path`` / ``json_extract_path_text`` under ``json_typeof``:
  numbers cast to ``numeric``, strings compared with ``COLLATE "C"``, booleans
  cast to ``boolean``.

A type mismatch yields NULL (SQL's unknown), as in memory. LIKE is
case-sensitive everywhere: PostgreSQL LIKE, SQLite GLOB with the pattern
translated.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from narrator.content.condition import (
    And,
    Condition,
    Field,
    In,
    IsNull,
    Like,
    Literal,
    Not,
    Or,
    Scalar,
    bound_value,
)
from narrator.content.model import OrderKey, parse_time
from narrator.content.where import compare_values
from narrator.state.tables import content_rows

__all__ = ["condition_sql", "field_equals", "glob_pattern", "json_path", "order_sql"]

_FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "!=": "!="}
_SQLITE_TYPES = {"number": ("integer", "real"), "string": ("text",), "boolean": ("true", "false")}
_C = content_rows.c


def json_path(path: Sequence[str]) -> str:
    """A SQLite JSON path with every key quoted: ``$."a"."b"`` (keys never hold ``"``)."""
    if any('"' in key for key in path):
        raise ValueError(f"a field name cannot contain '\"': {'.'.join(path)!r}")
    return "$" + "".join(f'."{key}"' for key in path)


class _Json:
    """Typed reads of one JSON field on one dialect."""

    def __init__(self, path: Sequence[str], postgres: bool) -> None:
        self.postgres = postgres
        self.path = tuple(path)
        if not postgres:
            spelled = sa.bindparam(None, json_path(path), type_=sa.Text, unique=True)
            self.value: ColumnElement[Any] = sa.func.json_extract(_C.fields, spelled)
            self.type: ColumnElement[Any] = sa.func.json_type(_C.fields, spelled)
        else:
            keys = [sa.bindparam(None, key, type_=sa.Text, unique=True) for key in path]
            self.value = sa.func.json_extract_path_text(_C.fields, *keys, type_=sa.Text)
            self.type = sa.func.json_typeof(sa.func.json_extract_path(_C.fields, *keys))

    def of_type(self, kind: str) -> ColumnElement[bool]:
        if self.postgres:
            return self.type == kind
        names = _SQLITE_TYPES[kind]
        return self.type.in_(names) if len(names) > 1 else self.type == names[0]

    def typed(self, kind: str) -> ColumnElement[Any]:
        """The field's value when it is a JSON ``kind``, else NULL."""
        value = self.value
        if self.postgres and kind == "number":
            value = sa.cast(value, sa.Numeric)
        elif self.postgres and kind == "boolean":
            value = sa.cast(value, sa.Boolean)
        out: ColumnElement[Any] = sa.case((self.of_type(kind), value))
        if self.postgres and kind == "string":
            out = sa.collate(out, "C")
        return out

    def is_null(self) -> ColumnElement[bool]:
        return self.value.is_(None)


def _kind(value: Scalar) -> str:
    if isinstance(value, bool):
        return "boolean"
    return "number" if isinstance(value, int | float) else "string"


def _bind(value: Scalar) -> ColumnElement[Any]:
    return sa.bindparam(None, value, unique=True)


_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _apply(left: ColumnElement[Any], op: str, right: Any) -> ColumnElement[bool]:
    return cast("ColumnElement[bool]", _OPERATORS[op](left, right))


def _constant(value: bool | None) -> ColumnElement[bool]:
    if value is None:  # unknown: never matches, and NOT unknown is unknown
        return cast("ColumnElement[bool]", sa.null())
    return sa.true() if value else sa.false()


def glob_pattern(pattern: str) -> str:
    """A LIKE pattern (``%``, ``_``, ``\\`` escapes) as a SQLite GLOB pattern."""
    out, i = [], 0
    special = {"*": "[*]", "?": "[?]", "[": "[[]"}
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            out.append(special.get(nxt, nxt))
            i += 2
            continue
        out.append("*" if ch == "%" else "?" if ch == "_" else special.get(ch, ch))
        i += 1
    return "".join(out)


def _column(field: Field) -> ColumnElement[Any]:
    assert field.column is not None
    column: ColumnElement[Any] = getattr(_C, field.column)
    return column


def _compare(field: Field, op: str, value: Scalar, postgres: bool) -> ColumnElement[bool]:
    if value is None:
        return _constant(None)
    if field.column is not None:
        bound = parse_time(value) if field.kind == "time" and isinstance(value, str) else value
        return _apply(_column(field), op, bound)
    json = _Json(field.path, postgres)
    kind = _kind(value)
    return _apply(json.typed(kind), op, _bind(value))


def _like(condition: Like, postgres: bool) -> ColumnElement[bool]:
    field = condition.operand
    if field.column is not None:
        target: ColumnElement[Any] = _column(field)
    else:
        target = _Json(field.path, postgres).typed("string")
    pattern = bound_value(condition.pattern)
    if postgres:  # the escape is written out: LIKE's default is not every server's
        matched = target.like(_bind(pattern), escape="\\")
    else:
        matched = target.op("GLOB")(_bind(glob_pattern(pattern)))
    return sa.not_(matched) if condition.negated else matched


def _is_null(condition: IsNull, postgres: bool) -> ColumnElement[bool]:
    field = condition.operand
    if field.column is not None:
        column = _column(field)
        return column.is_not(None) if condition.negated else column.is_(None)
    json = _Json(field.path, postgres)
    return sa.not_(json.is_null()) if condition.negated else json.is_null()


def _in(condition: In, postgres: bool) -> ColumnElement[bool]:
    field = condition.operand
    values: list[Scalar] = []
    for item in condition.values:
        value: Scalar = bound_value(item)
        if value is not None:
            values.append(value)
    has_null = len(values) < len(condition.values)
    if field.column is not None and field.kind != "time":
        hit: ColumnElement[bool] = _column(field).in_(values) if values else sa.false()
    else:
        hit = sa.or_(sa.false(), *(_compare(field, "=", v, postgres) for v in values))
    if has_null:  # x IN (…, NULL) is unknown where it is not true
        hit = sa.or_(hit, sa.null())
    return sa.not_(hit) if condition.negated else hit


def condition_sql(condition: Condition | None, *, postgres: bool) -> ColumnElement[bool]:
    """The condition as a WHERE expression (``TRUE`` for None)."""
    if condition is None:
        return sa.true()
    if isinstance(condition, And):
        return sa.and_(*(condition_sql(p, postgres=postgres) for p in condition.parts))
    if isinstance(condition, Or):
        return sa.or_(*(condition_sql(p, postgres=postgres) for p in condition.parts))
    if isinstance(condition, Not):
        return sa.not_(condition_sql(condition.part, postgres=postgres))
    if isinstance(condition, IsNull):
        return _is_null(condition, postgres)
    if isinstance(condition, Like):
        return _like(condition, postgres)
    if isinstance(condition, In):
        return _in(condition, postgres)
    left, op, right = condition.left, condition.op, condition.right
    if isinstance(left, Literal) and isinstance(right, Literal):
        return _constant(compare_values(left.value, op, right.value))
    if isinstance(left, Literal):
        left, right, op = right, left, _FLIPPED[op]  # type: ignore[assignment]
    if not (isinstance(left, Field) and isinstance(right, Literal)):
        raise TypeError("a where with references is compiled before it was bound")
    return _compare(left, op, right.value, postgres)


def field_equals(path: Sequence[str], value: Scalar, *, postgres: bool) -> ColumnElement[bool]:
    """``fields.path = value`` with the typed comparison (dedupe on a field)."""
    return _compare(Field(path=tuple(path)), "=", value, postgres)


def _order_json(key: OrderKey, postgres: bool) -> list[ColumnElement[Any]]:
    json = _Json(key.field.path, postgres)
    if postgres:
        ranks = {"boolean": 1, "number": 2, "string": 3, "array": 4, "object": 4}
        text_kinds = ("string", "boolean", "array", "object")
        keys: list[ColumnElement[Any]] = [
            sa.case(*((json.type == k, r) for k, r in ranks.items()), else_=0),
            sa.case((json.type == "number", sa.cast(json.value, sa.Numeric))),
            sa.collate(sa.case((json.type.in_(text_kinds), json.value)), "C"),
        ]
    else:
        ranks = {"true": 1, "false": 1, "integer": 2, "real": 2, "text": 3, "array": 4, "object": 4}
        keys = [sa.case(*((json.type == k, r) for k, r in ranks.items()), else_=0), json.value]
    return [k.desc() if key.descending else k.asc() for k in keys]


def order_sql(order: Sequence[OrderKey], *, postgres: bool) -> list[ColumnElement[Any]]:
    """ORDER BY terms: the keys (missing/NULL first ascending, last descending), then
    ``created_at, id`` — the order the status index serves."""
    terms: list[ColumnElement[Any]] = []
    for key in order:
        if key.field.column is None:
            terms.extend(_order_json(key, postgres))
            continue
        column = _column(key.field)
        if not getattr(_C, key.field.column).nullable:
            terms.append(column.desc() if key.descending else column.asc())
        else:
            terms.append(
                column.desc().nulls_last() if key.descending else column.asc().nulls_first()
            )
    terms += [_C.created_at.asc(), _C.id.asc()]
    return terms
