"""Media parts in each provider's request JSON, exactly (issue 12), against respx.

OpenAI-compatible: ``image_url`` (data: URL or URL), ``input_audio`` {data, format},
``file`` parts for PDFs, text documents as text. Anthropic: ``image``/``document``
blocks with base64, url or text sources. Gemini: ``inline_data``/``file_data``. A kind
a provider cannot take fails before any request, naming the act and the provider.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
import respx

from narrator.errors import ProviderError
from narrator.protocols import MediaPart, Message
from narrator.providers import AnthropicProvider, GeminiProvider, OpenAIProvider
from narrator.testing import FakeClock

from .helpers import SECRET, START, profile, request

OPENAI = "https://api.openai.com/v1/chat/completions"
ANTHROPIC = "https://api.anthropic.com/v1/messages"
GEMINI = "https://generativelanguage.googleapis.com/v1beta/models/test-model:generateContent"

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24
PNG64 = base64.b64encode(PNG).decode()
WAV64 = base64.b64encode(b"RIFF\x00\x00\x00\x00WAVEfmt ").decode()
PDF64 = base64.b64encode(b"%PDF-1.4 tiny").decode()
NOTES64 = base64.b64encode(b"# Notes\nship it").decode()

IMAGE = MediaPart("image", "image/png", data=PNG64, size=len(PNG))
IMAGE_URL = MediaPart("image", "image/png", url="https://example.com/cat.png")
AUDIO = MediaPart("audio", "audio/wav", data=WAV64, size=16)
PDF = MediaPart("document", "application/pdf", data=PDF64, size=13, filename="plan.pdf")
PDF_URL = MediaPart("document", "application/pdf", url="https://example.com/plan.pdf")
NOTES = MediaPart("document", "text/markdown", data=NOTES64, size=15, filename="notes.md")
VIDEO_URL = MediaPart("video", "video/mp4", url="https://example.com/demo.mp4")


def openai_ok() -> dict[str, Any]:
    return {"choices": [{"message": {"content": "ok"}}], "usage": {}}


def anthropic_ok() -> dict[str, Any]:
    return {"content": [{"type": "text", "text": "ok"}], "usage": {}}


def gemini_ok() -> dict[str, Any]:
    return {"candidates": [{"content": {"parts": [{"text": "ok"}]}}]}


def asking(*parts: MediaPart, text: str = "What is this?") -> Any:
    return request(messages=(Message("user", text, parts),))


async def sent(provider: Any, url: str, answer: dict[str, Any], req: Any) -> dict[str, Any]:
    with respx.mock:
        route = respx.post(url).mock(return_value=httpx.Response(200, json=answer))
        await provider.complete(req)
    await provider.aclose()
    assert route.call_count == 1
    body: dict[str, Any] = json.loads(route.calls.last.request.content)
    return body


def openai() -> OpenAIProvider:
    return OpenAIProvider(
        "vision", profile("openai"), clock=FakeClock(START), environ={"OPENAI_API_KEY": SECRET}
    )


def anthropic() -> AnthropicProvider:
    return AnthropicProvider(
        "claude",
        profile("anthropic"),
        clock=FakeClock(START),
        environ={"ANTHROPIC_API_KEY": SECRET},
    )


def gemini() -> GeminiProvider:
    return GeminiProvider(
        "gem", profile("gemini"), clock=FakeClock(START), environ={"GEMINI_API_KEY": SECRET}
    )


# ----------------------------------------------------------------------------- OpenAI


async def test_openai_media_parts_come_before_the_text() -> None:
    body = await sent(openai(), OPENAI, openai_ok(), asking(IMAGE, IMAGE_URL, AUDIO, PDF, NOTES))
    assert body["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG64}"}},
                {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
                {"type": "input_audio", "input_audio": {"data": WAV64, "format": "wav"}},
                {
                    "type": "file",
                    "file": {
                        "filename": "plan.pdf",
                        "file_data": f"data:application/pdf;base64,{PDF64}",
                    },
                },
                {"type": "text", "text": "notes.md:\n# Notes\nship it"},
                {"type": "text", "text": "What is this?"},
            ],
        }
    ]


async def test_openai_mp3_audio_has_format_mp3() -> None:
    mp3 = MediaPart("audio", "audio/mp3", data=WAV64, size=16)
    body = await sent(openai(), OPENAI, openai_ok(), asking(mp3, text=""))
    assert body["messages"][0]["content"] == [
        {"type": "input_audio", "input_audio": {"data": WAV64, "format": "mp3"}}
    ]


async def test_text_only_requests_are_unchanged() -> None:
    """No media: the content stays a plain string (the request is byte-identical to before)."""
    body = await sent(openai(), OPENAI, openai_ok(), request("Say hi"))
    assert body == {"model": "test-model", "messages": [{"role": "user", "content": "Say hi"}]}
    body = await sent(anthropic(), ANTHROPIC, anthropic_ok(), request("Say hi"))
    assert body["messages"] == [{"role": "user", "content": "Say hi"}]
    body = await sent(gemini(), GEMINI, gemini_ok(), request("Say hi"))
    assert body == {"contents": [{"role": "user", "parts": [{"text": "Say hi"}]}]}


@pytest.mark.parametrize(
    ("part", "why"),
    [
        (VIDEO_URL, "OpenAI-compatible APIs take no video"),
        (
            MediaPart("audio", "audio/mp3", url="https://example.com/a.mp3"),
            "take audio only inline",
        ),
        (MediaPart("audio", "audio/ogg", data=WAV64, size=16), "wav or mp3 audio, not audio/ogg"),
        (PDF_URL, "take documents only inline"),
    ],
)
async def test_openai_refuses_what_it_cannot_take_before_any_request(
    part: MediaPart, why: str
) -> None:
    provider = openai()
    with respx.mock:
        route = respx.post(OPENAI).mock(return_value=httpx.Response(200, json=openai_ok()))
        with pytest.raises(ProviderError) as info:
            await provider.complete(asking(part))
    await provider.aclose()
    assert route.call_count == 0
    message = str(info.value)
    assert message.startswith("act 'draft': model profile 'vision' (openai) cannot take")
    assert why in message
    assert "docs/models.md" in message


# ----------------------------------------------------------------------------- Anthropic


async def test_anthropic_image_and_document_blocks() -> None:
    body = await sent(
        anthropic(), ANTHROPIC, anthropic_ok(), asking(IMAGE, IMAGE_URL, PDF, PDF_URL, NOTES)
    )
    assert body["messages"] == [
        {
            "role": "user",
            "content": [
                {
                    "type": "image",
                    "source": {"type": "base64", "media_type": "image/png", "data": PNG64},
                },
                {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.png"}},
                {
                    "type": "document",
                    "source": {"type": "base64", "media_type": "application/pdf", "data": PDF64},
                    "title": "plan.pdf",
                },
                {
                    "type": "document",
                    "source": {"type": "url", "url": "https://example.com/plan.pdf"},
                },
                {
                    "type": "document",
                    "source": {
                        "type": "text",
                        "media_type": "text/plain",
                        "data": "notes.md:\n# Notes\nship it",
                    },
                    "title": "notes.md",
                },
                {"type": "text", "text": "What is this?"},
            ],
        }
    ]


@pytest.mark.parametrize(
    ("part", "why"),
    [
        (AUDIO, "Anthropic's Messages API takes no audio"),
        (VIDEO_URL, "takes no video"),
        (MediaPart("image", "image/bmp", data=PNG64, size=32), "not image/bmp"),
    ],
)
async def test_anthropic_refuses_audio_video_and_odd_images(part: MediaPart, why: str) -> None:
    provider = anthropic()
    with respx.mock:
        route = respx.post(ANTHROPIC).mock(return_value=httpx.Response(200, json=anthropic_ok()))
        with pytest.raises(ProviderError) as info:
            await provider.complete(asking(part))
    await provider.aclose()
    assert route.call_count == 0
    assert "act 'draft': model profile 'claude' (anthropic) cannot take" in str(info.value)
    assert why in str(info.value)


# ----------------------------------------------------------------------------- Gemini


async def test_gemini_inline_data_and_file_data_for_every_kind() -> None:
    body = await sent(
        gemini(), GEMINI, gemini_ok(), asking(IMAGE, AUDIO, VIDEO_URL, PDF, IMAGE_URL)
    )
    assert body["contents"] == [
        {
            "role": "user",
            "parts": [
                {"inline_data": {"mime_type": "image/png", "data": PNG64}},
                {"inline_data": {"mime_type": "audio/wav", "data": WAV64}},
                {
                    "file_data": {
                        "mime_type": "video/mp4",
                        "file_uri": "https://example.com/demo.mp4",
                    }
                },
                {"inline_data": {"mime_type": "application/pdf", "data": PDF64}},
                {
                    "file_data": {
                        "mime_type": "image/png",
                        "file_uri": "https://example.com/cat.png",
                    }
                },
                {"text": "What is this?"},
            ],
        }
    ]


async def test_history_messages_keep_their_media() -> None:
    """An earlier act's image (kept in the conversation) is sent again with its message."""
    req = request(
        messages=(
            Message("user", "Look", (IMAGE,)),
            Message("assistant", "A square."),
            Message("user", "Again?"),
        )
    )
    body = await sent(gemini(), GEMINI, gemini_ok(), req)
    assert [c["parts"] for c in body["contents"]] == [
        [{"inline_data": {"mime_type": "image/png", "data": PNG64}}, {"text": "Look"}],
        [{"text": "A square."}],
        [{"text": "Again?"}],
    ]


def test_a_media_part_repr_never_holds_its_bytes() -> None:
    assert PNG64 not in repr(IMAGE)
    assert "image/png" in repr(IMAGE)
