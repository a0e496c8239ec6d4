"""``narrator content ...`` (issue 11, item 6) through the real command in separate processes,
on a real SQLite file — and the main verbs once on PostgreSQL.

Rows are seeded through the store API (``Database.content.insert``, as a narrative's
``store =`` does) or through ``content import``; every check reads them back through
the CLI.
"""

from __future__ import annotations

import json
import sys
import uuid
from typing import Any

import pytest

from narrator.content import Provenance
from narrator.state import open_database
from tests.e2e.cli import Cli

POSTS = [
    {"title": "Rust 1.80 is out", "body": "LazyLock is stable.", "score": 8, "tags": ["rust"]},
    {"title": "Async traits", "body": "They work in stable now.", "score": 6},
    {"title": "Why we test in a real terminal", "body": "tmux, raw bytes.", "score": 9},
    {"title": "Dull post", "body": "Nothing to see.", "score": 2},
]
FROM = Provenance(narrative="generate_posts", run_id="run-0001", act="write", model="sandbox")

# An EDITOR that upper-cases the title of the JSON document it is given (in place).
UPPER_EDITOR = """
import json, sys
path = sys.argv[1]
doc = json.load(open(path, encoding="utf-8"))
doc["title"] = doc["title"].upper()
doc["edited"] = True
json.dump(doc, open(path, "w", encoding="utf-8"))
"""

# An EDITOR that writes broken JSON the first time and a valid edit the second time.
BROKEN_THEN_FIXED_EDITOR = """
import json, pathlib, sys
path = pathlib.Path(sys.argv[1])
marker = pathlib.Path(sys.argv[0]).with_suffix(".ran")
if not marker.exists():
    marker.write_text("1")
    path.write_text('{\\n  "title": "half\\n', encoding="utf-8")
else:
    doc = json.loads(path.read_text(encoding="utf-8").replace('"half\\n', '"half"}'))
    doc["title"] = "fixed"
    path.write_text(json.dumps(doc), encoding="utf-8")
"""


def _url(cli: Cli, name: str = "narrator.db") -> str:
    return f"sqlite:///{cli.cwd / name}"


def _seed(url: str, table: str, items: list[dict[str, Any]]) -> list[int]:
    database = open_database(url)
    try:
        return [row.id for row in database.content.insert(table, items, FROM)]
    finally:
        database.close()


def _editor(cli: Cli, name: str, script: str) -> dict[str, str]:
    path = cli.write(name, script)
    return {"EDITOR": f"{sys.executable} {path}", "VISUAL": ""}


def _rows(cli: Cli, table: str, *args: str) -> list[dict[str, Any]]:
    result = cli(*args, "content", "list", table, "--json")
    assert result.code == 0, result.err
    rows: list[dict[str, Any]] = result.json()
    return rows


def test_tables_list_and_show_read_what_a_narrative_stored(cli: Cli) -> None:
    ids = _seed(_url(cli), "posts", POSTS)
    _seed(_url(cli), "approved_posts", POSTS[:1])

    tables = cli("content", "tables")
    assert tables.code == 0, tables.err
    lines = tables.out.splitlines()
    assert lines[0].startswith("approved_posts  1 row (1 pending)")
    assert lines[1].startswith("posts  4 rows (4 pending)")
    as_json = cli("content", "tables", "--json").json()
    assert [(t["table"], t["rows"], t["by_status"]) for t in as_json] == [
        ("approved_posts", 1, {"pending": 1}),
        ("posts", 4, {"pending": 4}),
    ]
    assert as_json[0]["last_update"]

    listed = cli("content", "list", "posts")
    assert listed.code == 0, listed.err
    assert [line.split("  ")[:2] for line in listed.out.splitlines()] == [
        [str(i), "pending"] for i in ids
    ]
    assert '"title": "Rust 1.80 is out"' in listed.out

    rows = _rows(cli, "posts")
    assert [r["id"] for r in rows] == ids
    first = rows[0]
    assert first["fields"] == POSTS[0] and first["table"] == "posts"
    assert (first["narrative"], first["run_id"], first["act"], first["model"]) == (
        "generate_posts",
        "run-0001",
        "write",
        "sandbox",
    )
    assert first["status"] == "pending" and len(first["content_hash"]) == 64

    good = cli("content", "list", "posts", "--where", "score >= 7 AND title LIKE '%R%'", "--json")
    assert [r["fields"]["title"] for r in good.json()] == ["Rust 1.80 is out"]
    botticelli = cli(
        "content", "list", "posts", "--where", "review_status = 'pending' AND score > 5", "--json"
    )
    assert [r["id"] for r in botticelli.json()] == [ids[0], ids[1], ids[2]]
    limited = cli("content", "list", "posts", "--limit", "2", "--json")
    assert [r["id"] for r in limited.json()] == ids[:2]

    shown = cli("content", "show", "posts", str(ids[2]))
    assert shown.code == 0, shown.err
    assert shown.out.splitlines()[0] == f"posts #{ids[2]}  [pending]"
    assert "title: Why we test in a real terminal" in shown.out
    assert "— narrative generate_posts · act write · model sandbox" in shown.out
    assert "  run run-0001 · created " in shown.out
    assert "\x1b" not in shown.out  # a pipe gets plain text
    assert cli("content", "show", "posts", str(ids[2]), "--json").json() == rows[2]


