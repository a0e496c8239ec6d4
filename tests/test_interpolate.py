"""Interpolation: reference forms, typing, single-pass rendering, skip_if truthiness."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from narrator.interpolate import (
    ActValue,
    ResolveError,
    Scope,
    StateHit,
    StateReader,
    TemplateSyntaxError,
    condition,
    render,
    render_value,
    scan,
    truthy,
)


def scope_with(state: dict[str, Any] | None = None, **kw: Any) -> Scope:
    data = dict(state or {})
    reader = StateReader(
        lambda k: StateHit(data[k]) if k in data else None,
        lambda p: any(k.startswith(p) for k in data),
    )
    return Scope(state=reader, **kw)


def test_state_reference_walks_into_the_longest_existing_key() -> None:
    scope = scope_with(
        {"welcome_channel": {"id": "42", "name": "welcome"}, "a.b": {"c": 1}, "a": {"b": 9}}
    )
    assert render("{state.welcome_channel.id}", scope).value == "42"
    assert render("{state.a.b.c}", scope).value == 1  # 'a.b' is longer than 'a'


def test_angle_bracket_form_reads_state_too() -> None:
    assert render("id=<state.x>", scope_with({"x": 7})).value == "id=7"


def test_env_reference_inside_a_state_path_is_expanded() -> None:
    scope = scope_with({"discord.99.channel.welcome": "5"}, env={"GUILD_ID": "99"})
    assert render("{state.discord.${GUILD_ID}.channel.welcome}", scope).value == "5"


def test_a_string_that_is_one_reference_keeps_the_value_type() -> None:
    scope = scope_with({"n": 3, "obj": {"k": [1, 2]}})
    assert render("{state.n}", scope).value == 3
    assert render("{state.obj}", scope).value == {"k": [1, 2]}
    assert render("{{ state.n * 2 }}", scope).value == 6
    assert render("n={state.n}", scope).value == "n=3"
    assert render("o={state.obj}", scope).value == 'o={"k": [1, 2]}'


def test_act_output_and_field_references() -> None:
    scope = scope_with(acts={"make": ActValue({"id": "1", "name": "x"})})
    assert render("{act.make.output.id}", scope).value == "1"
    assert render("{act.make.output}", scope).value == {"id": "1", "name": "x"}


def test_model_text_is_never_rendered_again() -> None:
    nasty = "{state.secret} {{ 7*7 }} ${HOME} <state.secret> {% if 1 %}x{% endif %}"
    scope = scope_with(
        {"secret": "TOKEN"}, acts={"draft": ActValue(nasty, tainted=True)}, env={"HOME": "/root"}
    )
    assert render("{act.draft.output}", scope).value == nasty
    assert render("said: {act.draft.output}", scope).value == "said: " + nasty
    assert render("{{ draft }}", scope).value == nasty
    assert render("{{ draft }}!", scope).value == nasty + "!"


def test_state_values_are_never_rendered_again() -> None:
    scope = scope_with({"note": "{{ 7*7 }} {state.note}"})
    assert render("{state.note}", scope).value == "{{ 7*7 }} {state.note}"
    assert render("{{ state.note }}", scope).value == "{{ 7*7 }} {state.note}"


def test_taint_follows_model_output_into_arguments() -> None:
    scope = scope_with(
        acts={"draft": ActValue("hi @everyone", tainted=True), "plain": ActValue("x")}
    )
    args, tainted = render_value(
        {"content": "{act.draft.output}", "channel_id": "{act.plain.output}"}, scope
    )
    assert args == {"content": "hi @everyone", "channel_id": "x"}
    assert tainted == frozenset({"content"})


def test_missing_state_key_is_an_error_naming_the_key() -> None:
    with pytest.raises(ResolveError, match=r"state key 'welcome_channel\.id' is not set"):
        render("{state.welcome_channel.id}", scope_with())


def test_missing_variable_is_an_error_naming_it() -> None:
    with pytest.raises(ResolveError, match=r"\$\{GUILD_ID\} is not set"):
        render("${GUILD_ID}", scope_with())


def test_skipped_act_without_output_says_so() -> None:
    scope = scope_with(
        acts={"a": ActValue(has_output=False, why_missing="was skipped and has no output_var")}
    )
    with pytest.raises(ResolveError, match="was skipped and has no output_var"):
        render("{act.a.output}", scope)


def test_missing_field_lists_the_fields_there_are() -> None:
    scope = scope_with(acts={"a": ActValue({"id": "1"})})
    with pytest.raises(ResolveError, match=r"no field 'idd'.*fields id"):
        render("{act.a.output.idd}", scope)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{state.present}", True),
        ("{state.absent}", False),
        ("{state.absent.deeper}", False),
        ("{state.zero}", False),
        ("{state.word_false}", False),
        ("{state.word_no}", False),
        ("{state.none}", False),
        ("state.count >= 3", True),
        ("state.count >= 30", False),
        ("state.absent >= 3", False),
        ("true", True),
        ("no", False),
        ("{{ state.count > 1 }}", True),
    ],
)
def test_skip_if_truthiness(text: str, expected: bool) -> None:
    scope = scope_with(
        {
            "present": "123",
            "zero": 0,
            "word_false": "false",
            "word_no": "No",
            "none": None,
            "count": 5,
        }
    )
    assert condition(text, scope) is expected


@pytest.mark.parametrize(
    ("text", "offset"),
    [
        ("x {state.a", 2),
        ("{{ x", 0),
        ("ab ${FOO", 3),
        ("{act.x}", 0),
        ("{state.a..b}", 0),
        ("{{ 1 + }}", 0),
    ],
)
def test_malformed_templates_raise_with_an_offset(text: str, offset: int) -> None:
    with pytest.raises(TemplateSyntaxError) as info:
        scan(text)
    assert info.value.offset == offset


def test_plain_braces_are_literal_text() -> None:
    text = 'JSON like {"a": 1} and {state of the art} and $5 and ${ not a var'
    assert scan(text) == ()
    assert render(text, scope_with()).value == text


def test_truthy_of_collections_and_numbers() -> None:
    assert truthy([1]) and truthy({"a": 1}) and truthy(2.5)
    assert not truthy([]) and not truthy({}) and not truthy(0.0) and not truthy("  ")


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_scan_never_raises_anything_but_template_errors(text: str) -> None:
    try:
        refs = scan(text)
    except TemplateSyntaxError as exc:
        assert 0 <= exc.offset <= len(text)
    else:
        for ref in refs:
            assert 0 <= ref.start < ref.end <= len(text)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_value_passes_through_a_reference_unchanged(value: str) -> None:
    scope = scope_with({"v": value}, acts={"m": ActValue(value, tainted=True)})
    assert render("{state.v}", scope).value == value
    assert render("[{act.m.output}]", scope).value == f"[{value}]"


def test_a_withheld_secret_fails_naming_it_in_every_form() -> None:
    """${NAME}, {{ env.NAME }}, env['NAME'] and env.get('NAME') of a secret say it is a secret."""
    from narrator.interpolate import Environ, ResolveError, Scope, StateReader, render

    scope = Scope(
        state=StateReader(lambda _k: None),
        env=Environ({"DISCORD_TOKEN": "t0k3n", "PLAIN": "p"}, withheld={"DISCORD_TOKEN"}),
    )
    assert "DISCORD_TOKEN" not in scope.env
    assert render("${PLAIN} {{ env.PLAIN }}", scope).value == "p p"
    for text in (
        "${DISCORD_TOKEN}",
        "x {{ env.DISCORD_TOKEN }}",
        "{{ env['DISCORD_' ~ 'TOKEN'] }}",
        "{{ env.get('DISCORD_TOKEN') }}",
    ):
        try:
            render(text, scope)
        except ResolveError as exc:
            assert "DISCORD_TOKEN is a secret" in str(exc)
            assert "allow_env" in str(exc)
        else:
            raise AssertionError(f"{text} rendered a secret")
    assert "t0k3n" not in str(render("{{ env }}", scope).value)


def test_secret_env_names_are_the_defaults_plus_the_configs_minus_allow_env() -> None:
    from narrator.config import parse_config, secret_env_names, without_secrets

    config = parse_config(
        {
            "discord": {"token_env": "BOT"},
            "models": {"a": {"api_key_env": "A_KEY"}, "b": {"provider": "sandbox"}},
            "secrets": {"allow_env": ["GEMINI_API_KEY"]},
        }
    )
    names = secret_env_names(config)
    assert {"BOT", "A_KEY", "DISCORD_TOKEN", "OPENAI_API_KEY", "ANTHROPIC_API_KEY"} <= names
    assert "GEMINI_API_KEY" not in names
    env = without_secrets({"BOT": "x", "GEMINI_API_KEY": "g", "HOME": "/h"}, config)
    assert dict(env) == {"GEMINI_API_KEY": "g", "HOME": "/h"}
