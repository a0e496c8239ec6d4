"""The executor: acts in order, skip_if, output_var, captures, journal, failures, model acts."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from narrator.errors import PermissionDenied
from narrator.executor import Executor, RunOutcome, Services
from narrator.guilds import GuildDefaults
from narrator.parser import parse
from narrator.protocols import ModelRequest
from narrator.state.memory import MemoryRunJournal, MemoryStateRepository
from narrator.testing import FakeClock, RecordingPlatform, ScriptedModel, StaticPlatforms
from tests.seed import SEED


class World:
    """One state store and journal shared by several runs, like one database file."""

    def __init__(self) -> None:
        self.state = MemoryStateRepository()
        self.journal = MemoryRunJournal()
        self.platform = RecordingPlatform(guild_id="7")
        self.guilds = GuildDefaults(config="7")  # narrator.toml: [discord] guild_id = "7"

    def run(
        self,
        text: str,
        *,
        model: ScriptedModel | None = None,
        env: dict[str, str] | None = None,
        allow_destructive: bool = False,
    ) -> RunOutcome:
        services = Services(
            state=self.state,
            journal=self.journal,
            platforms=StaticPlatforms([self.platform]),
            models=model,
            clock=FakeClock(),
            env={"GUILD_ID": "7", **(env or {})},
            allow_destructive=allow_destructive,
            guilds=self.guilds,
        )
        return asyncio.run(Executor(services).run(parse(text)))

    def plan(self, text: str) -> RunOutcome:
        services = Services(
            state=self.state,
            journal=self.journal,
            platforms=StaticPlatforms([self.platform]),
            env={"GUILD_ID": "7"},
            guilds=self.guilds,
        )
        return asyncio.run(Executor(services).plan(parse(text)))


def statuses(outcome: RunOutcome) -> list[tuple[str, str]]:
    return [(a.name, a.status) for a in outcome.acts]


def test_seed_scenario_second_run_skips_setup_and_still_sends_to_the_stored_id() -> None:
    world = World()
    first = world.run(SEED)
    assert statuses(first) == [("setup_channel", "done"), ("publish", "done")]
    channel_id = world.state.get("discord.7.channel.welcome")
    assert world.state.get("welcome_channel")["id"] == channel_id
    second = world.run(SEED)
    assert statuses(second) == [("setup_channel", "skipped"), ("publish", "done")]
    sends = [c for c in world.platform.calls if c.command == "messages.send"]
    assert [c.args["channel_id"] for c in sends] == [channel_id, channel_id]
    creates = [c for c in world.platform.calls if c.command == "channels.create"]
    assert len(creates) == 1


def test_a_skipped_act_output_is_its_output_var_value() -> None:
    world = World()
    world.run(SEED)
    text = SEED.replace(
        'channel_id = "{state.welcome_channel.id}"', 'channel_id = "{act.setup_channel.output.id}"'
    )
    second = world.run(text)
    assert second.acts[0].status == "skipped"
    assert second.acts[0].output == world.state.get("welcome_channel")
    assert world.platform.calls[-1].args["channel_id"] == world.state.get("welcome_channel")["id"]


def test_referring_to_a_skipped_act_without_output_var_is_an_error_that_says_so() -> None:
    world = World()
    text = """
[narrative]
name = "n"
[[act]]
name = "first"
skip_if = "true"
[[act.input]]
type = "bot_command"
command = "channels.create"
args = { name = "x" }
[[act]]
name = "second"
[[act.input]]
type = "bot_command"
command = "messages.send"
args = { channel_id = "{act.first.output.id}", content = "hi" }
"""
    outcome = world.run(text)
    assert outcome.status == "failed"
    assert "act 'second'" in (outcome.error or "")
    assert "skipped and has no output_var" in (outcome.error or "")


def test_missing_state_key_fails_the_act_before_it_does_anything() -> None:
    world = World()
    text = (
        SEED.split('[[act]]\nname = "publish"')[0]
        + """
