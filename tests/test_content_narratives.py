"""Content tables inside narratives (issue 11), through the executor on the memory store:
store = "TABLE", table inputs (prompt text and data), take, content.* commands, claims."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from narrator.content import Provenance, Query, parse_where
from narrator.executor import Executor, RunOutcome, Services
from narrator.guilds import GuildDefaults
from narrator.parser import parse
from narrator.providers.sandbox import SandboxModel
from narrator.state.content_memory import MemoryContent
from narrator.state.memory import MemoryRunJournal, MemoryStateRepository
from narrator.testing import FakeClock, RecordingPlatform, ScriptedModel, StaticPlatforms


class World:
    def __init__(self) -> None:
        self.state = MemoryStateRepository()
        self.journal = MemoryRunJournal()
        self.content = MemoryContent()
        self.platform = RecordingPlatform(guild_id="7")

    def services(self, model: Any = None) -> Services:
        return Services(
            state=self.state,
            journal=self.journal,
            platforms=StaticPlatforms([self.platform]),
            models=model,
            clock=FakeClock(),
            env={"GUILD_ID": "7"},
            guilds=GuildDefaults(config="7"),
            content=self.content,
        )

    def run(self, text: str, model: Any = None, run_id: str | None = None) -> RunOutcome:
        return asyncio.run(Executor(self.services(model)).run(parse(text), run_id=run_id))

    def plan(self, text: str) -> RunOutcome:
        return asyncio.run(Executor(self.services()).plan(parse(text)))

    def rows(self, table: str, where: str | None = None) -> list[Any]:
        query = Query(table, where=parse_where(where) if where else None)
        return self.content.select(query)


def seed(world: World, table: str, items: list[dict[str, Any]], status: str = "approved") -> None:
    world.content.insert(table, items, Provenance(narrative="seed"), status=status)


GENERATE = """
[narrative]
name = "gen"

[[act]]
name = "write"
store = "posts"
dedupe = "hash"
output_var = "last_batch"
[act.schema]
type = "array"
minItems = 3

[act.schema.items]
type = "object"
required = ["title", "score"]
properties.title = { type = "string" }
properties.score = { type = "integer", minimum = 1, maximum = 10 }
[[act.input]]
content = "Write three posts."
"""


def test_store_inserts_each_item_and_the_output_is_the_stored_rows() -> None:
    world = World()
    answer = json.dumps([{"title": f"t{i}", "score": i} for i in (3, 8, 9)])
    outcome = world.run(GENERATE, ScriptedModel([answer]))
    assert outcome.status == "done", outcome.error
    rows = world.rows("posts")
    assert [r.fields["title"] for r in rows] == ["t3", "t8", "t9"]
    assert {(r.narrative, r.act, r.status) for r in rows} == {("gen", "write", "pending")}
    assert all(r.run_id == outcome.run_id for r in rows)
    output = outcome.acts[0].output
    assert [o["id"] for o in output] == [r.id for r in rows]
    assert world.state.get("last_batch")[0]["title"] == "t3"
    assert outcome.acts[0].changes[-1].resource == "content posts: 3 rows"
    # the journal keeps the stored rows as the act's output, in the same transaction
    record = world.journal.get_run(outcome.run_id)
    assert record is not None
    # dedupe = "hash": the same answer again stores nothing
    again = world.run(GENERATE, ScriptedModel([answer]))
    assert again.acts[0].output == []
    assert len(world.rows("posts")) == 3


def test_store_with_an_item_schema_accepts_one_object_or_an_array_and_checks_each() -> None:
    text = """
[[act]]
name = "write"
store = "posts"
schema = ["title"]
[[act.input]]
content = "Write posts."
"""
    world = World()
    model = ScriptedModel(['[{"title": "a"}, {"body": "no title"}]', '{"title": "b"}'])
    outcome = world.run(text, model)
    assert outcome.status == "done", outcome.error
    assert [r.fields for r in world.rows("posts")] == [{"title": "b"}]
    retry = model.requests[1].messages[-1].content
    assert "$[1]: missing required field 'title'" in retry
    # the prompt asked for an array of such items
    assert '"type": "array"' in model.requests[0].messages[-1].content


def test_an_answer_that_is_not_objects_fails_the_act_and_stores_nothing() -> None:
    text = """
