"""Fixtures of the state tests: one ``store`` parametrised over memory, SQLite, PostgreSQL.

Time is injected (``clock``), so TTL and retention are tested without sleeping.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from narrator.state import MemoryRunJournal, MemoryStateRepository, open_database
from narrator.testing import FakeClock

try:  # the top-level conftest loads tests.postgres as a plugin; until then, import it here
    from tests.conftest import pytest_plugins as _root_plugins  # type: ignore[attr-defined]
except ImportError:
    _root_plugins = []
if "tests.postgres" not in _root_plugins:
    from tests.postgres import postgres_url  # noqa: F401

from tests.postgres import reset_database

BACKENDS = ["memory", "sqlite", "postgres"]


@pytest.fixture
def clock() -> FakeClock:
    """The public fake clock; the state package takes its ``now`` bound method."""
    return FakeClock(datetime(2024, 6, 1, 12, 0, tzinfo=UTC))


@pytest.fixture
def sqlite_url(tmp_path: Any) -> str:
    return f"sqlite:///{tmp_path}/state.db"


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Any, clock: FakeClock) -> Iterator[Any]:
    """(repository, journal, blobs-or-None) of one backend, empty, on the fake clock."""
    if request.param == "memory":
        yield MemoryStateRepository(clock=clock.now), MemoryRunJournal(clock=clock.now)
        return
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/state.db"
    else:
        url = request.getfixturevalue("postgres_url")
        open_database(url).close()  # migrate once, then start from empty tables
        reset_database(url)
    db = open_database(url, clock=clock.now)
    try:
        yield db.state, db.journal
    finally:
        db.close()


@pytest.fixture
def store(backend: Any) -> Any:
    return backend[0]


@pytest.fixture
def journal(backend: Any) -> Any:
    return backend[1]
