"""The model router: profile resolution, sandbox, daily budgets, short windows."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
import respx

from narrator.clock import SystemClock
from narrator.config import Config, parse_config
from narrator.errors import BudgetExhausted, NotConfigured, ProviderError
from narrator.protocols import Message, ModelRequest
from narrator.providers import ModelRouter
from narrator.providers.router import DEFAULT_PROFILE
from narrator.structured import instruction, validate
from narrator.testing import FakeClock

from .helpers import SECRET, START, request

URL = "https://api.openai.com/v1/chat/completions"


def config(**profiles: dict[str, Any]) -> Config:
    return parse_config({"models": profiles})


def ok(text: str = "hi", prompt: int = 10, completion: int = 5) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "choices": [{"message": {"content": text}}],
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion},
        },
    )


def router(cfg: Config, **kwargs: Any) -> ModelRouter:
    kwargs.setdefault("clock", FakeClock(START))
    kwargs.setdefault("environ", {"OPENAI_API_KEY": SECRET})
    return ModelRouter(cfg, **kwargs)


async def test_profile_name_picks_the_profile_and_its_model() -> None:
    """request.profile = a [models.NAME] sends that profile's model id."""
    r = router(config(default={"model": "gpt-a"}, fast={"model": "gpt-b"}))
    with respx.mock:
        route = respx.post(URL).mock(return_value=ok())
        await r.complete(request(profile="fast"))
    await r.aclose()
    assert json.loads(route.calls.last.request.content)["model"] == "gpt-b"


async def test_unknown_name_is_a_model_id_through_the_default_profile() -> None:
    """A name with no profile goes through [models.default] as the model id, budgeted as default."""
    r = router(config(default={"model": "gpt-a", "rpd": 1}))
    with respx.mock:
        route = respx.post(URL).mock(return_value=ok())
        await r.complete(request(profile="gpt-4o"))
        with pytest.raises(BudgetExhausted):
            await r.complete(request(profile="other-model"))
    await r.aclose()
    assert json.loads(route.calls.last.request.content)["model"] == "gpt-4o"
    assert r.resolve("gpt-4o").budget_key == DEFAULT_PROFILE


def test_no_profile_says_what_to_add_or_to_use_sandbox() -> None:
    """Without [models.default] a model act fails NotConfigured, showing the TOML to add."""
    r = router(Config())
    with pytest.raises(NotConfigured) as info:
        r.resolve("default", act="draft")
    text = str(info.value)
    assert "act 'draft'" in text
    assert "[models.default]" in text
    assert "--sandbox" in text
    with pytest.raises(NotConfigured, match=r"\[models.writer\]"):
        r.resolve("writer")


async def test_sandbox_router_answers_every_profile_offline() -> None:
    """router(sandbox=True): labelled deterministic text, even with no configuration."""
    r = router(Config(), sandbox=True)
    req = request("Write a welcome\nsecond line", act="draft")
    first = await r.complete(req)
    second = await r.complete(req)
    await r.aclose()
    assert first.text == second.text == "[sandbox] draft: Write a welcome"
    assert first.model == "sandbox"


async def test_sandbox_profile_provider_is_used_without_network() -> None:
    """provider = "sandbox" in a profile answers from the sandbox model (no HTTP at all)."""
    r = router(config(default={"provider": "sandbox"}))
    with respx.mock(assert_all_mocked=True):
        response = await r.complete(request("Hello"))
    await r.aclose()
    assert response.text.startswith("[sandbox]")


async def test_sandbox_json_act_satisfies_the_field_list() -> None:
    """A JSON act rehearsed in the sandbox gets an object with the schema's fields."""
    r = router(Config(), sandbox=True)
    prompt = "Draft a post.\n\n" + instruction(["title", "body"])
    response = await r.complete(request(prompt, json_mode=True))
    await r.aclose()
    value = json.loads(response.text)
    assert validate(value, ["title", "body"]) == []


async def test_daily_budget_stops_with_the_budget_message_and_settles_usage() -> None:
    """rpd = 2: two calls, the third stops 'budget exhausted until 00:00 UTC'; usage is actual."""
    r = router(config(default={"model": "m", "rpd": 2}))
    with respx.mock:
        route = respx.post(URL).mock(return_value=ok(prompt=10, completion=5))
        await r.complete(request())
        await r.complete(request())
        with pytest.raises(BudgetExhausted) as info:
            await r.complete(request(act="third"))
    assert route.call_count == 2
    assert "act 'third': budget exhausted until 00:00 UTC" in str(info.value)
    assert r.remaining("default") == (0, None)
    row = r.ledger.usage("default", "2025-01-15")
    assert (row.requests, row.prompt_tokens, row.completion_tokens, row.reserved_tokens) == (
        2,
        20,
        10,
        0,
    )
    await r.aclose()


async def test_failed_call_is_refunded() -> None:
    """A provider error refunds the reservation: the request and tokens are not counted."""
    r = router(config(default={"model": "m", "rpd": 1}))
    with respx.mock:
        respx.post(URL).mock(side_effect=[httpx.Response(400), ok()])
        with pytest.raises(ProviderError):
            await r.complete(request())
        await r.complete(request())
    assert r.ledger.usage("default", "2025-01-15").requests == 1
    await r.aclose()


