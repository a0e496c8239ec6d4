"""What a run produced, as plain data (rendered by the CLI, stored in the journal)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from narrator.protocols import Change

ActOutcomeStatus = Literal["done", "skipped", "failed"]
StopReason = Literal["completed", "budget_exhausted", "error", "condition", "interrupted"]


@dataclass
class ActOutcome:
    name: str
    status: ActOutcomeStatus
    output: Any = None
    error: str | None = None
    iteration: int | None = None
    duration_ms: float = 0.0
    changes: list[Change] = field(default_factory=list)
    budget_stop: bool = False  # failed because a budget is spent (a carousel stops, succeeds)
    model_calls: int = 0  # requests a model act made (retries for valid JSON included)
    tokens: int = 0  # tokens those requests spent
    # optional commands that failed and became text (Botticelli's soft failures)
    soft_failures: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "status": self.status, "output": self.output}
        if self.iteration is not None:
            data["iteration"] = self.iteration
        if self.error:
            data["error"] = self.error
        if self.changes:
            data["changes"] = [change.to_json() for change in self.changes]
        if self.soft_failures:
            data["soft_failures"] = list(self.soft_failures)
        return data


@dataclass
class CarouselOutcome:
    iterations_planned: int
    iterations_completed: int = 0
    iterations_failed: int = 0
    iterations_skipped: int = 0
    stopped_reason: StopReason = "completed"
    tokens_used: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "iterations_planned": self.iterations_planned,
            "iterations_completed": self.iterations_completed,
            "iterations_failed": self.iterations_failed,
            "iterations_skipped": self.iterations_skipped,
            "stopped_reason": self.stopped_reason,
            "tokens_used": self.tokens_used,
        }


@dataclass(frozen=True)
class RunSummary:
    """What a run did, counted: Terraform's ``3 created, 1 changed, 12 unchanged`` and more.

    Resources count the :class:`~narrator.protocols.Change` records of acts that ran
    (``drift`` repaired counts as changed); ``skipped`` and ``failed`` count acts;
    ``messages_sent`` counts ``send`` changes (a new message, not one already there).
    """

    created: int = 0
    changed: int = 0
    deleted: int = 0
    unchanged: int = 0
    skipped: int = 0
    failed: int = 0
    messages_sent: int = 0
    model_calls: int = 0
    tokens: int = 0
    soft_failures: int = 0  # optional commands that failed and became text; acts went on

    def to_json(self) -> dict[str, int]:
        extra = {"soft_failures": self.soft_failures} if self.soft_failures else {}
        return {
            "created": self.created,
            "changed": self.changed,
            "deleted": self.deleted,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "failed": self.failed,
            "messages_sent": self.messages_sent,
            "model_calls": self.model_calls,
            "tokens": self.tokens,
            **extra,
        }


def summarize(acts: list[ActOutcome]) -> RunSummary:
    """Count what the acts did (pure)."""
    counts = dict.fromkeys([*RunSummary().to_json(), "soft_failures"], 0)
    bucket = {
        "create": "created",
        "update": "changed",
        "drift": "changed",
        "delete": "deleted",
        "unchanged": "unchanged",
        "send": "messages_sent",
    }
    for act in acts:
        if act.status in ("skipped", "failed"):
            counts[act.status] += 1
        counts["model_calls"] += act.model_calls
        counts["tokens"] += act.tokens
        counts["soft_failures"] += len(act.soft_failures)
        if act.status != "done":
            continue
        for change in act.changes:
            name = bucket.get(str(change.action))
            if name is not None:
                counts[name] += 1
    return RunSummary(**counts)


@dataclass
class RunOutcome:
    run_id: str
    narrative: str
    status: Literal["done", "failed", "interrupted"]
    acts: list[ActOutcome] = field(default_factory=list)
    error: str | None = None
    carousel: CarouselOutcome | None = None
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return self.status == "done"

    def summary(self) -> RunSummary:
        """The run's counts (:func:`summarize` over its acts)."""
        return summarize(self.acts)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "run_id": self.run_id,
            "narrative": self.narrative,
            "status": self.status,
            "acts": [a.to_json() for a in self.acts],
        }
        if self.error:
            data["error"] = self.error
        if self.carousel is not None:
            data["carousel"] = self.carousel.to_json()
        if not self.dry_run:
            data["summary"] = self.summary().to_json()
        return data
