"""narrator convert: a Botticelli file becomes a native file that plans exactly like it.

Every test compares Plans (``plan_shape``: the plan without locations, source and
dialect), not text: the converted file must mean what the original meant.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from narrator.convert import convert, differences, plan_shape
from narrator.errors import NarrativeInvalid, UsageError
from narrator.parser import parse, parse_file
from narrator.plan import BotCommandInput, TableInput, TextInput

FIXTURES = Path(__file__).parent / "fixtures" / "convert"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "conformance" / "botticelli"
SHAPES = [
    "references.toml",
    "structured.toml",
    "nested.toml",
    "child_digest.toml",
    "media.toml",
]


def _converted(path: Path, target: Path | None = None) -> tuple[str, list[str]]:
    result = convert(
        path.read_text(encoding="utf-8"),
        str(path),
        base_dir=str(path.parent),
        target_dir=str(target or path.parent),
    )
    return result.text, [str(w) for w in result.warnings]


def _assert_same_plan(original: Path, native_text: str, where: Path) -> None:
    """The core property: the native file plans exactly like the original."""
    before = parse_file(original)
    after = parse(native_text, str(where / "converted.toml"), base_dir=str(where))
    assert after.dialect == "native"
    assert differences(before, after) == []
    assert plan_shape(after) == plan_shape(before)


@pytest.mark.parametrize("name", SHAPES)
def test_each_fixture_converts_to_a_native_file_with_the_same_plan(name: str) -> None:
    path = FIXTURES / name
    text, warnings = _converted(path)
    _assert_same_plan(path, text, FIXTURES)
    assert not [w for w in warnings if "please report" in w], warnings


def test_what_the_native_format_cannot_say_is_lowered_with_a_warning_each() -> None:
    """lossy.toml reads files the way only Botticelli does (a bare name searched for, paths
    relative to the working directory): the native file names them relative to itself,
    plans like the lowered plan, and each lowering is a warning at its input."""
    path = FIXTURES / "lossy.toml"
    result = convert(path.read_text(encoding="utf-8"), str(path), base_dir=str(FIXTURES))
    after = parse(result.text, str(FIXTURES / "converted.toml"), base_dir=str(FIXTURES))
    assert differences(result.plan, after) == []
    lost = differences(parse_file(path), after, limit=50)
    assert sorted({d.split(": ")[0].rsplit(".", 1)[0] for d in lost}) == [
        "plan.acts[0].inputs[0].file",
        "plan.acts[0].inputs[1].file",
        "plan.acts[0].inputs[3].file",
    ]
    where = [(w.location.line, w.message.split(";")[0]) for w in result.warnings]
    assert where == [
        (
            15,
            "act 'describe': Botticelli looks the bare name 'CONTEXT.md' up in "
            "$BOTTICELLI_CONTEXT_PATH and the folders above",
        ),
        (19, "act 'describe': Botticelli reads 'notes/brief.md' relative to the working directory"),
        (
            26,
            "act 'describe': Botticelli reads 'pictures/cat.png' relative to the working directory",
        ),
    ]
    assert 'file = "notes/brief.md"  # a path: relative to the working directory' in result.text


def _corpus() -> list[Path]:
    return sorted(CORPUS.glob("*.toml")) if CORPUS.is_dir() else []


@pytest.mark.parametrize("path", _corpus(), ids=lambda p: p.name)
def test_each_shared_corpus_file_converts_and_plans_identically(path: Path) -> None:
    text, warnings = _converted(path)
    _assert_same_plan(path, text, path.parent)
    assert not [w for w in warnings if "please report" in w], warnings


def test_the_corpus_is_read_from_shared_when_present() -> None:
    if CORPUS.parent.parent.is_dir():
        assert len(_corpus()) == 6
    assert not list(FIXTURES.glob("*.native.toml"))


def test_references_are_rewritten_into_their_native_forms() -> None:
    text, _ = _converted(FIXTURES / "references.toml")
    assert "{act.outline.output}" in text  # {{previous}} and {{outline}}
    assert "{act.make_channel.output.id}" in text  # ${make_channel.id}
    assert "{act.post.output.id}" in text  # {{post.id}}
    assert "{state.last_digest}" in text  # ${state:last_digest}
    assert "${TOPIC}" in text and "${env:" not in text  # ${env:TOPIC}
    assert "${AUDIENCE}" in text  # an environment variable stays one
    assert "{{ 100 + 50 }}" in text  # jinja stays jinja
    assert "{{write}}" not in text and "${state:" not in text


def test_implicit_behaviours_are_written_out() -> None:
    """[narrative] temperature/max_tokens land on each model act; id capture is a key;
    Botticelli's channel_type is the catalogue's kind; the name is kept."""
    text, _ = _converted(FIXTURES / "references.toml")
    plan = parse(text)
    assert plan.capture_result_ids is True
    assert plan.name == "weekly_digest"
    assert [(a.name, a.temperature, a.max_tokens) for a in plan.acts if a.is_model_act] == [
        ("outline", 0.4, 250),
        ("write", 0.4, 250),
        ("remember", 0.4, 250),
    ]
    assert plan.act("make_channel").commands[0].args["kind"] == "text"
    assert "channel_type" not in text
    assert "[toc]" not in text and "[bots." not in text and "[acts" not in text


def test_toc_order_and_structured_acts_survive() -> None:
    text, _ = _converted(FIXTURES / "structured.toml")
    plan = parse(text)
    assert plan.act_names == ("setup", "greet", "classify", "announce", "faq")
    faq = plan.act("faq").text_inputs[0]
    assert faq.verbatim is True and "{{ faq_content }}" in faq.content
    assert "verbatim = true" in text
    assert plan.carousel is not None and plan.carousel.iterations == 3
    assert plan.carousel.continue_on_error is True
    greet = plan.act("greet")
    assert greet.carousel is not None and greet.carousel.iterations == 2
    assert greet.skip_if == "{state.greeted_today}"
    assert plan.act("classify").output == "json"
    assert plan.act("setup").output_var == "greeter_setup"


def test_comments_follow_their_act_and_table() -> None:
    text, _ = _converted(FIXTURES / "references.toml")
    lines = text.splitlines()
    assert lines[0] == "# Post the weekly digest."
    act2 = lines.index("# Act 2: an outline of the week")
    assert lines[act2 + 1] == "[[act]]" and lines[act2 + 2] == 'name = "outline"'
    assert "[[act]]  # Act 4" in lines
    bot = lines.index("# Find or make the channel the digest goes to")
    assert lines[bot + 1] == "[[act.input]]"
    assert 'channel_id = "{act.make_channel.output.id}"  # the channel the first act made' in lines


def test_comments_with_no_counterpart_are_kept_at_the_end() -> None:
    source = '[toc]\norder = [\n  "a",  # the only act\n]\n\n[acts]\na = "Say hi."\n'
    text = convert(source).text
    assert text.rstrip().endswith("# the only act")
    assert parse(text).act_names == ("a",)


def test_warnings_name_what_has_no_native_equivalent_at_its_line() -> None:
    _, warnings = _converted(FIXTURES / "references.toml")
    path = str(FIXTURES / "references.toml")
    assert not [w for w in warnings if "skip_content_generation" in w]  # no store is written
    assert any(w.startswith(f"{path}:51:1: act 'drafts' is not in [toc] order") for w in warnings)
    assert any(w.startswith(f"{path}:30:1: [bots.unused] is used by no act") for w in warnings)
    _, more = _converted(FIXTURES / "structured.toml")
    structured = str(FIXTURES / "structured.toml")
    assert not any("extract_output" in w for w in more)  # it decides which act stores
    assert not any("required" in w for w in more)  # required = false is native too
    assert any(w.startswith(f"{structured}:34:1: act 'setup': input cache_duration") for w in more)


def test_table_inputs_become_native_table_inputs() -> None:
    text, _ = _converted(FIXTURES / "nested.toml")
    plan = parse(text, str(FIXTURES / "x.toml"), base_dir=str(FIXTURES))
    table = plan.act("pick").inputs[0]
    assert isinstance(table, TableInput)
    assert (table.table, table.format, table.query.limit) == ("digest_ideas", "markdown", 10)
    assert table.where == "tone = 'casual'"
    assert 'order_by = "created_at DESC"' in text and "where_clause" not in text


def test_nested_narratives_name_the_same_file_from_where_the_copy_is_written(
    tmp_path: Path,
) -> None:
    target = tmp_path / "out"
    target.mkdir()
    text, _ = _converted(FIXTURES / "nested.toml", target)
    relative = os.path.relpath(FIXTURES / "child_digest", target).replace(os.sep, "/")
    assert f'narrative = "{relative}"' in text
    plan = parse(text, str(target / "digest.toml"), base_dir=str(target))
    generate = plan.act("generate")
    assert generate.subplan is not None and generate.subplan.name == "digest_ideas"
    _assert_same_plan(FIXTURES / "nested.toml", text, target)


def test_a_native_file_is_refused() -> None:
    with pytest.raises(UsageError, match="already in the native format"):
        convert('[[act]]\nname = "a"\n[[act.input]]\ncontent = "hi"\n', "n.toml")


def test_a_file_narrator_cannot_load_is_refused_with_its_problems() -> None:
    with pytest.raises(NarrativeInvalid, match="order names act 'missing'"):
        convert('[toc]\norder = ["missing"]\n[acts]\na = "hi"\n', "b.toml")


def test_strings_that_need_escapes_read_back_identically() -> None:
    source = (
        "[acts]\n"
        "a = '''Quotes \" and \"\"\" and a backslash \\ and a tab\t'''\n"
        'b = "line one\\nline two \\"quoted\\" \\\\ end\\n"\n'
        'c = """\n\n  starts with a blank line\\\n   joined"""\n'
    )
    before = parse(source)
    after = parse(convert(source).text)
    assert differences(before, after) == []


NATIVE_MODEL_ACT = '[[act]]\nname = "draft"\n{keys}\n[[act.input]]\ncontent = "Write posts."\n'


def test_native_store_mode_extract_keeps_the_answer_as_output() -> None:
    """store_mode = "extract" is Botticelli's content generation, written natively."""
    plan = parse(NATIVE_MODEL_ACT.format(keys='store = "posts"\nstore_mode = "extract"'))
    act = plan.act("draft")
    assert act.store is not None and act.store.botticelli is True
    assert act.output == "text" and act.schema is None
    strict = parse(NATIVE_MODEL_ACT.format(keys='store = "posts"')).act("draft")
    assert strict.store is not None and strict.store.botticelli is False
    assert strict.output == "json"


