"""Carousels: iterations, budget checks before each iteration, until, errors, waiting."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import NamedTuple

from narrator.errors import BudgetExhausted, PermissionDenied
from narrator.executor import Executor, RunOutcome, Services
from narrator.parser import parse
from narrator.protocols import ModelRequest, ModelResponse
from narrator.state.memory import MemoryRunJournal, MemoryStateRepository
from narrator.testing import FakeClock, RecordingPlatform, StaticPlatforms


class Left(NamedTuple):
    requests: int | None
    tokens: int | None


@dataclass
class BudgetedModel:
    """A model with a daily token budget, like the router: spends 100 tokens per call."""

    tokens_per_day: int
    clock: FakeClock
    used: int = 0
    calls: list[ModelRequest] = field(default_factory=list)
    day: int = 0

    def _roll(self) -> None:
        if self.clock.now().toordinal() != self.day:
            self.day, self.used = self.clock.now().toordinal(), 0

    def remaining(self, profile: str) -> Left:
        self._roll()
        return Left(None, self.tokens_per_day - self.used)

    async def complete(self, request: ModelRequest) -> ModelResponse:
        self._roll()
        if self.used + 100 > self.tokens_per_day:
            raise BudgetExhausted("budget exhausted until 00:00 UTC", act=request.act)
        self.used += 100
        self.calls.append(request)
        return ModelResponse(f"post {len(self.calls)}", 40, 60)

    async def aclose(self) -> None:
        pass


CAROUSEL = """
[narrative]
name = "daily"
[carousel]
iterations = 5
estimated_tokens_per_iteration = 100
{extra}
[[act]]
name = "write"
[[act.input]]
type = "text"
content = "Post number {{carousel.iteration}}."
[[act]]
name = "send"
[[act.input]]
type = "bot_command"
command = "messages.send"
args = {{ channel_id = "1", content = "{{act.write.output}}" }}
"""


def run(
    text: str, model: BudgetedModel | None, platform: RecordingPlatform, clock: FakeClock
) -> RunOutcome:
    services = Services(
        state=MemoryStateRepository(),
        journal=MemoryRunJournal(),
        platforms=StaticPlatforms([platform]),
        models=model,
        clock=clock,
    )
    return asyncio.run(Executor(services).run(parse(text)))


def test_carousel_stops_when_the_budget_covers_no_further_iteration() -> None:
    clock = FakeClock()
    model = BudgetedModel(tokens_per_day=300, clock=clock)
    platform = RecordingPlatform()
    outcome = run(CAROUSEL.format(extra=""), model, platform, clock)
    assert outcome.status == "done"
    assert outcome.carousel is not None
    assert outcome.carousel.iterations_completed == 3
    assert outcome.carousel.stopped_reason == "budget_exhausted"
    assert outcome.carousel.tokens_used == 300
    assert [c.args["content"] for c in platform.calls] == ["post 1", "post 2", "post 3"]


def test_on_budget_wait_sleeps_until_the_daily_reset_and_goes_on() -> None:
    clock = FakeClock()
    model = BudgetedModel(tokens_per_day=200, clock=clock)
    platform = RecordingPlatform()
    outcome = run(CAROUSEL.format(extra='on_budget = "wait"'), model, platform, clock)
    assert outcome.carousel is not None
    assert outcome.carousel.iterations_completed == 5
    assert outcome.carousel.stopped_reason == "completed"
    assert len(platform.calls) == 5
    assert clock.slept and max(clock.slept) >= 3600  # waited for midnight UTC at least once


def test_until_stops_the_carousel_once_the_condition_holds() -> None:
    clock = FakeClock()
    platform = RecordingPlatform()
    text = """
[narrative]
name = "u"
[carousel]
iterations = 10
until = "{{ carousel.iteration >= 4 }}"
[[act]]
name = "send"
[[act.input]]
type = "bot_command"
command = "messages.send"
args = { channel_id = "1", content = "n{carousel.iteration}" }
"""
    outcome = run(text, None, platform, clock)
    assert outcome.carousel is not None
    assert outcome.carousel.stopped_reason == "condition"
    assert outcome.carousel.iterations_completed == 4


def test_continue_on_error_counts_failed_iterations_and_goes_on() -> None:
    clock = FakeClock()
    platform = RecordingPlatform()
    platform.fail["messages.pin"] = PermissionDenied("missing permission manage_messages")
    text = """
[narrative]
name = "e"
[carousel]
iterations = 3
continue_on_error = true
[[act]]
name = "send"
[[act.input]]
type = "bot_command"
command = "messages.send"
args = { channel_id = "1", content = "x" }
[[act]]
name = "pin"
[[act.input]]
type = "bot_command"
command = "messages.pin"
args = { channel_id = "1", message_id = "{act.send.output.id}" }
"""
    outcome = run(text, None, platform, clock)
    assert outcome.carousel is not None
    assert outcome.carousel.iterations_failed == 3
    assert outcome.carousel.iterations_completed == 0
    assert len([c for c in platform.calls if c.command == "messages.send"]) == 3


def test_without_continue_on_error_the_first_failure_stops_and_fails_the_run() -> None:
    clock = FakeClock()
    platform = RecordingPlatform()
    platform.fail["messages.send"] = PermissionDenied("missing permission send_messages")
    text = """
[narrative]
name = "e"
[carousel]
iterations = 3
[[act]]
name = "send"
[[act.input]]
type = "bot_command"
command = "messages.send"
args = { channel_id = "1", content = "x" }
"""
    outcome = run(text, None, platform, clock)
    assert outcome.status == "failed"
    assert outcome.carousel is not None and outcome.carousel.stopped_reason == "error"
    assert len(platform.calls) == 1


def test_interval_waits_between_iterations_on_the_injected_clock() -> None:
    clock = FakeClock()
    platform = RecordingPlatform()
    text = """
[narrative]
name = "i"
[carousel]
iterations = 3
interval = "5m"
[[act]]
name = "send"
[[act.input]]
type = "bot_command"
command = "messages.send"
args = { channel_id = "1", content = "x" }
"""
    run(text, None, platform, clock)
    assert clock.slept == [300.0, 300.0]


def test_an_act_carousel_repeats_only_that_act() -> None:
    clock = FakeClock()
    platform = RecordingPlatform()
    text = """
[narrative]
name = "a"
[[act]]
name = "once"
[[act.input]]
type = "bot_command"
command = "messages.send"
args = { channel_id = "1", content = "header" }
[[act]]
name = "thrice"
[act.carousel]
iterations = 3
[[act.input]]
type = "bot_command"
command = "messages.send"
args = { channel_id = "1", content = "item {carousel.iteration}" }
"""
    outcome = run(text, None, platform, clock)
    assert outcome.status == "done"
    assert [c.args["content"] for c in platform.calls] == ["header", "item 1", "item 2", "item 3"]
