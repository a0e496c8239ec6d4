"""Limits that keep a template's cost bounded: templates come from files other people write.

Private to :mod:`narrator.interpolate` (the only module that imports jinja2, and
the only importer of this one). jinja2's sandbox stops attribute escapes but not
expensive arithmetic: ``{{ 9**(9**9) }}`` computes a 300-million-digit number
(and jinja's optimiser would try it while *compiling*), ``'x' * 10**9``
allocates a gigabyte, ``'%999999999d' % 1`` and ``'a' | center(999999999)``
too. interpolate's environment sends ``**``, ``*`` and ``%`` here (which also
stops compile-time constant folding of them), caps ``range``, ``str.format``
widths and the padding filters with these checks, and they raise
:class:`TemplateTooCostly` (a ResolveError naming the limit, so the act fails)
instead of hanging. Pure Python: no jinja2 import.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from narrator._scope import ResolveError

MAX_INT_BITS = 4096  # ~1233 decimal digits: any real count, id or timestamp fits
MAX_SEQUENCE = 100_000  # characters or items that * and padding may produce
MAX_RANGE_TOTAL = 100_000  # range() items per render, all calls together
# the width and precision of a %-format spec, and the spec of a str.format field
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-+ #0]*(\d*)(?:\.(\d*))?")
_BRACE_SPEC = re.compile(r"\{[^{}:]*:([^{}]*)\}")
_NESTED_SPEC = re.compile(r"\{[^{}]*:[^{}]*\{")
_DIGITS = re.compile(r"\d+")
_range_budget: ContextVar[list[int] | None] = ContextVar("narrator_range_budget", default=None)


class TemplateTooCostly(ResolveError):
    """A template asked for more work or memory than a narrative may use."""


def _refuse(what: str, limit: str) -> TemplateTooCostly:
    return TemplateTooCostly(
        f"jinja: {what} is over the limit ({limit})",
        hint="compute less in the template: keep numbers, repeats and ranges small",
    )


def _bits(value: Any) -> int:
    return abs(value).bit_length() if isinstance(value, int) else 0


def _power(left: Any, right: Any) -> Any:
    if (
        isinstance(left, int)
        and isinstance(right, int)
        and right > 0
        and abs(left) > 1
        and right * math.log2(abs(left)) > MAX_INT_BITS
    ):
        raise _refuse(
            f"{str(left)[:20]} ** {str(right)[:20]}", f"results up to {MAX_INT_BITS} bits"
        )
    return left**right


def _times(left: Any, right: Any) -> Any:
    for seq, count in ((left, right), (right, left)):
        if isinstance(seq, str | list | tuple) and isinstance(count, int):
            if len(seq) * count > MAX_SEQUENCE:
                raise _refuse(
                    f"repeating {type(seq).__name__} of length {len(seq)} {count} times",
                    f"{MAX_SEQUENCE} items",
                )
            return left * right
    if (
        isinstance(left, int)
        and isinstance(right, int)
        and _bits(left) + _bits(right) > MAX_INT_BITS
    ):
        raise _refuse("the product", f"results up to {MAX_INT_BITS} bits")
    return left * right


def _too_wide(number: str) -> bool:
    return len(number) > 6 or int(number) > MAX_SEQUENCE


def _check_widths(template: str, style: str) -> None:
    """Refuse a %-format or str.format template that pads to a huge width."""
    if style == "%":
        numbers = [n for m in _PERCENT_SPEC.finditer(template) for n in m.groups() if n]
    else:
        if _NESTED_SPEC.search(template):
            raise _refuse("a computed format width", "widths must be written out")
        numbers = [n for m in _BRACE_SPEC.finditer(template) for n in _DIGITS.findall(m.group(1))]
    for number in numbers:
        if _too_wide(number):
            raise _refuse(f"format width {number[:12]}", f"{MAX_SEQUENCE} characters")


def _modulo(left: Any, right: Any) -> Any:
    if isinstance(left, str):
        _check_widths(left, "%")
    return left % right


BINOPS = frozenset({"**", "*", "%"})  # the operators the environment sends to binop()


def binop(operator: str, left: Any, right: Any) -> Any:
    """``left OPERATOR right`` for one of :data:`BINOPS`, refusing a huge result."""
    if operator == "**":
        return _power(left, right)
    if operator == "*":
        return _times(left, right)
    return _modulo(left, right)


def check_format(template: str) -> None:
    """``'{:>999999999}'.format(x)``: refuse a str.format template padding to a huge width."""
    _check_widths(template, "{")


def bounded_range(*args: int) -> range:
    """``range`` for templates: at most MAX_RANGE_TOTAL items per render, in all calls."""
    items = range(*args)
    budget = _range_budget.get()
    left = budget[0] if budget is not None else MAX_RANGE_TOTAL
    if len(items) > left:
        raise _refuse(f"range of {len(items)} items", f"{MAX_RANGE_TOTAL} range items per template")
    if budget is not None:
        budget[0] -= len(items)
    return items


@contextmanager
def range_budget() -> Iterator[None]:
    """Give one render its own budget of range items."""
    token = _range_budget.set([MAX_RANGE_TOTAL])
    try:
        yield
    finally:
        _range_budget.reset(token)


def check_center(width: Any) -> None:
    if isinstance(width, int) and width > MAX_SEQUENCE:
        raise _refuse(f"center width {width}", f"{MAX_SEQUENCE}")


def check_indent(value: Any, width: int | str) -> None:
    size = width if isinstance(width, int) else len(str(width))
    if size * (str(value).count("\n") + 1) > MAX_SEQUENCE:
        raise _refuse(f"indent width {size}", f"{MAX_SEQUENCE} characters of padding")


def check_percent(value: Any) -> None:
    """The ``format`` filter: a %-format template padding to a huge width."""
    _check_widths(str(value), "%")
