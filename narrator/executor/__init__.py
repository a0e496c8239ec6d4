"""The executor: the only loop that performs effects (decide → do → record)."""

from narrator.executor.engine import Executor, PlatformSource, Reporter, Services, new_run_id
from narrator.executor.outcome import ActOutcome, CarouselOutcome, RunOutcome

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