def test_native_template_gives_an_act_without_schema_the_templates_schema() -> None:
    from narrator.content import templates

    keys = 'store = "posts"\nstore_mode = "extract"\ntemplate = "discord_posts"'
    act = parse(NATIVE_MODEL_ACT.format(keys=keys)).act("draft")
    assert act.store is not None and act.store.template == "discord_posts"
    assert act.schema == templates.load("discord_posts") and act.output == "json"


def test_native_store_mode_and_template_need_store_and_a_known_template() -> None:
    with pytest.raises(NarrativeInvalid, match='store_mode needs store = "TABLE"'):
        parse(NATIVE_MODEL_ACT.format(keys='store_mode = "extract"'))
    with pytest.raises(NarrativeInvalid, match="no content template 'nope'"):
        parse(NATIVE_MODEL_ACT.format(keys='store = "posts"\ntemplate = "nope"'))


def test_optional_commands_verbatim_prompts_and_composition_are_written_natively() -> None:
    """required = false, verbatim = true and narrative_joins = true: Botticelli's soft-fail
    commands, prompts it sends as written, and composed narratives, in the native format."""
    text, _ = _converted(FIXTURES / "structured.toml")
    plan = parse(text)
    first, second = plan.act("setup").commands
    assert (first.required, second.required) == (False, False)
    assert "required = false" in text
    native = parse(
        '[[act]]\nname = "a"\n[[act.input]]\ncontent = "{{ faq }} as is"\nverbatim = true\n'
        '[[act.input]]\ncommand = "messages.send"\nrequired = false\n'
        '[act.input.args]\nchannel_id = "1"\ncontent = "x"\n'
    )
    text_input, command = native.act("a").inputs
    assert isinstance(text_input, TextInput) and text_input.verbatim is True
    assert isinstance(command, BotCommandInput) and command.required is False


