"""``where`` and ``order_by`` text → a condition tree; the pure evaluator of that tree.

The ONLY parser of where/order text. The grammar is a small, closed subset of
SQL's boolean expressions::

    or_expr    := and_expr (OR and_expr)*
    and_expr   := not_expr (AND not_expr)*
    not_expr   := NOT not_expr | '(' or_expr ')' | comparison
    comparison := operand (= | == | != | <> | < | <= | > | >=) operand
                | operand [NOT] IN '(' literal (',' literal)* ')'
                | operand [NOT] LIKE 'string'
                | operand IS [NOT] NULL
    operand    := identifier | literal
    literal    := 'string' | number | TRUE | FALSE | NULL
    identifier := name ('.' name)* | "quoted name"
    order      := identifier [ASC | DESC] (',' identifier [ASC | DESC])*

Anything else — ``;``, comments, a subquery, a function call, an unknown
keyword — is a :class:`WhereError` at its 0-based offset. Comparisons are typed
on every backend: a number compares with JSON numbers only, a string with JSON
strings only, a boolean with JSON booleans only; a mismatch is unknown (SQL's
NULL), so ``score >= 7`` never matches ``"score": "9"``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from narrator.content.condition import (
    ALIASES,
    COLUMNS,
    And,
    Compare,
    CompareOp,
    Condition,
    Field,
    In,
    IsNull,
    Like,
    Literal,
    Not,
    Operand,
    Or,
    Scalar,
    Slot,
    bound_value,
)
from narrator.content.model import ContentRow, OrderKey, field_value, parse_time

__all__ = [
    "WhereError",
    "check_kind",
    "compare_values",
    "like_regex",
    "matches",
    "parse_order",
    "parse_where",
    "reference_quoting",
    "row_value",
    "sort_rows",
]


class WhereError(ValueError):
    """A where/order text narrator refuses; ``offset`` is 0-based into the text."""

    def __init__(self, message: str, offset: int) -> None:
        self.message = message
        self.offset = offset
        super().__init__(f"{message} (at offset {offset})")


_KEYWORDS = {"AND", "OR", "NOT", "IN", "LIKE", "IS", "NULL", "TRUE", "FALSE", "ASC", "DESC"}
# SQL words that never belong in a where: named in the error so it says what was refused
_REFUSED = {
    "SELECT": "subqueries are not allowed",
    "FROM": "subqueries are not allowed",
    "UNION": "subqueries are not allowed",
    "EXISTS": "subqueries are not allowed",
    "INSERT": "only a condition is allowed, not a statement",
    "UPDATE": "only a condition is allowed, not a statement",
    "DELETE": "only a condition is allowed, not a statement",
    "DROP": "only a condition is allowed, not a statement",
    "CREATE": "only a condition is allowed, not a statement",
    "ALTER": "only a condition is allowed, not a statement",
    "BETWEEN": "BETWEEN is not supported; write a >= x AND a <= y",
    "CASE": "CASE is not supported",
    "ESCAPE": "LIKE escapes with a backslash; ESCAPE is not supported",
}
_OPS = ("==", "!=", "<>", "<=", ">=", "=", "<", ">")
_NUMBER = re.compile(r"-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # name, qname, string, number, op, "(", ")", ",", ".", end
    text: str
    offset: int
    value: Any = None


_SLOT_HINT = "a reference is a whole value: id = {act.x.output.0.id} or title = '{act.x.output}'"


def _string(text: str, i: int, starts: dict[int, tuple[int, int]]) -> tuple[_Token, int]:
    """The '...' literal at ``i`` (references in it skipped whole: a quote inside a
    reference is not the literal's end) and the offset after it."""
    parts: list[str | int] = []
    buf: list[str] = []
    j, n = i + 1, len(text)
    while True:
        if j in starts:
            index, j = starts[j]
            if buf:
                parts.append("".join(buf))
                buf = []
            parts.append(index)
            continue
        if j >= n:
            raise WhereError("unterminated string (a ' is missing)", i)
        ch = text[j]
        if ch == "'":
            if text.startswith("''", j):
                buf.append("'")
                j += 2
                continue
            break
        buf.append(ch)
        j += 1
    spelled = text[i : j + 1]
    if all(isinstance(p, str) for p in parts):
        return _Token("string", spelled, i, "".join(buf)), j + 1
    if buf:
        parts.append("".join(buf))
    return _Token("string", spelled, i, Slot(tuple(parts), quoted=True, offset=i)), j + 1


def _tokens(text: str, spans: Sequence[tuple[int, int]] = ()) -> list[_Token]:
    """Tokens of ``text``; each reference span (``{act.x}`` …) is one slot token, or a
    part of the '...' literal it stands in — anywhere else it is refused."""
    starts = {start: (index, end) for index, (start, end) in enumerate(spans)}
    out: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if i in starts:
            index, end = starts[i]
            out.append(_Token("slot", text[i:end], i, Slot((index,), quoted=False, offset=i)))
            i = end
        elif ch.isspace():
            i += 1
        elif text.startswith("--", i) or text.startswith("/*", i):
            raise WhereError("comments are not allowed in a where", i)
        elif ch == "'":
            token, i = _string(text, i, starts)
            out.append(token)
        elif ch == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise WhereError('unterminated quoted name (a " is missing)', i)
            if end == i + 1:
                raise WhereError("empty quoted name", i)
            if inside := [s for s in starts if i < s < end]:
                message = f'a reference cannot stand inside a "quoted name"; {_SLOT_HINT}'
                raise WhereError(message, inside[0])
            out.append(_Token("qname", text[i : end + 1], i, text[i + 1 : end]))
            i = end + 1
        elif (number := _NUMBER.match(text, i)) is not None and (
            ch != "-" or not out or out[-1].kind in ("op", "(", ",")
        ):
            spelled = number.group(0)
            exact = "." not in spelled and "e" not in spelled.lower()
            value: int | float = int(spelled) if exact else float(spelled)
            out.append(_Token("number", spelled, i, value))
            i = number.end()
        elif (name := _NAME.match(text, i)) is not None:
            out.append(_Token("name", name.group(0), i))
            i = name.end()
        elif ch in "(),.":
            out.append(_Token(ch, ch, i))
            i += 1
        else:
            op = next((o for o in _OPS if text.startswith(o, i)), None)
            if op is None:
                raise WhereError(f"unexpected {ch!r}", i)
            out.append(_Token("op", op, i))
            i += len(op)
    out.append(_Token("end", "", n))
    return out


class _Parser:
    def __init__(self, text: str, spans: Sequence[tuple[int, int]] = ()) -> None:
        self.text = text
        self.toks = _tokens(text, spans)
        self.pos = 0

    @property
    def tok(self) -> _Token:
        return self.toks[self.pos]

    def word(self, *words: str) -> bool:
        tok = self.tok
        return tok.kind == "name" and tok.text.upper() in words

    def take(self) -> _Token:
        tok = self.tok
        self.pos += 1
        return tok

    def fail(self, expected: str, tok: _Token | None = None) -> WhereError:
        tok = tok or self.tok
        if tok.kind == "end":
            return WhereError(f"the where ends early: expected {expected}", tok.offset)
        upper = tok.text.upper()
        if tok.kind == "name" and upper in _REFUSED:
            return WhereError(f"{upper}: {_REFUSED[upper]}", tok.offset)
        return WhereError(f"expected {expected}, found {tok.text!r}", tok.offset)

    def expect(self, kind: str, expected: str) -> _Token:
        if self.tok.kind != kind:
            raise self.fail(expected)
        return self.take()

    def finish(self) -> None:
        if self.tok.kind != "end":
            tok = self.tok
            if tok.kind == "op" or tok.text == ";":
                raise WhereError(f"unexpected {tok.text!r}", tok.offset)
            raise self.fail("AND, OR or the end of the where")

    # ------------------------------------------------------------------ conditions
    def or_expr(self) -> Condition:
        parts = [self.and_expr()]
        while self.word("OR"):
            self.take()
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def and_expr(self) -> Condition:
        parts = [self.not_expr()]
        while self.word("AND"):
            self.take()
            parts.append(self.not_expr())
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def not_expr(self) -> Condition:
        if self.word("NOT"):
            self.take()
            return Not(self.not_expr())
        if self.tok.kind == "(":
            self.take()
            if self.word("SELECT"):
                raise self.fail("a condition")
            inner = self.or_expr()
            self.expect(")", "')'")
            return inner
        return self.comparison()

    def comparison(self) -> Condition:
        start = self.tok
        left = self.operand()
        if self.tok.kind == "op":
            op = self.take().text
            right_tok = self.tok
            right = self.operand()
            return _compare(left, _norm_op(op), right, start, right_tok)
        negated = False
        if self.word("NOT"):
            self.take()
            negated = True
            if not self.word("IN", "LIKE"):
                raise self.fail("IN or LIKE after NOT")
        if self.word("IN"):
            return self.in_list(_field(left, start, "IN"), negated)
        if self.word("LIKE"):
            self.take()
            field = _field(left, start, "LIKE")
            if field.kind in ("int", "time"):
                raise WhereError(
                    f"LIKE needs a text column or field, not {field.name}", start.offset
                )
            if self.tok.kind == "slot":  # LIKE {ref}: the value is the whole, literal text
                return Like(field, self.take().value, negated)
            pattern = self.expect("string", "a 'pattern' string after LIKE")
            texts = pattern.value.parts if isinstance(pattern.value, Slot) else [pattern.value]
            for part in texts:  # a lone \ before a reference would escape its escaping
                if isinstance(part, str) and re.search(r"(?<!\\)(\\\\)*\\$", part):
                    raise WhereError("a LIKE pattern cannot end with a lone '\\'", pattern.offset)
            return Like(field, pattern.value, negated)
        if self.word("IS"):
            self.take()
            is_not = False
            if self.word("NOT"):
                self.take()
                is_not = True
            if not self.word("NULL"):
                raise self.fail("NULL after IS")
            self.take()
            return IsNull(_field(left, start, "IS NULL"), is_not)
        raise self.fail("a comparison (=, !=, <, <=, >, >=, IN, LIKE, IS NULL)")

    def in_list(self, field: Field, negated: bool) -> Condition:
        self.take()
        self.expect("(", "'(' after IN")
        if self.word("SELECT"):
            raise self.fail("a list of values")
        values: list[Scalar | Slot] = []
        while True:
            tok = self.tok
            value = self.literal()
            if value is None:
                raise self.fail("a literal value in the IN list", tok)
            _check_operand(field, value, tok.offset)
            values.append(value if isinstance(value, Slot) else value.value)
            if self.tok.kind == ",":
                self.take()
                continue
            self.expect(")", "',' or ')' in the IN list")
            return In(field, tuple(values), negated)

    def literal(self) -> Literal | Slot | None:
        tok = self.tok
        if tok.kind == "slot" or isinstance(tok.value, Slot):
            self.take()
            return tok.value  # type: ignore[no-any-return]
        if tok.kind in ("string", "number"):
            self.take()
            return Literal(tok.value)
        if self.word("TRUE", "FALSE", "NULL"):
            self.take()
            upper = tok.text.upper()
            return Literal(None if upper == "NULL" else upper == "TRUE")
        return None

    def operand(self) -> Operand:
        literal = self.literal()
        if literal is not None:
            return literal
        return self.identifier()

    def identifier(self) -> Field:
        tok = self.tok
        if tok.kind == "qname":
            self.take()
            return Field(path=(str(tok.value),))
        if tok.kind != "name" or tok.text.upper() in _KEYWORDS or tok.text.upper() in _REFUSED:
            raise self.fail("a field name or a value")
        self.take()
        if self.tok.kind == "(":
            raise WhereError(f"function calls are not allowed: {tok.text}(…)", tok.offset)
        names = [tok.text]
        while self.tok.kind == ".":
            self.take()
            part = self.tok
            if part.kind == "qname":
                names.append(str(part.value))
            elif part.kind == "name":
                names.append(part.text)
            else:
                raise self.fail("a name after '.'")
            self.take()
        if len(names) > 1 and names[0] == "fields":
            return Field(path=tuple(names[1:]))
        if len(names) == 1:
            column = ALIASES.get(names[0], names[0])
            if column in COLUMNS:
                return Field(column=column)
        return Field(path=tuple(names))


def _norm_op(op: str) -> CompareOp:
    return {"==": "=", "<>": "!="}.get(op, op)  # type: ignore[return-value]


def _field(operand: Operand, tok: _Token, what: str) -> Field:
    if not isinstance(operand, Field):
        raise WhereError(f"{what} needs a field name on its left", tok.offset)
    return operand


def check_kind(field: Field, value: Scalar, offset: int) -> None:
    """A metadata column compares with values of its own kind; JSON fields with any."""
    if value is None or field.kind == "json":
        return
    if field.kind == "int" and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise WhereError(f"{field.name} is a number; compare it with a number", offset)
    if field.kind == "text" and not isinstance(value, str):
        raise WhereError(f"{field.name} is text; compare it with a 'string'", offset)
    if field.kind == "time":
        if not isinstance(value, str):
            raise WhereError(
                f"{field.name} is a time; compare it with an ISO-8601 string like "
                "'2024-06-01T12:00:00Z'",
                offset,
            )
        try:
            parse_time(value)
        except ValueError:
            raise WhereError(
                f"{value!r} is not an ISO-8601 time (e.g. '2024-06-01T12:00:00Z')", offset
            ) from None


def _compare(left: Operand, op: CompareOp, right: Operand, lt: _Token, rt: _Token) -> Condition:
    if isinstance(left, Field) and isinstance(right, Field):
        raise WhereError(
            "compare a field with a value: comparing two fields is not supported", lt.offset
        )
    for field, value, tok in ((left, right, rt), (right, left, lt)):
        if isinstance(field, Field) and not isinstance(value, Field):
            _check_operand(field, value, tok.offset)
    return Compare(left, op, right)


def _check_operand(field: Field, value: Literal | Slot, offset: int) -> None:
    """A literal's kind at load; a '...' slot is a string (a bare one is known at run)."""
    if isinstance(value, Literal):
        check_kind(field, value.value, offset)
    elif value.quoted and field.kind == "int":
        check_kind(field, "", offset)


def parse_where(text: str, spans: Sequence[tuple[int, int]] = ()) -> Condition:
    """Parse a where text; raises :class:`WhereError` with the 0-based offset.

    ``spans``: where the text's references are; each becomes a :class:`Slot` of the
    tree (a whole literal: bare, or in a '...' string), bound by :func:`bind` at run.
    A reference anywhere else (in a "quoted name", inside a name) is refused.
    """
    if not text.strip():
        raise WhereError("the where is empty", 0)
    parser = _Parser(text, spans)
    condition = parser.or_expr()
    parser.finish()
    return condition


def reference_quoting(text: str, spans: Sequence[tuple[int, int]]) -> list[bool]:
    """For each reference span, whether it stands inside a '...' string (the tokenizer
    decides, so quotes in names or in other references do not count)."""
    inside = [False] * len(spans)
    for tok in _tokens(text, spans):
        if isinstance(tok.value, Slot) and tok.value.quoted:
            for part in tok.value.parts:
                if isinstance(part, int):
                    inside[part] = True
    return inside


def parse_order(text: str) -> tuple[OrderKey, ...]:
    """``field [ASC|DESC], …``; raises :class:`WhereError` with the 0-based offset."""
    parser = _Parser(text)
    keys: list[OrderKey] = []
    while True:
        field = parser.identifier()
        descending = False
        if parser.word("ASC", "DESC"):
            descending = parser.take().text.upper() == "DESC"
        keys.append(OrderKey(field, descending))
        if parser.tok.kind == ",":
            parser.take()
            continue
        if parser.tok.kind != "end":
            raise parser.fail("ASC, DESC, ',' or the end of the order")
        return tuple(keys)


# ---------------------------------------------------------------------- evaluation
# SQL's three-valued logic: None is "unknown", and a row matches only when True.


def row_value(row: ContentRow, field: Field) -> Any:
    """The value a field names on a row: a column (times as datetimes) or a JSON value."""
    if field.column is not None:
        return getattr(row, field.column)
    return field_value(row.fields, field.path)


def _typed(value: Any, literal: Scalar, kind: str) -> tuple[Any, Any] | None:
    """Both sides as comparable Python values, or None when the types differ."""
    if value is None or literal is None:
        return None
    if kind == "time":
        return (value, parse_time(literal)) if isinstance(literal, str) else None
    if isinstance(literal, bool):
        return (value, literal) if isinstance(value, bool) else None
    if isinstance(literal, int | float):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return (value, literal) if ok else None
    return (value, literal) if isinstance(value, str) else None


_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: bool(a == b),
    "!=": lambda a, b: bool(a != b),
    "<": lambda a, b: bool(a < b),
    "<=": lambda a, b: bool(a <= b),
    ">": lambda a, b: bool(a > b),
    ">=": lambda a, b: bool(a >= b),
}
_FLIPPED: dict[str, CompareOp] = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "!=": "!="}


