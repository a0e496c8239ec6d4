"""Binding a where parsed at load: each reference's value into its tree as a Literal.

:func:`narrator.content.where.parse_where` with reference spans leaves a
:class:`~narrator.content.condition.Slot` where each reference stands (a whole
literal: bare, or inside a '...' string). :func:`bind` replaces the slots by
the values — no text with a value in it is ever parsed, so a value can add no
condition. In a LIKE, a value is literal text (``%``, ``_`` and the escape
``\\`` escaped); wildcards the narrative wrote around it stay wildcards. Pure.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Any

from narrator.content.condition import (
    And,
    Compare,
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
)
from narrator.content.where import WhereError, check_kind

__all__ = ["bind", "escape_like", "slot_text"]


def escape_like(text: str) -> str:
    """``text`` as literal LIKE text: ``%``, ``_`` and the escape ``\\`` escaped."""
    return re.sub(r"([\\%_])", r"\\\1", text)


def _value(slot: Slot, values: Sequence[Any]) -> Scalar:
    """A bare slot's value, checked to be one scalar."""
    value = values[slot.parts[0]]  # type: ignore[index]
    if isinstance(value, list | tuple | dict):
        kind = "an object" if isinstance(value, dict) else "a list"
        raise WhereError(
            f"a reference in where is {kind}, not a number, string, boolean or null; "
            "refer to one field of it",
            slot.offset,
        )
    if isinstance(value, float) and not math.isfinite(value):
        raise WhereError("a reference in where is not a finite number", slot.offset)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _text(slot: Slot, values: Sequence[Any], part: Callable[[str], str]) -> str:
    """A slot as text: a quoted one's text with each reference's value through ``part``."""
    if not slot.quoted:
        value = _value(slot, values)
        return part("" if value is None else slot_text(value))
    out: list[str] = []
    for item in slot.parts:
        if isinstance(item, str):
            out.append(item)
            continue
        value = _value(Slot((item,), quoted=False, offset=slot.offset), values)
        out.append(part("" if value is None else slot_text(value)))
    return "".join(out)


def slot_text(value: Scalar) -> str:
    """A scalar as the text it stands for inside a '...' string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _scalar(slot: Slot, values: Sequence[Any]) -> Scalar:
    return _text(slot, values, str) if slot.quoted else _value(slot, values)


def _operand(operand: Operand, values: Sequence[Any], other: Operand) -> Operand:
    if not isinstance(operand, Slot):
        return operand
    value = _scalar(operand, values)
    if isinstance(other, Field):
        check_kind(other, value, operand.offset)
    return Literal(value)


def bind(condition: Condition, values: Sequence[Any]) -> Condition:
    """``condition`` with each slot replaced by its reference's value (``values``, in the
    order of the where's references) as one Literal — a value is never parsed, so it can
    add no condition. In a LIKE, a value is literal text (its ``%``/``_`` escaped); the
    wildcards the narrative wrote around it stay wildcards. Raises :class:`WhereError`
    (a value of the wrong kind for its column, a list, an object)."""
    if isinstance(condition, And):
        return And(tuple(bind(p, values) for p in condition.parts))
    if isinstance(condition, Or):
        return Or(tuple(bind(p, values) for p in condition.parts))
    if isinstance(condition, Not):
        return Not(bind(condition.part, values))
    if isinstance(condition, IsNull):
        return condition
    if isinstance(condition, Like):
        if not isinstance(condition.pattern, Slot):
            return condition
        pattern = _text(condition.pattern, values, escape_like)
        return Like(condition.operand, pattern, condition.negated)
    if isinstance(condition, In):
        bound: list[Scalar] = []
        for item in condition.values:
            if isinstance(item, Slot):
                value = _scalar(item, values)
                check_kind(condition.operand, value, item.offset)
                bound.append(value)
            else:
                bound.append(item)
        return In(condition.operand, tuple(bound), condition.negated)
    left = _operand(condition.left, values, condition.right)
    right = _operand(condition.right, values, condition.left)
    return Compare(left, condition.op, right)