def test_errors_are_one_located_line_and_a_hint(cli: Cli) -> None:
    ids = _seed(_url(cli), "posts", POSTS)
    where = str(cli.cwd / "narrator.db")

    unknown = cli("content", "list", "post")
    assert unknown.code == 2 and unknown.out == ""
    assert unknown.err.splitlines() == [
        f"error: no table 'post' in {where}; tables: posts",
        "  hint: did you mean 'posts'?",
    ]
    hostile = cli("content", "list", "posts", "--where", "1=1; DROP TABLE state")
    assert hostile.code == 2
    assert (
        hostile.err.splitlines()[0]
        == "error: --where:1:4: unexpected ';' (at '; DROP TABLE state')"
    )
    subquery = cli("content", "list", "posts", "--where", "id IN (SELECT id FROM content_rows)")
    assert subquery.code == 2 and "--where:1:8: " in subquery.err and "SELECT" in subquery.err
    function = cli("content", "list", "posts", "--where", "lower(title) = 'x'")
    assert function.code == 2 and "--where:1:1: function calls are not allowed" in function.err
    assert "Traceback" not in hostile.err + subquery.err + function.err
    assert len(_rows(cli, "posts")) == 4  # nothing was executed

    missing = cli("content", "show", "posts", "99")
    assert missing.code == 2
    assert missing.err.splitlines() == [
        "error: no row 99 in table 'posts'",
        "  hint: list its rows with: narrator content list posts",
    ]
    partly = cli("content", "approve", "posts", str(ids[0]), "98", "99")
    assert partly.code == 2
    assert "no rows 98, 99 in table 'posts'; nothing changed" in partly.err
    assert _rows(cli, "posts")[0]["status"] == "pending"
    bad_limit = cli("content", "list", "posts", "--limit", "0")
    assert bad_limit.code == 2 and "--limit must be 1 or more" in bad_limit.err

    empty = cli("content", "list", "posts", "--status", "posted")
    assert empty.code == 0 and empty.out == ""
    assert empty.err.strip() == f"no rows in table 'posts' with status 'posted' in {where}"


def test_an_empty_or_other_database_is_named(cli: Cli) -> None:
    none = cli("content", "tables")
    assert none.code == 0 and none.out == ""
    assert f"no content tables in {cli.cwd / 'narrator.db'}" in none.err
    missing = cli("content", "list", "posts")
    assert missing.code == 2
    assert "no table 'posts' in" in missing.err and "there are no content tables yet" in missing.err
    assert "(add --sandbox)" in missing.err

    _seed(_url(cli, "narrator.sandbox.db"), "posts", POSTS[:2])
    sandbox = cli("content", "list", "posts", "--sandbox", "--json")
    assert sandbox.code == 0, sandbox.err
    assert len(sandbox.json()) == 2
    gone = cli("content", "show", "posts", "99", "--sandbox")
    assert gone.code == 2
    hint = gone.err.splitlines()[1]
    assert hint == "  hint: list its rows with: narrator content list --sandbox posts"
    real = cli("content", "list", "posts")
    assert real.code == 2 and "(add --sandbox)" in real.err  # the real database has no such table
    cli.write("one.jsonl", '{"table": "notes", "fields": {"n": 1}}\n')
    assert cli("content", "import", "one.jsonl").code == 0
    cli.cwd.joinpath("narrator.sandbox.db").unlink()
    empty_sandbox = cli("content", "list", "notes", "--sandbox")
    assert empty_sandbox.code == 2 and "(drop --sandbox)" in empty_sandbox.err


