"""Shared pieces of the provider tests: the start of their fake clock, profiles, requests."""

from __future__ import annotations

from datetime import UTC, datetime

from narrator.config import ModelProfile
from narrator.protocols import Message, ModelRequest

SECRET = "sk-test-DO-NOT-LEAK-0123456789"
START = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)  # narrator.testing.FakeClock(START)


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
