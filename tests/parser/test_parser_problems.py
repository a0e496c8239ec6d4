"""Load-time problems: every one with PATH:LINE:COL, all of a file in one pass."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from narrator.errors import NarrativeInvalid, Problem
from narrator.parser import check_file, parse, parse_file


def problems(text: str, source: str = "n.toml") -> list[str]:
    with pytest.raises(NarrativeInvalid) as info:
        parse(textwrap.dedent(text), source)
    return [str(p) for p in info.value.problems]


def one(text: str) -> str:
    found = problems(text)
    assert len(found) == 1, found
    return found[0]


FIVE_MISTAKES = """\
[narrative]
name = "five"
descripton = "typo in a key"

[[act]]
name = "draft"
temperature = "hot"
[[act.input]]
type = "text"
content = "Hello {act.publsh.output}"

[[act]]
name = "publish"
[[act.input]]
type = "bot_command"
command = "messages.sned"

[[act]]
name = "draft"
[[act.input]]
type = "text"
content = "again"
"""


def test_five_mistakes_give_five_problems_with_exact_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "five.toml"
    path.write_text(FIVE_MISTAKES)
    found = [str(p) for p in check_file(path)]
    assert found == [
        f"{path}:3:1: unknown key 'descripton' in [narrative]; did you mean 'description'?",
        f'{path}:7:15: temperature must be a number >= 0, not a string ("hot"); '
        "write temperature = 0.7",
        f"{path}:10:18: act 'draft' refers to unknown act 'publsh'; did you mean 'publish'?",
        f"{path}:16:11: unknown discord command 'messages.sned'; did you mean 'messages.send'?",
        f"{path}:19:8: duplicate act name 'draft' (first at act #1); give each act its own name",
    ]


def test_valid_file_has_no_problems(tmp_path: Path) -> None:
    path = tmp_path / "ok.toml"
    path.write_text('[[act]]\nname = "a"\n[[act.input]]\ntype = "text"\ncontent = "hi"\n')
    assert check_file(path) == []


def test_problems_are_sorted_by_position_and_all_reported() -> None:
    found = problems(
        """\
        [[act]]
        name = "a"
        bogus = 1
        [[act.input]]
        type = "text"
        content = "{act.zzz.output}"
        [[act]]
        name = "b"
        max_tokens = -3
        """
    )
    assert [f.split(": ", 1)[0] for f in found] == [
        "n.toml:3:1",
        "n.toml:6:12",
        "n.toml:7:1",
        "n.toml:9:14",
    ]


def test_toml_syntax_error_takes_line_and_column_from_tomllib() -> None:
    text = '[narrative]\nname = "x"\ndescription = unquoted words\n'
    message = one(text)
    assert message.startswith("n.toml:3:15: invalid TOML: Invalid value")
    assert message.endswith('quote text values: key = "text"')


def test_toml_error_at_end_of_document_points_at_the_last_line() -> None:
    message = one('[narrative]\nname = "x')
    assert message.startswith("n.toml:2:")
    assert "invalid TOML" in message


def test_unknown_act_key_suggests_the_close_name() -> None:
    message = one('[[act]]\nname = "a"\noutput_vars = "x"\n[[act.input]]\ncontent = "hi"\n')
    assert message == "n.toml:3:1: unknown key 'output_vars' in act 'a'; did you mean 'output_var'?"


def test_unknown_key_without_close_name_lists_the_known_keys() -> None:
    message = one('[[act]]\nname = "a"\nzzzzzz = 1\n[[act.input]]\ncontent = "hi"\n')
    assert "unknown key 'zzzzzz' in act 'a'; known keys:" in message
    assert "output_var" in message


def test_unknown_top_level_table_suggests_act() -> None:
    message = one('[[acts]]\nname = "a"\n')
    assert message == "n.toml:1:1: unknown top-level key 'acts'; did you mean 'act'?"


def test_unknown_command_argument_suggests_the_close_argument() -> None:
    text = """\
    [[act]]
    name = "a"
    [[act.input]]
    type = "bot_command"
    command = "channels.create"
    [act.input.args]
    name = "welcome"
    topik = "hello"
    """
    assert one(text) == (
        "n.toml:8:1: unknown argument 'topik' for channels.create; did you mean 'topic'?"
    )


def test_missing_required_argument_points_at_the_args_table() -> None:
    text = """\
    [[act]]
    name = "a"
    [[act.input]]
    type = "bot_command"
    command = "messages.send"
    [act.input.args]
    content = "hi"
    """
    assert one(text) == (
        "n.toml:6:1: messages.send needs argument 'channel_id'; add channel_id = ... to its args"
    )


def test_guild_id_is_never_a_missing_argument() -> None:
    plan = parse(
        '[[act]]\nname = "a"\n[[act.input]]\ncommand = "channels.create"\n'
        '[act.input.args]\nname = "welcome"\n'
    )
    assert "guild_id" not in plan.acts[0].commands[0].args


def test_missing_command_is_a_problem_at_the_input() -> None:
    message = one('[[act]]\nname = "a"\n[[act.input]]\ntype = "bot_command"\n')
    assert message.startswith("n.toml:3:1: a bot_command input of act 'a' has no command")


def test_act_without_name_is_a_problem_at_its_header() -> None:
    message = one('[[act]]\nmodel = "m"\n[[act.input]]\ncontent = "x"\n')
    assert message == 'n.toml:1:1: act #1 has no name; add name = "..." under [[act]]'


def test_act_without_inputs_is_a_problem() -> None:
    message = one('[[act]]\nname = "lonely"\n')
    assert message.startswith("n.toml:1:1: act 'lonely' has no inputs")


def test_unknown_input_type_suggests_a_known_one() -> None:
    message = one('[[act]]\nname = "a"\n[[act.input]]\ntype = "txt"\ncontent = "x"\n')
    assert message == "n.toml:4:8: unknown input type 'txt' in act 'a'; did you mean 'text'?"


def test_unknown_platform_suggests_the_known_platform() -> None:
    message = one(
        '[[act]]\nname = "a"\n[[act.input]]\nplatform = "discrod"\ncommand = "messages.send"\n'
    )
    assert message.startswith("n.toml:4:12: unknown platform 'discrod'; did you mean 'discord'?")


def test_reference_to_a_later_act_is_a_problem_pointing_inside_the_string() -> None:
    text = """\
    [[act]]
    name = "first"
    [[act.input]]
    content = "use {act.second.output.id} now"
    [[act]]
    name = "second"
    [[act.input]]
    content = "x"
    """
    message = one(text)
    assert message.startswith("n.toml:4:16: act 'first' refers to act 'second', which runs later")


def test_reference_to_its_own_output_is_a_problem() -> None:
    message = one('[[act]]\nname = "a"\n[[act.input]]\ncontent = "{act.a.output}"\n')
    assert "refers to its own output" in message


def test_reference_to_an_earlier_act_is_fine_whatever_its_type() -> None:
    """Typing a single reference is the executor's job, not the parser's."""
    plan = parse(
        '[[act]]\nname = "a"\n[[act.input]]\ncontent = "x"\n'
        '[[act]]\nname = "b"\n[[act.input]]\ncommand = "messages.send"\n'
        '[act.input.args]\nchannel_id = "{act.a.output}"\ncontent = "{act.a.output.deep.field}"\n'
    )
    assert plan.acts[1].commands[0].args["channel_id"] == "{act.a.output}"


def test_jinja_names_must_be_earlier_acts_or_context_names() -> None:
    text = """\
    [[act]]
    name = "draft"
    [[act.input]]
    content = "x"
    [[act]]
    name = "b"
    [[act.input]]
    content = "{{ draft }} {{ state.x }} {{ drafts }} {{ act.draftt.output }}"
    """
    found = problems(text)
    assert found == [
        "n.toml:8:41: unknown name 'drafts' in template of act 'b'; did you mean 'draft'?",
        "n.toml:8:58: act 'b' refers to unknown act 'draftt'; did you mean 'draft'?",
    ]


def test_jinja_name_of_a_later_act_is_a_problem() -> None:
    text = (
        '[[act]]\nname = "a"\n[[act.input]]\ncontent = "{{ b }}"\n'
        '[[act]]\nname = "b"\n[[act.input]]\ncontent = "x"\n'
    )
    assert "refers to act 'b', which runs later" in one(text)


def test_malformed_template_points_at_the_reference() -> None:
    message = one('[[act]]\nname = "a"\n[[act.input]]\ncontent = "ok {state.x"\n')
    assert message.startswith("n.toml:4:15: malformed template in act 'a': unclosed reference")


def test_bad_jinja_is_a_malformed_template() -> None:
    message = one('[[act]]\nname = "a"\n[[act.input]]\ncontent = "{{ 1 + }}"\n')
    assert message.startswith("n.toml:4:12: malformed template in act 'a': jinja:")


def test_bare_jinja_skip_if_names_are_checked() -> None:
    message = one(
        '[[act]]\nname = "a"\nskip_if = "stat.count >= 3"\n[[act.input]]\ncontent = "x"\n'
    )
    assert (
        message == "n.toml:3:12: unknown name 'stat' in template of act 'a'; did you mean 'state'?"
    )


@pytest.mark.parametrize("value", ['""', '"  "', '" x"'])
def test_output_var_must_be_a_usable_key(value: str) -> None:
    message = one(f'[[act]]\nname = "a"\noutput_var = {value}\n[[act.input]]\ncontent = "x"\n')
    assert message.startswith("n.toml:3:14: output_var")
    assert "not a usable state key" in message


def test_invalid_act_name_is_a_problem() -> None:
    message = one('[[act]]\nname = "has space"\n[[act.input]]\ncontent = "x"\n')
    assert message.startswith('n.toml:2:8: act name "has space" is not a valid name')


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('context = "some"', 'context must be "full" or "none"'),
        ('output = "xml"', 'output must be "text" or "json"'),
        ("max_tokens = 1.5", "max_tokens must be an integer >= 1"),
        ('mentions = "users"', "mentions must be an array of strings"),
        ('allow_destructive = "yes"', "allow_destructive must be true or false"),
        ("schema = 3", "schema must be a JSON-Schema table or a list of field names"),
    ],
)
def test_wrong_types_of_act_keys_say_what_to_write(line: str, expected: str) -> None:
    message = one(f'[[act]]\nname = "a"\n{line}\n[[act.input]]\ncontent = "x"\n')
    assert expected in message
    assert "write " in message


def test_wrong_carousel_values_are_problems_at_the_value() -> None:
    found = problems('[carousel]\niterations = 0\ninterval = "soon"\non_budget = "panic"\n')
    assert [f.split(": ", 1)[0] for f in found] == ["n.toml:2:14", "n.toml:3:12", "n.toml:4:13"]


def test_two_carousels_for_the_narrative_are_a_problem() -> None:
    message = one(
        '[narrative]\nname = "x"\n[narrative.carousel]\niterations = 2\n'
        "[carousel]\niterations = 3\n"
    )
    assert message.startswith("n.toml:5:1: two carousels")


def test_schema_with_text_output_is_a_problem() -> None:
    message = one(
        '[[act]]\nname = "a"\noutput = "text"\nschema = ["x"]\n[[act.input]]\ncontent = "x"\n'
    )
    assert message.startswith("n.toml:3:10: act 'a' has a schema but output = \"text\"")


def test_unreadable_file_is_one_problem_at_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(NarrativeInvalid) as info:
        parse_file(missing)
    [problem] = info.value.problems
    assert isinstance(problem, Problem)
    assert problem.location.path == str(missing)
    assert problem.location.line == 0
    assert "cannot read narrative file" in problem.message


def test_non_utf8_file_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'[narrative]\nname = "caf\xe9"\n')
    [problem] = check_file(path)
    assert "invalid UTF-8: byte 0xe9" in problem.message
    assert (problem.location.line, problem.location.col) == (2, 12)


def test_narrative_invalid_message_lists_every_problem() -> None:
    with pytest.raises(NarrativeInvalid) as info:
        parse(FIVE_MISTAKES, "five.toml")
    assert str(info.value).count("five.toml:") == 5
    assert info.value.exit_code == 2


def test_jinja_loop_variables_are_not_unknown_names() -> None:
    plan = parse(
        '[[act]]\nname = "items"\n[[act.input]]\ncontent = "x"\n'
        '[[act]]\nname = "b"\n[[act.input]]\n'
        'content = "{% for m in items %}{{ m }}{% endfor %}"\n'
    )
    assert plan.act_names == ("items", "b")


def test_unclosed_jinja_block_is_a_malformed_template() -> None:
    message = one('[[act]]\nname = "a"\n[[act.input]]\ncontent = "{% if state.x %}yes"\n')
    assert message.startswith("n.toml:4:12: malformed template in act 'a': jinja:")