[[act]]
name = "write"
store = "posts"
[[act.input]]
content = "Write posts."
"""
    world = World()
    outcome = world.run(text, ScriptedModel(['["a", "b"]']))
    assert outcome.status == "failed"
    assert "item 0 of the answer is str, not an object" in (outcome.error or "")
    assert world.rows("posts") == []


READ_INTO_PROMPT = """
[[act]]
name = "curate"
output = "json"
[[act.input]]
type = "table"
table = "posts"
where = "status = 'approved' AND score >= 7"
order_by = "score DESC"
limit = 2
columns = ["title", "score"]
format = "markdown"
[[act.input]]
content = "Pick the best."
"""


def test_a_table_input_renders_the_selected_rows_into_the_prompt() -> None:
    world = World()
    seed(world, "posts", [{"title": f"t{i}", "score": i} for i in (3, 9, 7, 8)])
    seed(world, "posts", [{"title": "pending", "score": 10}], status="pending")
    model = ScriptedModel(['{"pick": 1}'])
    outcome = world.run(READ_INTO_PROMPT, model)
    assert outcome.status == "done", outcome.error
    prompt = model.requests[0].messages[-1].content
    assert prompt.startswith(
        "| title | score |\n|---|---|\n| t9 | 9 |\n| t8 | 8 |\n\nPick the best."
    )
    assert "pending" not in prompt and "t7" not in prompt


def test_a_missing_table_reads_as_empty_and_adds_nothing_to_the_prompt() -> None:
    world = World()
    model = ScriptedModel(['{"pick": 1}'])
    assert world.run(READ_INTO_PROMPT, model).status == "done"
    assert model.requests[0].messages[-1].content.startswith("Pick the best.")


POST = """
[narrative]
name = "post"

[carousel]
iterations = 3

[[act]]
name = "pick"
[[act.input]]
type = "table"
table = "posts"
where = "status = 'approved'"
order_by = "id"
take = 1

[[act]]
name = "send"
skip_if = "not pick"
[[act.input]]
command = "messages.send"
[act.input.args]
channel_id = "99"
content = "{act.pick.output.0.title}"

[[act]]
name = "mark"
skip_if = "not pick"
[[act.input]]
platform = "content"
command = "content.update"
[act.input.args]
table = "posts"
where = "id = {act.pick.output.0.id}"
status = "posted"
message_id = "{act.send.output.id}"
"""


def test_a_posting_carousel_takes_each_row_once_and_marks_it_posted() -> None:
    world = World()
    seed(world, "posts", [{"title": f"t{i}"} for i in range(1, 6)])
    first = world.run(POST)
    assert first.status == "done", first.error
    second = world.run(POST)
    assert second.status == "done", second.error
    third = world.run(POST)
    sends = [c for c in world.platform.calls if c.command == "messages.send"]
    assert [c.args["content"] for c in sends] == ["t1", "t2", "t3", "t4", "t5"]
    posted = world.rows("posts", "status = 'posted'")
    assert len(posted) == 5 and all(r.message_id for r in posted)
    assert {r.claimed_by for r in world.rows("posts")} == {None}
    assert [a.status for a in third.acts if a.name == "send"] == ["skipped"] * 3


def test_a_failed_run_keeps_its_claims_and_a_new_run_does_not_take_them() -> None:
    world = World()
    seed(world, "posts", [{"title": "only"}])
    failing = POST.replace('channel_id = "99"', 'channel_id = "{state.missing_channel.id}"')
    outcome = world.run(failing)
    assert outcome.status == "failed"
    (row,) = world.rows("posts")
    assert row.claimed_by is not None and row.claimed_by.startswith(outcome.run_id + "/")
    other = world.run(POST)
    assert next(a.output for a in other.acts if a.name == "pick") == []
    # the failed run, run again with its id (what resume does), gets its row back
    world.state.set("missing_channel", {"id": "99"})
    again = world.run(failing, run_id=outcome.run_id)
    assert again.acts[0].output[0]["id"] == row.id
    (done,) = world.rows("posts")
    assert done.status == "posted" and done.claimed_by is None


def test_a_where_reference_is_a_literal_value_never_condition_text() -> None:
    text = """
[[act]]
name = "evil"
output = "json"
[[act.input]]
content = "x"

[[act]]
name = "pick"
[[act.input]]
type = "table"
table = "posts"
where = "title = {act.evil.output.t}"
"""
    world = World()
    seed(world, "posts", [{"title": "a"}, {"title": "x' OR 'a' = 'a"}])
    outcome = world.run(text, ScriptedModel(["{\"t\": \"x' OR 'a' = 'a\"}"]))
    assert outcome.status == "done", outcome.error
    assert [r["title"] for r in outcome.acts[1].output] == ["x' OR 'a' = 'a"]


def test_content_insert_and_delete_commands() -> None:
    text = """
