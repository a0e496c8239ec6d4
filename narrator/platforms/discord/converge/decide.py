"""Pure decisions of convergence: what to do about one declared resource, and the Change it is.

No I/O: :mod:`~narrator.platforms.discord.converge.apply` reads Discord and state,
asks :func:`decide`, and performs the :data:`Decision`:

=========================================  =====================  ============
live resource                              decision               plan shows
=========================================  =====================  ============
none, no stored id                         ``Create``             create
none, a stored id (deleted out of band)    ``Repair(gone=True)``  drift
found by name, as declared                 ``Adopt``              unchanged
found by the stored id, as declared        ``Unchanged``          unchanged
differs, the declaration changed           ``Patch``              update
differs, found by stored id and the
declaration did not change (or renamed)    ``Repair``             drift
=========================================  =====================  ============

Drift vs update: ``discord.{guild}.spec.{what}.{name}`` keeps a fingerprint of
the fields last applied. When the live resource differs but the declaration
did not change since then, someone changed Discord out of band: drift.
When the declaration changed: an update. A resource found by its stored id
under another name was renamed out of band: drift too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from narrator.protocols import Change, FieldChange

Fields = Mapping[str, FieldChange]
Show = Callable[[str, Any], Any]  # a field's value as plan shows it (colour as #rrggbb, …)

CHANGED = "changed out of band; will be restored"


def as_is(_field: str, value: Any) -> Any:
    return value


@dataclass(frozen=True, slots=True)
class Create:
    """Nothing live matches and no id is stored: create it (``fields``: ``(None, new)``)."""

    fields: Fields


@dataclass(frozen=True, slots=True)
class Adopt:
    """A live resource of the same name, as declared, that state did not know: take its id."""


@dataclass(frozen=True, slots=True)
class Unchanged:
    """The resource state remembers, as declared."""


@dataclass(frozen=True, slots=True)
class Patch:
    """The declaration changed: send ``fields`` (``adopted``: found by name, not stored id)."""

    fields: Fields
    adopted: bool = False


@dataclass(frozen=True, slots=True)
class Repair:
    """Drift: changed out of band (patch ``fields`` back), or ``gone`` (create it again)."""

    fields: Fields
    gone: bool = False


Decision = Create | Adopt | Unchanged | Patch | Repair


def same(a: Any, b: Any) -> bool:
    """Live and desired values equal, as Discord reports them (empty is empty, bools as bools)."""
    if a in (None, "") and b in (None, ""):
        return True
    if isinstance(b, bool) or isinstance(a, bool):
        return bool(a) == bool(b)
    return str(a) == str(b)


def diff(live: Mapping[str, Any], desired: Mapping[str, Any], show: Show = as_is) -> Fields:
    """``{field: (live, desired)}`` of the desired fields that differ (shown with ``show``)."""
    return {
        k: (show(k, live.get(k)), show(k, v))
        for k, v in desired.items()
        if not same(live.get(k), v)
    }


def found_by_stored_id(live: Mapping[str, Any] | None, stored_id: Any) -> bool:
    return live is not None and bool(stored_id) and str(live["id"]) == str(stored_id)


def decide(
    desired: Mapping[str, Any],
    live: Mapping[str, Any] | None,
    stored_id: Any,
    stored_fingerprint: Any,
    *,
    declared: str | None,
    show: Show = as_is,
    compare: bool = True,
    announce: Mapping[str, Any] | None = None,
) -> Decision:
    """What to do about one resource.

    ``desired``: the compared fields (request values); ``live``: the resource found
    (by the stored id, else by name), or None; ``declared``: the fingerprint of this
    declaration, compared with ``stored_fingerprint``. ``compare=False`` takes what
    exists as it is (``channels.get_or_create``); ``announce`` is what a creation
    shows when that is not all of ``desired``.
    """
    if live is None:
        shown = desired if announce is None else announce
        planned = {k: (None, show(k, v)) for k, v in shown.items()}
        return Repair(planned, gone=True) if stored_id else Create(planned)
    differences = diff(live, desired, show) if compare else {}
    by_id = found_by_stored_id(live, stored_id)
    if not differences:
        return Unchanged() if by_id else Adopt()
    if by_id and (stored_fingerprint == declared or "name" in differences):
        return Repair(differences)
    return Patch(differences, adopted=not by_id)


def describe(
    decision: Decision,
    resource: str,
    *,
    created: str = "create",
    gone: str = "deleted out of band; will be recreated",
    drifted: str = CHANGED,
    adopted: str | None = None,
) -> Change:
    """The Change plan shows for ``decision`` (``created``: the action of a creation, e.g.
    ``send``; the reasons of each kind of drift, and of an adoption worth saying)."""
    match decision:
        case Create(fields):
            return Change(created, resource, fields)
        case Repair(fields, gone=True):
            return Change("drift", resource, fields, reason=gone)
        case Repair(fields):
            return Change("drift", resource, fields, reason=drifted)
        case Patch(fields, adopted=was_adopted):
            return Change("update", resource, fields, reason=adopted if was_adopted else None)
        case Adopt():
            return Change("unchanged", resource, {}, reason=adopted)
        case _:
            return Change("unchanged", resource, {})
