"""The Botticelli dialect loads what Botticelli loads, with Botticelli's meaning (issue 12).

Fixtures in tests/fixtures/botticelli/ are written for these tests (no file of
Botticelli's repository is copied); each one is one shape of the dialect.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from narrator.errors import NarrativeInvalid
from narrator.parser import inspect_file, parse, parse_file
from narrator.parser.locate import Locator
from narrator.plan import BotCommandInput

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "botticelli"


def problems(path: Path, **kwargs: str) -> list[str]:
    with pytest.raises(NarrativeInvalid) as info:
        parse_file(path, **kwargs)  # type: ignore[arg-type]
    return [str(p) for p in info.value.problems]


# ------------------------------------------------------------------ several narratives


def test_narrative_option_chooses_one_of_several_narratives_sharing_acts_and_bots() -> None:
    plan = parse_file(FIXTURES / "several_narratives.toml", narrative="publish")
    assert plan.name == "publish"
    assert plan.act_names == ("make_channel", "compose", "post")
    assert plan.carousel is not None and plan.carousel.iterations == 2
    draft = parse_file(FIXTURES / "several_narratives.toml", narrative="draft")
    assert draft.act_names == ("write", "improve")
    assert draft.carousel is None


def test_a_composition_act_runs_a_narrative_of_the_same_file() -> None:
    plan = parse_file(FIXTURES / "several_narratives.toml", narrative="publish")
    compose = plan.act("compose")
    assert compose.subplan is not None
    assert compose.subplan.name == "draft"
    assert compose.subplan.act_names == ("write", "improve")
    assert compose.subplan_joins, "its acts' outputs, joined, are the act's output"
    assert compose.subplan.source == str(FIXTURES / "several_narratives.toml")


def test_without_narrative_a_file_with_several_says_which_names_exist() -> None:
    path = FIXTURES / "several_narratives.toml"
    assert problems(path) == [
        f"{path}:4:1: this file holds 2 narratives (draft, publish); "
        "choose one with --narrative NAME"
    ]


def test_an_unknown_narrative_name_is_a_problem_with_a_hint() -> None:
    path = FIXTURES / "several_narratives.toml"
    assert problems(path, narrative="publsh") == [
        f"{path}:4:1: no narrative 'publsh' in this file; did you mean 'publish'?"
    ]


def test_validate_checks_every_narrative_of_the_file_when_none_is_chosen(tmp_path: Path) -> None:
    path = tmp_path / "two.toml"
    text = (FIXTURES / "several_narratives.toml").read_text()
    path.write_text(text.replace('improve = "Improve it."', 'improve = "bots.nothere"'))
    found, _ = inspect_file(path)
    assert len(found) == 1, "one problem, found once although both narratives were checked"
    assert "uses bots.nothere, but there is no [bots.nothere]" in str(found[0])


def test_a_single_narrative_file_refuses_another_name(tmp_path: Path) -> None:
    path = FIXTURES / "nests_a_carousel.toml"
    assert parse_file(path, narrative="nests_a_carousel").name == "nests_a_carousel"
    assert problems(path, narrative="other") == [
        f"{path}:3:1: --narrative other: this file holds one narrative "
        "('nests_a_carousel'); leave --narrative out"
    ]


def test_a_narrative_composing_itself_is_a_problem() -> None:
    text = textwrap.dedent(
        """\
        [narrative.a]
        toc = ["loop"]
        [narrative.b]
        toc = ["x"]
        [acts]
        x = "hi"
        [acts.loop]
        narrative = "a"
        """
    )
    with pytest.raises(NarrativeInvalid) as info:
        parse(text, "c.toml", narrative="a")
    assert [str(p) for p in info.value.problems] == [
        "c.toml:8:13: narrative 'a' includes itself; break the cycle"
    ]


# ------------------------------------------------------------------ keys Botticelli ignores


def test_keys_botticelli_ignores_are_warnings_at_their_line() -> None:
    path = FIXTURES / "ignored_keys.toml"
    plan = parse_file(path)
    assert [(w.location.line, w.location.col) for w in plan.warnings] == [(7, 1), (26, 1), (34, 7)]
    config, capture, prompt = (w.message for w in plan.warnings)
    assert config.startswith("[config] is ignored: Botticelli does not read [config]")
    assert capture.startswith("'state_capture' in act 'make_channel' is ignored: Botticelli")
    assert "names 'faq_content'" in prompt and "sent verbatim" in prompt


def test_a_prompt_naming_no_act_is_kept_verbatim() -> None:
    plan = parse_file(FIXTURES / "ignored_keys.toml")
    (text,) = plan.act("ask").text_inputs
    assert text.verbatim
    assert text.content.startswith("{% if faq_content %}Existing questions: {{ faq_content }}")


def test_skip_content_generation_on_an_act_is_a_warning() -> None:
    text = '[toc]\norder = ["a"]\n[acts.a]\nskip_content_generation = true\n'
    text += '[[acts.a.input]]\ntype = "text"\ncontent = "hi"\n'
    plan = parse(text, "s.toml")
    assert [str(w) for w in plan.warnings] == [
        "s.toml:4:1: 'skip_content_generation' in act 'a' is ignored: Botticelli reads it "
        "only in [narrative]; remove it here"
    ]


def test_required_in_a_bots_table_is_a_warning_and_the_command_stays_optional() -> None:
    text = textwrap.dedent(
        """\
        [toc]
        order = ["a"]
        [bots.list]
        platform = "discord"
        command = "channels.list"
        required = true
        [acts]
        a = "bots.list"
        """
    )
    plan = parse(text, "r.toml")
    (command,) = plan.act("a").commands
    assert command.required is False
    assert "required" not in command.args
    assert str(plan.warnings[0]).startswith("r.toml:6:1: 'required' in [bots.list] is ignored")


def test_inline_commands_are_optional_unless_required() -> None:
    plan = parse_file(FIXTURES / "ignored_keys.toml")
    (command,) = plan.act("make_channel").commands
    assert command.required is True
    soft = parse_file(FIXTURES / "soft_failures.toml")
    assert [c.required for c in soft.act("report").commands] == [False]
    assert [c.required for c in soft.act("stamp").commands] == [False, False, False]


# ------------------------------------------------------------------ positions and ids


def test_a_table_defined_only_through_a_dotted_header_is_located_at_it() -> None:
    locator = Locator('x = 1\n\n[config.gemini]\nmodel = "m"\n[[acts.a.input]]\n')
    assert locator.key(("config",)) == (3, 1)
    assert locator.key(("acts",)) == (5, 1)
    assert locator.key(("acts", "a")) == (5, 1)


def test_an_unknown_top_level_table_written_dotted_is_reported_at_its_line() -> None:
    text = '[toc]\norder = ["a"]\n[acts]\na = "hi"\n\n[extras.thing]\nx = 1\n'
    with pytest.raises(NarrativeInvalid) as info:
        parse(text, "d.toml")
    assert str(info.value.problems[0]).startswith("d.toml:6:1: unknown top-level key 'extras'")


def test_a_placeholder_id_is_a_load_time_problem_at_its_value() -> None:
    path = FIXTURES / "placeholder_id.toml"
    assert problems(path) == [
        f'{path}:11:12: guild_id = "YOUR_GUILD_ID_HERE" is not a Discord id (ids are digits, '
        'like "1439415903753076859"); write the id, or a reference such as "${GUILD_ID}"'
    ]


def test_ids_from_references_are_checked_when_the_act_runs() -> None:
    text = textwrap.dedent(
        """\
        [[act]]
        name = "a"
        [[act.input]]
        type = "bot_command"
        command = "channels.list"
        [act.input.args]
        guild_id = "${GUILD_ID}"
        [[act]]
        name = "b"
        [[act.input]]
        type = "bot_command"
        command = "messages.send"
        [act.input.args]
        channel_id = "general"
        content = "hi"
        """
    )
    with pytest.raises(NarrativeInvalid) as info:
        parse(text, "n.toml")
    (problem,) = info.value.problems
    assert str(problem).startswith('n.toml:14:14: channel_id = "general" is not a Discord id')


def test_a_native_bot_command_stays_required() -> None:
    plan = parse('[[act]]\nname = "a"\n[[act.input]]\ncommand = "channels.list"\n', "n.toml")
    (command,) = plan.act("a").commands
    assert isinstance(command, BotCommandInput) and command.required


def test_an_unknown_command_argument_is_a_warning_in_the_dialect_only() -> None:
    """Botticelli's commands ignore arguments they do not read; native files keep the
    load-time problem with its "did you mean"."""
    text = textwrap.dedent(
        """\
        [toc]
        order = ["a"]
        [bots.list]
        platform = "discord"
        command = "channels.list"
        colour = "blue"
        [acts]
        a = "bots.list"
        """
    )
    plan = parse(text, "u.toml")
    assert str(plan.warnings[0]).startswith(
        "u.toml:6:1: unknown argument 'colour' for channels.list is ignored (Botticelli's "
        "command ignores it too)"
    )
    native = '[[act]]\nname = "a"\n[[act.input]]\ncommand = "channels.list"\n'
    native += '[act.input.args]\ncolour = "blue"\n'
    with pytest.raises(NarrativeInvalid) as info:
        parse(native, "n.toml")
    assert "unknown argument 'colour' for channels.list" in str(info.value)


def test_a_narrative_name_that_cannot_name_a_table_stores_nothing_with_a_warning() -> None:
    """Botticelli's content generation fails on such a table, logs it, and goes on."""
    text = '[narrative]\nname = "Minimal Test"\ndescription = "d"\n[toc]\norder = ["a"]\n'
    text += '[acts]\na = "Say hi."\n'
    plan = parse(text, "m.toml")
    assert plan.act("a").store is None
    assert str(plan.warnings[0]).startswith(
        "m.toml:1:1: the narrative's name 'Minimal Test' cannot name a content table, so "
        "nothing is stored"
    )


def test_where_clause_in_a_table_input_is_a_warning_saying_botticelli_ignores_it() -> None:
    text = textwrap.dedent(
        """\
        [narrative]
        name = "w"
        description = "d"
        skip_content_generation = true
        [toc]
        order = ["a"]
        [acts.a]
        [[acts.a.input]]
        type = "table"
        table_name = "posts"
        where_clause = "1=0"
        [[acts.a.input]]
        type = "text"
        content = "Pick one."
        """
    )
    plan = parse(text, "w.toml")
    assert [str(w) for w in plan.warnings] == [
        "w.toml:11:1: 'where_clause' in a table input of act 'a': Botticelli does not read it "
        "(its key is where) and reads the table unfiltered; narrator applies it as where — "
        "write where = ... to filter in both"
    ]
