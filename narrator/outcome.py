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

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "status": self.status, "output": self.output}
        if self.iteration is not None:
            data["iteration"] = self.iteration
        if self.error:
            data["error"] = self.error
        if self.changes:
            data["changes"] = [change.to_json() for change in self.changes]
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
        return data
