"""End to end against a real OpenAI-compatible HTTP server on 127.0.0.1 (no respx)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from narrator.clock import SystemClock
from narrator.config import parse_config
from narrator.errors import ProviderError
from narrator.protocols import Clock
from narrator.providers import ModelRouter
from narrator.testing import FakeClock

from .helpers import SECRET, request
from .openai_server import OpenAIServer, Reply, running_server


@pytest.fixture
def server() -> Iterator[OpenAIServer]:
    with running_server() as s:
        yield s


def local_router(
    server: OpenAIServer, clock: Clock | None = None, **profile: object
) -> ModelRouter:
    data: dict[str, object] = {"provider": "openai", "base_url": server.base_url, "model": "local"}
    data.update(profile)
    config = parse_config({"models": {"default": data}})
    return ModelRouter(config, clock=clock or SystemClock(), environ={})


async def test_retry_after_1_twice_then_200_succeeds_after_two_seconds(
    server: OpenAIServer,
) -> None:
    """Acceptance: 429 + Retry-After: 1 twice, then 200 → success, three requests, >= 2 s
    (on the injected clock: the retry loop sleeps 1 s twice and never in real time)."""
    server.script(
        Reply(429, headers={"Retry-After": "1"}),
        Reply(429, headers={"Retry-After": "1"}),
        Reply(text="finally"),
    )
    clock = FakeClock()
    router = local_router(server, clock)
    started = clock.now()
    response = await router.complete(request("hello"))
    elapsed = (clock.now() - started).total_seconds()
    await router.aclose()
    assert response.text == "finally"
    assert len(server.completions()) == 3
    assert clock.slept == [1.0, 1.0]
    assert elapsed >= 2.0


async def test_local_server_usage_and_request_log(server: OpenAIServer) -> None:
    """Usage comes from the server's answer; the request log shows what was sent, keyless."""
    server.script(Reply(text="hi there", prompt_tokens=12, completion_tokens=3))
    router = local_router(server)
    response = await router.complete(request("Say hi", max_tokens=20))
    await router.aclose()
    assert (response.text, response.prompt_tokens, response.completion_tokens) == (
        "hi there",
        12,
        3,
    )
    seen = server.completions()[0]
    assert seen.path == "/v1/chat/completions"
    assert seen.body["messages"] == [{"role": "user", "content": "Say hi"}]
    assert seen.body["max_tokens"] == 20
    assert "authorization" not in seen.headers


async def test_slow_server_times_out_per_request(server: OpenAIServer) -> None:
    """A server slower than the profile timeout fails with the timeout named."""
    server.script(Reply(delay=1.0))
    router = local_router(server, timeout=0.2, max_retries=0)
    with pytest.raises(ProviderError, match=r"no answer within 0.2 s"):
        await router.complete(request())
    await router.aclose()


async def test_wrong_key_fails_once_naming_the_variable(server: OpenAIServer) -> None:
    """401 from a real server: one request, message names $VAR and not the key."""
    server.require_key = "right-key"
    router = ModelRouter(
        parse_config(
            {
                "models": {
                    "default": {
                        "base_url": server.base_url,
                        "model": "local",
                        "api_key_env": "LOCAL_KEY",
                    }
                }
            }
        ),
        clock=SystemClock(),
        environ={"LOCAL_KEY": SECRET},
    )
    with pytest.raises(ProviderError) as info:
        await router.complete(request())
    await router.aclose()
    assert len(server.completions()) == 1
    assert "$LOCAL_KEY" in str(info.value)
    assert SECRET not in str(info.value)
    assert server.completions()[0].headers["authorization"] == f"Bearer {SECRET}"


async def test_malformed_body_from_server(server: OpenAIServer) -> None:
    """A 200 that is not JSON is a ProviderError asking whether base_url is right."""
    server.script(Reply(body="<html>gateway</html>"))
    router = local_router(server)
    with pytest.raises(ProviderError, match="is base_url right"):
        await router.complete(request())
    await router.aclose()
