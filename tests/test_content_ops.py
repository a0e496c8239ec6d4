"""narrator.content_ops: the review's walk and the verbs' decisions, on the memory store and a
real SQLite file (the CLI tests drive the same functions through the command)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from narrator import content_ops as ops
from narrator.content import ContentStore, Provenance
from narrator.errors import UsageError
from narrator.state import open_database
from narrator.state.content_memory import MemoryContent

FROM = Provenance(narrative="gen", run_id="r1", act="write", model="m")


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ContentStore]:
    if request.param == "memory":
        yield MemoryContent()
        return
    database = open_database(f"sqlite:///{tmp_path / 'narrator.db'}")
    try:
        yield database.content
    finally:
        database.close()


def _record(title: str, created: str, status: str = "pending") -> dict[str, Any]:
    return {"table": "posts", "fields": {"title": title}, "status": status, "created_at": created}


def test_the_review_walks_oldest_first_across_pages_and_ties(store: ContentStore) -> None:
    """Imported rows keep their times, so id order is not time order: the walk follows time
    (the order the status index is in), ties by id, a page of 2 at a time."""
    store.import_rows(
        [
            _record("c", "2026-01-03T00:00:00Z"),
            _record("a1", "2026-01-01T00:00:00Z"),
            _record("a2", "2026-01-01T00:00:00Z"),
            _record("skip me", "2026-01-01T12:00:00Z", status="approved"),
            _record("b", "2026-01-02T00:00:00Z"),
        ]
    )
    review = ops.Review(store, "posts", ops.selection("pending", None), total=4, page=2)
    titles = []
    while (row := review.advance()) is not None:
        titles.append(row.fields["title"])
    assert titles == ["a1", "a2", "b", "c"]
    assert review.advance() is None  # stays over
    assert ops.Review(store, "posts", ops.selection("pending", None), page=2).tally().seen == 0


def test_each_rows_last_decision_counts_and_back_reads_it_again(store: ContentStore) -> None:
    ids = [r.id for r in store.insert("posts", [{"n": i} for i in range(3)], FROM)]
    review = ops.Review(store, "posts", ops.selection("pending", None), total=3)
    assert review.advance().id == ids[0]  # type: ignore[union-attr]
    assert review.decide(ops.APPROVED).status == "approved"
    assert review.advance().id == ids[1]  # type: ignore[union-attr]
    back = review.back()
    assert back is not None and (back.id, back.status) == (ids[0], "approved")
    assert review.back() is None and review.current is not None  # stays on the first
    review.decide(ops.REJECTED)
    review.advance()
    edited = review.replace({"n": 1, "note": "better"})
    assert edited.fields == {"n": 1, "note": "better"}
    tally = review.tally()
    tally = review.tally()  # the row on screen (edited, undecided) was never skipped
    assert (tally.approved, tally.rejected, tally.edited, tally.skipped) == (0, 1, 1, 0)
    assert tally.summary("posts") == (
        "reviewed 2 rows of posts: 0 approved, 1 rejected, 1 edited, 0 skipped"
    )
    review.advance()  # leaving it undecided is skipping it
    assert review.tally().skipped == 1
    assert [r.status for r in store.export_rows("posts")] == ["rejected", "pending", "pending"]


def test_a_row_decided_elsewhere_meanwhile_is_not_shown(store: ContentStore) -> None:
    ids = [r.id for r in store.insert("posts", [{"n": i} for i in range(4)], FROM)]
    review = ops.Review(store, "posts", ops.selection("pending", None), page=1)
    assert review.advance().id == ids[0]  # type: ignore[union-attr]
    store.set_status("posts", [ids[1]], "approved")  # another reviewer
    assert review.advance().id == ids[2]  # type: ignore[union-attr]


def test_selection_and_where_errors_are_located(store: ContentStore) -> None:
    store.insert("posts", [{"score": 3}, {"score": 9}], FROM)
    assert [r.fields for r in ops.list_rows(store, "posts", where="score >= 7")] == [{"score": 9}]
    with pytest.raises(UsageError) as bad:
        ops.list_rows(store, "posts", where="score >= 7\n  AND ;")
    assert bad.value.message == "--where:2:7: unexpected ';' (at ';')"
    with pytest.raises(UsageError) as missing:
        ops.list_rows(store, "post", database="/srv/narrator.db")
    assert missing.value.message == "no table 'post' in /srv/narrator.db; tables: posts"
    assert missing.value.hint == "did you mean 'posts'?"


def test_set_status_changes_all_named_rows_or_none(store: ContentStore) -> None:
    ids = [r.id for r in store.insert("posts", [{"n": 1}, {"n": 2}], FROM)]
    with pytest.raises(UsageError, match=r"no row 99 in table 'posts'; nothing changed"):
        ops.set_status(store, "posts", [ids[0], 99], ops.APPROVED)
    assert [r.status for r in store.export_rows("posts")] == ["pending", "pending"]
    assert ops.set_status(store, "posts", [ids[1], ids[1]], ops.APPROVED) == 1


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('{\n  "a": 1,\n}', "line 3, column 1: "),  # the reason's wording varies by Python
        ("[1, 2]", "line 1, column 1: the row must be a JSON object {...}, not an array"),
        ("", "line 1, column 1: Expecting value"),
    ],
)
def test_an_edited_document_must_be_one_json_object(text: str, where: str) -> None:
    with pytest.raises(ops.DocumentError) as problem:
        ops.parse_document(text)
    assert str(problem.value).startswith(where)
    assert ops.parse_document('{"a": [1, {"b": null}]}') == {"a": [1, {"b": None}]}


def test_export_lines_go_table_by_table_and_parse_back(store: ContentStore) -> None:
    store.insert("zeta", [{"z": 1}], FROM)
    store.insert("alpha", [{"a": 1}, {"a": 2}], FROM)
    lines = list(ops.export_lines(store, None))
    records = ops.parse_import("\n".join(lines) + "\n\n", "all.jsonl")
    assert [(r["table"], r["fields"]) for r in records] == [
        ("alpha", {"a": 1}),
        ("alpha", {"a": 2}),
        ("zeta", {"z": 1}),
    ]
    with pytest.raises(UsageError, match=r"^x\.jsonl:1: missing \"fields\""):
        ops.parse_import('{"table": "t"}', "x.jsonl")
    wrong = (("[1, 2]", "a list"), ('"x"', "a string"), ("null", "null"), ("1.5", "a number"))
    for fields, kind in wrong:
        with pytest.raises(
            UsageError, match=rf'^x\.jsonl:1: "fields" must be an object, not {kind}\n'
        ):
            ops.parse_import(f'{{"table": "t", "fields": {fields}}}', "x.jsonl")
    with pytest.raises(UsageError, match=r"created_at 'yesterday' is not an ISO-8601 time"):
        ops.parse_import('{"table": "t", "fields": {}, "created_at": "yesterday"}', "x.jsonl")
