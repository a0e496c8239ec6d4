"""The sandbox model: deterministic, clearly labelled answers at zero cost.

Used for ``--sandbox`` rehearsals (every profile) and for profiles with
``provider = "sandbox"``; never otherwise. A text act gets
``[sandbox] ACT: <first line of the last user message>``, followed by
``[received image/png, 1234 bytes]`` for each media part it carried; a JSON act
(``json_mode``) gets a JSON object satisfying the schema the executor wrote
into the prompt with :func:`narrator.structured.instruction` — placeholder
values for a field list or a JSON Schema — so rehearsals of JSON acts work.
Without that sentence, the executor's one retry quotes the validation errors
("missing field 'title'") and the second answer supplies those fields.
Token counts are estimates of the text, so budgets can be rehearsed too.
"""

from __future__ import annotations

import json
import re
from typing import Any

from narrator.budget import estimate_prompt_tokens
from narrator.media import short_source
from narrator.protocols import MediaPart, ModelRequest, ModelResponse
from narrator.structured import (
    StructuredOutputError,
    extract_json,
    placeholder,
    schema_from_instruction,
)

__all__ = ["SANDBOX_LABEL", "SandboxModel"]

SANDBOX_LABEL = "[sandbox]"
_MISSING = re.compile(r"missing (?:required )?field '([^']+)'")


def _like_example(prompt: str) -> Any:
    """A JSON act with no schema (Botticelli's "answer with a JSON array like [...]"):
    items shaped like the prompt's JSON example — three of them, each different — so a
    rehearsed content-generation act stores distinct rows."""
    try:
        example = extract_json(prompt)
    except StructuredOutputError:
        return placeholder(None, "sandbox")
    if isinstance(example, list) and example:
        return [_shaped(example[0], "item", i) for i in range(3)]
    if isinstance(example, dict):
        return _shaped(example, "item", 0)
    return placeholder(None, "sandbox")


def _shaped(example: Any, name: str, index: int) -> Any:
    if isinstance(example, dict):
        return {str(k): _shaped(v, str(k), index) for k, v in example.items()}
    if isinstance(example, list):
        return [_shaped(v, name, index) for v in example]
    if isinstance(example, str):
        return f"{SANDBOX_LABEL} {name}" + (f" {index + 1}" if index else "")
    if isinstance(example, bool) or example is None:
        return example
    if isinstance(example, int | float):
        return example + index
    return example


def received(part: MediaPart) -> str:
    """``[received image/png, 1234 bytes]`` or ``[received image/png from https://…]``."""
    if part.url is not None:
        return f"[received {part.mime} from {short_source(part.url)}]"
    return f"[received {part.mime}, {part.size} bytes]"


class SandboxModel:
    """A :class:`~narrator.protocols.ModelProvider` that never leaves the process."""

    def __init__(self, name: str = "sandbox") -> None:
        self.name = name
        self.calls = 0

    def __repr__(self) -> str:
        return f"<SandboxModel profile={self.name!r}>"

    async def complete(self, request: ModelRequest) -> ModelResponse:
        self.calls += 1
        last = next((m for m in reversed(request.messages) if m.role == "user"), None)
        last_user = last.content if last is not None else ""
        if request.json_mode:
            everything = "\n".join(m.content for m in request.messages)
            schema = schema_from_instruction(everything + "\n" + (request.system or ""))
            value = placeholder(schema, "sandbox") if schema else _like_example(last_user)
            if isinstance(value, dict):
                # a retry quoting validation errors names the fields the schema wants
                for name in _MISSING.findall(everything):
                    value.setdefault(name, f"[sandbox] {name}")
            text = json.dumps(value, ensure_ascii=False)
        else:
            first = next((ln.strip() for ln in last_user.splitlines() if ln.strip()), "")
            label = request.act or request.profile or "model"
            text = f"{SANDBOX_LABEL} {label}: {first}"
            if last is not None and last.parts:  # show that the media arrived
                text = " ".join([text, *(received(p) for p in last.parts)])
        prompt = estimate_prompt_tokens(request)
        return ModelResponse(
            text=text,
            prompt_tokens=prompt,
            completion_tokens=(len(text) + 3) // 4,
            model="sandbox",
        )

    async def aclose(self) -> None:
        return None
