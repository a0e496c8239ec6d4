"""The native format (DESIGN §3) turns into the expected Plan."""

from __future__ import annotations

import sys
from pathlib import Path

from narrator.errors import Location
from narrator.parser import detect_dialect, parse, parse_file
from narrator.plan import BotCommandInput, TextInput

DESIGN_EXAMPLE = """\
[narrative]                 # also accepted: [metadata]
name = "publish_welcome"
description = "Set up #welcome and pin a generated greeting"

[carousel]                  # optional: repeat the whole narrative
iterations = 24
estimated_tokens_per_iteration = 500
continue_on_error = false

[[act]]
name = "setup_channel"
output_var = "welcome_channel"                     # state["welcome_channel"] = the act's output
skip_if = "{state.discord.${GUILD_ID}.channel.welcome}"
[[act.input]]
type = "bot_command"
platform = "discord"
command = "channels.create"
[act.input.args]
guild_id = "${GUILD_ID}"
name = "welcome"

[[act]]
name = "draft"
model = "default"                                  # a [models.NAME] profile, or a model id
temperature = 0.8
max_tokens = 300
[[act.input]]
type = "text"
content = "Write a two-line welcome for {state.server_name}."

[[act]]
name = "publish"
output_var = "welcome_message"
[[act.input]]
type = "bot_command"
platform = "discord"
command = "messages.send"
[act.input.args]
channel_id = "{state.welcome_channel.id}"
content = "{act.draft.output}"
"""


def test_design_example_parses_into_the_documented_plan() -> None:
    plan = parse(DESIGN_EXAMPLE, "welcome.toml")
    assert plan.name == "publish_welcome"
    assert plan.description.startswith("Set up #welcome")
    assert plan.dialect == "native"
    assert plan.source == "welcome.toml"
    assert plan.act_names == ("setup_channel", "draft", "publish")
    assert plan.carousel is not None
    assert plan.carousel.iterations == 24
    assert plan.carousel.estimated_tokens_per_iteration == 500
    assert plan.carousel.continue_on_error is False
    setup, draft, publish = plan.acts
    assert setup.output_var == "welcome_channel"
    assert setup.skip_if == "{state.discord.${GUILD_ID}.channel.welcome}"
    assert setup.inputs == (
        BotCommandInput(
            platform="discord",
            command="channels.create",
            args={"guild_id": "${GUILD_ID}", "name": "welcome"},
            location=Location("welcome.toml", 14, 1),
        ),
    )
    assert draft.model == "default"
    assert draft.temperature == 0.8
    assert draft.max_tokens == 300
    assert draft.is_model_act
    assert draft.inputs == (
        TextInput(
            content="Write a two-line welcome for {state.server_name}.",
            location=Location("welcome.toml", 27, 1),
        ),
    )
    assert publish.commands[0].args["content"] == "{act.draft.output}"


def test_every_act_input_and_carousel_knows_its_location() -> None:
    plan = parse(DESIGN_EXAMPLE, "welcome.toml")
    assert plan.location == Location("welcome.toml", 1, 1)
    assert plan.carousel is not None
    assert plan.carousel.location == Location("welcome.toml", 5, 1)
    assert [a.location for a in plan.acts] == [
        Location("welcome.toml", 10, 1),
        Location("welcome.toml", 22, 1),
        Location("welcome.toml", 31, 1),
    ]
    assert all(i.location is not None for a in plan.acts for i in a.inputs)


ONE_ACT = '[[act]]\nname = "a"\n[[act.input]]\ncontent = "hi"\n'


def test_metadata_is_accepted_for_narrative() -> None:
    plan = parse('[metadata]\nname = "meta"\nguild_id = "42"\nconcurrency = 2\n' + ONE_ACT)
    assert (plan.name, plan.guild_id, plan.concurrency) == ("meta", "42", 2)


def test_narrative_defaults_apply_and_name_defaults_to_the_file_stem(tmp_path: Path) -> None:
    path = tmp_path / "my_setup.toml"
    path.write_text('[[act]]\nname = "a"\n[[act.input]]\ncontent = "hi"\n')
    plan = parse_file(path)
    assert plan.name == "my_setup"
    assert plan.source == str(path)
    assert plan.allow_destructive is False
    assert plan.budget_multiplier == 1.0
    assert plan.carousel is None