async def test_budget_multiplier_scales_daily_limits() -> None:
    """rpd = 4 with budget_multiplier 0.5 allows 2 calls."""
    r = router(config(default={"model": "m", "rpd": 4}), budget_multiplier=0.5)
    with respx.mock:
        respx.post(URL).mock(return_value=ok())
        await r.complete(request())
        await r.complete(request())
        with pytest.raises(BudgetExhausted):
            await r.complete(request())
    await r.aclose()


async def test_sandbox_records_usage_but_never_spends_daily_budgets() -> None:
    """Rehearsals with rpd = 1 can run again and again; usage is still recorded."""
    r = router(config(default={"model": "m", "rpd": 1}), sandbox=True)
    for _ in range(3):
        await r.complete(request())
    assert r.ledger.usage("default", "2025-01-15").requests == 3
    assert r.remaining("default") == (None, None)
    await r.aclose()


async def test_concurrent_calls_never_overspend() -> None:
    """Ten calls at once against rpd = 3: exactly three succeed."""
    r = router(config(default={"model": "m", "rpd": 3}))
    with respx.mock:
        respx.post(URL).mock(return_value=ok())
        results = await asyncio.gather(
            *(r.complete(request(f"n{i}")) for i in range(10)), return_exceptions=True
        )
    await r.aclose()
    assert sum(not isinstance(x, BaseException) for x in results) == 3
    assert all(isinstance(x, BudgetExhausted) for x in results if isinstance(x, BaseException))


async def test_tpd_counts_reservations_then_actual_tokens() -> None:
    """tpd: a call reserving more than what is left stops; settled usage frees the rest."""
    r = router(config(default={"model": "m", "tpd": 700}))
    with respx.mock:
        respx.post(URL).mock(return_value=ok(prompt=50, completion=50))
        await r.complete(request(max_tokens=500))  # reserves ~507, settles to 100
        assert r.remaining("default") == (None, 600)
        await r.complete(request(max_tokens=500))
        with pytest.raises(BudgetExhausted, match="tpd = 700"):
            await r.complete(request(max_tokens=500))
    await r.aclose()


async def test_full_minute_window_beyond_max_wait_stops_without_sleeping() -> None:
    """rpm = 1, max_wait = 0: the second call stops 'budget exhausted until HH:MM UTC'."""
    clock = FakeClock(START)
    r = router(config(default={"provider": "sandbox", "rpm": 1, "max_wait": 0}), clock=clock)
    await r.complete(request())
    with pytest.raises(BudgetExhausted, match=r"budget exhausted until 12:01 UTC"):
        await r.complete(request())
    assert clock.slept == []
    assert r.ledger.usage("default", "2025-01-15").requests == 1  # the stopped call is refunded
    await r.aclose()


async def test_full_window_within_max_wait_waits_and_tells_on_wait() -> None:
    """rpm = 1 on a 1-second window: the second call waits (on_wait is told), then succeeds."""
    waits: list[str] = []
    r = ModelRouter(
        config(default={"provider": "sandbox", "rpm": 1, "max_wait": 10}),
        clock=SystemClock(),
        on_wait=waits.append,
        window=1,
    )
    await r.complete(request())
    await r.complete(request())
    await r.aclose()
    assert waits and "rpm window full, waiting" in waits[0]


async def test_call_larger_than_tpm_stops_at_once() -> None:
    """A call whose estimate exceeds tpm can never fit: it stops instead of waiting forever."""
    r = router(config(default={"provider": "sandbox", "tpm": 100}))
    with pytest.raises(BudgetExhausted, match="tpm window"):
        await r.complete(request(max_tokens=500))
    await r.aclose()


def test_router_repr_never_shows_keys() -> None:
    """Neither the router nor its providers print the API key."""
    r = router(config(default={"model": "m"}))
    provider = r._provider(r.resolve("default"))
    assert SECRET not in repr(r) + repr(provider)


async def test_conversation_and_system_reach_the_provider() -> None:
    """The router forwards the whole conversation and system prompt unchanged."""
    r = router(config(default={"model": "m"}))
    msgs = (Message("user", "a"), Message("assistant", "b"), Message("user", "c"))
    with respx.mock:
        route = respx.post(URL).mock(return_value=ok())
        await r.complete(
            ModelRequest("default", "", msgs, system="sys", temperature=0.1, max_tokens=9)
        )
    await r.aclose()
    body = json.loads(route.calls.last.request.content)
    assert [m["content"] for m in body["messages"]] == ["sys", "a", "b", "c"]


async def test_sandbox_json_retry_supplies_the_fields_the_error_names() -> None:
    """Without a schema in the prompt, the retry quoting "missing field 'x'" gets x filled in."""
    r = router(Config(), sandbox=True)
    retry = request(
        "Write a post",
        json_mode=True,
        messages=(
            Message("user", "Write a post"),
            Message("assistant", "{}"),
            Message("user", "Your answer could not be used: $: missing required field 'title'"),
        ),
    )
    response = await r.complete(retry)
    await r.aclose()
    assert json.loads(response.text)["title"] == "[sandbox] title"