def test_one_narrative_of_several_and_the_one_it_composes_become_two_native_files() -> None:
    path = FIXTURES / "multi.toml"
    text = path.read_text(encoding="utf-8")
    with pytest.raises(NarrativeInvalid, match="choose one with --narrative NAME"):
        convert(text, str(path), base_dir=str(FIXTURES))
    result = convert(
        text, str(path), narrative="daily", base_dir=str(FIXTURES), target_name="daily.toml"
    )
    assert list(result.companions) == ["daily.ideas.toml"]
    assert 'narrative = "daily.ideas"\nnarrative_joins = true' in result.text
    assert not [w for w in result.warnings if "please report" in w.message]
    before = parse_file(path, narrative="daily")
    from narrator.parser.stored import parse_stored

    after = parse_stored(result.text, result.companions, str(FIXTURES / "daily.toml"))
    assert differences(before, after) == []
    gather = after.act("gather")
    assert gather.subplan is not None and gather.subplan.act_names == ("brainstorm",)
    assert gather.subplan_joins is True
    companion = result.companions["daily.ideas.toml"]
    assert companion.splitlines()[2:4] == ["# the ideas of the day", "[narrative]"]


@settings(max_examples=60, deadline=None)
@given(
    prompts=st.lists(
        st.text(
            st.characters(exclude_categories=["Cs"], exclude_characters="\x00"),
            min_size=1,
            max_size=40,
        ),
        min_size=1,
        max_size=3,
    ),
    temperature=st.none() | st.floats(min_value=0, max_value=2, allow_nan=False),
    name=st.text("abcdefghijklmnopqrstuvwxyz_ -'\"\\é", min_size=1, max_size=12),
)
def test_any_prompt_text_reads_back_identically(
    prompts: list[str], temperature: float | None, name: str
) -> None:
    """Whatever a prompt holds (quotes, backslashes, newlines, control characters,
    braces), the native file says the same: the emitter's quoting is tomlkit's."""
    head = f"[narrative]\nname = {json.dumps(name, ensure_ascii=False)}\n"
    if temperature is not None:
        head += f"temperature = {temperature!r}\n"
    source = (
        head
        + "[acts]\n"
        + "".join(
            f"a{i} = {json.dumps(text, ensure_ascii=False)}\n" for i, text in enumerate(prompts)
        )
    )
    try:
        before = parse(source)
    except NarrativeInvalid:
        assume(False)  # not a loadable narrative (a stray reference, an empty prompt)
        return
    result = convert(source)
    assert differences(before, parse(result.text)) == []


