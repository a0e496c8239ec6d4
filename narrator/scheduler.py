"""Schedules as pure data and pure decisions: when is the next slot, what runs now.

A *schedule* names a narrative file and a recurrence: ``--every DURATION`` (an
absolute interval, anchored at the moment the schedule was added, so the first
slot is due at once) or ``--cron EXPR`` in a time zone. A *slot* is one
scheduled instant (an aware UTC datetime); the worker claims each slot in the
database before running it (``narrator.state.schedules``). Nothing here does
I/O or reads a clock: callers pass ``now``.

Cron is evaluated on the **wall clock of the zone**, then each wall time is
mapped to an instant, DST-safely:

* a wall time the day does not have (02:30 on the spring-forward day in
  Europe/Berlin) runs once, at the moment the clock jumps past it (03:00 local);
* a wall time the day has twice (02:30 on the fall-back day) runs once, at its
  first occurrence;
* ``0 9 * * *`` is 09:00 local every day, whatever the UTC offset.

Catch-up (what to do with slots missed while no worker ran):

* ``all`` — run every missed slot, oldest first, one after the other;
* ``latest`` — run only the most recent missed slot (the default);
* ``skip`` — run the most recent slot only if it is still fresh (due less than
  ``grace`` ago, 60 s by default); drop older ones and wait for the next.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from croniter import croniter

from narrator.errors import UsageError, did_you_mean

CatchUp = Literal["skip", "latest", "all"]
CATCH_UP_POLICIES: tuple[CatchUp, ...] = ("skip", "latest", "all")
DEFAULT_CATCH_UP: CatchUp = "latest"
DEFAULT_GRACE = 60.0
_MAX_CRON_STEPS = 10_000


# ----------------------------------------------------------------------------- validation


@functools.cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def zone(name: str) -> ZoneInfo:
    """The time zone called ``name``; a UsageError with "did you mean" when unknown."""
    candidates = _zone_names()
    try:
        if name in candidates or name == "UTC":
            return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):  # pragma: no cover - tzdata incomplete
        pass
    lowered = {c.lower(): c for c in candidates}
    exact = lowered.get(name.lower())
    hint = (
        f"did you mean '{exact}'?" if exact else did_you_mean(name, sorted(candidates))
    ) or "use an IANA zone name such as Europe/Berlin, America/New_York or UTC"
    raise UsageError(f"unknown time zone '{name}'", hint=hint)


def check_cron(expr: str) -> str:
    """``expr`` normalised (spaces collapsed); a UsageError when it is not 5-field cron."""
    text = " ".join(expr.split())
    fields = text.split(" ")
    if len(fields) != 5 or not croniter.is_valid(text):
        raise UsageError(
            f"cannot read cron expression '{expr}'",
            hint="write five fields: minute hour day-of-month month day-of-week, "
            "e.g. '0 9 * * *' (09:00 every day) or '*/15 * * * 1-5'",
        )
    return text


def check_catch_up(policy: str) -> CatchUp:
    for known in CATCH_UP_POLICIES:
        if policy == known:
            return known
    raise UsageError(
        f"unknown catch-up policy '{policy}'",
        hint=did_you_mean(policy, list(CATCH_UP_POLICIES)) or "use skip, latest or all",
    )


# ----------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Recurrence:
    """``every`` seconds from ``anchor``, or a cron expression in time zone ``tz``."""

    anchor: datetime
    every: float | None = None
    cron: str | None = None
    tz: str = "UTC"

    def __post_init__(self) -> None:
        if (self.every is None) == (self.cron is None):
            raise UsageError(
                "a schedule needs exactly one of --every and --cron",
                hint="e.g. --every 1h, or --cron '0 9 * * *' --tz Europe/Berlin",
            )
        if self.anchor.tzinfo is None:
            raise ValueError("anchor must be an aware datetime")

    def describe(self) -> str:
        if self.every is not None:
            from narrator.durations import format_duration

            return f"every {format_duration(self.every)}"
        return f"cron '{self.cron}' {self.tz}"

    # ------------------------------------------------------------------ slots

    def next_after(self, t: datetime) -> datetime:
        """The first slot strictly after instant ``t``."""
        if self.every is not None:
            step = _micros(self.every)
            if t < self.anchor:
                return self.anchor
            k = _delta_micros(self.anchor, t) // step + 1
            return self.anchor + timedelta(microseconds=k * step)
        return _cron_next(self._cron, zone(self.tz), t)

    def first_slot(self) -> datetime:
        """The first slot of a new schedule: the anchor for ``every``, else the next cron time."""
        if self.every is not None:
            return self.anchor
        return self.next_after(self.anchor - timedelta(microseconds=1))

    def latest_at_or_before(self, t: datetime) -> datetime | None:
        """The last slot at or before ``t`` (None before the first slot)."""
        if self.every is not None:
            if t < self.anchor:
                return None
            step = _micros(self.every)
            k = _delta_micros(self.anchor, t) // step
            return self.anchor + timedelta(microseconds=k * step)
        return _cron_prev(self._cron, zone(self.tz), t)

    def slots(self, after: datetime, until: datetime, limit: int = 1000) -> list[datetime]:
        """Slots in ``(after, until]``, at most ``limit``."""
        out: list[datetime] = []
        t = after
        while len(out) < limit:
            t = self.next_after(t)
            if t > until:
                break
            out.append(t)
        return out

    @property
    def _cron(self) -> str:
        assert self.cron is not None
        return self.cron


@dataclass(frozen=True)
class Decision:
    """What to do about one schedule now.

    ``run``: the slot to claim and run (None: nothing to run now).
    ``next_due``: the schedule's next unclaimed slot after this decision.
    ``dropped``: missed slots the policy decided not to run.
    """

    run: datetime | None
    next_due: datetime
    dropped: int = 0
    reason: str = field(default="")


def decide(
    recurrence: Recurrence,
    next_due: datetime,
    now: datetime,
    policy: CatchUp,
    *,
    grace: float = DEFAULT_GRACE,
) -> Decision:
    """Which slot (if any) to run at ``now``, given the earliest unclaimed slot ``next_due``."""
    if next_due > now:
        return Decision(None, next_due, reason="not due")
    if policy == "all":
        return Decision(next_due, recurrence.next_after(next_due), reason="oldest missed slot")
    latest = recurrence.latest_at_or_before(now)
    if latest is None or latest < next_due:  # pragma: no cover - next_due <= now implies one
        latest = next_due
    dropped = _count_between(recurrence, next_due, latest)
    following = recurrence.next_after(latest)
    if policy == "latest":
        return Decision(latest, following, dropped, reason="latest slot")
    if (now - latest).total_seconds() <= grace:
        return Decision(latest, following, dropped, reason="on time")
    return Decision(None, following, dropped + 1, reason="missed; skipped")


def _count_between(recurrence: Recurrence, first: datetime, latest: datetime) -> int:
    """How many slots lie in ``[first, latest)`` (bounded work for cron)."""
    if recurrence.every is not None:
        return _delta_micros(first, latest) // _micros(recurrence.every)
    return len(recurrence.slots(first - timedelta(microseconds=1), latest, limit=10_000)) - 1


def run_id_for(schedule_uid: str, slot: datetime) -> str:
    """The run id of a slot: stable, so a reclaimed slot reuses idempotency keys."""
    return f"s{schedule_uid}-{slot.astimezone(UTC):%Y%m%dT%H%M%S%fZ}"


# ----------------------------------------------------------------------------- time math


def _micros(seconds: float) -> int:
    return max(1, round(seconds * 1_000_000))


def _delta_micros(a: datetime, b: datetime) -> int:
    d = b - a
    return (d.days * 86400 + d.seconds) * 1_000_000 + d.microseconds


def wall_to_instant(wall: datetime, tz: ZoneInfo) -> datetime:
    """A naive wall time in ``tz`` as a UTC instant.

    Ambiguous (repeated) wall times give their first occurrence; wall times the
    day skips give the instant the clock jumps past them.
    """
    aware = wall.replace(tzinfo=tz, fold=0)
    utc = aware.astimezone(UTC)
    if utc.astimezone(tz).replace(tzinfo=None) == wall:
        return utc
    # In a gap: find the transition, the first instant whose wall time is past ``wall``.
    lo = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)  # before the jump
    hi = utc  # after the jump
    if lo > hi:
        lo, hi = hi, lo
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        if mid.astimezone(tz).replace(tzinfo=None) >= wall:
            hi = mid
        else:
            lo = mid
    return hi.replace(microsecond=0) if hi.microsecond else hi


def _wall(t: datetime, tz: ZoneInfo) -> datetime:
    return t.astimezone(tz).replace(tzinfo=None)


def _cron_next(expr: str, tz: ZoneInfo, t: datetime) -> datetime:
    it = croniter(expr, _wall(t, tz) - timedelta(hours=3))
    for _ in range(_MAX_CRON_STEPS):
        candidate = wall_to_instant(it.get_next(datetime), tz)
        if candidate > t:
            return candidate
    raise UsageError(f"cron expression '{expr}' has no time after {t.isoformat()}")


def _cron_prev(expr: str, tz: ZoneInfo, t: datetime) -> datetime | None:
    it = croniter(expr, _wall(t, tz) + timedelta(hours=3))
    for _ in range(_MAX_CRON_STEPS):
        candidate = wall_to_instant(it.get_prev(datetime), tz)
        if candidate <= t:
            return candidate
    return None
