"""The content pipeline through the real command, in separate processes (issue 11):
generate → store → curate → approve → post exactly once, on SQLite (the sandbox) and on
PostgreSQL (the Discord emulator, the sandbox model as a profile); two posting workers on
one table; Botticelli's content-generation and table-reading narratives; hostile wheres.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from narrator.content import Provenance, Query
from narrator.state import open_database
from tests.e2e.cli import Cli
from tests.e2e.emulator import GUILD, EmulatorProcess

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "content_pipeline"
CORPUS = ROOT.parent / "shared" / "conformance" / "botticelli"


def rows(
    cli: Cli, table: str, db: tuple[str, ...] = (), opts: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """``narrator [DB] content list [OPTS] TABLE --json`` (DB: ``--database URL``)."""
    result = cli(*db, "content", "list", *opts, table, "--json", "--limit", "1000")
    assert result.code == 0, result.err
    found: list[dict[str, Any]] = result.json()
    return found


def run_json(cli: Cli, *args: str) -> dict[str, Any]:
    result = cli(*args, "--json")
    assert result.code == 0, result.err + result.out
    data: dict[str, Any] = result.json()
    return data


def prompt_of(
    cli: Cli, run_id: str, act: str, db: tuple[str, ...] = (), opts: tuple[str, ...] = ()
) -> str:
    """The prompt a model act of ``run_id`` was sent (the journal's rendered input)."""
    shown = cli(*db, "runs", "show", *opts, run_id, "--full", "--json")
    assert shown.code == 0, shown.err
    (entry,) = [a for a in shown.json()["acts"] if a["name"] == act]
    prompt: str = entry["input"]["prompt"]
    return prompt


# ------------------------------------------------------------------ the pipeline


def pipeline(cli: Cli, db: tuple[str, ...], run: tuple[str, ...]) -> None:
    """generate → curate → approve (the content CLI) → post, post again. ``db``: the
    global options naming the database; ``run``: the options of ``run``."""

    def content(table: str) -> list[dict[str, Any]]:
        return rows(cli, table, db, run)

    generated = run_json(cli, *db, "run", *run, str(EXAMPLE / "generate.toml"))
    posts = content("posts")
    assert len(posts) == 10
    assert {(r["narrative"], r["act"], r["run_id"], r["status"]) for r in posts} == {
        ("generate_posts", "write", generated["run_id"], "pending")
    }
    assert all(r["model"] and r["created_at"] and r["content_hash"] for r in posts)
    output = generated["acts"][0]["output"]
    assert sorted(o["id"] for o in output) == sorted(r["id"] for r in posts)
    # the same answer again: dedupe = "hash" stores nothing new
    assert (
        run_json(cli, *db, "run", *run, str(EXAMPLE / "generate.toml"))["acts"][0]["output"] == []
    )
    assert len(content("posts")) == 10

    curated_run = run_json(cli, *db, "run", *run, str(EXAMPLE / "curate.toml"))
    by_score = sorted(
        (r for r in posts if r["fields"]["score"] >= 5),
        key=lambda r: (-r["fields"]["score"], r["id"]),
    )
    shown = prompt_of(cli, curated_run["run_id"], "choose", db, run)
    table_lines = [line for line in shown.splitlines() if line.startswith("| ")][1:]
    assert [int(line.split("|")[1]) for line in table_lines] == [r["id"] for r in by_score[:4]]
    after = {r["id"]: r["status"] for r in content("posts")}
    assert [i for i, s in after.items() if s == "taken"] == sorted(r["id"] for r in by_score[:4])
    curated = content("curated")
    assert len(curated) == 3
    assert {r["narrative"] for r in curated} == {"curate_posts"}

    ids = [str(r["id"]) for r in curated]
    approved = cli(*db, "content", "approve", *run, "curated", *ids)
    assert approved.code == 0, approved.err

    first = run_json(cli, *db, "run", *run, str(EXAMPLE / "post.toml"))
    assert first["summary"]["messages_sent"] == 3
    second = run_json(cli, *db, "run", *run, str(EXAMPLE / "post.toml"))
    assert second["summary"]["messages_sent"] == 0
    assert second["carousel"]["stopped_reason"] == "condition"
    done = content("curated")
    assert {r["status"] for r in done} == {"posted"}
    message_ids = [r["message_id"] for r in done]
    assert all(message_ids) and len(set(message_ids)) == 3
    sent = [a["output"] for a in first["acts"] if a["name"] == "send"]
    assert sorted(m["id"] for m in sent) == sorted(message_ids)
    assert sorted(m["content"].split("**")[1] for m in sent) == sorted(
        r["fields"]["title"] for r in curated
    )


def test_the_pipeline_in_the_sandbox_on_sqlite(cli: Cli) -> None:
    pipeline(cli, (), ("--sandbox",))
    assert (cli.cwd / "narrator.sandbox.db").is_file()


def test_the_pipeline_on_postgresql_against_the_emulator(
    discord_cli: Cli, emulator: EmulatorProcess, postgres_url: str
) -> None:
    config = (discord_cli.cwd / "narrator.toml").read_text(encoding="utf-8")
    discord_cli.write("narrator.toml", config + '\n[models.default]\nprovider = "sandbox"\n')
    reset(postgres_url)
    pipeline(discord_cli, ("--database", postgres_url), ())
    stored = [m for channel in emulator.world()["messages"].values() for m in channel]
    posted = rows(discord_cli, "curated", ("--database", postgres_url))
    assert sorted(stored) == sorted(r["message_id"] for r in posted)  # 3 messages, 1 per row


def reset(url: str) -> None:
    """Empty the content tables this module uses (one PostgreSQL database per session)."""
    database = open_database(url)
    try:
        for table in ("posts", "curated", "queue"):
            database.content.delete(table, None)
    finally:
        database.close()


# ------------------------------------------------------------------ two workers

WORKER = """
[narrative]
name = "worker_{name}"

[carousel]
iterations = 200
until = "not pick"

[[act]]
name = "pick"
[[act.input]]
type = "table"
table = "queue"
where = "status = 'approved'"
order_by = "id"
take = 1

[[act]]
name = "send"
skip_if = "not pick"
[[act.input]]
command = "messages.send"
[act.input.args]
channel_id = "{channel}"
content = "row {{act.pick.output.0.id}} by {name}"

[[act]]
name = "mark"
skip_if = "not pick"
[[act.input]]
platform = "content"
command = "content.update"
[act.input.args]
table = "queue"
where = "id = {{act.pick.output.0.id}}"
status = "posted"
message_id = "{{act.send.output.id}}"
"""


def test_two_workers_on_postgresql_post_each_of_200_rows_exactly_once(
    discord_cli: Cli, emulator: EmulatorProcess, postgres_url: str
) -> None:
    reset(postgres_url)
    channel = emulator.discord("POST", f"/guilds/{GUILD}/channels", {"name": "queue", "type": 0})
    database = open_database(postgres_url)
    try:
        items = [{"n": i} for i in range(200)]
        stored = database.content.insert("queue", items, Provenance(narrative="seed"))
        database.content.set_status("queue", [r.id for r in stored], "approved")
    finally:
        database.close()
    procs = []
    for name in ("a", "b"):
        path = discord_cli.write(f"{name}.toml", WORKER.format(name=name, channel=channel["id"]))
        command = [sys.executable, "-m", "narrator", "--database", postgres_url]
        procs.append(
            subprocess.Popen(
                [*command, "run", str(path), "--json"],
                cwd=discord_cli.cwd,
                env=discord_cli.env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    outcomes = []
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
        outcomes.append(json.loads(out))
    sent = sum(o["summary"]["messages_sent"] for o in outcomes)
    assert sent == 200
    posted = rows(discord_cli, "queue", ("--database", postgres_url))
    assert len(posted) == 200
    assert {r["status"] for r in posted} == {"posted"}
    assert len({r["message_id"] for r in posted}) == 200
    stored = emulator.world()["messages"].get(channel["id"], {})
    contents = [m["content"].split(" by ")[0] for m in stored.values()]
    assert len(contents) == 200  # the channel holds one message per row (a retried send
    assert len(set(contents)) == 200  # carries its nonce: Discord keeps the first)
    assert set(stored) == {r["message_id"] for r in posted}


# ------------------------------------------------------------------ Botticelli


def test_botticelli_content_generation_stores_and_publish_welcome_reads_real_rows(
    cli: Cli,
) -> None:
    assert (CORPUS / "publish_welcome.toml").is_file(), f"missing {CORPUS}"
    for name in ("publish_welcome.toml", "welcome_content_generation.toml"):
        shutil.copy(CORPUS / name, cli.cwd / name)
    outcome = run_json(cli, "run", "--sandbox", "publish_welcome.toml")
    stored = rows(cli, "welcome_messages", opts=("--sandbox",))
    assert stored and {(r["narrative"], r["act"]) for r in stored} == {
        ("welcome_messages", "refine_best")
    }
    assert all(r["fields"]["title"] and r["fields"]["content"] for r in stored)
    prompt = prompt_of(cli, outcome["run_id"], "select_best", opts=("--sandbox",))
    header = "| id | title | content | tone | key_features_highlighted | status |"
    assert prompt.startswith(header)
    assert prompt.count("\n| ") == len(stored)  # a line per row after the separator
    assert "not available in narrator" not in prompt
    # the generation narrative alone stores into the same table
    alone = run_json(cli, "run", "--sandbox", "welcome_content_generation.toml")
    assert alone["status"] == "done"
    assert len(rows(cli, "welcome_messages", opts=("--sandbox",))) > len(stored)


BOTT_CURATE = """
[narrative]
name = "curate_content"
target = "approved_discord_posts"
template = "discord_posts"

[toc]
order = ["analyze", "select"]

[acts.analyze]
[[acts.analyze.input]]
type = "table"
table_name = "potential_discord_posts"
format = "markdown"
limit = 10
order_by = "generated_at DESC"
required = false
pull_and_delete = true

[[acts.analyze.input]]
type = "text"
content = "Score each post above from 1 to 50."

[acts.select]
[[acts.select.input]]
type = "text"
content = "Output the best posts as a JSON array."
"""

BOTT_POST = """
[narrative]
name = "discord_poster"
skip_content_generation = true

[toc]
order = ["get_channel", "next_post", "post_to_channel", "mark_posted"]

[bots.get_channel]
platform = "discord"
command = "channels.get_or_create"
name = "content-test"
channel_type = "text"

[tables.next_post]
table_name = "approved_discord_posts"
where = "review_status = 'pending'"
order_by = "generated_at ASC"
limit = 1

[bots.post_message]
platform = "discord"
command = "messages.send"
channel_id = "${get_channel.id}"
content = "${next_post.0.text_content}"

[bots.mark_posted]
platform = "database"
command = "update_table"
table_name = "approved_discord_posts"
where_clause = "id = ${next_post.0.id}"
limit = 1

[bots.mark_posted.updates]
review_status = "posted"
message_id = "${post_to_channel.id}"

[acts]
get_channel = ["bots.get_channel"]
next_post = ["tables.next_post"]
post_to_channel = ["bots.post_message"]
mark_posted = ["bots.mark_posted"]
"""


def test_botticelli_curate_and_post_shapes(cli: Cli) -> None:
    cli.write("curate.toml", BOTT_CURATE)
    cli.write("poster.toml", BOTT_POST)
    database = open_database(f"sqlite:///{cli.cwd / 'narrator.sandbox.db'}")
    try:
        for i in range(3):  # one by one: generated_at orders them
            post = {"text_content": f"Potential post number {i}"}
            database.content.insert("potential_discord_posts", [post], Provenance("gen"))
    finally:
        database.close()
    curated = run_json(cli, "run", "--sandbox", "curate.toml")
    prompt = prompt_of(cli, curated["run_id"], "analyze", opts=("--sandbox",))
    assert "Potential post number 2" in prompt.splitlines()[2]  # newest first
    database = open_database(f"sqlite:///{cli.cwd / 'narrator.sandbox.db'}")
    try:  # pulled and deleted when the run was done
        assert database.content.select(Query("potential_discord_posts")) == []
    finally:
        database.close()
    approved = rows(cli, "approved_discord_posts", opts=("--sandbox",))
    assert approved and all(len(r["fields"]["text_content"]) >= 10 for r in approved)
    assert {(r["narrative"], r["act"], r["status"]) for r in approved} == {
        ("curate_content", "select", "pending")
    }
    posted = run_json(cli, "run", "--sandbox", "poster.toml")
    assert posted["summary"]["messages_sent"] == 1
    mark = next(a for a in posted["acts"] if a["name"] == "mark_posted")
    assert mark["output"] == {"rows_affected": 1}
    after = rows(cli, "approved_discord_posts", opts=("--sandbox",))
    first = min(after, key=lambda r: r["id"])
    assert first["status"] == "posted" and first["message_id"]
    assert {r["status"] for r in after if r["id"] != first["id"]} <= {"pending"}


# ------------------------------------------------------------------ hostile wheres


@pytest.mark.parametrize(
    ("where", "col", "says"),
    [
        ("1=1; DROP TABLE state", 13, "unexpected ';'"),
        ("id IN (SELECT id FROM content_rows)", 17, "subqueries are not allowed"),
        ("load_extension('x') = 1", 10, "function calls are not allowed"),
    ],
)
def test_a_hostile_where_is_refused_by_validate_with_its_position(
    cli: Cli, where: str, col: int, says: str
) -> None:
    text = '[[act]]\nname = "pick"\n[[act.input]]\ntype = "table"\ntable = "posts"\n'
    text += f'where = "{where}"\n'
    path = cli.write("hostile.toml", text)
    result = cli("validate", str(path))
    assert result.code == 2
    assert f"{path}:6:{col}: act 'pick': where refused: " in result.err + result.out
    assert says in result.err + result.out
    planned = cli("run", "--sandbox", str(path))
    assert planned.code == 2  # refused at load: nothing runs, no database is touched
    assert not (cli.cwd / "narrator.sandbox.db").exists()


# ------------------------------------------------------------------ claims and resume


def test_a_failed_run_keeps_its_row_and_resume_posts_it_once(
    discord_cli: Cli, emulator: EmulatorProcess
) -> None:
    channel = emulator.discord("POST", f"/guilds/{GUILD}/channels", {"name": "queue", "type": 0})
    database = open_database(f"sqlite:///{discord_cli.cwd / 'narrator.db'}")
    try:
        stored = database.content.insert("queue", [{"n": i} for i in range(3)], Provenance())
        database.content.set_status("queue", [r.id for r in stored], "approved")
    finally:
        database.close()
    first, other = (
        discord_cli.write(f"{n}.toml", WORKER.format(name=n, channel=channel["id"]))
        for n in ("a", "b")
    )
    route = f"POST /channels/{channel['id']}/messages"
    emulator.inject({"pattern": route, "status": 403, "count": 1})
    failed = discord_cli("run", str(first), "--json")
    assert failed.code == 1 and failed.json()["status"] == "failed"
    taken_by_a = failed.json()["acts"][0]["output"][0]["id"]
    # another worker meanwhile: it never gets the row the failed run holds
    meanwhile = run_json(discord_cli, "run", str(other))
    assert meanwhile["summary"]["messages_sent"] == 2
    picked = [
        a["output"][0]["id"] for a in meanwhile["acts"] if a["name"] == "pick" and a["output"]
    ]
    assert taken_by_a not in picked
    resumed = discord_cli("resume", failed.json()["run_id"], "--json")
    assert resumed.code == 0, resumed.err
    assert resumed.json()["summary"]["messages_sent"] == 1
    posted = rows(discord_cli, "queue")
    assert {r["status"] for r in posted} == {"posted"}
    assert len({r["message_id"] for r in posted}) == 3
    stored = emulator.world()["messages"].get(channel["id"], {})
    assert set(stored) == {r["message_id"] for r in posted}  # three messages, one per row
