"""Google's Gemini API: ``POST {base_url}/models/{model}:generateContent``.

``base_url`` defaults to ``https://generativelanguage.googleapis.com/v1beta``;
the key goes in the ``x-goog-api-key`` header (never in the URL, so it cannot
leak through a logged address).
"""

from __future__ import annotations

from typing import Any

from narrator.errors import ProviderError
from narrator.protocols import ModelRequest, ModelResponse
from narrator.providers._http import HttpProvider
from narrator.providers.parts import gemini_parts

__all__ = ["GEMINI_BASE_URL", "GeminiProvider"]

GEMINI_BASE_URL = "https://generativelanguage.googleapis.com/v1beta"


class GeminiProvider(HttpProvider):
    """Gemini models through generateContent."""

    kind = "gemini"
    default_base_url = GEMINI_BASE_URL
    default_key_env = "GEMINI_API_KEY"

    def endpoint(self, request: ModelRequest, model: str) -> str:
        return f"{self.base_url}/models/{model.removeprefix('models/')}:generateContent"

    def headers(self) -> dict[str, str]:
        return {"x-goog-api-key": self._key}

    def body(self, request: ModelRequest, model: str) -> dict[str, Any]:
        contents = [
            {"role": "model" if m.role == "assistant" else "user", "parts": gemini_parts(m)}
            for m in request.messages
        ]
        body: dict[str, Any] = {"contents": contents}
        if request.system:
            body["systemInstruction"] = {"parts": [{"text": request.system}]}
        config: dict[str, Any] = {}
        if request.temperature is not None:
            config["temperature"] = request.temperature
        if request.max_tokens is not None:
            config["maxOutputTokens"] = request.max_tokens
        if request.json_mode:
            config["responseMimeType"] = "application/json"
        if config:
            body["generationConfig"] = config
        return body

    def parse(self, data: Any, model: str) -> ModelResponse:
        candidates = data.get("candidates")
        if not candidates:
            reason = (data.get("promptFeedback") or {}).get("blockReason")
            if reason:
                raise ProviderError(
                    f"model profile '{self.name}': Gemini blocked the prompt ({reason})",
                    hint="rephrase the act's prompt",
                )
            raise KeyError("candidates")
        parts = candidates[0].get("content", {}).get("parts", [])
        text = "".join(str(p["text"]) for p in parts if "text" in p and not p.get("thought"))
        usage = data.get("usageMetadata") or {}
        completion = int(usage.get("candidatesTokenCount") or 0)
        completion += int(usage.get("thoughtsTokenCount") or 0)
        return ModelResponse(
            text=text,
            prompt_tokens=int(usage.get("promptTokenCount") or 0),
            completion_tokens=completion,
            model=str(data.get("modelVersion") or model),
        )