[[act]]
name = "publish"
[[act.input]]
type = "bot_command"
command = "messages.send"
[act.input.args]
channel_id = "1"
content = "first"
[[act.input]]
type = "bot_command"
command = "messages.send"
[act.input.args]
channel_id = "{state.nowhere.id}"
content = "second"
"""
    )
    outcome = world.run(text)
    assert outcome.status == "failed"
    assert "act 'publish'" in (outcome.error or "") and "'nowhere.id'" in (outcome.error or "")
    assert not [c for c in world.platform.calls if c.command == "messages.send"]


def test_every_run_and_act_is_journalled() -> None:
    world = World()
    outcome = world.run(SEED)
    record = world.journal.get_run(outcome.run_id)
    assert record is not None and record.status == "done" and record.narrative == "seed"
    assert [(a.name, a.status) for a in record.acts] == [
        ("setup_channel", "done"),
        ("publish", "done"),
    ]
    assert record.acts[1].output["channel_id"] == world.state.get("discord.7.channel.welcome")


def test_a_failing_command_stops_the_narrative_and_is_recorded_as_failed() -> None:
    world = World()
    world.platform.fail["messages.send"] = PermissionDenied("missing permission send_messages")
    outcome = world.run(SEED)
    assert outcome.status == "failed" and outcome.acts[-1].status == "failed"
    assert "send_messages" in (outcome.error or "")
    record = world.journal.get_run(outcome.run_id)
    assert record is not None and record.status == "failed"


def test_destructive_commands_are_refused_before_any_request() -> None:
    world = World()
    text = """
[narrative]
name = "d"
[[act]]
name = "remove"
[[act.input]]
type = "bot_command"
command = "channels.delete"
args = { channel_id = "5" }
"""
    refused = world.run(text)
    assert refused.status == "failed" and "--allow-destructive" in (refused.error or "")
    assert world.platform.calls == []
    allowed = world.run(text, allow_destructive=True)
    assert allowed.status == "done" and world.platform.calls[0].command == "channels.delete"


MODEL_ACTS = """
[narrative]
name = "m"
[[act]]
name = "draft"
model = "default"
output_var = "draft_text"
[[act.input]]
type = "text"
content = "Write about {state.topic}."
[[act]]
name = "refine"
[[act.input]]
type = "text"
content = "Shorter please."
[[act]]
name = "fresh"
context = "none"
[[act.input]]
type = "text"
content = "Unrelated."
[[act]]
name = "post"
[[act.input]]
type = "bot_command"
command = "messages.send"
args = { channel_id = "1", content = "{act.draft.output}" }
"""


def test_model_acts_continue_the_conversation_unless_context_is_none() -> None:
    world = World()
    world.state.set("topic", "tea")
    model = ScriptedModel(["{state.topic} {{ 7*7 }} ${HOME}", "short", "other"])
    outcome = world.run(MODEL_ACTS, model=model, env={"HOME": "/root"})
    assert outcome.status == "done"
    first, second, third = model.requests
    assert [m.content for m in first.messages] == ["Write about tea."]
    assert [m.role for m in second.messages] == ["user", "assistant", "user"]
    assert [m.content for m in third.messages] == ["Unrelated."]
    send = world.platform.calls[-1]
    assert send.args["content"] == "{state.topic} {{ 7*7 }} ${HOME}"  # character for character
    assert send.model_text_keys == frozenset({"content"})
    assert world.state.get("draft_text") == "{state.topic} {{ 7*7 }} ${HOME}"


def test_json_output_asks_again_once_when_the_first_answer_is_prose() -> None:
    world = World()
    answers = ["Sure! Here is a title for you.", '```json\n{"title": "Hello"}\n```']
    model = ScriptedModel(answers)
    text = """
[narrative]
name = "j"
[[act]]
name = "idea"
output = "json"
schema = ["title"]
[[act.input]]
type = "text"
content = "Give a title as JSON."
[[act]]
name = "post"
[[act.input]]
type = "bot_command"
command = "messages.send"
args = { channel_id = "1", content = "{act.idea.output.title}" }
"""
    outcome = world.run(text, model=model)
    assert outcome.status == "done", outcome.error
    assert len(model.requests) == 2
    assert world.platform.calls[-1].args["content"] == "Hello"


def test_model_act_without_a_model_says_what_to_configure() -> None:
    world = World()
    outcome = world.run(MODEL_ACTS)
    assert outcome.status == "failed"
    assert "[models.default]" in (outcome.error or "")


def test_plan_reports_run_and_skip_without_side_effects() -> None:
    world = World()
    world.run(SEED)
    calls_before = len(world.platform.writes)
    state_before = [(e.key, e.value) for e in world.state.list_prefix("")]
    planned = world.plan(SEED)
    assert statuses(planned) == [("setup_channel", "skipped"), ("publish", "done")]
    assert len(world.platform.writes) == calls_before
    assert [(e.key, e.value) for e in world.state.list_prefix("")] == state_before
    assert world.journal.list_runs() and len(world.journal.list_runs()) == 1


def test_carousel_repeats_and_exposes_the_iteration() -> None:
    world = World()
    text = """
