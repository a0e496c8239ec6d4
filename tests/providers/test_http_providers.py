"""The three HTTP providers against respx: shape, auth, usage, retries, errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import respx

from narrator.errors import ConfigError, ProviderError
from narrator.protocols import Message
from narrator.providers import AnthropicProvider, GeminiProvider, HttpProvider, OpenAIProvider
from narrator.testing import FakeClock

from .helpers import SECRET, START, profile, request


@dataclass(frozen=True)
class Case:
    name: str
    cls: type[HttpProvider]
    env: str
    url: str
    ok_body: Callable[[str], dict[str, Any]]
    auth: Callable[[httpx.Request], str | None]


def openai_ok(text: str) -> dict[str, Any]:
    return {
        "model": "test-model",
        "choices": [{"message": {"role": "assistant", "content": text}}],
        "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
    }


def anthropic_ok(text: str) -> dict[str, Any]:
    return {
        "model": "test-model",
        "content": [{"type": "text", "text": text}],
        "usage": {"input_tokens": 11, "output_tokens": 7},
    }


def gemini_ok(text: str) -> dict[str, Any]:
    return {
        "candidates": [{"content": {"role": "model", "parts": [{"text": text}]}}],
        "usageMetadata": {"promptTokenCount": 11, "candidatesTokenCount": 7},
    }


CASES = [
    Case(
        "openai",
        OpenAIProvider,
        "OPENAI_API_KEY",
        "https://api.openai.com/v1/chat/completions",
        openai_ok,
        lambda r: r.headers.get("authorization"),
    ),
    Case(
        "anthropic",
        AnthropicProvider,
        "ANTHROPIC_API_KEY",
        "https://api.anthropic.com/v1/messages",
        anthropic_ok,
        lambda r: r.headers.get("x-api-key"),
    ),
    Case(
        "gemini",
        GeminiProvider,
        "GEMINI_API_KEY",
        "https://generativelanguage.googleapis.com/v1beta/models/test-model:generateContent",
        gemini_ok,
        lambda r: r.headers.get("x-goog-api-key"),
    ),
]
IDS = [c.name for c in CASES]


def make(case: Case, clock: FakeClock, **overrides: object) -> HttpProvider:
    return case.cls(
        "default", profile(case.name, **overrides), clock=clock, environ={case.env: SECRET}
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.mark.parametrize("case", CASES, ids=IDS)
async def test_success_parses_text_and_token_usage(case: Case, clock: FakeClock) -> None:
    """A 200 answer yields the text and the prompt/completion token counts."""
    provider = make(case, clock)
    with respx.mock:
        route = respx.post(case.url).mock(
            return_value=httpx.Response(200, json=case.ok_body("Hello"))
        )
        response = await provider.complete(request())
    await provider.aclose()
    assert route.call_count == 1
    assert response.text == "Hello"
    assert (response.prompt_tokens, response.completion_tokens) == (11, 7)
    assert response.total_tokens == 18
    assert case.auth(route.calls.last.request) in (SECRET, f"Bearer {SECRET}")


@pytest.mark.parametrize("case", CASES, ids=IDS)
async def test_429_with_retry_after_seconds_waits_that_long_then_succeeds(
    case: Case, clock: FakeClock
) -> None:
    """429 + Retry-After: 3 sleeps exactly 3 s (on the injected clock) and retries."""
    provider = make(case, clock)
    with respx.mock:
        route = respx.post(case.url).mock(
            side_effect=[
                httpx.Response(
                    429, headers={"Retry-After": "3"}, json={"error": {"message": "slow down"}}
                ),
                httpx.Response(200, json=case.ok_body("ok")),
            ]
        )
        response = await provider.complete(request())
    await provider.aclose()
    assert response.text == "ok"
    assert route.call_count == 2
    assert clock.slept == [3.0]


@pytest.mark.parametrize("case", CASES, ids=IDS)
async def test_500_then_success_retries_with_bounded_backoff(case: Case, clock: FakeClock) -> None:
    """A 5xx is retried after an exponential backoff with jitter (0.25–0.5 s first)."""
    provider = make(case, clock)
    with respx.mock:
        route = respx.post(case.url).mock(
            side_effect=[
                httpx.Response(500, text="oops"),
                httpx.Response(200, json=case.ok_body("ok")),
            ]
        )
        response = await provider.complete(request())
    await provider.aclose()
    assert response.text == "ok"
    assert route.call_count == 2
    assert len(clock.slept) == 1
    assert 0.25 <= clock.slept[0] <= 0.5


@pytest.mark.parametrize("case", CASES, ids=IDS)
async def test_malformed_body_is_a_provider_error(case: Case, clock: FakeClock) -> None:
    """A 200 whose body is not the provider's shape (or not JSON) fails without retry."""
    provider = make(case, clock)
    with respx.mock:
        route = respx.post(case.url).mock(
            side_effect=[
                httpx.Response(200, json={"unexpected": True}),
                httpx.Response(200, text="<html>"),
            ]
        )
        with pytest.raises(ProviderError, match="unexpected answer"):
            await provider.complete(request())
        with pytest.raises(ProviderError, match="unexpected answer"):
            await provider.complete(request())
    await provider.aclose()
    assert route.call_count == 2


