"""Releasing claims (issue 11): the stores' ``claims`` / ``release_claimants`` on memory,
SQLite and PostgreSQL, and the release rule of ``narrator content release``
(``content_release.release_reason`` / ``release_claims``) over a journal.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from narrator.content import ClaimCount, Provenance, Query, parse_where
from narrator.content_release import release_claims, release_reason
from narrator.errors import RunNotFound
from narrator.ownership import RunBusy
from narrator.protocols import ActRecord, RunOwner, RunRecord
from narrator.state import MemoryRunJournal, open_database
from narrator.state.content_memory import MemoryContent
from narrator.testing import FakeClock
from tests.postgres import reset_database

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
HOST = "host-a"
APPROVED = Query("posts", where=parse_where("status = 'approved'"), limit=1)
SEND = {"platform": "discord", "command": "messages.send", "args": {}}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def stores(request: pytest.FixtureRequest, tmp_path: Any, clock: FakeClock) -> Iterator[Any]:
    """(content store, run journal) of one backend, empty."""
    if request.param == "memory":
        yield MemoryContent(clock=clock.now), MemoryRunJournal(clock=clock.now)
        return
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/claims.db"
    else:
        url = request.getfixturevalue("postgres_url")
        open_database(url).close()
        reset_database(url)
    db = open_database(url, clock=clock.now)
    try:
        yield db.content, db.journal
    finally:
        db.close()


def seed(store: Any, n: int = 3, table: str = "posts") -> None:
    items = [{"title": f"{table} {i}"} for i in range(n)]
    store.insert(table, items, Provenance("gen", "g", "write"), status="approved")


def statuses(store: Any, table: str = "posts") -> list[tuple[str, str | None]]:
    return [(r.status, r.claimed_by) for r in store.select(Query(table))]


def record(status: Any, *, lease: timedelta, pid: int = 4242, acts: Any = ()) -> RunRecord:
    return RunRecord(
        "r1",
        "post",
        "post.toml",
        status,
        NOW,
        owner=RunOwner(HOST, pid, "t"),
        lease_expires_at=NOW + lease,
        acts=tuple(acts),
    )


# ------------------------------------------------------------------ the rule (pure)


def alive(pid: int) -> bool:
    return pid == 4242


def test_a_running_run_with_a_live_owner_keeps_its_claims() -> None:
    assert (
        release_reason(record("running", lease=timedelta(seconds=20)), NOW, host=HOST, alive=alive)
        is None
    )


def test_a_running_run_whose_owner_is_gone_is_abandoned() -> None:
    expired = record("running", lease=timedelta(seconds=-1))
    assert release_reason(expired, NOW, host=HOST, alive=alive) == "abandoned"
    dead_pid = record("running", lease=timedelta(seconds=20), pid=99)
    assert release_reason(dead_pid, NOW, host=HOST, alive=alive) == "abandoned"


def test_a_finished_run_waits_for_its_owner_to_let_go() -> None:
    # a worker that just failed a run may resume it: its lease is still live
    fresh = record("failed", lease=timedelta(seconds=20))
    assert release_reason(fresh, NOW, host=HOST, alive=alive) is None
    for status in ("failed", "interrupted", "done"):
        old = record(status, lease=timedelta(seconds=-1))
        assert release_reason(old, NOW, host=HOST, alive=alive) == status


def test_a_run_on_another_host_is_trusted_until_its_lease_expires() -> None:
    other = record("running", lease=timedelta(seconds=20), pid=99)
    assert release_reason(other, NOW, host="host-b", alive=alive) is None


def test_a_run_missing_from_the_journal_is_gone() -> None:
    assert release_reason(None, NOW, host=HOST, alive=alive) == "gone"


# ------------------------------------------------------------------ the stores


def test_claims_are_counted_by_claimant_and_table(stores: Any) -> None:
    store, _ = stores
    seed(store)
    seed(store, 2, "other")
    store.take(APPROVED, "r1/pick/1")
    store.take(APPROVED, "r1/pick/2")
    store.take(Query("other", limit=2), "r2/read/0")
    assert store.claims() == [
        ClaimCount("r1/pick/1", "posts", 1),
        ClaimCount("r1/pick/2", "posts", 1),
        ClaimCount("r2/read/0", "other", 2),
    ]
    assert store.claims(run_id="r2") == [ClaimCount("r2/read/0", "other", 2)]
    assert store.claims(table="posts", run_id="r2") == []
    assert store.claims(table="other") == [ClaimCount("r2/read/0", "other", 2)]


def test_release_claimants_settles_exactly_those_claimants(stores: Any) -> None:
    store, _ = stores
    seed(store, 4)
    for who in ("r1/pick/1", "r1/pick/2", "r1/pick/10", "r1/pick/2/1"):
        store.take(APPROVED, who)
    assert store.release_claimants(["r1/pick/1"], consumed=False) == 1
    assert store.release_claimants(["r1/pick/2"], consumed=True) == 1
    assert store.release_claimants([], consumed=True) == 0
    assert store.release_claimants(["r1/pick/10"], consumed=False, table="other") == 0
    assert statuses(store) == [
        ("approved", None),
        ("taken", None),
        ("approved", "r1/pick/10"),
        ("approved", "r1/pick/2/1"),
    ]


def test_release_claims_gives_back_a_dead_runs_rows_and_keeps_a_live_ones(stores: Any) -> None:
    store, journal = stores
    seed(store, 3)
    dead = RunOwner(HOST, 99, "dead")
    live = RunOwner(HOST, 4242, "live")
    journal.start_run("r1", "post", "post.toml", {}, owner=dead, lease_expires_at=NOW)
    journal.finish_run("r1", "failed", error="send failed")
    journal.start_run(
        "r2", "post", "post.toml", {}, owner=live, lease_expires_at=NOW + timedelta(seconds=30)
    )
    store.take(APPROVED, "r1/pick/1")  # its iteration failed before sending
    store.take(APPROVED, "r2/pick/1")  # runs now
    store.take(APPROVED, "r9/pick/1")  # a run the journal no longer has
    found = release_claims(store, journal, now=NOW, host=HOST, alive=alive)
    by_run = {f.run_id: f for f in found}
    assert (by_run["r1"].state, by_run["r1"].back, by_run["r1"].live) == ("failed", 1, False)
    assert (by_run["r9"].state, by_run["r9"].back) == ("gone", 1)
    assert by_run["r2"].live and by_run["r2"].owner == f"pid 4242 on {HOST}"
    assert [c.claimant for c in store.claims()] == ["r2/pick/1"]
    # by id: a live running run is refused, a gone one released
    with pytest.raises(RunBusy, match="r2 is running"):
        release_claims(store, journal, "r2", now=NOW, host=HOST, alive=alive)
    with pytest.raises(RunNotFound):  # released already: no run, no claims
        release_claims(store, journal, "r9", now=NOW, host=HOST, alive=alive)
    store.take(APPROVED, "r8/pick/1")
    (gone,) = release_claims(store, journal, "r8", now=NOW, host=HOST, alive=alive)
    assert (gone.state, gone.back, gone.rows) == ("gone", 1, 1)
    assert release_claims(store, journal, now=NOW, host=HOST, alive=alive)[0].live


def test_a_released_run_is_marked_first_and_a_resume_that_came_first_wins(
    stores: Any,
) -> None:
    """Release marks the run failed + claims_released_at (a compare-and-set on its owner,
    as a resume's take-over) before touching claims; a resume that took the run over
    after release read it leaves its claims alone; after a release no take-over works."""
    from narrator.content.claims import RELEASED

    store, journal = stores
    seed(store, 2)
    dead = RunOwner(HOST, 99, "dead")
    for run_id in ("r1", "r2"):
        journal.start_run(run_id, "post", "post.toml", {}, owner=dead, lease_expires_at=NOW)
        journal.finish_run(run_id, "interrupted", error="interrupted by SIGINT")
        store.take(APPROVED, f"{run_id}/pick/1")

    class ResumedMeanwhile:
        """r2 is taken over by a resume right after release read it."""

        def __getattr__(self, name: str) -> Any:
            return getattr(journal, name)

        def get_run(self, run_id: str) -> RunRecord | None:
            found = journal.get_run(run_id)
            if run_id == "r2":
                resumer = RunOwner(HOST, 4242, "resumer")
                assert journal.take_over(
                    "r2",
                    expected_token="dead",
                    expected_status="interrupted",
                    owner=resumer,
                    lease_expires_at=NOW + timedelta(seconds=30),
                )
            return found

    found = {f.run_id: f for f in release_claims(store, ResumedMeanwhile(), now=NOW, host=HOST)}
    assert (found["r1"].back, found["r1"].live) == (1, False)
    assert found["r2"].live and found["r2"].back == 0
    assert [c.claimant for c in store.claims()] == ["r2/pick/1"]  # the resume keeps its row
    r1 = journal.get_run("r1")
    assert r1 is not None and r1.status == "failed" and RELEASED in r1.summary
    assert r1.error == "interrupted by SIGINT; its content claims were released by " + (
        "`narrator content release`"
    )
    r2 = journal.get_run("r2")
    assert r2 is not None and r2.status == "running" and RELEASED not in r2.summary
    # a release cut off after marking r1 (its claims still held): the next one settles
    # them without marking it again
    store.take(APPROVED, "r1/pick/2")
    (again,) = release_claims(store, journal, "r1", now=NOW, host=HOST, alive=lambda _p: False)
    assert (again.back, again.live) == (1, False)
    r1_again = journal.get_run("r1")
    assert r1_again is not None and r1_again.error == r1.error
    # a resume that read r1 before the release: its take-over finds another owner
    assert not journal.take_over(
        "r1",
        expected_token="dead",
        expected_status="interrupted",
        owner=RunOwner(HOST, 4242, "late"),
        lease_expires_at=NOW,
    )


def test_release_claims_keeps_a_row_its_iteration_may_have_posted(stores: Any) -> None:
    store, journal = stores
    seed(store, 2)
    journal.start_run("r1", "post", "post.toml", {}, owner=RunOwner(HOST, 99, "t"))
    journal.record_act(ActRecord("r1", 1, "pick", "done", 1, input={"table": "posts"}))
    journal.record_act(ActRecord("r1", 2, "send", "done", 1, input=SEND))
    journal.record_act(ActRecord("r1", 3, "mark", "failed", 1, input=None))
    journal.finish_run("r1", "failed")
    store.take(APPROVED, "r1/pick/1")
    (found,) = release_claims(store, journal, "r1", now=NOW, host=HOST, alive=alive)
    assert (found.back, found.consumed, found.tables) == (0, 1, ("posts",))
    assert statuses(store) == [("taken", None), ("approved", None)]


def test_release_claimants_settles_more_claimants_than_one_statement_binds(stores: Any) -> None:
    store, _ = stores
    seed(store, 501)
    claimants = [f"r1/pick/{i}" for i in range(1, 502)]
    for who in claimants:
        store.take(APPROVED, who)
    assert len(store.claims(run_id="r1")) == 501
    assert store.release_claimants(claimants, consumed=True) == 501
    assert store.claims() == []
    assert {s for s, _ in statuses(store)} == {"taken"}
