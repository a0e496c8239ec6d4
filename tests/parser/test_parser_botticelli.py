"""The Botticelli dialect loads into the same Plan, its references rewritten to native ones."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from narrator.errors import Location, NarrativeInvalid
from narrator.parser import parse, parse_file
from narrator.parser.botticelli import translate
from narrator.plan import BotCommandInput, TextInput

CONFORMANCE = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "botticelli"

PUBLISH = """\
[narrative]
name = "post"
description = "Create a channel, write, post, pin"
skip_content_generation = true
model = "some-model"
temperature = 0.4

[toc]
order = ["make_channel", "write", "post", "pin"]

[bots.make_channel]
platform = "discord"
command = "channels.get_or_create"
guild_id = "${GUILD}"
name = "news"
channel_type = "text"

[bots.post]
platform = "discord"
command = "messages.send"
channel_id = "${make_channel.id}"
content = "{{write}}"

[bots.pin]
platform = "discord"
command = "messages.pin"
channel_id = "${make_channel.id}"
message_id = "${post.id}"

[acts]
make_channel = ["bots.make_channel"]
write = "Write a short news post for ${env:TOPIC}."
post = ["bots.post"]
pin = ["bots.pin"]
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_toc_order_bots_and_string_acts_become_a_plan() -> None:
    plan = parse(PUBLISH, "post.toml")
    assert plan.dialect == "botticelli"
    assert plan.name == "post"
    assert plan.model == "some-model"
    assert plan.act_names == ("make_channel", "write", "post", "pin")
    make, write_act, post, pin = plan.acts
    assert make.inputs == (
        BotCommandInput(
            command="channels.get_or_create",
            args={"guild_id": "${GUILD}", "name": "news", "kind": "text"},
            required=False,  # a [bots.*] command is optional in Botticelli
            location=Location("post.toml", 11, 1),
        ),
    )
    assert write_act.inputs == (
        TextInput(
            content="Write a short news post for ${TOPIC}.", location=Location("post.toml", 32, 9)
        ),
    )
    assert write_act.temperature == 0.4, "narrative-level temperature applies to model acts"
    assert post.commands[0].args == {
        "channel_id": "{act.make_channel.output.id}",
        "content": "{act.write.output}",
    }
    assert pin.commands[0].args["message_id"] == "{act.post.output.id}"


@pytest.mark.parametrize(
    ("botticelli", "native"),
    [
        ("{{draft}}", "{act.draft.output}"),
        ("{{ draft.title }}", "{act.draft.output.title}"),
        ("${draft.a.b}", "{act.draft.output.a.b}"),
        ("${draft}", "{act.draft.output}"),
        ("${state:id}", "{state.id}"),
        ("${state:discord.channels.create.id}", "{state.discord.channels.create.id}"),
        ("${env:HOME}", "${HOME}"),
        ("${GUILD_ID}", "${GUILD_ID}"),
        ("{{previous}}", "{act.draft.output}"),
        ("{{ state.x }}", "{{ state.x }}"),
        ("{{ 7 * 7 }}", "{{ 7 * 7 }}"),
        ("a {{draft}} b ${env:X} c", "a {act.draft.output} b ${X} c"),
    ],
)
def test_botticelli_references_are_rewritten_to_native(botticelli: str, native: str) -> None:
    text, _, problems = translate(botticelli, {"draft": 0, "now": 1}, "draft")
    assert text == native
    assert problems == []


def test_rewritten_offsets_map_back_to_the_original_text() -> None:
    original = "ab {{x}} cd ${env:Y} {{zz.q}}"
    text, back, _ = translate(original, {"x": 0}, None)
    assert text == "ab {act.x.output} cd ${Y} {act.zz.output.q}"
    assert back(text.index("{act.x")) == original.index("{{x")
    assert back(text.index(" cd")) == original.index(" cd")
    assert back(text.index("{act.zz")) == original.index("{{zz")


def test_reference_problems_point_into_the_original_string() -> None:
    text = """\
    [toc]
    order = ["one", "two"]
    [acts]
    one = "Say hi"
    two = "Improve: {{oen}} and ${tow.x}"
    """
    # Botticelli sends prompt text as written: a prompt naming no act is sent verbatim,
    # with a warning at the name (and its "did you mean"), not a load-time problem
    plan = parse(textwrap.dedent(text), "b.toml")
    assert [str(w) for w in plan.warnings] == [
        "b.toml:5:17: act 'two': the prompt's template names 'oen', 'tow', which is no act of "
        "this narrative; Botticelli sends prompt text as written, so this prompt is sent "
        "verbatim (nothing in it is rendered); did you mean 'one'?"
    ]
    assert plan.act("two").text_inputs[0].verbatim