def test_all_narrative_keys_are_read() -> None:
    plan = parse(
        '[narrative]\nname = "n"\nmodel = "fast"\nsystem = "Be brief."\n'
        "allow_destructive = true\nbudget_multiplier = 2\n" + ONE_ACT
    )
    assert (plan.model, plan.system, plan.allow_destructive, plan.budget_multiplier) == (
        "fast",
        "Be brief.",
        True,
        2.0,
    )


def test_narrative_carousel_and_duration_interval() -> None:
    plan = parse(
        '[narrative]\nname = "c"\n[narrative.carousel]\niterations = 3\ninterval = "5m"\n'
        'until = "{state.done}"\non_budget = "wait"\n' + ONE_ACT
    )
    assert plan.carousel is not None
    assert plan.carousel.interval == 300.0
    assert plan.carousel.until == "{state.done}"
    assert plan.carousel.on_budget == "wait"


def test_interval_may_be_seconds() -> None:
    plan = parse("[carousel]\ninterval = 30\n" + ONE_ACT)
    assert plan.carousel is not None
    assert plan.carousel.interval == 30.0


def test_act_keys_for_model_acts() -> None:
    plan = parse(
        '[[act]]\nname = "a"\ncontext = "none"\nsystem = "You write."\noutput = "json"\n'
        'schema = { type = "object" }\nmentions = ["users"]\nallow_destructive = true\n'
        "[act.carousel]\niterations = 2\n"
        '[[act.input]]\ncontent = "x"\n'
    )
    act = plan.acts[0]
    assert act.context == "none"
    assert act.system == "You write."
    assert act.output == "json"
    assert act.schema == {"type": "object"}
    assert act.mentions == ("users",)
    assert act.allow_destructive is True
    assert act.carousel is not None
    assert act.carousel.iterations == 2


def test_schema_as_a_list_of_names_becomes_an_object_schema_and_implies_json() -> None:
    plan = parse('[[act]]\nname = "a"\nschema = ["title", "body"]\n[[act.input]]\ncontent = "x"\n')
    act = plan.acts[0]
    assert act.output == "json"
    assert act.schema == {
        "type": "object",
        "properties": {"title": {}, "body": {}},
        "required": ["title", "body"],
    }


def test_input_type_defaults_from_its_keys() -> None:
    plan = parse(
        '[[act]]\nname = "a"\n[[act.input]]\ncontent = "x"\n[[act.input]]\n'
        'command = "messages.send"\nargs = { channel_id = "1", content = "x" }\n'
    )
    kinds = [type(i).__name__ for i in plan.acts[0].inputs]
    assert kinds == ["TextInput", "BotCommandInput"]
    assert plan.acts[0].commands[0].platform == "discord"


def test_bare_jinja_skip_if_and_truthy_words_are_accepted() -> None:
    plan = parse(
        '[[act]]\nname = "a"\nskip_if = "state.count >= 3"\n[[act.input]]\ncontent = "x"\n'
        '[[act]]\nname = "b"\nskip_if = "yes"\n[[act.input]]\ncontent = "x"\n'
        '[[act]]\nname = "c"\nskip_if = "{{ a and act.b.output }}"\n[[act.input]]\ncontent = "x"\n'
    )
    assert [a.skip_if for a in plan.acts] == [
        "state.count >= 3",
        "yes",
        "{{ a and act.b.output }}",
    ]


def test_references_in_nested_argument_values_are_checked() -> None:
    plan = parse(
        '[[act]]\nname = "a"\n[[act.input]]\ncontent = "x"\n'
        '[[act]]\nname = "b"\n[[act.input]]\ncommand = "roles.ensure"\n'
        '[act.input.args]\nname = "r"\npermissions = ["{act.a.output}"]\n'
    )
    assert plan.acts[1].commands[0].args["permissions"] == ["{act.a.output}"]


def test_dialect_detection() -> None:
    assert detect_dialect({"act": [{}]}) == "native"
    assert detect_dialect({"toc": {"order": []}}) == "botticelli"
    assert detect_dialect({"acts": {}}) == "botticelli"
    assert detect_dialect({"acts": [{}]}) == "native"


def test_parser_does_not_import_io_libraries() -> None:
    """`narrator validate` must start fast: no sqlalchemy, httpx, discord on parse."""
    import subprocess

    code = (
        "import sys\n"
        "from narrator.parser import parse\n"
        'parse(\'[[act]]\\nname = "a"\\n[[act.input]]\\ncontent = "{state.x} ${Y}"\\n\')\n'
        "bad = [m for m in ('sqlalchemy', 'httpx', 'discord', 'jinja2') if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
