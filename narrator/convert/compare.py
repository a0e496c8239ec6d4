"""What two plans mean, side by side: ``convert``'s check that nothing changed.

:func:`plan_shape` is a plan as plain data without what only says where it
was written (locations, the source path) or how (the dialect); two files mean
the same narrative when their shapes are equal. :func:`differences` names the
first places they part.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from narrator.plan import Plan

_WHERE = frozenset({"location", "source", "dialect", "warnings"})


def plan_shape(plan: Plan) -> dict[str, Any]:
    """``plan`` as nested dicts and lists, without locations, source, dialect and load warnings."""
    shape = _shape(plan)
    assert isinstance(shape, dict)
    return shape


def _shape(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _shape(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name not in _WHERE
        }
    if isinstance(value, dict):
        return {str(k): _shape(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_shape(v) for v in value]
    return value


def differences(before: Plan, after: Plan, *, limit: int = 5) -> list[str]:
    """Where ``after`` means something else than ``before`` (empty when they agree)."""
    found: list[str] = []
    _diff(plan_shape(before), plan_shape(after), "plan", found, limit)
    return found


def _diff(a: Any, b: Any, where: str, found: list[str], limit: int) -> None:
    if len(found) >= limit or a == b:
        return
    if isinstance(a, dict) and isinstance(b, dict):
        for key in list(a) + [k for k in b if k not in a]:
            if key not in a or key not in b:
                found.append(f"{where}.{key}: only in {'the original' if key in a else 'the copy'}")
            else:
                _diff(a[key], b[key], f"{where}.{key}", found, limit)
        return
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            _diff(x, y, f"{where}[{index}]", found, limit)
        return
    found.append(f"{where}: {_short(a)} became {_short(b)}")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
