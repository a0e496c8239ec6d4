"""Content tables on every backend: memory, a SQLite file and a real PostgreSQL server.

The same assertions run on the three, so a ``where`` selects the same rows, in
the same order, wherever it runs; claims are exactly-once under two takers.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from narrator.content import (
    ContentRow,
    Provenance,
    Query,
    WhereError,
    matches,
    parse_order,
    parse_where,
    row_record,
)
from narrator.errors import InvalidValue, StateError
from narrator.state import open_database
from narrator.state.content_memory import MemoryContent
from narrator.testing import FakeClock
from tests.postgres import reset_database

BACKENDS = ["memory", "sqlite", "postgres"]
PROV = Provenance("gen", "run1", "write", "gpt-test")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2024, 6, 1, 12, 0, tzinfo=UTC))


def _url(kind: str, request: pytest.FixtureRequest, tmp_path: Any) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path}/content.db"
    url: str = request.getfixturevalue("postgres_url")
    open_database(url).close()  # migrate once, then start from empty tables
    reset_database(url)
    return url


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Any, clock: FakeClock) -> Iterator[Any]:
    """(kind, store, database-or-None) of one backend, empty, on the fake clock."""
    if request.param == "memory":
        yield "memory", MemoryContent(clock=clock.now), None
        return
    db = open_database(_url(request.param, request, tmp_path), clock=clock.now)
    try:
        yield request.param, db.content, db
    finally:
        db.close()


@pytest.fixture
def store(backend: Any) -> Any:
    return backend[1]


def q(table: str = "posts", where: str | None = None, order: str = "", **kw: Any) -> Query:
    return Query(
        table,
        where=parse_where(where) if where else None,
        order=parse_order(order) if order else (),
        **kw,
    )


def titles(rows: list[ContentRow]) -> list[str]:
    return [str(r.fields.get("title")) for r in rows]


MIXED: list[dict[str, Any]] = [
    {"title": "int9", "score": 9, "tags": ["a"]},
    {"title": "str9", "score": "9"},
    {"title": "float7.5", "score": 7.5, "author": {"name": "Zoë"}},
    {"title": "int10", "score": 10, "author": {"name": "ann"}},
    {"title": "str10", "score": "10"},
    {"title": "true", "score": True},
    {"title": "null", "score": None},
    {"title": "missing"},
    {"title": "O'Brien", "score": 2, "note": "50% off_today"},
]
ALL_TITLES = [str(m["title"]) for m in MIXED]


def test_insert_returns_rows_with_ids_provenance_and_hash(store: Any, clock: FakeClock) -> None:
    rows = store.insert("posts", [{"title": "a", "n": 1}, {"title": "b"}], PROV)
    assert [r.id for r in rows] == sorted({r.id for r in rows})
    first = rows[0]
    assert (first.table, first.status, first.narrative, first.run_id, first.act, first.model) == (
        "posts",
        "pending",
        "gen",
        "run1",
        "write",
        "gpt-test",
    )
    assert first.created_at == clock.now() and first.content_hash and len(first.content_hash) == 64
    assert store.get("posts", first.id) == first
    assert store.get("other", first.id) is None
    data = first.as_data()
    assert data["id"] == first.id and data["title"] == "a" and data["status"] == "pending"
    assert data["created_at"] == "2024-06-01T12:00:00+00:00"


def test_insert_refuses_non_objects_and_bad_table_names(store: Any) -> None:
    with pytest.raises(InvalidValue, match="stores JSON objects"):
        store.insert("posts", ["just text"], PROV)
    with pytest.raises(InvalidValue, match="invalid content table name"):
        store.insert("posts; drop", [{"a": 1}], PROV)
    assert store.select(q()) == []


def test_dedupe_on_hash_and_on_a_field_skips_items_already_present(store: Any) -> None:
    assert (
        len(store.insert("posts", [{"t": "a"}, {"t": "a"}, {"t": "b"}], PROV, dedupe="hash")) == 2
    )
    again_hash = store.insert("posts", [{"t": "a"}, {"t": "c"}], PROV, dedupe="hash")
    assert [r.fields["t"] for r in again_hash] == ["c"]
    stored = store.insert("nums", [{"k": 7}, {"k": "7"}, {"k": True}], PROV, dedupe="k")
    assert [r.fields["k"] for r in stored] == [7, "7", True]
    again = store.insert(
        "nums", [{"k": 7.0}, {"k": "7"}, {"k": False}, {"other": 1}, {"k": None}], PROV, dedupe="k"
    )
    assert [r.fields for r in again] == [{"k": False}, {"other": 1}, {"k": None}]
    nested = store.insert("n2", [{"a": {"b": 1}}, {"a": {"b": 1}}], PROV, dedupe="a.b")
    assert len(nested) == 1
    objects = store.insert("n3", [{"a": {"x": [1, "y"]}}], PROV, dedupe="a")
    assert store.insert("n3", [{"a": {"x": [1, "y"]}}, {"a": {"x": [2]}}], PROV, dedupe="a") == [
        *store.select(q("n3", "id > " + str(objects[0].id)))
    ]
    assert len(store.select(q("n3"))) == 2
    # more distinct values than one probe holds: the whole table is compared
    store.insert("many", [{"k": i} for i in range(250)], PROV, dedupe="k")
    again = store.insert("many", [{"k": i} for i in range(125, 375)], PROV, dedupe="k")
    assert [r.fields["k"] for r in again] == list(range(250, 375))


def test_a_missing_table_reads_as_empty(store: Any) -> None:
    assert store.select(q("nothing_here", "status = 'approved'", limit=3)) == []
    assert store.take(q("nothing_here", limit=1), "r/a/1") == []


WHERES = {
    "score >= 9": ["int9", "int10"],
    "score > 7": ["int9", "float7.5", "int10"],
    "score = '9'": ["str9"],
    "score > '1'": ["str9", "str10"],  # strings compare as strings, numbers are not strings
    "score = TRUE": ["true"],
    "score != 9": ["float7.5", "int10", "O'Brien"],
    "score IS NULL": ["null", "missing"],
    "score IS NOT NULL": ["int9", "str9", "float7.5", "int10", "str10", "true", "O'Brien"],
    "score IN (9, '10', TRUE)": ["int9", "str10", "true"],
    "score NOT IN (9, 10)": ["float7.5", "O'Brien"],
    "title LIKE 'int%'": ["int9", "int10"],
    "title LIKE 'INT%'": [],
    "title LIKE 'str_'": ["str9"],
    "note LIKE '50\\% off\\_%'": ["O'Brien"],
    "note LIKE '50_ off%'": ["O'Brien"],
    "title NOT LIKE '%1%'": ["int9", "str9", "float7.5", "true", "null", "missing", "O'Brien"],
    "title = 'O''Brien'": ["O'Brien"],
    "author.name = 'Zoë'": ["float7.5"],
    "fields.author.name > 'a'": ["int10"],  # by code point: 'Z' < 'a'
    "\"title\" = 'true'": ["true"],
    "NOT (score >= 9) AND score IS NOT NULL": ["float7.5", "O'Brien"],  # NOT unknown = unknown
    "score < 8 OR title = 'missing'": ["float7.5", "missing", "O'Brien"],
    "tags = 'a'": [],
    "review_status = 'pending' AND score >= 10": ["int10"],
    "status = 'approved'": [],
    "review_status IN ('pending', 'x') AND id IN (1, 2, 3)": ["int9", "str9", "float7.5"],
    "review_status NOT IN ('pending') OR id NOT IN (1, 2, 3, 4, 5, 6, 7, 8)": ["O'Brien"],
    "id >= 0 AND created_at >= '2024-06-01T00:00:00Z' AND generated_at < '2025-01-01'": ALL_TITLES,
    "source_narrative = 'gen' AND generation_model LIKE 'gpt-%' AND act = 'write'": ALL_TITLES,
    "1 = 1": ALL_TITLES,
    "1 = 2 OR score IS NULL": ["null", "missing"],
    "message_id IS NULL AND NOT score = NULL": [],
}


@pytest.mark.parametrize("where", sorted(WHERES))
def test_typed_comparisons_select_the_same_rows_on_every_backend(store: Any, where: str) -> None:
    stored = store.insert("posts", MIXED, PROV)
    got = titles(store.select(q(where=where)))
    assert got == WHERES[where]
    assert got == [str(r.fields["title"]) for r in stored if matches(parse_where(where), r)]


ORDERS = {
    "score ASC": [
        "null", "missing", "true", "O'Brien", "float7.5", "int9", "int10", "str10", "str9",
    ],
    "score DESC": [
        "str9", "str10", "int10", "int9", "float7.5", "O'Brien", "true", "null", "missing",
    ],
    "title": sorted(str(m["title"]) for m in MIXED),
    "author.name DESC, title": [
        "int10", "float7.5", "O'Brien", "int9", "missing", "null", "str10", "str9", "true",
    ],
}  # fmt: skip


@pytest.mark.parametrize("order", sorted(ORDERS))
def test_ordering_is_the_same_on_every_backend(store: Any, order: str) -> None:
    store.insert("posts", MIXED, PROV)
    assert titles(store.select(q(order=order))) == ORDERS[order]


def test_where_order_limit_offset_and_time_order(store: Any, clock: FakeClock) -> None:
    for n in range(6):
        store.insert(
            "posts", [{"title": f"t{n}", "n": n}], PROV, status="approved" if n % 2 else "pending"
        )
        clock.advance(60)
    got = store.select(q(where="status = 'approved'", order="generated_at DESC", limit=2))
    assert titles(got) == ["t5", "t3"]
    got = store.select(q(where="review_status = 'approved'", order="n", limit=2, offset=1))
    assert titles(got) == ["t3", "t5"]
    assert titles(store.select(q(offset=4))) == ["t4", "t5"]  # default: oldest first


def test_sample_draws_distinct_matching_rows_then_orders_them(store: Any) -> None:
    store.insert("posts", [{"title": f"t{n:02}", "n": n} for n in range(30)], PROV)
    for _ in range(3):
        rows = store.select(q(where="n >= 10", order="n DESC", sample=5))
        ns = [r.fields["n"] for r in rows]
        assert len(set(ns)) == 5 and all(n >= 10 for n in ns) and ns == sorted(ns, reverse=True)
    assert len(store.select(q(where="n >= 28", sample=5))) == 2


def test_take_claims_resumes_and_never_gives_a_row_twice(store: Any) -> None:
    store.insert("posts", [{"title": f"t{n}"} for n in range(5)], PROV, status="approved")
    first = store.take(q(where="status = 'approved'", limit=2), "runA/post/1")
    assert titles(first) == ["t0", "t1"] and {r.claimed_by for r in first} == {"runA/post/1"}
    # the same claimant (a resumed run) gets the same rows back, nothing more
    assert titles(store.take(q(where="status = 'approved'", limit=2), "runA/post/1")) == [
        "t0",
        "t1",
    ]
    assert titles(store.take(q(where="status = 'approved'", limit=2), "runA/post/2")) == [
        "t2",
        "t3",
    ]
    assert titles(store.take(q(where="status = 'approved'", limit=5), "runB/post/1")) == ["t4"]
    assert store.take(q(where="status = 'approved'", limit=1), "runC/post/1") == []
    # a claimed row stays readable
    assert len(store.select(q(where="claimed_by IS NOT NULL"))) == 5


def test_release_consumed_marks_taken_unless_the_status_changed(store: Any) -> None:
    rows = store.insert("posts", [{"title": f"t{n}"} for n in range(4)], PROV, status="approved")
    store.take(q(limit=2), "runA/post/1")
    store.take(q(limit=1), "runB/post/1")
    store.update("posts", parse_where(f"id = {rows[1].id}"), {}, status="posted", message_id="m1")
    assert store.release("runA", consumed=True) == 2
    by_title = {r.fields["title"]: r for r in store.select(q())}
    assert (by_title["t0"].status, by_title["t0"].claimed_by) == ("taken", None)
    assert (by_title["t1"].status, by_title["t1"].message_id) == ("posted", "m1")
    assert by_title["t2"].claimed_by == "runB/post/1"  # another run's claim is untouched
    assert store.release("runB", consumed=False) == 1
    back = store.get("posts", rows[2].id)
    assert (back.status, back.claimed_by) == ("approved", None)
    assert titles(store.take(q(where="status = 'approved'"), "runC/x/1")) == ["t2", "t3"]
    assert store.release("runX", consumed=True) == 0


def test_delete_claimed_removes_only_the_runs_claims(store: Any) -> None:
    store.insert("posts", [{"title": f"t{n}"} for n in range(3)], PROV)
    store.take(q(limit=2), "run1/pull/1")
    store.take(q(limit=1), "run10/pull/1")  # a run id that shares a prefix
    assert store.delete_claimed("run1") == 2
    assert titles(store.select(q())) == ["t2"]


def test_update_merges_fields_sets_columns_and_honours_limit(store: Any, clock: FakeClock) -> None:
    store.insert("posts", [{"title": f"t{n}", "n": n} for n in range(4)], PROV)
    clock.advance(5)
    changed = store.update(
        "posts", parse_where("n >= 1"), {"review_status": "posted", "extra": [1]}, limit=2
    )
    assert titles(changed) == ["t1", "t2"]
    assert all(r.status == "posted" and r.fields["extra"] == [1] for r in changed)
    assert changed[0].updated_at == clock.now() and changed[0].fields["n"] == 1
    assert titles(store.select(q(where="status = 'posted'"))) == ["t1", "t2"]
    updated = store.update("posts", None, {"message_id": "99"}, status="done")
    assert {(r.status, r.message_id) for r in updated} == {("done", "99")}
    with pytest.raises(InvalidValue, match="cannot set"):
        store.update("posts", None, {"created_at": "x"})
    assert store.update("absent", None, {"a": 1}) == []


def test_delete_with_where_and_limit(store: Any) -> None:
    store.insert("posts", [{"title": f"t{n}", "n": n} for n in range(5)], PROV)
    store.insert("other", [{"title": "x", "n": 1}], PROV)
    assert store.delete("posts", parse_where("n >= 1"), limit=2) == 2
    assert titles(store.select(q())) == ["t0", "t3", "t4"]
    assert store.delete("posts", None) == 3
    assert titles(store.select(q("other"))) == ["x"]


def test_set_status_replace_fields_and_tables(store: Any, clock: FakeClock) -> None:
    rows = store.insert("posts", [{"title": "a"}, {"title": "b"}, {"title": "c"}], PROV)
    store.insert("ideas", [{"title": "i"}], PROV)
    clock.advance(10)
    assert store.set_status("posts", [rows[0].id, rows[1].id, 10_000], "approved") == 2
    assert store.set_status("ideas", [rows[2].id], "approved") == 0
    edited = store.replace_fields("posts", rows[2].id, {"title": "C!", "x": 1})
    assert edited.fields == {"title": "C!", "x": 1} and edited.content_hash == rows[2].content_hash
    with pytest.raises(StateError, match="has no row"):
        store.replace_fields("posts", 10_000, {"a": 1})
    summary = {t.table: t for t in store.tables()}
    assert list(summary) == ["ideas", "posts"]
    assert (summary["posts"].rows, summary["posts"].by_status) == (3, {"approved": 2, "pending": 1})
    assert summary["posts"].last_update == clock.now()


def test_export_then_import_round_trips_and_skips_known_hashes(backend: Any) -> None:
    _kind, store, _db = backend
    store.insert("posts", [{"title": f"t{n}"} for n in range(1203)], PROV)
    store.insert("ideas", [{"title": "i"}], PROV, status="approved")
    records = [row_record(r) for r in store.export_rows(None)]
    assert len(records) == 1204 and records[0]["table"] == "ideas"
    assert [r["title"] for r in [r["fields"] for r in records[1:4]]] == ["t0", "t1", "t2"]
    assert len(list(store.export_rows("posts"))) == 1203
    assert store.import_rows(records) == 0
    copied = [{**r, "table": "copy"} for r in records if r["table"] == "ideas"]
    assert store.import_rows(copied) == 1
    (row,) = store.select(q("copy"))
    assert (row.status, row.narrative, row.fields) == ("approved", "gen", {"title": "i"})
    assert row.created_at == datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Any]:
    db = open_database(_url(request.param, request, tmp_path))
    try:
        yield db
    finally:
        db.close()


def test_inserts_join_the_databases_unit_of_work(database: Any) -> None:
    db, store = database, database.content
    with pytest.raises(RuntimeError), db.unit_of_work():
        store.insert("posts", [{"title": "lost"}], PROV)
        db.state.set("global.x", 1)
        raise RuntimeError("the act failed after storing")
    assert store.select(q()) == [] and db.state.get("global.x") is None
    with db.unit_of_work():
        store.insert("posts", [{"title": "kept"}], PROV)
        db.state.set("global.x", 1)
    assert titles(store.select(q())) == ["kept"]


def _takers(store_for: Any, workers: int, query: Query) -> list[list[int]]:
    """Each worker takes one row at a time until none is left; the ids each got."""
    got: list[list[int]] = [[] for _ in range(workers)]
    errors: list[BaseException] = []
    start = threading.Barrier(workers)

    def work(n: int) -> None:
        store = store_for(n)
        try:
            start.wait()
            for iteration in range(10_000):
                rows = store.take(query, f"run{n}/post/{iteration}")
                if not rows:
                    return
                got[n].extend(r.id for r in rows)
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    return got


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_two_workers_take_each_of_200_rows_exactly_once(
    kind: str, request: pytest.FixtureRequest, tmp_path: Any
) -> None:
    url = _url(kind, request, tmp_path)
    databases = [open_database(url) for _ in range(2)]  # two engines: two connections
    try:
        stored = databases[0].content.insert(
            "queue", [{"n": n} for n in range(200)], PROV, status="approved"
        )
        query = q("queue", "status = 'approved'", order="n", limit=1)
        got = _takers(lambda n: databases[n].content, 2, query)
    finally:
        for db in databases:
            db.close()
    taken = got[0] + got[1]
    assert sorted(taken) == sorted(r.id for r in stored)  # every row once, none twice
    assert len(set(taken)) == 200


def test_memory_takers_in_threads_take_each_row_once(clock: FakeClock) -> None:
    store = MemoryContent(clock=clock.now)
    stored = store.insert("queue", [{"n": n} for n in range(200)], PROV)
    got = _takers(lambda _n: store, 2, q("queue", limit=3))
    assert sorted(got[0] + got[1]) == [r.id for r in stored]


HOSTILE = [
    "1=1; DROP TABLE state",
    "status = 'a' OR (SELECT count(*) FROM state) > 0",
    "lower(status) = 'a'",
    "status = 'a' -- and the rest",
    "status = 'a' /* c */",
    "status = 'unterminated",
    "status = 'a' UNION SELECT 1",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_a_hostile_where_never_reaches_sql(text: str, database: Any) -> None:
    statements: list[str] = []
    sa.event.listen(
        database.engine, "before_cursor_execute", lambda *a: statements.append(str(a[2]))
    )
    with pytest.raises(WhereError):
        database.content.select(q(where=text))
    assert statements == []
    assert database.state.get("global.missing") is None  # the state table is still there


def test_names_and_values_are_bound_never_spelled_into_sql(database: Any) -> None:
    statements: list[str] = []
    sa.event.listen(
        database.engine, "before_cursor_execute", lambda *a: statements.append(str(a[2]))
    )
    evil = "x'); DROP TABLE state; --"
    database.content.insert("posts", [{evil: evil, "title": "t"}], PROV, dedupe="title")
    quoted = evil.replace("'", "''")
    where = f"\"{evil}\" = '{quoted}' AND title LIKE '%'"
    rows = database.content.select(q(where=where, order=f'"{evil}" DESC'))
    assert titles(rows) == ["t"]
    assert statements and not any("DROP" in s for s in statements)
    database.state.set("global.still", 1)  # the state table survived


def test_db_upgrade_adds_content_rows_to_an_existing_0005_database(tmp_path: Any) -> None:
    import subprocess
    import sys

    from alembic import command
    from alembic.config import Config

    from narrator.state.migrate import migrations_dir

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        config = Config()
        config.set_main_option("script_location", str(migrations_dir()))
        config.attributes["connection"] = conn
        command.upgrade(config, "0005")
        conn.exec_driver_sql("INSERT INTO blobs (name, value, updated_at) VALUES ('kept', '1', 0)")
    assert "content_rows" not in sa.inspect(engine).get_table_names()
    result = subprocess.run(
        [sys.executable, "-m", "narrator", "--database", url, "db", "upgrade"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "0006" in result.stdout + result.stderr
    inspector = sa.inspect(engine)
    assert "content_rows" in inspector.get_table_names()
    indexes = {ix["name"]: ix["column_names"] for ix in inspector.get_indexes("content_rows")}
    assert indexes["ix_content_rows_table_status"] == ["table_name", "status", "created_at", "id"]
    assert set(indexes) >= {
        "ix_content_rows_table_id",
        "ix_content_rows_table_hash",
        "ix_content_rows_claimed_by",
    }
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT value FROM blobs").scalar_one() == "1"
    with open_database(url) as db:
        assert [r.id for r in db.content.insert("posts", [{"a": 1}], PROV)] == [1]
    engine.dispose()


def test_the_content_migration_downgrades(tmp_path: Any) -> None:
    from alembic import command
    from alembic.config import Config

    from narrator.state.migrate import migrations_dir

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'm.db'}")
    with engine.begin() as conn:
        config = Config()
        config.set_main_option("script_location", str(migrations_dir()))
        config.attributes["connection"] = conn
        command.upgrade(config, "0006")
        assert "content_rows" in sa.inspect(conn).get_table_names()
        command.downgrade(config, "0005")
        assert "content_rows" not in sa.inspect(conn).get_table_names()
    engine.dispose()