[[act]]
name = "add"
[[act.input]]
platform = "content"
command = "content.insert"
[act.input.args]
table = "notes"
items = [{ text = "a" }, { text = "b" }]
status = "approved"

[[act]]
name = "drop"
allow_destructive = true
[[act.input]]
platform = "content"
command = "content.delete"
[act.input.args]
table = "notes"
where = "text = 'a'"
"""
    world = World()
    outcome = world.run(text)
    assert outcome.status == "done", outcome.error
    assert [r["text"] for r in outcome.acts[0].output] == ["a", "b"]
    assert outcome.acts[1].output == {"deleted": 1}
    assert [r.fields["text"] for r in world.rows("notes", "status = 'approved'")] == ["b"]


def test_plan_reads_but_claims_and_writes_nothing() -> None:
    world = World()
    seed(world, "posts", [{"title": "t1"}])
    outcome = world.plan(POST)
    assert outcome.status == "done", outcome.error
    (row,) = world.rows("posts")
    assert row.claimed_by is None and row.status == "approved"


def test_the_sandbox_model_answers_a_storing_act_with_distinct_items() -> None:
    world = World()
    outcome = world.run(GENERATE, SandboxModel())
    assert outcome.status == "done", outcome.error
    rows = world.rows("posts")
    assert len(rows) == 3
    assert len({r.content_hash for r in rows}) == 3


def test_an_act_of_several_tables_outputs_rows_by_alias_with_columns_and_offset() -> None:
    text = """
[[act]]
name = "read"
output_var = "read_rows"
[[act.input]]
type = "table"
table = "posts"
order_by = "score DESC"
offset = 1
limit = 2
columns = ["title", "review_status"]
alias = "best"
[[act.input]]
type = "table"
table = "notes"

[[act]]
name = "say"
skip_if = "{{ not read.best }}"
[[act.input]]
command = "messages.send"
[act.input.args]
channel_id = "99"
content = "{act.read.output.best.0.title} / {{ read.notes | length }}"
"""
    world = World()
    seed(world, "posts", [{"title": f"t{i}", "score": i} for i in range(5)])
    outcome = world.run(text)
    assert outcome.status == "done", outcome.error
    best = outcome.acts[0].output["best"]
    assert [r["title"] for r in best] == ["t3", "t2"]
    assert set(best[0]) == {"id", "title", "review_status"}
    assert best[0]["review_status"] == "approved"
    assert outcome.acts[0].output["notes"] == []
    assert world.state.get("read_rows")["best"][1]["title"] == "t2"
    (send,) = [c for c in world.platform.calls if c.command == "messages.send"]
    assert send.args["content"] == "t3 / 0"


def test_a_where_reference_keeps_concurrent_model_acts_in_order() -> None:
    text = """
[narrative]
concurrency = 2

[[act]]
name = "a"
context = "none"
[[act.input]]
content = "Which title?"

[[act]]
name = "b"
context = "none"
[[act.input]]
type = "table"
table = "posts"
where = "title = {act.a.output}"
[[act.input]]
content = "Use it."
"""
    world = World()
    seed(world, "posts", [{"title": "t1"}, {"title": "t2"}])
    model = ScriptedModel(["t2", "done"])
    outcome = world.run(text, model)
    assert outcome.status == "done", outcome.error
    assert '"title": "t2"' in model.requests[1].messages[-1].content
    assert '"title": "t1"' not in model.requests[1].messages[-1].content


def test_botticelli_update_table_maps_onto_content_update() -> None:
    text = """
[narrative]
name = "mark"
skip_content_generation = true

[bots.mark_posted]
platform = "database"
command = "update_table"
table_name = "approved_discord_posts"
where_clause = "review_status = 'approved'"
limit = 1

[bots.mark_posted.updates]
review_status = "posted"
message_id = "123"
posted_at = "NOW()"
note = "done"

[acts]
mark_posted = ["bots.mark_posted"]
"""
    world = World()
    seed(world, "approved_discord_posts", [{"text_content": f"p{i}"} for i in range(2)])
    outcome = world.run(text)
    assert outcome.status == "done", outcome.error
    assert outcome.acts[0].output == {"rows_affected": 1}
    first, second = world.rows("approved_discord_posts")
    assert (first.status, first.message_id, first.fields["note"]) == ("posted", "123", "done")
    assert first.fields["posted_at"].startswith("20")  # NOW(): the time, as ISO-8601 text
    assert second.status == "approved"