def test_approve_and_reject_change_the_status_of_exactly_those_rows(cli: Cli) -> None:
    ids = _seed(_url(cli), "posts", POSTS)
    approved = cli("content", "approve", "posts", str(ids[0]), str(ids[2]))
    assert approved.code == 0, approved.err
    assert approved.out.strip() == f"approved 2 rows of posts ({ids[0]}, {ids[2]})"
    rejected = cli("content", "reject", "posts", str(ids[3]))
    assert rejected.out.strip() == f"rejected 1 row of posts ({ids[3]})"
    assert [r["status"] for r in _rows(cli, "posts")] == [
        "approved",
        "pending",
        "approved",
        "rejected",
    ]
    only = cli("content", "list", "posts", "--status", "approved", "--json").json()
    assert [r["id"] for r in only] == [ids[0], ids[2]]
    summary = cli("content", "tables", "--json").json()[0]["by_status"]
    assert summary == {"approved": 2, "pending": 1, "rejected": 1}
    usage = cli("content", "approve", "posts")
    assert usage.code == 2 and "Missing argument" in usage.err


def test_edit_opens_the_editor_and_saves_only_a_valid_change(cli: Cli) -> None:
    ids = _seed(_url(cli), "posts", POSTS)
    untouched, before = _rows(cli, "posts")[:2]

    edited = cli("content", "edit", "posts", str(ids[1]), env=_editor(cli, "up.py", UPPER_EDITOR))
    assert edited.code == 0, edited.err
    assert edited.out.strip() == f"saved row {ids[1]} of posts"
    after = _rows(cli, "posts")[1]
    assert after["fields"] == {**POSTS[1], "title": "ASYNC TRAITS", "edited": True}
    assert (after["status"], after["narrative"], after["created_at"]) == (
        before["status"],
        before["narrative"],
        before["created_at"],
    )

    same = cli("content", "edit", "posts", str(ids[0]), env={"EDITOR": "true", "VISUAL": ""})
    assert same.code == 0, same.err
    assert same.out.strip() == f"row {ids[0]} of posts unchanged"
    assert _rows(cli, "posts")[0] == untouched  # no write: not even updated_at moved

    aborted = cli("content", "edit", "posts", str(ids[0]), env={"EDITOR": "false", "VISUAL": ""})
    assert aborted.code == 2 and aborted.err.startswith("error: not saved: false: Editing failed")
    assert _rows(cli, "posts")[0] == untouched

    missing = cli("content", "edit", "posts", "77", env={"EDITOR": "true", "VISUAL": ""})
    assert missing.code == 2 and "no row 77 in table 'posts'" in missing.err


