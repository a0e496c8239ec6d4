"""OpenAI chat completions — and every server that speaks it.

Works with OpenAI itself and OpenAI-compatible servers (Ollama, vLLM,
llama.cpp server, OpenRouter, Groq, LM Studio): set ``base_url`` to the
server's ``.../v1``. A local server that needs no key: leave ``api_key_env``
unset and give a non-default ``base_url``; no ``Authorization`` header is sent.
"""

from __future__ import annotations

from typing import Any

from narrator.protocols import ModelRequest, ModelResponse
from narrator.providers._http import HttpProvider
from narrator.providers.parts import openai_content

__all__ = ["OPENAI_BASE_URL", "OpenAIProvider"]

OPENAI_BASE_URL = "https://api.openai.com/v1"


class OpenAIProvider(HttpProvider):
    """``POST {base_url}/chat/completions`` with ``Authorization: Bearer $KEY``."""

    kind = "openai"
    default_base_url = OPENAI_BASE_URL
    default_key_env = "OPENAI_API_KEY"

    def _key_required(self) -> bool:
        local = bool(self.profile.base_url) and self.base_url != OPENAI_BASE_URL
        return self.profile.api_key_env is not None or not local

    def endpoint(self, request: ModelRequest, model: str) -> str:
        return f"{self.base_url}/chat/completions"

    def headers(self) -> dict[str, str]:
        if not self._key:
            return {}
        return {"Authorization": f"Bearer {self._key}"}

    def body(self, request: ModelRequest, model: str) -> dict[str, Any]:
        messages: list[dict[str, Any]] = []
        if request.system:
            messages.append({"role": "system", "content": request.system})
        messages.extend({"role": m.role, "content": openai_content(m)} for m in request.messages)
        body: dict[str, Any] = {"model": model, "messages": messages}
        if request.temperature is not None:
            body["temperature"] = request.temperature
        if request.max_tokens is not None:
            body["max_tokens"] = request.max_tokens
        if request.json_mode:
            body["response_format"] = {"type": "json_object"}
        return body

    def parse(self, data: Any, model: str) -> ModelResponse:
        choice = data["choices"][0]
        content = choice["message"]["content"]
        if content is None:
            content = ""
        if not isinstance(content, str):
            raise TypeError("content is not text")
        usage = data.get("usage") or {}
        return ModelResponse(
            text=content,
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
            model=str(data.get("model") or model),
        )