def test_previous_in_the_first_act_is_a_problem() -> None:
    # in a prompt it is sent as written (Botticelli); in a command's arguments a problem
    plan = parse('[toc]\norder = ["a"]\n[acts]\na = "x {{previous}}"\n', "b.toml")
    assert "b.toml:4:10: act 'a': the prompt's template names 'previous'" in str(plan.warnings[0])
    text = '[toc]\norder = ["a"]\n[bots.b]\nplatform = "discord"\ncommand = "messages.send"\n'
    text += 'channel_id = "1"\ncontent = "x {{previous}}"\n[acts]\na = "bots.b"\n'
    with pytest.raises(NarrativeInvalid) as info:
        parse(text, "b.toml")
    assert "b.toml:7:14: act 'a': {{previous}} in the first act" in str(info.value)


def test_structured_acts_with_input_tables_and_model_options() -> None:
    text = """\
    [narrative]
    name = "s"
    [narrative.carousel]
    iterations = 3
    continue_on_error = true
    [toc]
    order = ["gen", "send"]
    [acts.gen]
    model = "m"
    temperature = 0.8
    max_tokens = 150
    extract_output = true
    [[acts.gen.input]]
    type = "text"
    content = "Write."
    [acts.send]
    [[acts.send.input]]
    type = "bot_command"
    platform = "discord"
    command = "messages.send"
    required = true
    [acts.send.input.args]
    channel_id = "${state:id}"
    content = "{{gen}}"
    """
    plan = parse(textwrap.dedent(text), "s.toml")
    gen, send = plan.acts
    assert (gen.model, gen.temperature, gen.max_tokens) == ("m", 0.8, 150)
    assert plan.carousel is not None
    assert (plan.carousel.iterations, plan.carousel.continue_on_error) == (3, True)
    assert send.commands[0].args == {"channel_id": "{state.id}", "content": "{act.gen.output}"}
    assert send.commands[0].location == Location("s.toml", 17, 1)


def test_without_toc_the_acts_table_order_is_the_run_order() -> None:
    plan = parse('[acts]\nb = "first"\na = "second"\n')
    assert plan.act_names == ("b", "a")
    assert plan.dialect == "botticelli"


def test_arrays_mix_references_prompts_and_inline_inputs() -> None:
    text = """\
    [bots.b]
    platform = "discord"
    command = "channels.get"
    channel_id = "1"
    [acts]
    a = ["bots.b", "Summarise the channel above.", { ref = "bots.b" }, { content = "More." }]
    """
    plan = parse(textwrap.dedent(text))
    kinds = [type(i).__name__ for i in plan.acts[0].inputs]
    assert kinds == ["BotCommandInput", "TextInput", "BotCommandInput", "TextInput"]


def test_nested_narrative_is_parsed_into_the_act_subplan(tmp_path: Path) -> None:
    write(
        tmp_path,
        "inner.toml",
        """\
        [narrative]
        name = "generated_posts"
        [toc]
        order = ["gen"]
        [acts]
        gen = "Write three posts."
        """,
    )
    outer = write(
        tmp_path,
        "outer.toml",
        """\
        [narrative]
        name = "outer"
        [toc]
        order = ["make", "pick", "direct"]
        [narratives.make]
        narrative = "inner"
        [tables.posts]
        table_name = "generated_posts"
        limit = 10
        format = "markdown"
        [acts]
        make = ["narratives.make"]
        pick = ["tables.posts", "Pick the best post above."]
        [acts.direct]
        narrative = "inner"
        """,
    )
    plan = parse_file(outer)
    make, pick, direct = plan.acts
    assert make.subplan is not None
    assert make.subplan.name == "generated_posts"
    assert make.subplan.source == str(tmp_path / "inner.toml")
    assert make.inputs == ()
    (table,) = pick.table_inputs  # the rows the nested narrative stored (issue 11)
    assert (table.table, table.format, table.query.limit) == ("generated_posts", "markdown", 10)
    assert make.subplan.acts[-1].store is not None
    assert make.subplan.acts[-1].store.table == "generated_posts"
    assert direct.subplan is not None


def test_a_table_of_another_narrative_is_read_as_rows_when_the_act_runs() -> None:
    text = '[tables.t]\ntable_name = "elsewhere"\n[acts]\na = ["tables.t", "Use it."]\n'
    plan = parse(text)
    (table,) = plan.acts[0].table_inputs
    assert table.table == "elsewhere" and table.alias == "t"
    assert plan.acts[0].text_inputs[0].content == "Use it."


def test_missing_nested_file_is_a_problem_at_its_name(tmp_path: Path) -> None:
    outer = write(
        tmp_path, "o.toml", '[narratives.x]\nnarrative = "nothere"\n[acts]\na = ["narratives.x"]\n'
    )
    [problem] = _problems_of(outer)
    assert problem.startswith(f"{outer}:2:13: cannot read nested narrative 'nothere.toml'")


def test_problems_of_a_nested_file_carry_the_nested_path(tmp_path: Path) -> None:
    write(tmp_path, "inner.toml", '[acts]\na = ["bots.missing"]\n')
    outer = write(
        tmp_path, "o.toml", '[narratives.x]\nnarrative = "inner"\n[acts]\na = ["narratives.x"]\n'
    )
    [problem] = _problems_of(outer)
    assert problem.startswith(f"{tmp_path / 'inner.toml'}:2:6: act 'a' uses bots.missing")