def test_dates_and_times_in_arguments_stay_toml_datetimes() -> None:
    source = (
        '[toc]\norder = ["e"]\n[bots.e]\nplatform = "discord"\ncommand = "events.create"\n'
        'guild_id = "100000000000000001"\nname = "Launch"\nlocation = "online"\n'
        "start_time = 2030-01-01T10:00:00Z\nend_time = 2030-01-01T11:00:00Z\n"
        '[acts]\ne = "bots.e"\n'
    )
    text = convert(source).text
    assert "start_time = 2030-01-01T10:00:00Z" in text
    assert differences(parse(source), parse(text)) == []


def test_a_hash_inside_any_kind_of_string_is_not_a_comment() -> None:
    from narrator.convert.comments import scan

    text = (
        "# top\n"
        'a = "x # no"  # yes\n'
        'b = """\n# inside\n""""  # after a quote that ends the string\n'
        "c = 'lit # no' # lit\n"
        'd = "esc \\" # still inside" # real\n'
        "e = '''\n# inside too\n'''\n"
        "f = [\n  1, # in an array\n]\n"
    )
    found = [(c.line, c.text, c.whole_line) for c in scan(text)]
    assert found == [
        (1, "# top", True),
        (2, "# yes", False),
        (5, "# after a quote that ends the string", False),
        (6, "# lit", False),
        (7, "# real", False),
        (12, "# in an array", False),
    ]


def test_the_schema_accepts_an_act_that_only_runs_a_nested_narrative() -> None:
    from jsonschema import Draft202012Validator

    from narrator.schema import narrative_json_schema

    validator = Draft202012Validator(narrative_json_schema())
    nested = {"act": [{"name": "a", "narrative": "child", "narrative_joins": True}]}
    assert not list(validator.iter_errors(nested))
    assert list(validator.iter_errors({"act": [{"name": "a"}]}))  # neither: refused


def test_an_argument_botticelli_ignores_is_left_out_with_the_parsers_warning() -> None:
    source = (
        '[toc]\norder = ["post"]\n[bots.post]\nplatform = "discord"\n'
        'command = "messages.send"\nchannel_id = "100000000000000002"\ncontent = "hi"\n'
        "embed_color = 3\n"
        '[acts]\npost = "bots.post"\n'
    )
    result = convert(source, "post.toml")
    assert "embed_color" not in result.text
    command = parse(result.text).act("post").commands[0]
    assert command.args == {"channel_id": "100000000000000002", "content": "hi"}
    assert [(w.location.line, "embed_color" in w.message) for w in result.warnings] == [(8, True)]


def test_a_file_argument_stays_relative_and_names_the_same_file(tmp_path: Path) -> None:
    """guild.ensure icon: the parser joins a relative file argument to the narrative's
    folder; the native file written elsewhere names the same file, without an absolute path."""
    source = tmp_path / "icon.toml"
    source.write_text(
        '[toc]\norder = ["g"]\n[bots.g]\nplatform = "discord"\ncommand = "guild.ensure"\n'
        'guild_id = "100000000000000001"\nicon = "logo.png"\n[acts]\ng = "bots.g"\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    out.mkdir()
    result = convert(
        source.read_text(encoding="utf-8"),
        str(source),
        base_dir=str(tmp_path),
        target_dir=str(out),
    )
    assert str(tmp_path) not in result.text
    after = parse(result.text, str(out / "icon.toml"), base_dir=str(out))
    assert differences(parse_file(source), after) == []
    assert not [w for w in result.warnings if "please report" in w.message]
