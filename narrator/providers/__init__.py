"""Language-model providers: the only package that imports httpx.

The engine uses one :class:`ModelRouter`; it builds the providers from the
``[models.NAME]`` profiles of ``narrator.toml`` (``openai``, ``anthropic``,
``gemini``, ``sandbox``) and keeps every call within its budgets.
"""

from __future__ import annotations

from narrator.providers._http import HttpProvider, SystemClock, parse_retry_after
from narrator.providers.anthropic import AnthropicProvider
from narrator.providers.gemini import GeminiProvider
from narrator.providers.openai import OpenAIProvider
from narrator.providers.router import DEFAULT_PROFILE, ModelRouter, Resolved
from narrator.providers.sandbox import SANDBOX_LABEL, SandboxModel

__all__ = [
    "DEFAULT_PROFILE",
    "SANDBOX_LABEL",
    "AnthropicProvider",
    "GeminiProvider",
    "HttpProvider",
    "ModelRouter",
    "OpenAIProvider",
    "Resolved",
    "SandboxModel",
    "SystemClock",
    "parse_retry_after",
]