def compare_values(value: Any, op: str, literal: Scalar, kind: str = "json") -> bool | None:
    """``value OP literal`` with typed, three-valued semantics (None = unknown)."""
    pair = _typed(value, literal, kind)
    if pair is None:
        return None
    return _OPERATORS[op](pair[0], pair[1])


def like_regex(pattern: str) -> re.Pattern[str]:
    """A LIKE pattern as a regex: ``%`` any run, ``_`` one character, ``\\x`` a literal x."""
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
        i += 1
    return re.compile("".join(out), re.DOTALL)


def _eval(condition: Condition, row: ContentRow) -> bool | None:
    if isinstance(condition, And):
        results = [_eval(p, row) for p in condition.parts]
        return False if False in results else None if None in results else True
    if isinstance(condition, Or):
        results = [_eval(p, row) for p in condition.parts]
        return True if True in results else None if None in results else False
    if isinstance(condition, Not):
        inner = _eval(condition.part, row)
        return None if inner is None else not inner
    if isinstance(condition, IsNull):
        return (row_value(row, condition.operand) is None) != condition.negated
    if isinstance(condition, Like):
        value = row_value(row, condition.operand)
        if not isinstance(value, str):
            return None
        found = like_regex(bound_value(condition.pattern)).fullmatch(value) is not None
        return found != condition.negated
    if isinstance(condition, In):
        value = row_value(row, condition.operand)
        kind = condition.operand.kind
        results = [compare_values(value, "=", bound_value(v), kind) for v in condition.values]
        hit = True if True in results else None if None in results else False
        return hit if hit is None or not condition.negated else not hit
    left, op, right = condition.left, condition.op, condition.right
    if isinstance(left, Literal) and isinstance(right, Literal):
        return compare_values(left.value, op, right.value)
    if isinstance(left, Literal):
        left, op, right = right, _FLIPPED[op], left
    if not (isinstance(left, Field) and isinstance(right, Literal)):
        raise TypeError("a where is evaluated before its references were bound")
    return compare_values(row_value(row, left), op, right.value, left.kind)


def matches(condition: Condition | None, row: ContentRow) -> bool:
    """Whether ``row`` satisfies ``condition`` (None matches every row)."""
    return condition is None or _eval(condition, row) is True


def _order_value(row: ContentRow, field: Field) -> tuple[int, Any]:
    """Sort key shared with SQL: missing/null first, then booleans, numbers, strings,
    then arrays and objects by their JSON text."""
    value = row_value(row, field)
    if value is None:
        return (0, 0)
    if isinstance(value, bool):
        return (1, value)
    if isinstance(value, int | float):
        return (2, value)
    if isinstance(value, str | datetime):
        return (3, value)
    return (4, json.dumps(value, separators=(",", ":"), ensure_ascii=False))


def sort_rows(rows: Iterable[ContentRow], order: tuple[OrderKey, ...]) -> list[ContentRow]:
    """Rows in ``order``, ties by ``created_at`` then id (what the SQL store does too)."""
    out = sorted(rows, key=lambda r: (r.created_at, r.id))
    for key in reversed(order):
        field = key.field

        def by(row: ContentRow, field: Field = field) -> tuple[int, Any]:
            return _order_value(row, field)

        out.sort(key=by, reverse=key.descending)
    return out
