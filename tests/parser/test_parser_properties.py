"""Property: any input gives a Plan or a NarrativeInvalid whose problems all have a location.

Nothing else escapes the parser: no KeyError, no pydantic error, no traceback.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from narrator.errors import NarrativeInvalid
from narrator.parser import parse
from narrator.plan import Plan

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_plan_or_located_problems(text: str) -> None:
    try:
        plan = parse(text, "prop.toml")
    except NarrativeInvalid as exc:
        assert exc.problems, "NarrativeInvalid must carry at least one problem"
        for problem in exc.problems:
            assert problem.location.path == "prop.toml"
            assert problem.location.line >= 1
            assert problem.location.col >= 1
            assert problem.message
    else:
        assert isinstance(plan, Plan)


@SETTINGS
@given(st.text(max_size=400))
def test_any_text_gives_a_plan_or_located_problems(text: str) -> None:
    assert_plan_or_located_problems(text)


# Fragments that make structurally plausible narratives of both dialects, with
# the mistakes people make: wrong types, unknown keys, bad references, duplicates.
HEADERS = [
    "[narrative]",
    "[metadata]",
    "[carousel]",
    "[narrative.carousel]",
    "[[act]]",
    "[[act.input]]",
    "[act.input.args]",
    "[act.carousel]",
    "[toc]",
    "[acts]",
    "[acts.a]",
    "[[acts.a.input]]",
    "[acts.a.input.args]",
    "[bots.b]",
    "[tables.t]",
    "[narratives.n]",
    "[[acts]]",
]
KEYS = [
    "name",
    "description",
    "type",
    "content",
    "command",
    "platform",
    "output_var",
    "skip_if",
    "model",
    "temperature",
    "max_tokens",
    "context",
    "output",
    "schema",
    "mentions",
    "iterations",
    "interval",
    "on_budget",
    "order",
    "table_name",
    "narrative",
    "channel_id",
    "a",
    "b",
    "ref",
    "args",
    "input",
    "act",
    "guild_id",
    "nme",
]
VALUES = [
    '"a"',
    '"b"',
    '"text"',
    '"bot_command"',
    '"messages.send"',
    '"channels.create"',
    '"discord"',
    '"{act.a.output}"',
    '"{act.b.output.id}"',
    '"{state.x.y}"',
    '"<state.k>"',
    '"${VAR}"',
    '"{{ a }}"',
    '"{{ 1 + }}"',
    '"{% if x %}y{% endif %}"',
    '"{state."',
    '"{{previous}}"',
    '"${a.id}"',
    '"${state:id}"',
    '"${env:X}"',
    '"bots.b"',
    '"tables.t"',
    '"narratives.n"',
    '"5m"',
    '""',
    '" "',
    "0",
    "-1",
    "3",
    "0.5",
    "true",
    "nan",
    '["a", "b"]',
    '["bots.b", "x"]',
    "[1, 2]",
    "[]",
    '{ type = "object" }',
    '{ content = "x" }',
    "{}",
    '"""\nmulti {act.a.output}\n"""',
    "'literal {act.zz.output}'",
    "1979-05-27",
]

line = st.one_of(
    st.sampled_from(HEADERS),
    st.builds(lambda k, v: f"{k} = {v}", st.sampled_from(KEYS), st.sampled_from(VALUES)),
    st.builds(lambda k, v: f"{k}.x = {v}", st.sampled_from(KEYS), st.sampled_from(VALUES)),
    st.just("# comment"),
    st.just(""),
)


@SETTINGS
@given(st.lists(line, max_size=30))
def test_structured_toml_fragments_give_a_plan_or_located_problems(lines: list[str]) -> None:
    assert_plan_or_located_problems("\n".join(lines) + "\n")


@SETTINGS
@given(
    st.lists(st.sampled_from(KEYS), min_size=1, max_size=4),
    st.sampled_from(VALUES),
    st.integers(min_value=0, max_value=3),
)
def test_acts_with_random_keys_give_a_plan_or_located_problems(
    keys: list[str], value: str, extra_acts: int
) -> None:
    body = "".join(
        f'[[act]]\nname = "act{i}"\n[[act.input]]\ncontent = "x {{act.act{i - 1}.output}}"\n'
        for i in range(1, extra_acts + 1)
    )
    tail = "[[act]]\n" + "\n".join(f"{k} = {value}" for k in dict.fromkeys(keys)) + "\n"
    assert_plan_or_located_problems(body + tail)


# Mutated valid narratives of both dialects (benchmarks/fuzz.py runs 10,000 of them):
# byte and character flips, truncation, swapped and misspelt keys, arrays, tables and
# jinja nested up to 100,000 deep, injected templates and secrets. Each must give a
# plan or located problems within a time limit (SIGALRM), never anything else.


def test_the_fuzz_seeds_are_valid_narratives_of_both_dialects() -> None:
    from benchmarks.fuzz import SEEDS

    assert {parse(text, "seed.toml").dialect for text in SEEDS.values()} == {
        "native",
        "botticelli",
    }


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,  # a fixed sequence: the same cases on every run and machine
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.sampled_from(["native", "botticelli"]), st.integers(min_value=0, max_value=2**32 - 1))
def test_mutated_narratives_give_a_plan_or_located_problems_in_time(
    dialect: str, seed: int
) -> None:
    import random

    from benchmarks.fuzz import SEEDS, mutate, parse_case

    text, mutations = mutate(random.Random(seed), SEEDS[dialect])
    outcome = parse_case(text, timeout=10.0)
    assert outcome.kind in ("plan", "located"), (mutations, outcome)
