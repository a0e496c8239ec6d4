"""Pure schedule math: DST-safe cron in a time zone, --every intervals, catch-up decisions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from narrator.errors import UsageError
from narrator.scheduler import Recurrence, check_catch_up, check_cron, decide, run_id_for, zone

ANCHOR = datetime(2026, 1, 1, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def berlin(expr: str) -> Recurrence:
    return Recurrence(anchor=ANCHOR, cron=expr, tz="Europe/Berlin")


def test_nine_am_berlin_stays_nine_am_local_across_the_march_change() -> None:
    slots = berlin("0 9 * * *").slots(utc(2026, 3, 27), utc(2026, 3, 31))
    assert slots == [
        utc(2026, 3, 27, 8),
        utc(2026, 3, 28, 8),
        utc(2026, 3, 29, 7),
        utc(2026, 3, 30, 7),
    ]
    assert {s.astimezone(zone("Europe/Berlin")).hour for s in slots} == {9}


def test_nine_am_berlin_stays_nine_am_local_across_the_october_change() -> None:
    slots = berlin("0 9 * * *").slots(utc(2026, 10, 23), utc(2026, 10, 27))
    assert slots == [
        utc(2026, 10, 23, 7),
        utc(2026, 10, 24, 7),
        utc(2026, 10, 25, 8),
        utc(2026, 10, 26, 8),
    ]


def test_a_0230_slot_on_the_spring_forward_day_runs_once_when_the_clock_jumps() -> None:
    """02:30 does not exist on 2026-03-29 in Berlin: it runs at 03:00 CEST (01:00 UTC), once."""
    slots = berlin("30 2 * * *").slots(utc(2026, 3, 28), utc(2026, 3, 31))
    assert slots == [utc(2026, 3, 28, 1, 30), utc(2026, 3, 29, 1, 0), utc(2026, 3, 30, 0, 30)]


def test_a_0230_slot_on_the_fall_back_day_runs_once_at_its_first_occurrence() -> None:
    slots = berlin("30 2 * * *").slots(utc(2026, 10, 24), utc(2026, 10, 27))
    assert slots == [utc(2026, 10, 24, 0, 30), utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)]


def test_half_hourly_cron_in_the_spring_gap_yields_strictly_increasing_unique_instants() -> None:
    slots = berlin("*/30 * * * *").slots(utc(2026, 3, 29, 0), utc(2026, 3, 29, 2))
    assert slots == [
        utc(2026, 3, 29, 0, 30),
        utc(2026, 3, 29, 1),
        utc(2026, 3, 29, 1, 30),
        utc(2026, 3, 29, 2),
    ]


def test_latest_at_or_before_inverts_next_after_for_cron_and_every() -> None:
    for rec in (berlin("0 9 * * *"), Recurrence(anchor=ANCHOR, every=90.0)):
        for slot in rec.slots(utc(2026, 3, 27), utc(2026, 4, 2), limit=50):
            assert rec.latest_at_or_before(slot) == slot
            assert rec.latest_at_or_before(slot + timedelta(seconds=1)) == slot
            assert rec.next_after(slot - timedelta(microseconds=1)) == slot


def test_every_is_anchored_at_creation_and_its_first_slot_is_due_at_once() -> None:
    rec = Recurrence(anchor=ANCHOR, every=3600.0)
    assert rec.first_slot() == ANCHOR
    assert rec.next_after(ANCHOR) == ANCHOR + timedelta(hours=1)
    assert rec.latest_at_or_before(ANCHOR - timedelta(seconds=1)) is None


def test_cron_first_slot_is_the_next_matching_time_after_creation() -> None:
    assert berlin("0 9 * * *").first_slot() == utc(2026, 1, 1, 8)


def test_catch_up_all_runs_the_oldest_missed_slot_first() -> None:
    rec = Recurrence(anchor=ANCHOR, every=60.0)
    d = decide(rec, ANCHOR, ANCHOR + timedelta(minutes=2, seconds=30), "all")
    assert (d.run, d.next_due) == (ANCHOR, ANCHOR + timedelta(minutes=1))


def test_catch_up_latest_runs_only_the_newest_of_three_missed_slots() -> None:
    rec = Recurrence(anchor=ANCHOR, every=60.0)
    d = decide(rec, ANCHOR, ANCHOR + timedelta(minutes=2, seconds=30), "latest")
    assert d.run == ANCHOR + timedelta(minutes=2)
    assert d.next_due == ANCHOR + timedelta(minutes=3)
    assert d.dropped == 2


def test_catch_up_skip_runs_a_fresh_slot_but_drops_stale_ones() -> None:
    rec = Recurrence(anchor=ANCHOR, every=3600.0)
    fresh = decide(rec, ANCHOR, ANCHOR + timedelta(seconds=10), "skip")
    assert fresh.run == ANCHOR
    stale = decide(rec, ANCHOR, ANCHOR + timedelta(minutes=30), "skip")
    assert stale.run is None
    assert stale.next_due == ANCHOR + timedelta(hours=1)


def test_nothing_runs_before_the_next_due_slot() -> None:
    rec = Recurrence(anchor=ANCHOR, every=60.0)
    assert decide(rec, ANCHOR, ANCHOR - timedelta(seconds=1), "all").run is None


def test_unknown_zone_suggests_the_closest_name() -> None:
    with pytest.raises(UsageError) as info:
        zone("Europe/Berln")
    assert "did you mean 'Europe/Berlin'?" in str(info.value)
    with pytest.raises(UsageError) as info:
        zone("europe/berlin")
    assert "Europe/Berlin" in str(info.value)


def test_bad_cron_and_bad_policy_are_usage_errors_that_show_the_fix() -> None:
    with pytest.raises(UsageError, match="five fields"):
        check_cron("0 9 * *")
    with pytest.raises(UsageError, match="five fields"):
        check_cron("61 9 * * *")
    assert check_cron(" 0  9 * * * ") == "0 9 * * *"
    with pytest.raises(UsageError, match="did you mean 'latest'"):
        check_catch_up("lastest")


def test_exactly_one_of_every_and_cron_is_required() -> None:
    with pytest.raises(UsageError):
        Recurrence(anchor=ANCHOR)
    with pytest.raises(UsageError):
        Recurrence(anchor=ANCHOR, every=1.0, cron="* * * * *")


def test_run_id_is_stable_per_slot_and_fits_the_journal_column() -> None:
    slot = utc(2026, 3, 29, 1)
    assert run_id_for("abc123", slot) == run_id_for("abc123", slot)
    assert run_id_for("abc123", slot) != run_id_for("abc123", slot + timedelta(seconds=1))
    assert len(run_id_for("0" * 12, slot)) <= 64
