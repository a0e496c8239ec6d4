"""The shared repository suite: every test runs on memory, SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel

from narrator.errors import InvalidKey, InvalidValue, StateError, VersionConflict
from narrator.state import Retention

MIXED: dict[str, Any] = {
    "t.null": None,
    "t.true": True,
    "t.int": -42,
    "t.big": 2**62,
    "t.float": 0.1,
    "t.negzero": -0.0,
    "t.str": 'héllo "wörld" 😀\n\t\x00',
    "t.list": [1, "two", None, [3.5, {"x": []}]],
    "t.dict": {"z": 1, "a": {"nested": [True, False]}, "": "empty key"},
    "t.empty": "",
}


def test_missing_key_reads_as_default(store: Any) -> None:
    assert store.get("nope") is None
    assert store.get("nope", 7) == 7
    assert store.get_entry("nope") is None
    assert not store.contains("nope")


def test_values_round_trip_with_their_json_types(store: Any) -> None:
    for key, value in MIXED.items():
        store.set(key, value)
    for key, value in MIXED.items():
        assert json.dumps(store.get(key)) == json.dumps(value), key


def test_tuples_come_back_as_lists_and_reads_are_copies(store: Any) -> None:
    store.set("k", {"a": (1, 2)})
    value = store.get("k")
    assert value == {"a": [1, 2]}
    value["a"].append(3)
    assert store.get("k") == {"a": [1, 2]}


def test_entry_tracks_versions_and_timestamps(store: Any, clock: Any) -> None:
    store.set("k", 1, metadata={"run_id": "r1", "narrative": "n", "act": "a1"})
    first = store.get_entry("k")
    clock.advance(10)
    store.set("k", 2)
    second = store.get_entry("k")
    assert (first.version, second.version) == (1, 2)
    assert second.created_at == first.created_at
    assert second.updated_at > first.updated_at
    assert first.metadata == {"run_id": "r1", "narrative": "n", "act": "a1"}
    assert second.metadata == {}
    assert first.created_at.tzinfo is not None


def test_delete_reports_whether_the_key_existed(store: Any) -> None:
    store.set("k", 1)
    assert store.delete("k") is True
    assert store.delete("k") is False
    assert store.get("k") is None


def test_batches_read_write_and_delete_many(store: Any) -> None:
    store.set_many({"b.1": 1, "b.2": [2], "b.3": {"three": 3}})
    assert store.get_many(["b.3", "b.1", "missing"]) == {"b.3": {"three": 3}, "b.1": 1}
    assert store.delete_many(["b.1", "b.2", "missing"]) == 2
    assert store.get_many(["b.1", "b.2", "b.3"]) == {"b.3": {"three": 3}}


def test_set_many_with_one_bad_value_writes_nothing(store: Any) -> None:
    store.set("b.1", "old")
    with pytest.raises(InvalidValue, match=r"b\.2"):
        store.set_many({"b.1": "new", "b.2": object(), "b.3": 3})
    assert store.get("b.1") == "old"
    assert store.get("b.3") is None


def test_set_many_with_one_bad_key_writes_nothing(store: Any) -> None:
    with pytest.raises(InvalidKey, match="bad key"):
        store.set_many({"ok.1": 1, "bad key": 2})
    assert store.key_count() == 0


def test_list_prefix_is_sorted_and_exact_at_the_boundaries(store: Any) -> None:
    keys = ["a", "a.", "a.b", "a.b.c", "a/", "a0", "a.\U0010ffff", "a.é", "b", "A.x", "a-"]
    store.set_many({k: k for k in keys})
    assert [e.key for e in store.list_prefix("a.")] == ["a.", "a.b", "a.b.c", "a.é", "a.\U0010ffff"]
    assert [e.key for e in store.list_prefix("a.b")] == ["a.b", "a.b.c"]
    assert [e.key for e in store.list_prefix("")] == sorted(keys)
    assert store.list_prefix("zzz") == []
    assert [e.value for e in store.list_prefix("a.é")] == ["a.é"]


def test_prefix_with_percent_and_underscore_is_literal_not_a_pattern(store: Any) -> None:
    store.set_many({"p%x": 1, "p_x": 2, "pax": 3, "p%": 4})
    assert [e.key for e in store.list_prefix("p%")] == ["p%", "p%x"]
    assert [e.key for e in store.list_prefix("p_")] == ["p_x"]


def test_clear_prefix_counts_and_touches_nothing_outside(store: Any) -> None:
    store.set_many({"x.1": 1, "x.2": 2, "x": 0, "xy": 9, "y.1": 1})
    assert store.clear_prefix("x.") == 2
    assert sorted(e.key for e in store.list_prefix("")) == ["x", "xy", "y.1"]
    assert store.clear_prefix("") == 3
    assert store.key_count() == 0


def test_key_count_and_paginated_list_keys(store: Any) -> None:
    store.set_many({f"page.{i:03d}": i for i in range(25)})
    store.set("other", 1)
    assert store.key_count("page.") == 25
    assert store.key_count() == 26
    seen: list[str] = []
    after = None
    while True:
        page = store.list_keys("page.", limit=10, after=after)
        if not page:
            break
        seen += page
        after = page[-1]
    assert seen == [f"page.{i:03d}" for i in range(25)]
    assert store.list_keys("page.", limit=0) == []


def test_scopes_prefix_keys_and_nest(store: Any) -> None:
    outer = store.scope("narrative.welcome.")
    inner = outer.scope("counts.")
    inner.set("visits", 3)
    assert store.get("narrative.welcome.counts.visits") == 3
    assert outer.get("counts.visits") == 3
    assert [e.key for e in outer.list_prefix("")] == ["counts.visits"]
    assert inner.get_many(["visits"]) == {"visits": 3}
    assert inner.list_keys() == ["visits"]
    assert inner.contains("visits")


def test_clearing_a_scope_touches_nothing_outside_it(store: Any) -> None:
    store.set_many({"s.a.1": 1, "s.a.2": 2, "s.ab": 3, "s.b.1": 4, "t": 5})
    scoped = store.scope("s.a.")
    assert scoped.clear_prefix("") == 2
    assert sorted(e.key for e in store.list_prefix("")) == ["s.ab", "s.b.1", "t"]


def test_expired_entries_are_invisible_to_every_read(store: Any, clock: Any) -> None:
    store.set("ttl.short", "gone soon", ttl=30)
    store.set("ttl.long", "stays", ttl=3600)
    store.set("ttl.none", "forever")
    assert store.get_entry("ttl.short").expires_at is not None
    clock.advance(31)
    assert store.get("ttl.short") is None
    assert store.get_entry("ttl.short") is None
    assert not store.contains("ttl.short")
    assert store.get_many(["ttl.short", "ttl.long"]) == {"ttl.long": "stays"}
    assert [e.key for e in store.list_prefix("ttl.")] == ["ttl.long", "ttl.none"]
    assert store.key_count("ttl.") == 2
    assert store.list_keys("ttl.") == ["ttl.long", "ttl.none"]
    assert store.delete("ttl.short") is False


def test_setting_an_expired_key_starts_it_afresh(store: Any, clock: Any) -> None:
    store.set("k", 1, ttl=5)
    store.set("k", 2, ttl=5)
    clock.advance(10)
    store.set("k", 3)
    entry = store.get_entry("k")
    assert (entry.value, entry.version, entry.expires_at) == (3, 1, None)
    assert entry.created_at == clock.now()


def test_gc_purges_expired_entries(store: Any, clock: Any) -> None:
    store.set("a", 1, ttl=1)
    store.set("b", 2, ttl=100)
    clock.advance(2)
    assert store.gc().expired == 1
    assert store.gc().expired == 0
    assert store.get("b") == 2


def test_get_model_reads_into_a_pydantic_model(store: Any) -> None:
    class Channel(BaseModel):
        id: str
        name: str

    store.set("ch", {"id": "1", "name": "welcome"})
    assert store.get_model("ch", Channel) == Channel(id="1", name="welcome")
    assert store.get_model("missing", Channel) is None
    store.set("bad", {"id": "1"})
    with pytest.raises(InvalidValue, match=r"'bad'.*Channel"):
        store.get_model("bad", Channel)


def test_compare_and_set_creates_updates_and_detects_conflicts(store: Any) -> None:
    assert store.compare_and_set("c", 1, 0) == 1
    with pytest.raises(VersionConflict, match="version 1, not 0"):
        store.compare_and_set("c", 99, None)
    assert store.compare_and_set("c", 2, 1) == 2
    with pytest.raises(VersionConflict):
        store.compare_and_set("c", 99, 1)
    with pytest.raises(VersionConflict):
        store.compare_and_set("absent", 1, 3)
    assert store.get("c") == 2
    assert store.get_entry("c").version == 2


def test_compare_and_set_treats_an_expired_key_as_absent(store: Any, clock: Any) -> None:
    store.set("c", "old", ttl=1)
    clock.advance(2)
    assert store.compare_and_set("c", "new", 0) == 1
    assert store.get("c") == "new"


@pytest.mark.parametrize(
    ("key", "why"),
    [
        ("", "empty"),
        ("has space", "whitespace"),
        ("tab\tkey", "whitespace"),
        ("new\nline", "whitespace"),
        ("bell\x07", "control"),
        ("nbsp\u00a0", "control"),
        ("k" * 513, "513 characters"),
        (12, "not a string"),
    ],
)
def test_bad_keys_are_refused_naming_the_key(store: Any, key: Any, why: str) -> None:
    with pytest.raises(InvalidKey, match=why):
        store.set(key, 1)
    with pytest.raises(InvalidKey):
        store.get(key)
    assert store.key_count() == 0


def test_a_512_character_key_is_fine(store: Any) -> None:
    store.set("k" * 512, 1)
    assert store.get("k" * 512) == 1


@pytest.mark.parametrize("value", [object(), float("nan"), {"x": {1, 2}}, "\udc80"])
def test_non_json_values_are_refused_naming_the_key(store: Any, value: Any) -> None:
    store.set("v", "before")
    with pytest.raises(InvalidValue, match="'v'"):
        store.set("v", value)
    with pytest.raises(InvalidValue):
        store.compare_and_set("v", value, 1)
    assert store.get("v") == "before"
    assert len(store.history("v")) == 1


def test_history_records_every_change_with_run_and_act(store: Any, clock: Any) -> None:
    store.set("h", 1, metadata={"run_id": "run-1", "act": "first"})
    clock.advance(1)
    store.set("h", 2, metadata={"run_id": "run-2", "act": "second"})
    clock.advance(1)
    store.compare_and_set("h", 3, 2)
    clock.advance(1)
    store.delete("h")
    changes = store.history("h")
    assert [(c.op, c.before, c.after) for c in changes] == [
        ("delete", 3, None),
        ("update", 2, 3),
        ("update", 1, 2),
        ("create", None, 1),
    ]
    assert [(c.run_id, c.act) for c in changes[2:]] == [("run-2", "second"), ("run-1", "first")]
    assert changes[0].changed_at > changes[-1].changed_at
    assert len(store.history("h", limit=2)) == 2


def test_batch_writes_and_clears_are_recorded_in_history(store: Any) -> None:
    store.set_many({"h.a": 1, "h.b": 2})
    store.delete_many(["h.a"])
    store.clear_prefix("h.")
    assert [c.op for c in store.history("h.a")] == ["delete", "create"]
    assert [(c.op, c.before) for c in store.history("h.b")] == [("delete", 2), ("create", None)]


def test_gc_keeps_the_last_n_changes_per_key(store: Any) -> None:
    for i in range(10):
        store.set("a", i)
        store.set("b", i)
    result = store.gc(Retention(keep_last=3, keep_days=None))
    assert result.history == 14
    assert [c.after for c in store.history("a")] == [9, 8, 7]
    assert [c.after for c in store.history("b")] == [9, 8, 7]


def test_gc_drops_history_older_than_keep_days(store: Any, clock: Any) -> None:
    store.set("a", "old")
    clock.advance(3 * 86400)
    store.set("a", "new")
    assert store.gc(Retention(keep_last=None, keep_days=2)).history == 1
    assert [c.after for c in store.history("a")] == ["new"]


def test_snapshot_and_restore_bring_back_exactly_the_saved_keys(store: Any) -> None:
    store.set_many({"snap.a": 1, "snap.b": {"x": [1]}, "other": "untouched"})
    snap = store.snapshot("snap.", note="before the change")
    store.set("snap.a", 100)
    store.delete("snap.b")
    store.set("snap.c", "added later")
    store.set("other", "changed")
    assert store.restore(snap) == 2
    assert {e.key: e.value for e in store.list_prefix("snap.")} == {
        "snap.a": 1,
        "snap.b": {"x": [1]},
    }
    assert store.get("other") == "changed"
    (info,) = store.snapshots()
    assert (info.id, info.prefix, info.note, info.key_count) == (
        snap,
        "snap.",
        "before the change",
        2,
    )


def test_restoring_an_unknown_snapshot_fails_and_changes_nothing(store: Any) -> None:
    store.set("a", 1)
    with pytest.raises(StateError, match="no snapshot with id 999"):
        store.restore(999)
    assert store.get("a") == 1


def test_snapshots_are_listed_newest_first(store: Any) -> None:
    first = store.snapshot()
    second = store.snapshot("x.")
    assert [s.id for s in store.snapshots()] == [second, first]


def test_import_entries_restores_timestamps_metadata_and_version(store: Any, clock: Any) -> None:
    store.set("i", {"v": 1}, metadata={"run_id": "r"})
    store.set("i", {"v": 2}, metadata={"run_id": "r"})
    saved = store.list_prefix("")
    store.clear_prefix("")
    clock.advance(100)
    assert store.import_entries(saved) == 1
    assert store.list_prefix("") == saved


def test_import_over_a_live_key_bumps_its_version_and_keeps_history(store: Any, clock: Any) -> None:
    store.set("j", "old")
    [exported] = store.list_prefix("j")
    for _ in range(3):
        store.set("j", "newer")  # live at version 4 now
    clock.advance(10)
    assert store.import_entries([exported]) == 1
    [back] = store.list_prefix("j")
    assert (back.value, back.version, back.created_at) == ("old", 5, exported.created_at)
    if hasattr(store, "history"):
        last = store.history("j", limit=1)[0]
        assert (last.op, last.before, last.after) == ("update", "newer", "old")
