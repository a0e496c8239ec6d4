"""A carousel's next step, decided without doing anything: ``Run | Sleep | Stop``.

The engine asks :func:`next_step` before each iteration and does what it says —
sleeps on the injected clock, or runs the acts — then hands the pass's
:class:`IterationResult` to :func:`after_iteration`, which counts it and says
whether the carousel stops. Nothing here sleeps, reads state or asks a model
service: today's budget arrives as a :class:`BudgetView` snapshot, the time as
``now`` (tenacity's shape: the loop decides ``DoAttempt``/``DoSleep``, the caller
does the I/O).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from narrator.outcome import CarouselOutcome, StopReason

if TYPE_CHECKING:
    from narrator.outcome import ActOutcome
    from narrator.plan import CarouselSpec
    from narrator.protocols import BudgetLeft, WaitReason

__all__ = [
    "BudgetView",
    "IterationResult",
    "Progress",
    "Run",
    "Sleep",
    "Step",
    "Stop",
    "after_iteration",
    "budget_short",
    "next_step",
]


# ----------------------------------------------------------------------------- steps


@dataclass(frozen=True, slots=True)
class Run:
    """Run iteration ``iteration`` (1-based) now."""

    iteration: int


@dataclass(frozen=True, slots=True)
class Sleep:
    """Sleep ``seconds`` (saying ``note`` first), then ask again."""

    seconds: float
    note: str | None = None
    reason: WaitReason = "interval"


@dataclass(frozen=True, slots=True)
class Stop:
    """The carousel ends: ``reason``; ``error`` fails the run; ``note`` is for people."""

    reason: StopReason
    note: str | None = None
    error: str | None = None


Step = Run | Sleep | Stop


# ----------------------------------------------------------------------------- inputs


@dataclass(frozen=True, slots=True)
class IterationResult:
    """How one pass over a narrative's acts ended."""

    failure: ActOutcome | None = None  # the failed act that ended the pass
    all_skipped: bool = False  # acts ran and every one was skipped

    @property
    def ok(self) -> bool:
        return self.failure is None

    @property
    def budget_stop(self) -> bool:
        """The pass ended because a budget is spent (a carousel stops and succeeds)."""
        return self.failure is not None and self.failure.budget_stop

    @property
    def error(self) -> str | None:
        return self.failure.error if self.failure is not None else None


@dataclass(frozen=True, slots=True)
class BudgetView:
    """What is left today of each model profile an iteration uses, and its model calls."""

    left: Mapping[str, BudgetLeft]
    calls: int


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a carousel is: iterations finished (and how), and whether the interval
    before the next one was slept."""

    iterations: int  # how many to run (1 for ``plan``)
    finished: int = 0
    completed: int = 0
    failed: int = 0
    skipped: int = 0
    rested: bool = False

    def outcome(self, planned: int, stopped: StopReason, tokens: int) -> CarouselOutcome:
        return CarouselOutcome(
            iterations_planned=planned,
            iterations_completed=self.completed,
            iterations_failed=self.failed,
            iterations_skipped=self.skipped,
            stopped_reason=stopped,
            tokens_used=tokens,
        )


# ----------------------------------------------------------------------------- decisions


def next_step(
    spec: CarouselSpec, progress: Progress, budget: BudgetView | None, now: datetime
) -> Step:
    """What to do before the next iteration: its interval, a wait for the budget, or run."""
    iteration = progress.finished + 1
    if iteration > progress.iterations:
        return Stop("completed")
    if iteration > 1 and spec.interval and not progress.rested:
        return Sleep(spec.interval)
    short = budget_short(spec, budget)
    if short is None:
        return Run(iteration)
    if spec.on_budget == "wait":
        # imported here: narrator.budget loads `limits` and pydantic (~100 ms), which
        # only a carousel that waits for its budget needs
        from narrator.budget import next_reset

        reset = next_reset(now)
        note = f"{short}; waiting until {reset:%Y-%m-%d %H:%M} UTC"
        return Sleep((reset - now).total_seconds(), note, "budget")
    return Stop("budget_exhausted", note=f"carousel stopped before iteration {iteration}: {short}")


def budget_short(spec: CarouselSpec, budget: BudgetView | None) -> str | None:
    """Why the next iteration does not fit in today's budget, or None when it does."""
    if budget is None:
        return None
    estimate = spec.estimated_tokens_per_iteration or 0
    for profile in sorted(budget.left):
        left = budget.left[profile]
        if left.requests is not None and left.requests < budget.calls:
            return (
                f"{profile}: {left.requests} requests left today, an iteration needs {budget.calls}"
            )
        if left.tokens is not None and estimate and left.tokens < estimate:
            return (
                f"{profile}: {left.tokens} tokens left today, "
                f"an iteration is estimated at {estimate}"
            )
    return None


def after_iteration(
    spec: CarouselSpec, progress: Progress, result: IterationResult
) -> tuple[Progress, Stop | None]:
    """Count the iteration that just ran; a Stop when it ends the carousel."""
    done = replace(progress, finished=progress.finished + 1, rested=False)
    if result.ok and result.all_skipped:
        return replace(done, skipped=done.skipped + 1), None
    if result.ok:
        return replace(done, completed=done.completed + 1), None
    if result.budget_stop:
        return done, Stop(
            "budget_exhausted", note=f"carousel stopped: {result.error or 'budget exhausted'}"
        )
    done = replace(done, failed=done.failed + 1)
    if spec.continue_on_error:
        return done, None
    return done, Stop("error", error=str(result.error))
