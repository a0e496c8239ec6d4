"""References inside a content ``where``: checked at load, bound as literals at run.

``where = "id = {act.pick.output.0.id} AND status = 'approved'"`` is never
rendered as text and parsed: a value that came from a model or a table
(``x' OR 'a' = 'a``) would become part of the condition. Instead:

* at load, every reference is replaced by a *slot* of the same length — a
  reference written as an operand by ``NULL`` (padded with spaces), one inside
  a quoted literal by letters — and the text is parsed with
  :func:`narrator.content.parse_where`, so its shape is checked and a
  ``WhereError`` offset is an offset into the text as written;
* at run, each reference's value becomes exactly one literal *token*
  (:func:`literal`: a number, ``TRUE``/``FALSE``/``NULL``, or a quoted string
  with its quotes doubled; inside a quoted literal, the text with its quotes
  doubled) and the text is parsed again. A value can only ever be a literal:
  no reference can add a condition, a column or a keyword.

Pure.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from narrator.content import Condition, parse_where

__all__ = ["SlotError", "bind", "literal", "quoted", "reference_spans", "slotted"]

_MARKERS = ("{", "${", "<state.")


class SlotError(ValueError):
    """A reference's value cannot stand in a where (a list, an object, NaN)."""


def reference_spans(text: str) -> list[tuple[int, int]]:
    """Where the references of ``text`` are (start, end). Raises TemplateSyntaxError."""
    if not any(m in text for m in _MARKERS):
        return []
    from narrator.interpolate import scan

    return [(r.start, r.end) for r in scan(text)]


def quoted(text: str, spans: Sequence[tuple[int, int]]) -> list[bool]:
    """For each reference span, whether it sits inside a '...' literal (``''`` inside one
    toggles twice; quotes inside earlier references do not count)."""
    flags: list[bool] = []
    inside, last = False, 0
    for start, end in spans:
        inside ^= text.count("'", last, start) % 2 == 1
        flags.append(inside)
        last = end
    return flags


def slotted(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """``text`` with each reference replaced by a same-length slot (for the load-time
    check: ``NULL`` passes every column's type check)."""
    out: list[str] = []
    last = 0
    for (start, end), inside in zip(spans, quoted(text, spans), strict=True):
        out.append(text[last:start])
        length = end - start
        if inside:
            out.append("x" * length)
        else:
            out.append("NULL".ljust(length))
        last = end
    out.append(text[last:])
    return "".join(out)


def literal(value: Any, *, quoted: bool) -> str:
    """One where token for ``value`` (``quoted``: text inside a '...' literal)."""
    if isinstance(value, list | tuple | dict):
        raise SlotError(
            f"a reference in where is {'a list' if not isinstance(value, dict) else 'an object'}"
            ", not a number, string, boolean or null; refer to one field of it"
        )
    if isinstance(value, float) and not math.isfinite(value):
        raise SlotError("a reference in where is not a finite number")
    if quoted:
        text = "" if value is None else _text(value)
        return text.replace("'", "''")
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def bind(text: str, spans: Sequence[tuple[int, int]], values: Sequence[Any]) -> Condition:
    """Parse ``text`` with each reference's value as one literal. Raises WhereError
    (a value of the wrong type for its column) and SlotError."""
    out: list[str] = []
    last = 0
    for (start, end), value, inside in zip(spans, values, quoted(text, spans), strict=True):
        out.append(text[last:start])
        out.append(literal(value, quoted=inside))
        last = end
    out.append(text[last:])
    return parse_where("".join(out))