def test_a_narrative_nesting_itself_is_a_problem(tmp_path: Path) -> None:
    me = write(tmp_path, "me.toml", '[acts.a]\nnarrative = "me"\n')
    [problem] = _problems_of(me)
    assert "includes itself" in problem


def test_nested_narrative_without_base_dir_is_a_problem() -> None:
    with pytest.raises(NarrativeInvalid) as info:
        parse('[acts.a]\nnarrative = "x"\n')
    assert "no base directory" in str(info.value)


def test_botticelli_mistakes_are_reported_with_did_you_mean() -> None:
    text = """\
    [narrative]
    name = "m"
    skip_content_generaton = true
    [toc]
    order = ["one", "tow"]
    [bots.b]
    platform = "discord"
    command = "messages.sendd"
    [acts]
    one = ["bots.bb"]
    two = ["bots.b"]
    """
    with pytest.raises(NarrativeInvalid) as info:
        parse(textwrap.dedent(text), "m.toml")
    assert [str(p) for p in info.value.problems] == [
        "m.toml:3:1: unknown key 'skip_content_generaton' in [narrative]; "
        "did you mean 'skip_content_generation'?",
        "m.toml:5:17: [toc] order names act 'tow', which is not in [acts]; did you mean 'two'?",
        "m.toml:10:8: act 'one' uses bots.bb, but there is no [bots.bb]; did you mean 'b'?",
    ]


def test_bot_arguments_are_checked_against_the_catalogue() -> None:
    text = '[bots.b]\nplatform = "discord"\ncommand = "messages.send"\nchanel_id = "1"\n'
    text += 'content = "x"\n[acts]\na = ["bots.b"]\n'
    with pytest.raises(NarrativeInvalid) as info:
        parse(text, "m.toml")
    assert [str(p) for p in info.value.problems] == [
        "m.toml:1:1: messages.send needs argument 'channel_id'; add channel_id = ... to its args",
    ]
    # an unknown argument is ignored by Botticelli's command: a warning, with its hint
    text = text.replace('chanel_id = "1"', 'channel_id = "1"\nchanel = "2"')
    assert [str(w) for w in parse(text, "m.toml").warnings] == [
        "m.toml:5:1: unknown argument 'chanel' for messages.send is ignored (Botticelli's "
        "command ignores it too); did you mean 'channel_id'?"
    ]


def test_media_references_become_media_inputs() -> None:
    """Issue 12: [media.NAME] is an image input now (tests/parser/test_media_parse.py)."""
    plan = parse('[media.m]\nurl = "http://x/y.png"\n[acts]\na = ["media.m"]\n', "m.toml")
    (image,) = plan.acts[0].media_inputs
    assert (image.kind, image.mime, image.url) == ("image", "image/png", "http://x/y.png")


def _problems_of(path: Path) -> list[str]:
    with pytest.raises(NarrativeInvalid) as info:
        parse_file(path)
    return [str(p) for p in info.value.problems]


# ---------------------------------------------------------------- the real corpus


def _corpus() -> list[Path]:
    return sorted(CONFORMANCE.glob("*.toml")) if CONFORMANCE.is_dir() else []


@pytest.mark.parametrize("path", _corpus(), ids=lambda p: p.name)
def test_every_real_botticelli_file_loads_into_a_plan(path: Path) -> None:
    plan = parse_file(path)
    assert plan.dialect == "botticelli"
    assert plan.acts


def test_corpus_is_present_when_the_shared_directory_is() -> None:
    """The real files are read from ../shared; none are copied into the repository."""
    if CONFORMANCE.parent.parent.is_dir():
        assert len(_corpus()) == 6
    assert not list(Path(__file__).parent.glob("*.toml"))


def test_real_publish_welcome_maps_bots_tables_and_nesting() -> None:
    if not CONFORMANCE.is_dir():
        return
    plan = parse_file(CONFORMANCE / "publish_welcome.toml")
    assert plan.act_names == (
        "create_channel",
        "clear_channel",
        "generate_content",
        "select_best",
        "publish_message",
        "pin_message",
    )
    generate = plan.act("generate_content")
    assert generate.subplan is not None
    assert generate.subplan.name == "welcome_messages"
    assert generate.subplan.carousel is not None
    assert plan.act("select_best").table_inputs[0].table == "welcome_messages"
    assert generate.subplan.acts[-1].store is not None  # refine_best's JSON is stored
    assert plan.act("create_channel").commands[0].args["kind"] == "text"
    assert plan.act("pin_message").commands[0].args["message_id"] == (
        "{act.publish_message.output.id}"
    )


def test_real_state_test_use_reads_the_captured_id_from_state() -> None:
    if not CONFORMANCE.is_dir():
        return
    plan = parse_file(CONFORMANCE / "state_test_use.toml")
    args = plan.acts[0].commands[0].args
    assert args["channel_id"] == "{state.id}"
    assert args["guild_id"] == "${TEST_GUILD_ID}"
