"""References inside a content ``where``: parsed once at load, bound as literals at run.

``where = "id = {act.pick.output.0.id} AND status = 'approved'"`` is never
rendered as text and parsed: a value that came from a model or a table
(``x' OR 'a' = 'a``) would become part of the condition. Instead:

* at load, the where as written is parsed once by
  :func:`narrator.content.parse_where` with each reference as a *slot* token —
  a whole literal, bare (``id = {ref}``) or inside a '...' string
  (``title = '{ref}'``, ``title LIKE '%{ref}%'``); a reference anywhere else
  (inside a ``"quoted name"``, glued to a name) is refused with its offset;
* at run, each reference's value is put into the parsed tree as a Literal
  (:func:`narrator.content.where.bind`): no text with a value in it is ever
  parsed, so a value can add no condition, column or keyword. In a LIKE a value
  is literal text (its ``%`` ``_`` ``\\`` escaped).

Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from narrator.content import Condition, parse_where
from narrator.content.binding import bind, slot_text
from narrator.content.where import reference_quoting

__all__ = ["bind_values", "literal", "parse_slotted", "reference_spans", "shown"]

_MARKERS = ("{", "${", "<state.")


def reference_spans(text: str) -> list[tuple[int, int]]:
    """Where the references of ``text`` are (start, end). Raises TemplateSyntaxError."""
    if not any(m in text for m in _MARKERS):
        return []
    from narrator.interpolate import scan

    return [(r.start, r.end) for r in scan(text)]


def parse_slotted(text: str, spans: Sequence[tuple[int, int]]) -> Condition:
    """The where as written, its references as slots. Raises WhereError (at its offset)."""
    return parse_where(text, spans)


def bind_values(condition: Condition, values: Sequence[Any]) -> Condition:
    """The parsed where with each slot's value as a Literal. Raises WhereError."""
    return bind(condition, values)


def literal(value: Any, *, quoted: bool) -> str:
    """How a reference's value reads in the where (the journal's display; never parsed)."""
    if isinstance(value, list | tuple | dict):
        return str(value)
    if quoted:
        return ("" if value is None else slot_text(value)).replace("'", "''")
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def shown(text: str, spans: Sequence[tuple[int, int]], values: Sequence[Any]) -> str:
    """The where as it runs, each reference shown as its literal (display only)."""
    try:
        inside = reference_quoting(text, spans)
    except ValueError:
        inside = [False] * len(spans)
    out: list[str] = []
    last = 0
    for (start, end), value, quoted in zip(spans, values, inside, strict=True):
        out += [text[last:start], literal(value, quoted=quoted)]
        last = end
    out.append(text[last:])
    return "".join(out)
