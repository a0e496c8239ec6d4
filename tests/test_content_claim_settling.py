"""A run's claims settled at its end (issue 11), through the executor on the memory store:
a carousel's failed iteration (``continue_on_error``) gives its row back unless it may have
posted it, and ``pull_and_delete`` keeps such a row instead of deleting it."""

from __future__ import annotations

from tests.test_content_narratives import World, seed

# take one row → send its text → mark it posted (its tag copied): a row without "text"
# fails at send (nothing sent), one without "tag" fails at mark, after its send
POST = """
[narrative]
name = "post"

[carousel]
iterations = 3
continue_on_error = true

[[act]]
name = "pick"
[[act.input]]
type = "table"
table = "posts"
where = "status = 'approved'"
order_by = "id"
TAKE

[[act]]
name = "send"
skip_if = "not pick"
[[act.input]]
type = "bot_command"
command = "messages.send"
[act.input.args]
channel_id = "99"
content = "{act.pick.output.0.text}"

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
[act.input.args.values]
tag = "{act.pick.output.0.tag}"
"""

ROWS = [{"text": "one", "tag": "a"}, {"tag": "b"}, {"text": "three"}]


def sent(world: World) -> list[str]:
    return [c.args["content"] for c in world.platform.calls if c.command == "messages.send"]


def test_a_failed_iteration_gives_back_the_row_it_did_not_send() -> None:
    world = World()
    seed(world, "posts", ROWS)
    outcome = world.run(POST.replace("TAKE", "take = 1"))
    assert outcome.status == "done", outcome.error
    assert outcome.carousel is not None and outcome.carousel.iterations_failed == 2
    assert sent(world) == ["one", "three"]
    rows = world.rows("posts")
    assert [(r.status, r.claimed_by) for r in rows] == [
        ("posted", None),
        ("approved", None),  # its send failed: back in the pool
        ("taken", None),  # sent, then its marking failed: never posted again
    ]
    # the next run takes the row that came back (and fails on it again)
    again = world.run(POST.replace("TAKE", "take = 1"))
    picked = [a.output for a in again.acts if a.name == "pick" and a.output]
    assert [p[0]["id"] for p in picked] == [rows[1].id]
    assert sent(world) == ["one", "three"]


def test_pull_and_delete_keeps_the_row_of_a_failed_iteration() -> None:
    world = World()
    seed(world, "posts", ROWS)
    outcome = world.run(POST.replace("TAKE", "limit = 1\npull_and_delete = true"))
    assert outcome.status == "done", outcome.error
    # the sent rows are deleted; the one whose send failed is kept, unclaimed
    assert [(r.fields, r.status, r.claimed_by) for r in world.rows("posts")] == [
        ({"tag": "b"}, "approved", None)
    ]
