"""Botticelli files run with Botticelli's meaning (issue 12): the executor with narrator's fakes.

Model calls, act outputs and soft failures as Botticelli's executor
(crates/botticelli_narrative/src/executor.rs) produces them, on fixtures of
tests/fixtures/botticelli/.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from narrator.errors import ResourceNotFound
from narrator.executor import Executor, RunOutcome, Services
from narrator.guilds import GuildDefaults
from narrator.parser import parse, parse_file
from narrator.plan import Plan
from narrator.state.memory import MemoryRunJournal, MemoryStateRepository
from narrator.testing import FakeClock, RecordingPlatform, ScriptedModel, StaticPlatforms

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "botticelli"


def run(plan: Plan, model: ScriptedModel, platform: RecordingPlatform | None = None) -> RunOutcome:
    services = Services(
        state=MemoryStateRepository(),
        journal=MemoryRunJournal(),
        platforms=StaticPlatforms([platform or RecordingPlatform(guild_id="7")]),
        models=model,
        clock=FakeClock(),
        env={"GUILD_ID": "7"},
        guilds=GuildDefaults(config="7"),
    )
    return asyncio.run(Executor(services).run(plan))


def outputs(outcome: RunOutcome) -> dict[str, object]:
    return {a.name: a.output for a in outcome.acts}


def test_a_nested_narrative_runs_once_although_it_declares_a_carousel() -> None:
    """Botticelli runs a narratives.X input with execute(), not execute_carousel():
    2 nested model calls (not 6), then the act's own prompt; the nested output does not
    feed the act, whose response is Botticelli's 'Action completed successfully'."""
    model = ScriptedModel()
    outcome = run(parse_file(FIXTURES / "nests_a_carousel.toml"), model)
    assert outcome.ok, outcome.error
    assert [r.act for r in model.requests] == ["ideas", "pick", "choose"]
    assert outcome.summary().model_calls == 3
    assert outputs(outcome)["generate"] == "Action completed successfully"
    choose = model.requests[-1]
    assert [m.role for m in choose.messages] == ["user"], "the nested conversation stays inside"


def test_composition_joins_the_nested_outputs_and_continues_the_conversation() -> None:
    """narrative = "draft" runs [narrative.draft] of the same file once per turn of the
    publish carousel; its responses joined by a blank line are the act's response."""
    model = ScriptedModel(answers=["Big news.", "Bigger news!", "Other.", "Another!"])
    plan = parse_file(FIXTURES / "several_narratives.toml", narrative="publish")
    platform = RecordingPlatform(guild_id="7")
    outcome = run(plan, model, platform)
    assert outcome.ok, outcome.error
    composed = [a.output for a in outcome.acts if a.name == "compose"]
    assert composed == ["Big news.\n\nBigger news!", "Other.\n\nAnother!"]
    sends = [c.args["content"] for c in platform.calls if c.command == "messages.send"]
    assert sends == composed
    assert outcome.summary().model_calls == 4, "2 turns of the publish carousel, 2 calls each"
    improve = model.requests[1]
    assert [m.content for m in improve.messages] == [
        "Write a one-line announcement.",
        "Big news.",
        "Improve it.",
    ], "inside the composed narrative, its own conversation"


def test_a_failing_optional_command_becomes_text_and_the_act_goes_on() -> None:
    platform = RecordingPlatform(guild_id="7")
    platform.fail["messages.get"] = ResourceNotFound("Unknown Message (404, code 10008)")
    model = ScriptedModel(answers=["summary"])
    outcome = run(parse_file(FIXTURES / "soft_failures.toml"), model, platform)
    assert outcome.ok, outcome.error
    failure = "[Bot command 'messages.get' failed: Unknown Message (404, code 10008)]"
    acts = {a.name: a for a in outcome.acts}
    assert acts["look"].soft_failures == [failure]
    assert acts["stamp"].soft_failures == [failure]
    assert outcome.summary().soft_failures == 2
    assert outcome.to_json()["summary"]["soft_failures"] == 2


def test_commands_and_a_prompt_make_one_model_call_with_the_results_as_inputs() -> None:
    platform = RecordingPlatform(guild_id="7")
    platform.fail["messages.get"] = ResourceNotFound("Unknown Message (404, code 10008)")
    model = ScriptedModel(answers=["summary"])
    outcome = run(parse_file(FIXTURES / "soft_failures.toml"), model, platform)
    (request,) = model.requests
    assert request.act == "look"
    prompt = request.messages[-1].content
    failure, listed, text = prompt.split("\n\n")
    assert failure == "[Bot command 'messages.get' failed: Unknown Message (404, code 10008)]"
    channels = json.loads(listed)
    assert isinstance(channels, list | dict), "a command's result, as JSON"
    assert "\n  " in listed, "two-space indent, as serde_json::to_string_pretty"
    assert text == "Summarise what the commands returned."
    assert outputs(outcome)["look"] == "summary"


def test_several_commands_output_the_last_result_so_act_id_works() -> None:
    platform = RecordingPlatform(guild_id="7")
    platform.fail["messages.get"] = ResourceNotFound("gone")
    outcome = run(parse_file(FIXTURES / "soft_failures.toml"), ScriptedModel(), platform)
    stamp = outputs(outcome)["stamp"]
    assert isinstance(stamp, dict) and stamp["content"] == "second"
    report = outputs(outcome)["report"]
    assert isinstance(report, dict)
    assert report["content"] == f"The last message was {stamp['id']}."


def test_a_required_command_still_fails_its_act() -> None:
    platform = RecordingPlatform(guild_id="7")
    platform.fail["channels.create"] = ResourceNotFound("Unknown Guild (404, code 10004)")
    outcome = run(parse_file(FIXTURES / "ignored_keys.toml"), ScriptedModel(), platform)
    assert outcome.status == "failed"
    assert [(a.name, a.status) for a in outcome.acts] == [("make_channel", "failed")]


def test_commands_that_all_fail_answer_action_completed() -> None:
    text = '[toc]\norder = ["a"]\n[bots.g]\nplatform = "discord"\ncommand = "messages.get"\n'
    text += 'channel_id = "1"\nmessage_id = "2"\n[acts]\na = "bots.g"\n'
    platform = RecordingPlatform(guild_id="7")
    platform.fail["messages.get"] = ResourceNotFound("gone")
    outcome = run(parse(text), ScriptedModel(), platform)
    assert outcome.ok
    assert outputs(outcome) == {"a": "Action completed successfully"}


def test_a_verbatim_prompt_reaches_the_model_as_written() -> None:
    model = ScriptedModel()
    outcome = run(parse_file(FIXTURES / "ignored_keys.toml"), model)
    assert outcome.ok, outcome.error
    (request,) = model.requests
    assert request.messages[-1].content == (
        "{% if faq_content %}Existing questions: {{ faq_content }}{% endif %}\n"
        "Write one new question.\n"
    )


def test_a_composed_response_joins_the_conversation_of_later_acts() -> None:
    text = '[narrative.main]\ntoc = ["compose", "after"]\n[narrative.sub]\ntoc = ["w"]\n'
    text += '[acts]\nw = "Write."\nafter = "Next."\n[acts.compose]\nnarrative_ref = "sub"\n'
    model = ScriptedModel(answers=["written", "next"])
    outcome = run(parse(text, narrative="main"), model)
    assert outcome.ok, outcome.error
    after = model.requests[-1]
    assert [(m.role, m.content) for m in after.messages] == [
        ("assistant", "written"),
        ("user", "Next."),
    ]
