"""Settling a run's claims on content rows — pure decisions (issue 11).

A claim is ``claimed_by = "RUN_ID/ACT/ITERATION[/N]"`` (``take``,
``pull_and_delete``); an act of a nested narrative claims, and is journalled, as
``OUTER.ITER>ACT``. When a run ends, and when an operator gives back the claims
of a run no process runs any more (``narrator content release``), each claim is
either **given back** (the row returns to the pool for the next taker) or
**consumed** (the row becomes ``taken`` unless the run changed its status, e.g.
to ``posted``). The run's journal decides, claim by claim:

* the claim's iteration ran a platform command (any platform but ``content`` and
  ``database``) at or after the claiming act, and that act finished ``done`` or
  never finished (``running``, ``interrupted``): the row may have been posted —
  consumed, never given back, so no row is posted twice;
* else, a finished (``done``) run consumes the claim unless an act of its
  iteration failed (a carousel's ``continue_on_error``): then it is given back;
* else (the run failed, was interrupted or abandoned, or is not in the journal)
  the claim is given back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only: validate imports this package, not the protocols
    from narrator.protocols import ActRecord

__all__ = ["RELEASED", "ClaimCount", "Claimant", "Settlement", "parse_claimant", "settle"]

# the journal summary key of a run whose claims `narrator content release` settled: its
# journalled picks may belong to other runs now, so it never resumes
RELEASED = "claims_released_at"

_NOT_SENDING = frozenset({"content", "database"})  # commands on the content store itself
_MAYBE_SENT = frozenset({"done", "running", "interrupted"})


@dataclass(frozen=True, slots=True)
class ClaimCount:
    """How many rows of ``table`` one claimant holds."""

    claimant: str
    table: str
    rows: int

    @property
    def run_id(self) -> str:
        return self.claimant.split("/", 1)[0]


@dataclass(frozen=True, slots=True)
class Claimant:
    """A claimant's parts: ``RUN_ID/ACT/ITERATION`` (``/N``: the act's N-th claiming input)."""

    run_id: str
    act: str
    iteration: int


@dataclass
class Settlement:
    """The claimants whose rows go back to the pool, and those consumed."""

    back: list[str] = field(default_factory=list)
    consumed: list[str] = field(default_factory=list)


def parse_claimant(text: str) -> Claimant | None:
    """``RUN/ACT/ITER`` or ``RUN/ACT/ITER/N`` split; None for any other text."""
    parts = text.split("/")
    if len(parts) >= 4 and parts[-1].isdigit() and parts[-2].isdigit():
        act, iteration = "/".join(parts[1:-2]), parts[-2]
    elif len(parts) >= 3 and parts[-1].isdigit():
        act, iteration = "/".join(parts[1:-1]), parts[-1]
    else:
        return None
    if not parts[0] or not act:
        return None
    return Claimant(parts[0], act, int(iteration))


def _sends(record: ActRecord) -> bool:
    """The act ran (or started) a command on a chat platform (its journaled input)."""
    entries: Sequence[Any] = record.input if isinstance(record.input, list) else [record.input]
    return any(
        isinstance(e, dict)
        and isinstance(e.get("platform"), str)
        and e["platform"] not in _NOT_SENDING
        for e in entries
    )


def _last(record: ActRecord, records: Sequence[ActRecord]) -> ActRecord:
    """The latest attempt of the act ``record`` is one of (a resumed run records it again)."""
    key = (record.name, record.iteration or 0)
    return [r for r in records if (r.name, r.iteration or 0) == key][-1]


def settle(claimants: Iterable[str], acts: Sequence[ActRecord], *, finished: bool) -> Settlement:
    """Which claimants' rows go back and which are consumed (see the module's rules).

    ``acts``: the run's act records (the journal's, any order); ``finished``: the run
    ended ``done``.
    """
    ordered = sorted(acts, key=lambda a: a.seq)
    out = Settlement()
    for text in dict.fromkeys(claimants):
        who = parse_claimant(text)
        if who is None:
            (out.consumed if finished else out.back).append(text)
            continue
        same = [a for a in ordered if (a.iteration or 0) == who.iteration]
        taking = next((a.seq for a in same if a.name == who.act), None)
        after = [a for a in same if taking is None or a.seq >= taking]
        maybe_sent = any(a.status in _MAYBE_SENT and _sends(a) for a in after)
        failed = any(_last(a, after).status == "failed" for a in after)
        (out.consumed if maybe_sent or (finished and not failed) else out.back).append(text)
    return out