@pytest.mark.parametrize("case", CASES, ids=IDS)
async def test_timeouts_are_retried_then_reported(case: Case, clock: FakeClock) -> None:
    """Timeouts are retried max_retries times, then fail saying the timeout."""
    provider = make(case, clock, max_retries=2, timeout=7)
    with respx.mock:
        route = respx.post(case.url).mock(side_effect=httpx.ReadTimeout("slow"))
        with pytest.raises(ProviderError) as info:
            await provider.complete(request())
    await provider.aclose()
    assert route.call_count == 3
    assert "gave up after 3 attempts" in str(info.value)
    assert "no answer within 7 s" in str(info.value)


@pytest.mark.parametrize("case", CASES, ids=IDS)
async def test_timeout_then_success(case: Case, clock: FakeClock) -> None:
    """One timeout, then an answer: the call succeeds."""
    provider = make(case, clock)
    with respx.mock:
        route = respx.post(case.url).mock(
            side_effect=[httpx.ConnectTimeout("slow"), httpx.Response(200, json=case.ok_body("ok"))]
        )
        assert (await provider.complete(request())).text == "ok"
    await provider.aclose()
    assert route.call_count == 2


@pytest.mark.parametrize("case", CASES, ids=IDS)
async def test_401_names_profile_and_env_var_and_never_the_key(
    case: Case, clock: FakeClock
) -> None:
    """401 fails at once; the message names the profile and $ENV, and hides the key."""
    provider = make(case, clock)
    echoed = {"error": {"message": f"Incorrect API key provided: {SECRET}"}}
    with respx.mock:
        route = respx.post(case.url).mock(return_value=httpx.Response(401, json=echoed))
        with pytest.raises(ProviderError) as info:
            await provider.complete(request())
    await provider.aclose()
    text = str(info.value)
    assert route.call_count == 1
    assert "'default'" in text
    assert f"${case.env}" in text
    assert SECRET not in text
    assert SECRET not in repr(provider)
    assert "[redacted]" in text


@pytest.mark.parametrize("status", [400, 403, 404])
@pytest.mark.parametrize("case", CASES, ids=IDS)
async def test_client_errors_fail_at_once_with_a_fix(
    case: Case, clock: FakeClock, status: int
) -> None:
    """400/403/404 are not retried; the hint says what to check."""
    provider = make(case, clock)
    with respx.mock:
        route = respx.post(case.url).mock(
            return_value=httpx.Response(status, json={"error": {"message": "no"}})
        )
        with pytest.raises(ProviderError) as info:
            await provider.complete(request())
    await provider.aclose()
    assert route.call_count == 1
    assert clock.slept == []
    text = str(info.value)
    assert f"HTTP {status} — no" in text
    expected = {400: "max_tokens", 403: "access to model 'test-model'", 404: "check the model id"}
    assert expected[status] in text


@pytest.mark.parametrize("case", CASES, ids=IDS)
async def test_missing_key_is_a_config_error_naming_the_variable(
    case: Case, clock: FakeClock
) -> None:
    """Without the environment variable the provider cannot be built; the error says which."""
    with pytest.raises(ConfigError, match=case.env):
        case.cls("default", profile(case.name), clock=clock, environ={})


@pytest.mark.parametrize("case", CASES, ids=IDS)
async def test_retries_are_bounded_by_max_retries(case: Case, clock: FakeClock) -> None:
    """Always 503: max_retries + 1 attempts, then a ProviderError."""
    provider = make(case, clock, max_retries=4)
    with respx.mock:
        route = respx.post(case.url).mock(return_value=httpx.Response(503))
        with pytest.raises(ProviderError, match="gave up after 5 attempts"):
            await provider.complete(request())
    await provider.aclose()
    assert route.call_count == 5
    assert len(clock.slept) == 4


async def test_retry_after_http_date_and_cap(clock: FakeClock) -> None:
    """Retry-After as an HTTP date waits until then; a huge value is capped at 60 s."""
    provider = make(CASES[0], clock)
    when = "Wed, 15 Jan 2025 12:00:05 GMT"  # FakeClock starts at 12:00:00
    with respx.mock:
        respx.post(CASES[0].url).mock(
            side_effect=[
                httpx.Response(429, headers={"Retry-After": when}),
                httpx.Response(503, headers={"Retry-After": "86400"}),
                httpx.Response(200, json=openai_ok("ok")),
            ]
        )
        await provider.complete(request())
    await provider.aclose()
    assert clock.slept == [5.0, 60.0]


