"""Differential test of the batched SQLite writes (narrator.state.sqlite_writes, issue 14).

``set_many`` and ``import_entries`` on SQLite write a whole batch per statement (through
a TEMP table), or row by row below ``sqlite_writes.SMALL`` rows. The same script of
writes runs on the memory repository (the reference), on SQLite with either path forced,
and on PostgreSQL (the portable path); entries, versions and every history row must come
out identical.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from narrator.protocols import StateEntry
from narrator.state import MemoryStateRepository, open_database, sqlite_writes
from narrator.testing import FakeClock

ODD = {"quote": 'say "hi"\\', "nul": "a\x00b", "emoji": "😀 ключ", "nested": [{"x": None}]}


def _script(store: Any, clock: FakeClock) -> list[str]:
    """Writes covering create / update / expired-starts-over / import over all three."""
    first = {f"k.{i:03d}": {"n": i} for i in range(25)}
    store.set_many(first, metadata={"run_id": "run-1", "act": "first"})
    store.set_many({f"k.{i:03d}": i for i in range(20, 30)}, ttl=5)  # 20..24 live, 25..29 new
    clock.advance(10)  # the ttl keys have expired
    # live, expired and absent keys
    third: dict[str, Any] = {f"k.{i:03d}": ODD for i in range(0, 35, 2)}
    third["ü.ключ.😀"] = "unicode key"
    store.set_many(third, metadata={"run_id": "r" * 64, "act": "a" * 200})
    clock.advance(1)
    store.set_many({"k.001": [1, 2], "k.003": "x"})  # no metadata: run_id and act stay None
    exported = [e for e in store.list_prefix("k.0") if e.key < "k.010"]
    clock.advance(1)
    store.set_many({f"k.{i:03d}": "later" for i in range(12)})
    clock.advance(1)
    imported = [*exported]
    imported.append(
        StateEntry(
            key="new.imported",
            value={"from": "file"},
            created_at=exported[0].created_at - timedelta(days=1),
            updated_at=exported[0].updated_at,
            expires_at=exported[0].updated_at + timedelta(days=30),
            metadata={"run_id": "old-run", "act": "old-act", "narrative": "n"},
            version=7,
        )
    )
    imported.append(StateEntry(**{**_fields(exported[1]), "key": "k.027"}))  # an expired key
    assert store.import_entries(imported) == len(imported)
    return sorted({e.key for e in store.list_prefix("")} | {f"k.{i:03d}" for i in range(35)})


def _fields(entry: StateEntry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in StateEntry.__dataclass_fields__}


def _observed(store: Any, keys: list[str]) -> tuple[list[dict[str, Any]], dict[str, list[Any]]]:
    entries = [_fields(e) for e in store.list_prefix("")]
    history = {
        key: [(h.op, h.before, h.after, h.run_id, h.act, h.changed_at) for h in store.history(key)]
        for key in keys
    }
    return entries, history


@pytest.fixture(params=["sqlite-batched", "sqlite-row-by-row", "postgres"])
def sql_url(
    request: pytest.FixtureRequest, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    if request.param.startswith("sqlite"):
        batched = request.param == "sqlite-batched"
        monkeypatch.setattr(sqlite_writes, "SMALL", 1 if batched else 10**9)
        yield f"sqlite:///{tmp_path}/state.db"
        return
    from tests.postgres import reset_database

    url = str(request.getfixturevalue("postgres_url"))
    open_database(url).close()
    reset_database(url)
    yield url


def test_batched_writes_match_the_memory_repository(sql_url: str, clock: FakeClock) -> None:
    start = clock.now()
    reference = MemoryStateRepository(clock=clock.now)
    keys = _script(reference, clock)
    expected = _observed(reference, keys)
    assert any(op == "update" for rows in expected[1].values() for op, *_ in rows)
    # k.022: created, updated with a ttl, expired, then written again: a fresh 'create'
    assert expected[1]["k.022"][:3] == [
        ("create", None, ODD, "r" * 64, "a" * 200, start + timedelta(seconds=10)),
        ("update", {"n": 22}, 22, None, None, start),
        ("create", None, {"n": 22}, "run-1", "first", start),
    ]
    sql_clock = FakeClock(start)
    db = open_database(sql_url, clock=sql_clock.now)
    try:
        assert _script(db.state, sql_clock) == keys
        assert _observed(db.state, keys) == expected
    finally:
        db.close()
