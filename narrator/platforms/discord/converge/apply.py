"""Convergence, the I/O half: one driver, :func:`converge`, for every kind of resource.

A :class:`Kind` says, for one kind (channels, roles, overwrites, webhooks, messages),
how to read what is declared into a :class:`Target`, how to find the live resource
(the stored id first, else by name), how to create it and how to patch it.
:func:`converge` asks :func:`~narrator.platforms.discord.converge.decide.decide`
what to do, performs it (nothing in ``plan``), and returns the result with its
:class:`~narrator.protocols.Change` and the state it captures: the id at
``discord.{guild}.{what}.{name}`` and the fingerprint of what was applied at
``discord.{guild}.spec.{what}.{name}`` (:mod:`narrator.catalogue.keys`).

Cost: reads are the Kind's — channels and roles come from the session's one cached
read per guild and run; a message is one read by its stored id. A converged
resource is not written.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from narrator.errors import ResourceNotFound
from narrator.platforms.discord.converge.decide import (
    CHANGED,
    Adopt,
    Create,
    Fields,
    Patch,
    Repair,
    Show,
    Unchanged,
    as_is,
    decide,
    describe,
)
from narrator.platforms.discord.session import Call, Session
from narrator.protocols import Change, CommandResult

Live = dict[str, Any]


@dataclass(kw_only=True)
class Target:
    """One declared resource, read from a call; a kind adds what it needs to find and make it."""

    resource: str  # as plan shows it: "channel #rules", "role Members", …
    desired: Mapping[str, Any]  # the compared fields, as request values
    declared: str | None  # fingerprint of the declaration, stored at spec_key once applied
    key: str | None  # where the id is captured (None: nothing to capture)
    spec_key: str | None  # where the fingerprint is kept (None: no drift detection)
    stored_id: Any  # the id state remembers (None: none)
    planned: Any = None  # the output of a creation in plan
    compare: bool = True  # False: take what exists as it is (channels.get_or_create)
    announce: Mapping[str, Any] | None = None  # what a creation shows, if not all of desired
    remember: dict[str, Any] = field(default_factory=dict)  # more state a write taught (icon hash)


T = TypeVar("T", bound=Target)


def _changed(_fields: Fields, _live: Live) -> str:
    return CHANGED


@dataclass(frozen=True)
class Kind(Generic[T]):
    """How one kind of resource converges: the per-kind half of :func:`converge`."""

    prepare: Callable[[Session, Call], Awaitable[T | CommandResult]]  # a result: nothing to do
    find: Callable[[Session, Call, T], Awaitable[Live | None]]  # stored id, else by name
    create: Callable[[Session, Call, T], Awaitable[Live]]
    patch: Callable[[Session, Call, T, Live, Collection[str]], Awaitable[Live]]
    output: Callable[[T, Live], Any]
    show: Show = as_is
    created: str = "create"  # the action of a creation ("send" for messages)
    gone: str = "deleted out of band; will be recreated"
    drifted: Callable[[Fields, Live], str] = _changed
    adopted: str | None = None  # said when the live resource was adopted, not remembered


async def converge(kind: Kind[T], session: Session, call: Call) -> CommandResult:
    """Create when missing, patch only what differs, else nothing; say which in the Change."""
    target = await kind.prepare(session, call)
    if isinstance(target, CommandResult):
        return target
    live = await kind.find(session, call, target)
    stored_fingerprint = call.lookup(target.spec_key) if target.spec_key else None
    decision = decide(
        target.desired,
        live,
        target.stored_id,
        stored_fingerprint,
        declared=target.declared,
        show=kind.show,
        compare=target.compare,
        announce=target.announce,
    )
    drifted = kind.drifted(decision.fields, live) if isinstance(decision, Repair) and live else ""
    change = describe(
        decision,
        target.resource,
        created=kind.created,
        gone=kind.gone,
        drifted=drifted,
        adopted=kind.adopted,
    )
    if live is None:
        if call.dry_run:
            return CommandResult(target.planned, changes=[change], wrote=False)
        made = await kind.create(session, call, target)
        return _result(call, kind.output(target, made), change, _captures(target, made), True)
    if call.dry_run:
        return CommandResult(kind.output(target, live), changes=[change], wrote=False)
    if isinstance(decision, Adopt | Unchanged | Create):
        return _result(call, kind.output(target, live), change, _captures(target, live), False)
    assert isinstance(decision, Patch | Repair)
    patched = await kind.patch(session, call, target, live, list(decision.fields))
    return _result(call, kind.output(target, patched), change, _captures(target, live), True)


def _captures(target: Target, resource: Live) -> dict[str, Any]:
    captures: dict[str, Any] = {}
    if target.key:
        captures[target.key] = resource["id"]
    if target.spec_key:
        captures[target.spec_key] = target.declared
    captures.update(target.remember)
    return captures


def _result(
    call: Call, output: Any, change: Change, captures: dict[str, Any], wrote: bool
) -> CommandResult:
    """The result, capturing only what state does not hold already."""
    fresh = {k: v for k, v in captures.items() if call.lookup(k) != v}
    return CommandResult(output=output, captures=fresh, changes=[change], wrote=wrote)


def planned_only(change: Change, output: Any = None) -> CommandResult:
    """A plan that cannot look further (a channel still to be created): the change alone."""
    return CommandResult(output=output, changes=[change], wrote=False)


async def channel_if_known(session: Session, call: Call) -> Live | None:
    """The act's ``channel_id`` channel (with its guild), or None while planning against a
    channel that does not exist yet (an unrendered reference, or an id not found); a run
    raises the usual "must be an id" or not-found error instead."""
    raw = call.get("channel_id")
    if raw is not None and str(raw).strip().isdigit():
        try:
            return await session.channel_and_guild(call, call.id("channel_id"))
        except ResourceNotFound:
            if not call.dry_run:
                raise
            return None
    if not call.dry_run:
        call.id("channel_id")  # raises the usual "must be an id" error
    return None