async def test_openai_request_shape(clock: FakeClock) -> None:
    """OpenAI: system first, conversation in order, temperature, max_tokens, JSON mode."""
    provider = make(CASES[0], clock)
    req = request(
        messages=(Message("user", "one"), Message("assistant", "two"), Message("user", "three")),
        system="be brief",
        temperature=0.3,
        max_tokens=50,
        json_mode=True,
    )
    with respx.mock:
        route = respx.post(CASES[0].url).mock(
            return_value=httpx.Response(200, json=openai_ok("{}"))
        )
        await provider.complete(req)
    await provider.aclose()
    body = json.loads(route.calls.last.request.content)
    assert body == {
        "model": "test-model",
        "messages": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "one"},
            {"role": "assistant", "content": "two"},
            {"role": "user", "content": "three"},
        ],
        "temperature": 0.3,
        "max_tokens": 50,
        "response_format": {"type": "json_object"},
    }
    assert route.calls.last.request.headers["authorization"] == f"Bearer {SECRET}"


async def test_openai_compatible_local_server_needs_no_key(clock: FakeClock) -> None:
    """api_key_env unset + a non-default base_url: no key needed, no Authorization header."""
    provider = OpenAIProvider(
        "local", profile("openai", base_url="http://localhost:11434/v1"), clock=clock, environ={}
    )
    with respx.mock:
        route = respx.post("http://localhost:11434/v1/chat/completions").mock(
            return_value=httpx.Response(200, json=openai_ok("hi"))
        )
        assert (await provider.complete(request())).text == "hi"
    await provider.aclose()
    assert "authorization" not in route.calls.last.request.headers


async def test_request_model_overrides_profile_model(clock: FakeClock) -> None:
    """A request naming a model id sends that id instead of the profile's."""
    provider = make(CASES[0], clock)
    with respx.mock:
        route = respx.post(CASES[0].url).mock(
            return_value=httpx.Response(200, json=openai_ok("hi"))
        )
        await provider.complete(request(model="gpt-other"))
    await provider.aclose()
    assert json.loads(route.calls.last.request.content)["model"] == "gpt-other"


async def test_anthropic_request_shape(clock: FakeClock) -> None:
    """Anthropic: system top-level, version header, max_tokens always present."""
    provider = make(CASES[1], clock)
    req = request(system="be brief", temperature=0.5)
    with respx.mock:
        route = respx.post(CASES[1].url).mock(
            return_value=httpx.Response(200, json=anthropic_ok("x"))
        )
        await provider.complete(req)
    await provider.aclose()
    sent = route.calls.last.request
    assert sent.headers["anthropic-version"] == "2023-06-01"
    assert json.loads(sent.content) == {
        "model": "test-model",
        "max_tokens": 1024,
        "messages": [{"role": "user", "content": "Say hi"}],
        "system": "be brief",
        "temperature": 0.5,
    }


async def test_anthropic_error_body_detail_is_shown(clock: FakeClock) -> None:
    """Anthropic's {"type": "error", "error": {...}} message appears in the error."""
    provider = make(CASES[1], clock)
    body = {
        "type": "error",
        "error": {"type": "invalid_request_error", "message": "max_tokens too big"},
    }
    with respx.mock:
        respx.post(CASES[1].url).mock(return_value=httpx.Response(400, json=body))
        with pytest.raises(ProviderError, match="max_tokens too big"):
            await provider.complete(request())
    await provider.aclose()


async def test_gemini_request_shape(clock: FakeClock) -> None:
    """Gemini: contents with user/model roles, systemInstruction, generationConfig, key header."""
    provider = make(CASES[2], clock)
    req = request(
        messages=(Message("user", "one"), Message("assistant", "two"), Message("user", "three")),
        system="be brief",
        temperature=0.2,
        max_tokens=40,
        json_mode=True,
    )
    with respx.mock:
        route = respx.post(CASES[2].url).mock(return_value=httpx.Response(200, json=gemini_ok("x")))
        await provider.complete(req)
    await provider.aclose()
    sent = route.calls.last.request
    assert "key=" not in str(sent.url)
    assert json.loads(sent.content) == {
        "contents": [
            {"role": "user", "parts": [{"text": "one"}]},
            {"role": "model", "parts": [{"text": "two"}]},
            {"role": "user", "parts": [{"text": "three"}]},
        ],
        "systemInstruction": {"parts": [{"text": "be brief"}]},
        "generationConfig": {
            "temperature": 0.2,
            "maxOutputTokens": 40,
            "responseMimeType": "application/json",
        },
    }


async def test_gemini_blocked_prompt_says_so(clock: FakeClock) -> None:
    """A Gemini answer with no candidates and a blockReason names the reason."""
    provider = make(CASES[2], clock)
    with respx.mock:
        respx.post(CASES[2].url).mock(
            return_value=httpx.Response(200, json={"promptFeedback": {"blockReason": "SAFETY"}})
        )
        with pytest.raises(ProviderError, match="blocked the prompt \\(SAFETY\\)"):
            await provider.complete(request())
    await provider.aclose()


async def test_connection_error_is_retried(clock: FakeClock) -> None:
    """A refused connection counts as retryable."""
    provider = make(CASES[0], clock)
    with respx.mock:
        route = respx.post(CASES[0].url).mock(
            side_effect=[httpx.ConnectError("refused"), httpx.Response(200, json=openai_ok("ok"))]
        )
        assert (await provider.complete(request())).text == "ok"
    await provider.aclose()
    assert route.call_count == 2
