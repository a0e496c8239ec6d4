"""What a resumed run skips and what it reconciles, read from its journal.

It lives beside the engine because it is the engine's own reading of what the
engine journalled: which act rows mean "finished" (``done``, keep the output,
do not do again), "cut off" (``running`` after a crash, ``interrupted`` after
a signal: redo, and let the platform adopt what already happened since that
attempt started) and "decided" (``skipped``: decide again). The CLI's
``narrator resume`` and the worker's taken-over slot both come here through
:mod:`narrator.runs`, which re-exports :func:`resume_point`. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from narrator.protocols import RunRecord

__all__ = ["ResumePoint", "resume_point"]


@dataclass(frozen=True)
class ResumePoint:
    """Where a run continues: finished acts, acts to reconcile, the last seq."""

    done: dict[tuple[int, str], Any] = field(default_factory=dict)
    reconcile: dict[tuple[int, str], datetime] = field(default_factory=dict)
    seq: int = 0


def resume_point(record: RunRecord) -> ResumePoint:
    """Read the journal of ``record``: the acts whose last row is done keep their
    outputs; an act cut off mid-act (a row ``running`` — a crash — or
    ``interrupted`` — a signal) and not finished since is reconciled from the
    moment its first cut-off attempt started."""
    done: dict[tuple[int, str], Any] = {}
    reconcile: dict[tuple[int, str], datetime] = {}
    for act in record.acts:
        key = (act.iteration or 0, act.name)
        if act.status == "done":
            done[key] = act.output
            reconcile.pop(key, None)
            continue
        done.pop(key, None)
        if act.status == "skipped":
            reconcile.pop(key, None)
        elif act.status in ("running", "interrupted") and act.started_at is not None:
            reconcile.setdefault(key, act.started_at)
    return ResumePoint(done, reconcile, max((a.seq for a in record.acts), default=0))
