"""What the executor talks to: :class:`Services`, filled by :mod:`narrator.runtime`
(or by tests with fakes from :mod:`narrator.testing`)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from narrator.clock import SystemClock
from narrator.guilds import GuildDefaults
from narrator.protocols import (
    Clock,
    ModelProvider,
    PlatformSource,
    Reporter,
    RunJournal,
    StateRepository,
    WaitReason,
)

if TYPE_CHECKING:
    from narrator.content.model import ContentStore
    from narrator.outcome import ActOutcome

__all__ = ["Services", "SilentReporter", "new_run_id"]


class SilentReporter:
    """A :class:`~narrator.protocols.Reporter` that says nothing."""

    def act_started(self, act: str, iteration: int | None) -> None:
        pass

    def act_finished(self, outcome: ActOutcome) -> None:
        pass

    def note(self, text: str) -> None:
        pass

    def iteration_finished(self, iteration: int, total: int, elapsed: float) -> None:
        pass

    def carousel_started(self, iterations: int, interval: float) -> None:
        pass

    def waiting(self, seconds: float, reason: WaitReason) -> None:
        pass


@dataclass
class Services:
    """Everything the executor talks to."""

    state: StateRepository
    journal: RunJournal
    platforms: PlatformSource
    models: ModelProvider | None = None
    clock: Clock = field(default_factory=SystemClock)
    env: Mapping[str, str] = field(default_factory=dict)
    allow_destructive: bool = False
    # where commands find their guild when they name none ([discord] guild_id, --sandbox)
    guilds: GuildDefaults = field(default_factory=GuildDefaults)
    reporter: Reporter = field(default_factory=SilentReporter)
    unit_of_work: Callable[[], AbstractContextManager[None]] = nullcontext
    # asked before each act; True ends the run as "interrupted" (a worker's SIGTERM)
    should_stop: Callable[[], bool] | None = None
    # content tables (issue 11): Database.content of the run's database
    content: ContentStore | None = None


def new_run_id(clock: Clock | None = None) -> str:
    """Time-sortable, unique: 12 hex digits of milliseconds on ``clock`` + 8 random."""
    ms = int((clock or SystemClock()).now().timestamp() * 1000)
    return f"{ms:012x}{uuid.uuid4().hex[:8]}"
