"""Shared pieces of the provider tests: a fake clock, profiles, requests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from narrator.config import ModelProfile
from narrator.protocols import Message, ModelRequest

SECRET = "sk-test-DO-NOT-LEAK-0123456789"


class FakeClock:
    """A clock whose sleeps advance time instantly and are recorded."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
        self.sleeps: list[float] = []
        self._mono = 1000.0

    def now(self) -> datetime:
        return self.current

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.current += timedelta(seconds=seconds)
        self._mono += seconds

    def monotonic(self) -> float:
        return self._mono


def profile(provider: str = "openai", **overrides: object) -> ModelProfile:
    data: dict[str, object] = {"provider": provider, "model": "test-model", "max_retries": 3}
    data.update(overrides)
    return ModelProfile.model_validate(data)


def request(text: str = "Say hi", **overrides: object) -> ModelRequest:
    fields: dict[str, object] = {
        "profile": "default",
        "model": "",
        "messages": (Message("user", text),),
        "act": "draft",
    }
    fields.update(overrides)
    return ModelRequest(**fields)  # type: ignore[arg-type]
