"""Model acts: build the prompt and the conversation, call the model, shape the output."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from narrator import interpolate
from narrator.errors import ProviderError, ReferenceFailed
from narrator.executor.content_act import item_schema_instruction, parse_items
from narrator.media import HISTORY_INLINE_LIMIT, describe
from narrator.media_files import load_part, load_text, source_of
from narrator.plan import Act, Plan, TextInput
from narrator.protocols import MediaPart, Message, ModelProvider, ModelRequest
from narrator.structured import instruction, parse_structured, retry_prompt


@dataclass
class Conversation:
    """Earlier model acts of this run: their prompts and answers, in order."""

    messages: list[Message] = field(default_factory=list)

    def extend(self, prompt: str, answer: str, parts: tuple[MediaPart, ...] = ()) -> None:
        """Later acts see this act's media too, except large inline media, which they see
        as ``[Image: image/png]`` (Botticelli's history retention, narrator.media)."""
        kept = tuple(p for p in parts if p.url is not None or (p.size or 0) <= HISTORY_INLINE_LIMIT)
        notes = [f"[{p.kind.capitalize()}: {p.mime}]" for p in parts if p not in kept]
        if notes:
            prompt = "\n\n".join([prompt, *notes]) if prompt else "\n\n".join(notes)
        self.messages.append(Message("user", prompt, kept))
        self.messages.append(Message("assistant", answer))


@dataclass(frozen=True)
class ModelActResult:
    output: Any
    text: str
    tokens: int
    calls: int


def render_prompt(
    act: Act, scope: interpolate.Scope, tables: Mapping[int, str] | None = None
) -> str:
    """The act's text inputs, rendered once, and its table inputs' rows (``tables``, by
    input position), joined in order."""
    parts = []
    for position, text in enumerate(act.inputs):
        if tables and position in tables:  # a table input's rows (content_act.table_text)
            parts.append(tables[position])
            continue
        if not isinstance(text, TextInput):
            continue
        if text.file is not None:  # a file's text, verbatim (narrator.media_files)
            parts.append(load_text(text, act.name))
            continue
        if text.verbatim:  # Botticelli sends prompt text as written
            parts.append(text.content)
            continue
        try:
            parts.append(interpolate.to_text(interpolate.render(text.content, scope).value))
        except interpolate.ResolveError as exc:
            raise ReferenceFailed(exc.message, act=act.name, hint=exc.hint) from None
    return "\n\n".join(parts)


async def perform_model_act(
    act: Act,
    plan: Plan,
    scope: interpolate.Scope,
    models: ModelProvider,
    conversation: Conversation,
    *,
    inputs: list[Any] | None = None,
    tables: Mapping[int, str] | None = None,
) -> ModelActResult:
    """Ask the model; for ``output = "json"``, extract and validate, asking once more on failure."""
    prompt = render_prompt(act, scope, tables)
    if act.output == "json":
        prompt = f"{prompt}\n\n{instruction(_asked(act))}"
    media = tuple(load_part(item, act.name) for item in act.media_inputs)
    history = list(conversation.messages) if act.context == "full" else []
    system = act.system if act.system is not None else plan.system
    if system and "{" in system:
        system = interpolate.to_text(interpolate.render(system, scope).value)
    request = ModelRequest(
        profile=act.model or plan.model or "default",
        model="",
        messages=(*history, Message("user", prompt, media)),
        system=system,
        temperature=act.temperature,
        max_tokens=act.max_tokens,
        act=act.name,
        json_mode=act.output == "json" or _asks_json(act, prompt),
    )
    if inputs is not None:  # what the journal keeps (the history is in earlier acts' rows)
        entry: dict[str, Any] = {"profile": request.profile, "system": system, "prompt": prompt}
        if media:  # kind, MIME type, size and source: never the bytes
            entry["media"] = [
                describe(p.kind, p.mime, p.size, source_of(item), p.filename)
                for p, item in zip(media, act.media_inputs, strict=True)
            ]
        inputs.append(entry)
    response = await models.complete(request)
    tokens = response.total_tokens
    calls = 1
    output: Any = response.text
    if act.output == "json":
        value, problem = _parse(act, response.text)
        if problem is not None:
            retry = ModelRequest(
                profile=request.profile,
                model=request.model,
                messages=(
                    *request.messages,
                    Message("assistant", response.text),
                    Message("user", retry_prompt(problem, _asked(act))),
                ),
                system=request.system,
                temperature=request.temperature,
                max_tokens=request.max_tokens,
                act=request.act,
                json_mode=True,
            )
            response = await models.complete(retry)
            tokens += response.total_tokens
            calls += 1
            value, problem = _parse(act, response.text)
            if problem is not None:
                raise ProviderError(
                    f"the model's answer is not the JSON asked for, twice: {problem}",
                    act=act.name,
                    hint='tighten the prompt or the schema, or use output = "text"',
                )
        output = value
    conversation.extend(prompt, response.text, media)
    return ModelActResult(output=output, text=response.text, tokens=tokens, calls=calls)


def _asked(act: Act) -> Any:
    """The schema the prompt asks for: a storing act's item schema asks for an array."""
    return item_schema_instruction(act.schema) if act.store is not None else act.schema


def _asks_json(act: Act, prompt: str) -> bool:
    """A Botticelli act whose answer is stored and whose prompt asks for JSON: JSON mode
    (providers that have one answer only JSON; the sandbox answers items)."""
    return act.store is not None and act.store.botticelli and "json" in prompt.lower()


def _parse(act: Act, text: str) -> tuple[Any, str | None]:
    """The answer's JSON, checked; a storing act's schema checks each item."""
    if act.store is not None:
        return parse_items(text, act.schema)
    return parse_structured(text, act.schema)