[narrative]
name = "c"
[carousel]
iterations = 3
[[act]]
name = "post"
[[act.input]]
type = "bot_command"
command = "messages.send"
args = { channel_id = "1", content = "post {carousel.iteration}" }
"""
    outcome = world.run(text)
    assert outcome.carousel is not None
    assert outcome.carousel.iterations_completed == 3
    assert outcome.carousel.stopped_reason == "completed"
    assert [c.args["content"] for c in world.platform.calls] == ["post 1", "post 2", "post 3"]


def test_resumed_run_does_not_repeat_finished_acts() -> None:
    world = World()
    world.platform.fail["messages.send"] = PermissionDenied("no send")
    failed = world.run(SEED)
    assert failed.status == "failed"
    del world.platform.fail["messages.send"]
    record = world.journal.get_run(failed.run_id)
    assert record is not None
    done: dict[tuple[int, str], Any] = {
        (a.iteration or 0, a.name): a.output for a in record.acts if a.status == "done"
    }
    services = Services(
        state=world.state,
        journal=world.journal,
        platforms=StaticPlatforms([world.platform]),
        env={"GUILD_ID": "7"},
    )
    resumed = asyncio.run(
        Executor(services).run(
            parse(SEED), run_id=failed.run_id, resume=done, seq_start=len(record.acts)
        )
    )
    assert resumed.status == "done"
    assert len([c for c in world.platform.calls if c.command == "channels.create"]) == 1
    final = world.journal.get_run(failed.run_id)
    assert final is not None and final.status == "done"


def test_system_prompt_and_profile_reach_the_model() -> None:
    world = World()
    seen: list[ModelRequest] = []

    def answer(request: ModelRequest) -> str:
        seen.append(request)
        return "ok"

    text = """
[narrative]
name = "s"
system = "You are terse."
model = "writer"
[[act]]
name = "a"
temperature = 0.2
max_tokens = 50
[[act.input]]
type = "text"
content = "hi"
"""
    assert world.run(text, model=ScriptedModel(answer)).status == "done"
    assert seen[0].system == "You are terse." and seen[0].profile == "writer"
    assert seen[0].temperature == 0.2 and seen[0].max_tokens == 50


@pytest.mark.parametrize("flag", ["narrative", "act"])
def test_allow_destructive_in_the_narrative_or_act_permits_deletes(flag: str) -> None:
    world = World()
    header = "allow_destructive = true\n" if flag == "narrative" else ""
    act_flag = "allow_destructive = true\n" if flag == "act" else ""
    text = f"""
[narrative]
name = "d"
{header}
[[act]]
name = "remove"
{act_flag}
[[act.input]]
type = "bot_command"
command = "channels.delete"
args = {{ channel_id = "5" }}
"""
    assert world.run(text).status == "done"


def test_names_with_spaces_and_dots_are_captured_under_a_key_safe_segment() -> None:
    """'Server Booster v1.0' is captured as discord.G.role.Server_Booster_v1_0."""
    world = World()
    text = """
[narrative]
name = "r"
[[act]]
name = "role"
[[act.input]]
type = "bot_command"
command = "roles.create"
args = { name = "Server Booster v1.0" }
"""
    assert world.run(text).status == "done"
    assert world.state.get("discord.7.role.Server_Booster_v1_0") is not None


class InFlightModel:
    """Counts how many calls are in flight at once."""

    def __init__(self) -> None:
        self.now = 0
        self.peak = 0
        self.prompts: list[str] = []

    async def complete(self, request: ModelRequest) -> Any:
        from narrator.protocols import ModelResponse

        self.now += 1
        self.peak = max(self.peak, self.now)
        await asyncio.sleep(0.01)
        self.now -= 1
        self.prompts.append(request.messages[-1].content)
        return ModelResponse(f"answer to {request.act}", 1, 1)

    async def aclose(self) -> None:
        pass


def _independent(concurrency: int) -> str:
    acts = "".join(
        f"""
[[act]]
name = "q{i}"
context = "none"
[[act.input]]
type = "text"
content = "question {i}"
"""
        for i in range(6)
    )
    return f"""
[narrative]
name = "fan"
concurrency = {concurrency}
{acts}
[[act]]
name = "summary"
[[act.input]]
type = "text"
content = "{{act.q0.output}} and {{act.q5.output}}"
"""


@pytest.mark.parametrize(("concurrency", "peak"), [(1, 1), (3, 3), (10, 6)])
def test_concurrency_runs_independent_model_acts_at_once_up_to_the_limit(
    concurrency: int, peak: int
) -> None:
    world = World()
    model = InFlightModel()
    outcome = world.run(_independent(concurrency), model=model)  # type: ignore[arg-type]
    assert outcome.status == "done"
    assert model.peak == peak
    assert model.prompts[-1] == "answer to q0 and answer to q5"  # the dependent act waits
    record = world.journal.get_run(outcome.run_id)
    assert record is not None and len(record.acts) == 7
