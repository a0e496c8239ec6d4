"""Content tables at load time (issue 11): table inputs, store, content commands, and
Botticelli's content generation — every refusal located at LINE:COL."""

from __future__ import annotations

import pytest

from narrator.errors import NarrativeInvalid
from narrator.parser import parse
from narrator.parser.where_slots import bind_values, parse_slotted, reference_spans


def problems(text: str) -> list[str]:
    with pytest.raises(NarrativeInvalid) as info:
        parse(text, "f.toml")
    return [str(p) for p in info.value.problems]


def table_act(where: str, extra: str = "") -> str:
    return f'''[[act]]
name = "pick"
[[act.input]]
type = "table"
table = "posts"
where = "{where}"
{extra}'''


@pytest.mark.parametrize(
    ("where", "col", "says"),
    [
        ("1=1; DROP TABLE state", 13, "unexpected ';'"),
        ("id IN (SELECT id FROM x)", 17, "subqueries are not allowed"),
        ("lower(title) = 'x'", 10, "function calls are not allowed"),
        ("status = 'a' -- x", 23, "comments are not allowed"),
        ("status = 5", 19, "status is text"),
    ],
)
def test_a_hostile_where_is_refused_at_its_character(where: str, col: int, says: str) -> None:
    (problem,) = problems(table_act(where))
    assert problem.startswith(f"f.toml:6:{col}: act 'pick': where refused: ")
    assert says in problem


def test_order_by_is_parsed_at_load() -> None:
    (problem,) = problems(table_act("status = 'approved'", 'order_by = "score; DROP"'))
    assert problem.startswith("f.toml:7:18: act 'pick': order_by refused: unexpected ';'")


def test_a_where_in_a_multiline_string_is_located_on_its_line() -> None:
    text = '''[[act]]
name = "pick"
[[act.input]]
type = "table"
table = "posts"
where = """
status = 'approved'
  AND id IN (SELECT 1)"""
'''
    (problem,) = problems(text)
    assert problem.startswith("f.toml:8:14: act 'pick': where refused: SELECT")


def test_references_in_a_where_are_checked_and_become_slots() -> None:
    (problem,) = problems(table_act("id = {act.nope.output.0.id}"))
    assert problem.startswith("f.toml:6:15: act 'pick' refers to unknown act 'nope'")
    text = "id = {act.a.output.0.id} AND title LIKE '%{state.topic}%'"
    spans = reference_spans(text)
    condition = bind_values(parse_slotted(text, spans), [7, "it's"])
    assert "7" in repr(condition) and "%it's%" in repr(condition)


def test_take_is_the_limit_and_conflicts_with_one() -> None:
    plan = parse(table_act("status = 'approved'", "take = 2"))
    (item,) = plan.acts[0].table_inputs
    assert (item.take, item.query.limit, item.claims) == (2, 2, True)
    assert plan.acts[0].is_table_read
    (problem,) = problems(table_act("status = 'approved'", "take = 2\nlimit = 3"))
    assert "take = N is also the limit" in problem


def test_store_needs_a_model_act_and_json() -> None:
    base = '[[act]]\nname = "w"\nstore = "posts"\n{}[[act.input]]\n{}\n'
    plan = parse(base.format('dedupe = "title"\n', 'content = "Write."'))
    act = plan.acts[0]
    assert act.output == "json" and act.store is not None
    assert (act.store.table, act.store.dedupe) == ("posts", "title")
    (problem,) = problems(base.format('output = "text"\n', 'content = "Write."'))
    assert problem.startswith("f.toml:4:10: ") and 'output = "json"' in problem
    command = 'command = "messages.send"\nargs = {channel_id = "1", content = "x"}'
    (problem,) = problems(base.format("", command))
    assert "store needs a model act" in problem
    bad_name = base.format("", 'content = "x"').replace('store = "posts"', 'store = "a b"')
    (problem,) = problems(bad_name)
    assert "invalid content table name 'a b'" in problem


