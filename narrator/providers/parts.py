"""Media parts in each provider's request JSON (docs/models.md, "Media inputs").

A user message with media (:class:`~narrator.protocols.MediaPart`) becomes a list
of content parts, the media first and the message's text last (Anthropic and
Gemini recommend images before the question); a message without media keeps
its plain string, so text-only requests are unchanged. A part a provider
cannot take is a :class:`~narrator.errors.ProviderError` naming the act, the
profile and the provider (:func:`narrator.media.refusal` decides; ``narrator
plan``/``run`` already refused it before the run when the profile was known).
"""

from __future__ import annotations

import base64
from typing import Any

from narrator import media
from narrator.errors import ProviderError
from narrator.protocols import MediaPart, Message, ModelRequest

__all__ = ["anthropic_content", "check_parts", "gemini_parts", "openai_content"]


def check_parts(request: ModelRequest, profile: str, provider: str) -> None:
    """Refuse, before any request, a part this provider cannot take."""
    for message in request.messages:
        for part in message.parts:
            why = media.refusal(provider, part.kind, part.mime, part.url is not None)
            if why is not None:
                raise ProviderError(media.refused(profile, provider, why), act=request.act or None)


def _text_of(part: MediaPart) -> str:
    """A text document's text (for providers that take documents as text)."""
    raw = base64.b64decode(part.data or "")
    text = raw.decode("utf-8", errors="replace")
    return f"{part.filename}:\n{text}" if part.filename else text


def _data_url(part: MediaPart) -> str:
    return part.url if part.url is not None else f"data:{part.mime};base64,{part.data}"


def openai_content(message: Message) -> str | list[dict[str, Any]]:
    """Chat-completions content: ``image_url``, ``input_audio``, ``file`` (PDF) parts."""
    if not message.parts:
        return message.content
    out: list[dict[str, Any]] = []
    for part in message.parts:
        if part.kind == "image":
            out.append({"type": "image_url", "image_url": {"url": _data_url(part)}})
        elif part.kind == "audio":
            audio_format = media.openai_audio_format(part.mime)
            out.append(
                {"type": "input_audio", "input_audio": {"data": part.data, "format": audio_format}}
            )
        elif media.is_text_document(part.mime):
            out.append({"type": "text", "text": _text_of(part)})
        else:
            out.append(
                {
                    "type": "file",
                    "file": {
                        "filename": part.filename or "document.pdf",
                        "file_data": _data_url(part),
                    },
                }
            )
    if message.content:
        out.append({"type": "text", "text": message.content})
    return out


def anthropic_content(message: Message) -> str | list[dict[str, Any]]:
    """Messages-API content: ``image`` and ``document`` blocks (base64, url or text sources)."""
    if not message.parts:
        return message.content
    out: list[dict[str, Any]] = []
    for part in message.parts:
        source: dict[str, Any]
        if part.url is not None:
            source = {"type": "url", "url": part.url}
        elif part.kind == "document" and media.is_text_document(part.mime):
            source = {"type": "text", "media_type": "text/plain", "data": _text_of(part)}
        else:
            source = {"type": "base64", "media_type": part.mime, "data": part.data}
        block: dict[str, Any] = {"type": part.kind, "source": source}
        if part.kind == "document" and part.filename:
            block["title"] = part.filename
        out.append(block)
    if message.content:
        out.append({"type": "text", "text": message.content})
    return out


def gemini_parts(message: Message) -> list[dict[str, Any]]:
    """generateContent parts: ``inline_data`` (base64) and ``file_data`` (a URL), then text."""
    out: list[dict[str, Any]] = []
    for part in message.parts:
        if part.url is not None:
            out.append({"file_data": {"mime_type": part.mime, "file_uri": part.url}})
        else:
            out.append({"inline_data": {"mime_type": part.mime, "data": part.data}})
    if message.content or not out:
        out.append({"text": message.content})
    return out
