"""Memory-only behaviour: the optional LRU bound."""

from __future__ import annotations

from typing import Any

import pytest

from narrator.errors import StateError
from narrator.state import MemoryStateRepository, StateStore


def test_memory_repository_is_a_complete_state_store() -> None:
    assert isinstance(MemoryStateRepository(), StateStore)


def test_bounded_repository_evicts_the_least_recently_used_and_reports_it() -> None:
    evicted: list[tuple[str, Any]] = []
    repo = MemoryStateRepository(max_entries=3, on_evict=lambda k, v: evicted.append((k, v)))
    repo.set("a", 1)
    repo.set("b", 2)
    repo.set("c", 3)
    assert repo.get("a") == 1  # a is now the most recently used
    repo.set("d", 4)
    assert evicted == [("b", 2)]
    assert repo.key_count() == 3
    repo.set_many({"e": 5, "f": 6})
    assert [k for k, _ in evicted] == ["b", "c", "a"]
    assert [e.key for e in repo.list_prefix("")] == ["d", "e", "f"]


def test_a_bound_below_one_is_refused() -> None:
    with pytest.raises(StateError, match="max_entries"):
        MemoryStateRepository(max_entries=0)