def _with_stdin(cli: Cli, answers: str, env: dict[str, str], *args: str) -> tuple[int, str, str]:
    import subprocess

    proc = subprocess.run(
        [sys.executable, "-m", "narrator", *args],
        cwd=cli.cwd,
        env={**cli.env, **env},
        input=answers,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return proc.returncode, proc.stdout, proc.stderr


def test_invalid_json_from_the_editor_offers_to_edit_again_or_keep_the_original(
    cli: Cli,
) -> None:
    ids = _seed(_url(cli), "posts", POSTS)
    editor = _editor(cli, "broken.py", BROKEN_THEN_FIXED_EDITOR)

    code, out, err = _with_stdin(cli, "k\n", editor, "content", "edit", "posts", str(ids[0]))
    assert code == 0, err
    assert "not saved: the JSON is invalid at line 2" in err
    assert "[e]dit again or [k]eep the original?" in out
    assert f"row {ids[0]} of posts unchanged" in out
    assert _rows(cli, "posts")[0]["fields"] == POSTS[0]

    (cli.cwd / "broken.ran").unlink()
    code, out, err = _with_stdin(cli, "e\n", editor, "content", "edit", "posts", str(ids[0]))
    assert code == 0, err
    assert "not saved: the JSON is invalid" in err and f"saved row {ids[0]} of posts" in out
    assert _rows(cli, "posts")[0]["fields"]["title"] == "fixed"


def test_export_then_import_into_another_database_round_trips(cli: Cli) -> None:
    _seed(_url(cli), "posts", POSTS)
    _seed(_url(cli), "approved_posts", POSTS[2:3])
    assert cli("content", "approve", "posts", "1").code == 0

    exported = cli("content", "export", "posts", "-o", "posts.jsonl")
    assert exported.code == 0, exported.err
    assert exported.err.strip() == "exported 4 rows to posts.jsonl"
    lines = (cli.cwd / "posts.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["fields"] for r in records] == POSTS and records[0]["status"] == "approved"

    everything = cli("content", "export")
    assert everything.code == 0 and len(everything.out.splitlines()) == 5
    assert {json.loads(x)["table"] for x in everything.out.splitlines()} == {
        "posts",
        "approved_posts",
    }

    other = ("--database", _url(cli, "other.db"))
    imported = cli(*other, "content", "import", "posts.jsonl")
    assert imported.code == 0, imported.err
    assert imported.out.strip() == "imported 4 rows"
    copies = _rows(cli, "posts", *other)
    keep = ("fields", "status", "narrative", "run_id", "act", "model", "content_hash", "created_at")
    assert [{k: r[k] for k in keep} for r in copies] == [{k: r[k] for k in keep} for r in records]
    again = cli(*other, "content", "import", "posts.jsonl")
    assert again.out.strip() == "imported 0 rows, skipped 4 already present"
    assert len(_rows(cli, "posts", *other)) == 4

    cli.write("bad.jsonl", lines[0] + "\n{not json\n")
    bad = cli(*other, "content", "import", "bad.jsonl")
    assert bad.code == 2
    assert bad.err.splitlines()[0].startswith("error: bad.jsonl:2:2: not JSON")
    cli.write("shape.jsonl", '{"table": "posts"}\n')
    shape = cli(*other, "content", "import", "shape.jsonl")
    assert shape.code == 2 and 'shape.jsonl:1: missing "fields"' in shape.err
    cli.write("when.jsonl", lines[0] + '\n{"table": "bad name!", "fields": {}}\n')
    name = cli(*other, "content", "import", "when.jsonl")
    assert name.code == 2
    assert name.err.startswith("error: when.jsonl:2: invalid content table name 'bad name!'")
    assert len(_rows(cli, "posts", *other)) == 4  # a bad file imports nothing
    cli.write("by_hand.jsonl", '{"table": "ideas", "fields": {"title": "typed by hand"}}\n')
    by_hand = cli(*other, "content", "import", "by_hand.jsonl")
    assert by_hand.out.strip() == "imported 1 row", by_hand.err
    idea = _rows(cli, "ideas", *other)[0]
    assert (idea["status"], idea["fields"], idea["narrative"]) == (
        "pending",
        {"title": "typed by hand"},
        None,
    )
    unknown = cli("content", "export", "nope")
    assert unknown.code == 2 and "no table 'nope'" in unknown.err


@pytest.mark.postgres
def test_the_main_verbs_on_postgresql(cli: Cli, postgres_url: str) -> None:
    table = f"posts_{uuid.uuid4().hex[:8]}"
    ids = _seed(postgres_url, table, POSTS)
    db = ("--database", postgres_url)

    tables = cli(*db, "content", "tables", "--json")
    assert tables.code == 0, tables.err
    assert {"table": table, "rows": 4} in [
        {"table": t["table"], "rows": t["rows"]} for t in tables.json()
    ]
    high = cli(*db, "content", "list", table, "--where", "score >= 7", "--json")
    assert high.code == 0, high.err
    assert [r["id"] for r in high.json()] == [ids[0], ids[2]]
    assert cli(*db, "content", "approve", table, str(ids[0]), str(ids[2])).code == 0
    assert cli(*db, "content", "reject", table, str(ids[3])).code == 0
    statuses = [r["status"] for r in _rows(cli, table, *db)]
    assert statuses == ["approved", "pending", "approved", "rejected"]
    approved = cli(*db, "content", "list", table, "--status", "approved", "--json").json()
    assert [r["fields"]["title"] for r in approved] == [POSTS[0]["title"], POSTS[2]["title"]]

    edited = cli(
        *db, "content", "edit", table, str(ids[1]), env=_editor(cli, "up.py", UPPER_EDITOR)
    )
    assert edited.code == 0, edited.err
    assert cli(*db, "content", "show", table, str(ids[1]), "--json").json()["fields"]["title"] == (
        "ASYNC TRAITS"
    )
    hostile = cli(*db, "content", "list", table, "--where", "1=1; DROP TABLE content_rows")
    assert hostile.code == 2 and "--where:1:4: unexpected ';'" in hostile.err

    exported = cli(*db, "content", "export", table, "-o", "pg.jsonl")
    assert exported.code == 0, exported.err
    local = ("--database", _url(cli))
    assert cli(*local, "content", "import", "pg.jsonl").out.strip() == "imported 4 rows"
    assert [r["status"] for r in _rows(cli, table, *local)] == statuses
