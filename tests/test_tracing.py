"""OpenTelemetry spans (narrator.tracing): the tree of a run, and nothing when tracing is off.

A run of three acts against the Discord emulator, through discord.py's real
client, exported in memory: one ``narrator.run`` span, three ``narrator.act``
children, each with its ``narrator.discord.request`` spans under it.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator

import pytest

# opentelemetry-sdk is in the dev extra: a missing SDK fails this module, it never skips it
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from narrator import tracing
from narrator.config import Config
from narrator.executor import Executor, Services
from narrator.guilds import GuildDefaults
from narrator.parser import parse
from narrator.platforms.discord import DiscordPlatform
from narrator.platforms.emulator import Emulator, fresh_world
from narrator.providers import ModelRouter
from narrator.state.memory import MemoryRunJournal, MemoryStateRepository
from narrator.testing import FakeClock, StaticPlatforms

GUILD = "100000000000000001"
TOKEN = "tracing-test-token"

THREE_ACTS = """
[narrative]
name = "traced"

[[act]]
name = "make_channel"
[[act.input]]
type = "bot_command"
command = "channels.ensure"
args = { name = "welcome", topic = "Hi" }

[[act]]
name = "greet"
[[act.input]]
type = "bot_command"
command = "messages.send"
args = { channel_id = "{act.make_channel.output.id}", content = "hello" }

