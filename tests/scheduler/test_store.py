"""The schedules repository on a real SQLite file: claims, overlap, leases, idle-tick cost."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from narrator.errors import UsageError
from narrator.scheduler import Recurrence
from narrator.state import Database, open_database
from narrator.state.schedules import ScheduleStore, count_queries

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(f"sqlite:///{tmp_path / 'narrator.db'}")
    yield database
    database.close()


@pytest.fixture
def store(db: Database) -> ScheduleStore:
    return ScheduleStore(db.gateway)


def every(seconds: float) -> Recurrence:
    return Recurrence(anchor=T0, every=seconds)


def test_a_duplicate_name_is_refused_with_the_fix(store: ScheduleStore) -> None:
    store.add("daily", "/x.toml", every(60), catch_up="all")
    with pytest.raises(UsageError, match="already exists") as info:
        store.add("daily", "/y.toml", every(60), catch_up="all")
    assert "schedule remove daily" in str(info.value)


def test_a_slot_is_claimed_once_and_the_next_waits_for_the_running_one(
    store: ScheduleStore, tmp_path: Path
) -> None:
    """Overlap policy: while slot 1 runs, slot 2 is due but nobody may claim it."""
    rec = store.add("s", "/x.toml", every(60), catch_up="all")
    other = ScheduleStore(open_database(f"sqlite:///{tmp_path / 'narrator.db'}").gateway)
    now = T0 + timedelta(minutes=5)
    first = store.claim(rec.id, now, "w1", lease=30)
    assert first is not None and first.scheduled_for == T0
    assert other.claim(rec.id, now, "w2", lease=30) is None
    assert store.due_work(now).schedules == []
    assert store.complete(first, "done", now)
    second = other.claim(rec.id, now, "w2", lease=30)
    assert second is not None and second.scheduled_for == T0 + timedelta(minutes=1)
    assert second.run_id != first.run_id


def test_an_expired_lease_is_taken_over_by_exactly_one_worker(store: ScheduleStore) -> None:
    rec = store.add("s", "/x.toml", every(3600), catch_up="latest")
    claim = store.claim(rec.id, T0, "dead", lease=10)
    assert claim is not None
    assert store.due_work(T0 + timedelta(seconds=5)).expired == []
    later = T0 + timedelta(seconds=11)
    assert store.due_work(later).expired == [(rec.id, T0)]
    taken = store.reclaim(rec.id, T0, later, "w2", lease=10)
    assert taken is not None and taken.resumed and taken.attempts == 2
    assert taken.run_id == claim.run_id
    assert store.reclaim(rec.id, T0, later, "w3", lease=10) is None
    assert not store.renew(claim, later, 10)  # the dead worker lost it
    assert not store.complete(claim, "done", later)
    assert store.complete(taken, "done", later)
    [slot] = store.slots("s")
    assert (slot["status"], slot["worker_id"], slot["attempts"]) == ("done", "w2", 2)


def test_a_released_slot_is_resumable_at_once(store: ScheduleStore) -> None:
    rec = store.add("s", "/x.toml", every(3600), catch_up="latest")
    claim = store.claim(rec.id, T0, "w1", lease=60)
    assert claim is not None
    assert store.release(claim, T0 + timedelta(seconds=1))
    assert store.due_work(T0 + timedelta(seconds=2)).expired == [(rec.id, T0)]


def test_catch_up_latest_claims_one_slot_for_three_missed(store: ScheduleStore) -> None:
    rec = store.add("s", "/x.toml", every(60), catch_up="latest")
    now = T0 + timedelta(minutes=2, seconds=30)
    claim = store.claim(rec.id, now, "w", lease=30)
    assert claim is not None and claim.scheduled_for == T0 + timedelta(minutes=2)
    store.complete(claim, "done", now)
    assert store.claim(rec.id, now, "w", lease=30) is None
    assert [s["scheduled_for"] for s in store.slots("s")] == [T0 + timedelta(minutes=2)]


def test_paused_schedules_are_not_due_and_resume_applies_catch_up(store: ScheduleStore) -> None:
    store.add("s", "/x.toml", every(60), catch_up="latest")
    store.set_paused("s", True, T0)
    assert not store.due_work(T0 + timedelta(hours=1))
    resumed = store.set_paused("s", False, T0 + timedelta(hours=1, seconds=5))
    assert resumed.next_due_at == T0 + timedelta(hours=1)


def test_remove_deletes_the_schedule_and_suggests_names_when_unknown(store: ScheduleStore) -> None:
    store.add("morning", "/x.toml", every(60), catch_up="all")
    with pytest.raises(UsageError, match="did you mean 'morning'"):
        store.remove("mornin")
    store.remove("morning")
    assert store.all() == []


@pytest.mark.parametrize("count", [10, 250])
def test_an_idle_tick_costs_three_queries_whatever_the_number_of_schedules(
    store: ScheduleStore, db: Database, count: int
) -> None:
    for i in range(count):
        rec = store.add(f"s{i}", "/x.toml", every(3600), catch_up="latest")
        claim = store.claim(rec.id, T0, "w", lease=30)
        assert claim is not None
        store.complete(claim, "done", T0)
    with count_queries(db.engine) as seen:
        work = store.due_work(T0 + timedelta(minutes=30))
    assert not work
    assert work.next_wake == T0 + timedelta(hours=1)
    assert len([s for s in seen if s.lstrip().upper().startswith("SELECT")]) == 3


def test_the_next_wake_is_the_earliest_future_slot_or_lease_expiry(store: ScheduleStore) -> None:
    before = T0 - timedelta(seconds=10)
    assert store.due_work(before).next_wake is None  # nothing scheduled: sleep for --poll
    late = store.add(
        "late",
        "/x.toml",
        Recurrence(anchor=T0 + timedelta(seconds=90), every=600),
        catch_up="latest",
    )
    assert store.due_work(before).next_wake == T0 + timedelta(seconds=90)
    early = store.add("early", "/x.toml", every(60), catch_up="latest")
    assert store.due_work(before).next_wake == T0
    claim = store.claim(early.id, T0, "w", lease=30)
    assert claim is not None  # running: its lease expiry is the earlier wake-up now
    assert store.due_work(T0).next_wake == T0 + timedelta(seconds=30)
    store.complete(claim, "done", T0 + timedelta(seconds=5))
    assert store.due_work(T0 + timedelta(seconds=5)).next_wake == T0 + timedelta(seconds=60)
    store.set_paused("early", True, T0 + timedelta(seconds=5))
    assert store.due_work(T0 + timedelta(seconds=5)).next_wake == late.next_due_at


def test_an_idle_worker_sleeps_until_the_next_slot_bounded_by_poll(
    store: ScheduleStore, db: Database
) -> None:
    from narrator.config import load_config
    from narrator.testing import FakeClock
    from narrator.worker import Worker, WorkerOptions

    clock = FakeClock(T0 - timedelta(seconds=2))
    worker = Worker(
        store,
        config=load_config(None),
        run_database=db,
        clock=clock,
        options=WorkerOptions(poll=5.0),
    )
    assert worker.tick() == (0, False)
    assert worker._idle_wait() == 5.0  # nothing scheduled: --poll
    store.add("soon", "/x.toml", every(3600), catch_up="latest")
    worker.tick()
    assert worker._idle_wait() == pytest.approx(2.0)  # wakes when the slot falls due
    clock.advance(1.5)
    assert worker._idle_wait() == pytest.approx(0.5)
    store.add(
        "far", "/x.toml", Recurrence(anchor=T0 + timedelta(hours=2), every=60), catch_up="latest"
    )
    store.set_paused("soon", True, clock.now())
    worker.tick()
    assert worker._idle_wait() == 5.0  # the next slot is hours away: bounded by --poll


def test_a_schedule_added_before_migration_0007_keeps_running_its_only_narrative(
    tmp_path: Path,
) -> None:
    """A database at 0006 with a schedule: the upgrade adds ``narrative_name`` (NULL), the
    schedule reads back unchanged, and the migration downgrades again."""
    import sqlalchemy as sa
    from alembic import command
    from alembic.config import Config

    from narrator.parser.stored import StoredNarrative
    from narrator.state.migrate import migrations_dir

    url = f"sqlite:///{tmp_path / 'old.db'}"
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0006")
    # add at 0006: the repository of today would write narrative_name, so plain SQL
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO schedules (name, uid, file, vars, every_seconds, tz, catch_up, "
            "paused, created_at, next_due_at, narrative_text, narrative_files, narrative_hash) "
            "VALUES ('old', 'u1', '/x/old.toml', '{}', 3600, 'UTC', 'latest', 0, 0, 0, "
            "'[narrative]', '{}', 'h')"
        )
    with open_database(url) as database:
        record = ScheduleStore(database.gateway).require("old")
        assert record.narrative_name is None
        assert record.stored == StoredNarrative("[narrative]", {}, None)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0006")
        columns = {c["name"] for c in sa.inspect(conn).get_columns("schedules")}
        assert "narrative_name" not in columns and "narrative_text" in columns
    engine.dispose()