def test_content_commands_are_checked_at_load() -> None:
    text = """[[act]]
name = "mark"
[[act.input]]
platform = "content"
command = "content.update"
[act.input.args]
table = "posts"
where = "id = 1 OR 1=1; --"
"""
    found = problems(text)
    assert any(p.startswith("f.toml:8:23: act 'mark': where refused") for p in found)
    assert any("content.update sets nothing" in p for p in found)


BOTT = """[narrative]
name = "gen"
{head}
[toc]
order = ["write", "polish"]

[acts.write]
{write}
[[acts.write.input]]
type = "text"
content = "Write posts as a JSON array."

[acts.polish]
[[acts.polish.input]]
type = "text"
content = "Polish them."
"""


def test_botticelli_last_act_stores_into_target_template_or_name() -> None:
    plan = parse(BOTT.format(head="", write=""))
    write, polish = plan.acts
    assert write.store is None
    assert polish.store is not None and polish.store.botticelli
    assert polish.store.table == "gen" and polish.output == "text"
    target = parse(BOTT.format(head='target = "approved"\ntemplate = "discord_posts"', write=""))
    store = target.acts[1].store
    assert store is not None and (store.table, store.template) == ("approved", "discord_posts")
    assert target.acts[1].output == "json"
    assert target.acts[1].schema is not None
    assert "text_content" in target.acts[1].schema["properties"]
    template = parse(BOTT.format(head='template = "discord_posts"', write=""))
    assert template.acts[1].store is not None
    assert template.acts[1].store.table == "discord_posts"
    skipped = parse(BOTT.format(head="skip_content_generation = true", write=""))
    assert [a.store for a in skipped.acts] == [None, None]
    extract = parse(BOTT.format(head="", write="extract_output = true"))
    assert [a.store is not None for a in extract.acts] == [True, True]


def test_botticelli_unknown_template_is_a_located_problem() -> None:
    (problem,) = problems(BOTT.format(head='template = "discord_postz"', write=""))
    assert problem.startswith("f.toml:3:12: no content template 'discord_postz'")
    assert "did you mean 'discord_posts'?" in problem


def test_botticelli_table_and_update_table_where_are_checked() -> None:
    text = """[narrative]
name = "poster"
skip_content_generation = true

[tables.next]
table_name = "approved_discord_posts"
where_clause = "review_status = 'approved'"
order_by = "generated_at ASC"
limit = 1

[bots.mark]
platform = "database"
command = "update_table"
table_name = "approved_discord_posts"
where_clause = "review_status = 'pending'; DELETE FROM x"
[bots.mark.updates]
review_status = "posted"

[acts]
pick = ["tables.next", "Write it out."]
mark = ["bots.mark"]
"""
    (problem,) = problems(text)
    assert problem.startswith("f.toml:15:42: act 'mark': where refused: unexpected ';'")
    plan = parse(text.replace("; DELETE FROM x", ""))
    (table,) = plan.acts[0].table_inputs
    assert table.query.where is not None and table.query.order
    assert plan.acts[1].commands[0].platform == "database"


def test_a_botticelli_act_mixing_a_table_and_a_command_is_a_problem() -> None:
    text = """[tables.t]
table_name = "posts"
[bots.send]
platform = "discord"
command = "messages.send"
channel_id = "1"
content = "x"
[acts]
both = ["tables.t", "bots.send"]
"""
    (problem,) = problems(text)
    assert problem.startswith("f.toml:9:1: act 'both' mixes tables and bot commands")


def test_a_quote_inside_a_reference_does_not_confuse_the_next_one() -> None:
    text = "note = {{ \"it's\" }} AND title LIKE '%{state.topic}%'"
    spans = reference_spans(text)
    assert len(spans) == 2
    condition = bind_values(parse_slotted(text, spans), ["it's", "a'b"])
    assert '"it\'s"' in repr(condition) and "%a'b%" in repr(condition)