[[act]]
name = "again"
[[act.input]]
type = "bot_command"
command = "messages.send"
args = { channel_id = "{act.make_channel.output.id}", content = "hello again" }
"""

_EXPORTER = InMemorySpanExporter()


@pytest.fixture(scope="module", autouse=True)
def _provider() -> None:
    """One global provider for the process (OpenTelemetry allows setting it once)."""
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        current.add_span_processor(SimpleSpanProcessor(_EXPORTER))
        return
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))
    trace.set_tracer_provider(provider)


@pytest.fixture
def exporter(monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemorySpanExporter]:
    monkeypatch.setattr(tracing, "_tracer", None)  # the lazy import is tried afresh
    _EXPORTER.clear()
    yield _EXPORTER
    _EXPORTER.clear()


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator(fresh_world(GUILD)) as emulator:
        yield emulator


async def _run(emu: Emulator) -> str:
    platform = DiscordPlatform(TOKEN, api_base=emu.url)
    services = Services(
        state=MemoryStateRepository(),
        journal=MemoryRunJournal(),
        platforms=StaticPlatforms([platform]),
        clock=FakeClock(),
        guilds=GuildDefaults(config=GUILD),
    )
    try:
        outcome = await Executor(services).run(parse(THREE_ACTS))
    finally:
        await platform.aclose()
    assert outcome.status == "done", outcome.error
    return outcome.run_id


def _named(spans: tuple[ReadableSpan, ...], name: str) -> list[ReadableSpan]:
    return [s for s in spans if s.name == name]


async def test_a_run_of_three_acts_is_one_run_span_with_three_acts_and_their_requests(
    emu: Emulator, exporter: InMemorySpanExporter
) -> None:
    run_id = await _run(emu)
    spans = exporter.get_finished_spans()

    (run,) = _named(spans, "narrator.run")
    assert dict(run.attributes or {}) == {
        "narrative": "traced",
        "run_id": run_id,
        "status": "done",
    }
    assert run.parent is None

    acts = _named(spans, "narrator.act")
    assert [a.attributes["act"] for a in acts if a.attributes] == [
        "make_channel",
        "greet",
        "again",
    ]
    for act, command in zip(
        acts, ["channels.ensure", "messages.send", "messages.send"], strict=True
    ):
        assert act.parent is not None and act.parent.span_id == run.context.span_id
        assert act.attributes is not None
        assert act.attributes["command"] == command
        assert act.attributes["status"] == "done"
        assert "iteration" not in act.attributes  # not a carousel
        assert "model" not in act.attributes

    requests = _named(spans, "narrator.discord.request")
    by_act = {a.context.span_id: a.attributes["act"] for a in acts if a.attributes}
    under: dict[str, list[tuple[str, str, str]]] = {}
    for r in requests:
        assert r.parent is not None
        assert r.parent.span_id in by_act, "every request span is a child of an act span"
        attrs = r.attributes or {}
        entry = (str(attrs["method"]), str(attrs["route"]), str(attrs["status"]))
        under.setdefault(str(by_act[r.parent.span_id]), []).append(entry)
    assert set(under) == {"make_channel", "greet", "again"}
    assert ("POST", "/guilds/{guild_id}/channels", "ok") in under["make_channel"]
    assert under["greet"][-1] == ("POST", "/channels/{channel_id}/messages", "ok")
    assert under["again"][-1] == ("POST", "/channels/{channel_id}/messages", "ok")
    assert all(s.context.trace_id == run.context.trace_id for s in spans)


async def test_a_failed_request_carries_its_http_status(
    emu: Emulator, exporter: InMemorySpanExporter
) -> None:
    platform = DiscordPlatform(TOKEN, api_base=emu.url)
    services = Services(
        state=MemoryStateRepository(),
        journal=MemoryRunJournal(),
        platforms=StaticPlatforms([platform]),
        clock=FakeClock(),
        guilds=GuildDefaults(config=GUILD),
    )
    text = (
        THREE_ACTS.split('[[act]]\nname = "greet"')[0]
        .replace("channels.ensure", "messages.send")
        .replace('{ name = "welcome", topic = "Hi" }', '{ channel_id = "999", content = "x" }')
    )
    try:
        outcome = await Executor(services).run(parse(text))
    finally:
        await platform.aclose()
    assert outcome.status == "failed"
    spans = exporter.get_finished_spans()
    (act,) = _named(spans, "narrator.act")
    assert act.attributes is not None and act.attributes["status"] == "failed"
    requests = _named(spans, "narrator.discord.request")
    statuses = [(r.attributes or {}).get("status") for r in requests]
    assert "404" in statuses
    (run,) = _named(spans, "narrator.run")
    assert run.attributes is not None and run.attributes["status"] == "failed"


async def test_without_opentelemetry_nothing_is_recorded_and_a_span_is_the_shared_no_op(
    emu: Emulator, exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry", None)  # as if not installed
    await _run(emu)
    assert exporter.get_finished_spans() == ()
    assert tracing.enabled() is False
    with tracing.span("x", a=1) as first, tracing.span("y") as second:
        first.set("b", 2)
    assert first is second  # one object, no allocation per span


async def test_otel_sdk_disabled_turns_tracing_off(
    emu: Emulator, exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    await _run(emu)
    assert exporter.get_finished_spans() == ()


def test_span_works_in_sync_code_and_drops_none_attributes(
    exporter: InMemorySpanExporter,
) -> None:
    with tracing.span("outer", keep="yes", dropped=None) as outer:
        outer.set("later", 3)
        outer.set("none", None)
        with tracing.span("inner"):
            pass
    inner, outer_span = exporter.get_finished_spans()
    assert dict(outer_span.attributes or {}) == {"keep": "yes", "later": 3}
    assert inner.parent is not None and inner.parent.span_id == outer_span.context.span_id


async def test_a_model_act_has_a_model_span_with_profile_model_and_tokens(
    exporter: InMemorySpanExporter,
) -> None:
    router = ModelRouter(Config(), sandbox=True, clock=FakeClock())
    services = Services(
        state=MemoryStateRepository(),
        journal=MemoryRunJournal(),
        platforms=StaticPlatforms([]),
        models=router,
        clock=FakeClock(),
    )
    text = """
[narrative]
name = "drafts"
[[act]]
name = "draft"
model = "default"
[[act.input]]
type = "text"
content = "Write a welcome."
"""
    try:
        outcome = await Executor(services).run(parse(text))
    finally:
        await router.aclose()
    assert outcome.status == "done", outcome.error
    spans = exporter.get_finished_spans()
    (act,) = _named(spans, "narrator.act")
    assert act.attributes is not None
    assert act.attributes["model"] == "default"
    assert "command" not in act.attributes
    (model,) = _named(spans, "narrator.model")
    assert model.parent is not None and model.parent.span_id == act.context.span_id
    attrs = dict(model.attributes or {})
    assert attrs["profile"] == "default"
    assert attrs["model"] == "sandbox"
    assert isinstance(attrs["tokens"], int) and attrs["tokens"] > 0
