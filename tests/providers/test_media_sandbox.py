"""The sandbox model says what media it received; the router says which provider a profile
uses (for the check before a run); logs and the journal never hold base64 bodies."""

from __future__ import annotations

import base64

from narrator import logs
from narrator.config import Config
from narrator.protocols import MediaPart, Message
from narrator.providers import ModelRouter, SandboxModel

from .helpers import request

PNG64 = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x01" * 1226).decode()


async def test_the_sandbox_describes_each_part_it_received() -> None:
    parts = (
        MediaPart("image", "image/png", data=PNG64, size=1234),
        MediaPart("video", "video/mp4", url="https://example.com/demo.mp4"),
    )
    answer = await SandboxModel().complete(request(messages=(Message("user", "Describe", parts),)))
    assert answer.text == (
        "[sandbox] draft: Describe [received image/png, 1234 bytes] "
        "[received video/mp4 from https://example.com/demo.mp4]"
    )
    assert PNG64 not in answer.text


async def test_the_sandbox_answer_without_media_is_unchanged() -> None:
    answer = await SandboxModel().complete(request("Say hi\nsecond line"))
    assert answer.text == "[sandbox] draft: Say hi"


def test_the_router_names_each_profiles_provider() -> None:
    config = Config.model_validate(
        {
            "models": {
                "default": {"provider": "openai", "model": "gpt-4o-mini"},
                "claude": {"provider": "anthropic", "model": "claude-x"},
            }
        }
    )
    router = ModelRouter(config)
    assert router.provider_of("default") == ("default", "openai")
    assert router.provider_of("claude") == ("claude", "anthropic")
    assert router.provider_of("gpt-4o") == ("default", "openai")  # a model id via default
    assert ModelRouter(config, sandbox=True).provider_of("claude") == ("claude", "sandbox")
    assert ModelRouter(Config.model_validate({})).provider_of("default") is None


def test_redaction_abbreviates_base64_bodies() -> None:
    data_url = f"data:image/png;base64,{PNG64}"
    assert logs.redact_text(f"sent {data_url} ok") == (
        f"sent data:image/png;base64,[{len(PNG64)} characters] ok"
    )
    assert logs.redact({"data": PNG64}) == {"data": f"[base64, {len(PNG64)} characters]"}
    prose = "A sentence with words. " * 40
    assert logs.redact_text(prose) == prose
