"""A parsed ``where``: the condition tree :mod:`narrator.content.where` builds (pure data).

Every backend reads the same tree: the memory store evaluates it with
:func:`narrator.content.where.matches`, the SQL store turns it into a
parameterised SQLAlchemy expression (``narrator/state/content_where.py``).
No node ever holds SQL text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal as TypingLiteral
from typing import TypeVar

__all__ = [
    "ALIASES",
    "COLUMNS",
    "And",
    "Compare",
    "Condition",
    "Field",
    "In",
    "IsNull",
    "Like",
    "Literal",
    "Not",
    "Operand",
    "Or",
    "Scalar",
    "Slot",
    "bound_value",
    "column_kind",
]

Scalar = str | int | float | bool | None

# The metadata columns of a content row, and how they compare: "int" with numbers,
# "time" with ISO-8601 strings, "text" with strings. Any other name is a JSON field.
COLUMNS: dict[str, str] = {
    "id": "int",
    "status": "text",
    "narrative": "text",
    "run_id": "text",
    "act": "text",
    "model": "text",
    "created_at": "time",
    "updated_at": "time",
    "content_hash": "text",
    "message_id": "text",
    "claimed_by": "text",
}

# Botticelli's metadata column names, mapped onto narrator's.
ALIASES: dict[str, str] = {
    "review_status": "status",
    "generated_at": "created_at",
    "source_narrative": "narrative",
    "source_act": "act",
    "generation_model": "model",
}

CompareOp = TypingLiteral["=", "!=", "<", "<=", ">", ">="]


@dataclass(frozen=True, slots=True)
class Field:
    """A metadata column (``column`` set) or a JSON field of the item (``path``)."""

    column: str | None = None
    path: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.column if self.column is not None else ".".join(self.path)

    @property
    def kind(self) -> str:
        """``int``, ``time``, ``text`` for a column; ``json`` for a field of the item."""
        return COLUMNS[self.column] if self.column is not None else "json"


@dataclass(frozen=True, slots=True)
class Literal:
    value: Scalar


@dataclass(frozen=True, slots=True)
class Slot:
    """A reference's place in a where parsed at load, bound to its value at run
    (:func:`narrator.content.where.bind`) — never spliced into text.

    ``quoted=False``: a bare operand, ``parts == (INDEX,)``; ``quoted=True``: a
    ``'...'`` string of text (``str``) and references (``int``: an index into the
    where's references). ``offset`` is where the operand starts in the text.
    """

    parts: tuple[str | int, ...]
    quoted: bool
    offset: int


Operand = Field | Literal | Slot

_T = TypeVar("_T")


def bound_value(value: _T | Slot) -> _T:
    """A value of a bound tree (a Slot left in it is a programming error)."""
    if isinstance(value, Slot):
        raise TypeError("a where is used before bind() gave its references their values")
    return value


@dataclass(frozen=True, slots=True)
class Compare:
    """``left OP right``; at least one side is a literal (``field OP field`` is refused)."""

    left: Operand
    op: CompareOp
    right: Operand


@dataclass(frozen=True, slots=True)
class In:
    operand: Field
    values: tuple[Scalar | Slot, ...]  # a Slot only before binding
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Like:
    """SQL LIKE, case-sensitive on every database: ``%`` any run, ``_`` one
    character, ``\\`` escapes the next character."""

    operand: Field
    pattern: str | Slot  # a Slot only before binding: its values are literal text
    negated: bool = False


@dataclass(frozen=True, slots=True)
class IsNull:
    """True when the column is NULL, or the JSON field is missing or ``null``."""

    operand: Field
    negated: bool = False


@dataclass(frozen=True, slots=True)
class And:
    parts: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Or:
    parts: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Not:
    part: Condition


Condition = Compare | In | Like | IsNull | And | Or | Not


def column_kind(name: str) -> str | None:
    """The kind of a metadata column (aliases included); None for a JSON field."""
    return COLUMNS.get(ALIASES.get(name, name))
