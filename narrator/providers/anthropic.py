"""Anthropic's Messages API: ``POST {base_url}/messages``.

``base_url`` defaults to ``https://api.anthropic.com/v1``; the key goes in the
``x-api-key`` header with ``anthropic-version``. ``max_tokens`` is required by
the API: an act without one gets :data:`DEFAULT_MAX_TOKENS`.
"""

from __future__ import annotations

from typing import Any

from narrator.protocols import ModelRequest, ModelResponse
from narrator.providers._http import HttpProvider
from narrator.providers.parts import anthropic_content

__all__ = ["ANTHROPIC_BASE_URL", "ANTHROPIC_VERSION", "DEFAULT_MAX_TOKENS", "AnthropicProvider"]

ANTHROPIC_BASE_URL = "https://api.anthropic.com/v1"
ANTHROPIC_VERSION = "2023-06-01"
DEFAULT_MAX_TOKENS = 1024


class AnthropicProvider(HttpProvider):
    """Claude models through the Messages API."""

    kind = "anthropic"
    default_base_url = ANTHROPIC_BASE_URL
    default_key_env = "ANTHROPIC_API_KEY"

    def endpoint(self, request: ModelRequest, model: str) -> str:
        return f"{self.base_url}/messages"

    def headers(self) -> dict[str, str]:
        return {"x-api-key": self._key, "anthropic-version": ANTHROPIC_VERSION}

    def body(self, request: ModelRequest, model: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": model,
            "max_tokens": request.max_tokens or DEFAULT_MAX_TOKENS,
            "messages": [
                {"role": m.role, "content": anthropic_content(m)} for m in request.messages
            ],
        }
        if request.system:
            body["system"] = request.system
        if request.temperature is not None:
            body["temperature"] = request.temperature
        return body

    def parse(self, data: Any, model: str) -> ModelResponse:
        blocks = data["content"]
        if not isinstance(blocks, list):
            raise TypeError("content is not a list")
        text = "".join(str(block["text"]) for block in blocks if block.get("type") == "text")
        usage = data.get("usage") or {}
        return ModelResponse(
            text=text,
            prompt_tokens=int(usage.get("input_tokens") or 0),
            completion_tokens=int(usage.get("output_tokens") or 0),
            model=str(data.get("model") or model),
        )
