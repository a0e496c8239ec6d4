"""Pure decisions of convergence: what differs, and whether it is drift or an update.

No I/O: :mod:`~narrator.platforms.discord.converge.apply` reads Discord and state,
asks these functions, and performs what they decide.

Drift vs update: ``discord.{guild}.spec.{what}.{name}`` keeps a fingerprint of
the fields last applied. When the live resource differs but the declaration
did not change since then, someone changed Discord out of band: ``drift``.
When the declaration changed: ``update``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


def same(a: Any, b: Any) -> bool:
    """Live and desired values equal, as Discord reports them (empty is empty, bools as bools)."""
    if a in (None, "") and b in (None, ""):
        return True
    if isinstance(b, bool) or isinstance(a, bool):
        return bool(a) == bool(b)
    return str(a) == str(b)


def diff(
    live: Mapping[str, Any],
    desired: Mapping[str, Any],
    show: Callable[[str, Any], Any] = lambda _field, value: value,
) -> dict[str, Any]:
    """``{field: [live, desired]}`` of the desired fields that differ (shown with ``show``)."""
    return {
        k: [show(k, live.get(k)), show(k, v)]
        for k, v in desired.items()
        if not same(live.get(k), v)
    }


def classify(
    differences: Mapping[str, Any],
    *,
    found_by_stored_id: bool,
    stored_fingerprint: Any,
    declared: str,
) -> str:
    """``unchanged``, ``drift`` (Discord changed, the declaration did not) or ``update``."""
    if not differences:
        return "unchanged"
    if found_by_stored_id and stored_fingerprint == declared:
        return "drift"
    if found_by_stored_id and "name" in differences:
        return "drift"
    return "update"


def change(
    action: str, resource: str, fields: Mapping[str, Any], reason: str | None = None
) -> dict[str, Any]:
    """What plan shows for one resource (and run reports)."""
    out: dict[str, Any] = {"action": action, "resource": resource, "fields": dict(fields)}
    if reason:
        out["reason"] = reason
    return out
