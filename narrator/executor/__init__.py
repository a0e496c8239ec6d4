"""The executor: the only loop that performs effects (decide → do → record)."""

from narrator.executor.engine import Executor
from narrator.executor.services import Services, new_run_id
from narrator.outcome import ActOutcome, CarouselOutcome, RunOutcome
from narrator.protocols import PlatformSource, Reporter

__all__ = [
    "ActOutcome",
    "CarouselOutcome",
    "Executor",
    "PlatformSource",
    "Reporter",
    "RunOutcome",
    "Services",
    "new_run_id",
]
