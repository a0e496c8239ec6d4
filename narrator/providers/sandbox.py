"""The sandbox model: deterministic, clearly labelled answers at zero cost.

Used for ``--sandbox`` rehearsals (every profile) and for profiles with
``provider = "sandbox"``; never otherwise. A text act gets
``[sandbox] ACT: <first line of the last user message>``; a JSON act
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

from narrator.budget import estimate_prompt_tokens
from narrator.protocols import ModelRequest, ModelResponse
from narrator.structured import placeholder, schema_from_instruction

__all__ = ["SANDBOX_LABEL", "SandboxModel"]

SANDBOX_LABEL = "[sandbox]"
_MISSING = re.compile(r"missing (?:required )?field '([^']+)'")


class SandboxModel:
    """A :class:`~narrator.protocols.ModelProvider` that never leaves the process."""

    def __init__(self, name: str = "sandbox") -> None:
        self.name = name
        self.calls = 0

    def __repr__(self) -> str:
        return f"<SandboxModel profile={self.name!r}>"

    async def complete(self, request: ModelRequest) -> ModelResponse:
        self.calls += 1
        last_user = next((m.content for m in reversed(request.messages) if m.role == "user"), "")
        if request.json_mode:
            everything = "\n".join(m.content for m in request.messages)
            schema = schema_from_instruction(everything + "\n" + (request.system or ""))
            value = placeholder(schema, "sandbox")
            if isinstance(value, dict):
                # a retry quoting validation errors names the fields the schema wants
                for name in _MISSING.findall(everything):
                    value.setdefault(name, f"[sandbox] {name}")
            text = json.dumps(value, ensure_ascii=False)
        else:
            first = next((ln.strip() for ln in last_user.splitlines() if ln.strip()), "")
            label = request.act or request.profile or "model"
            text = f"{SANDBOX_LABEL} {label}: {first}"
        prompt = estimate_prompt_tokens(request)
        return ModelResponse(
            text=text,
            prompt_tokens=prompt,
            completion_tokens=(len(text) + 3) // 4,
            model="sandbox",
        )

    async def aclose(self) -> None:
        return None
