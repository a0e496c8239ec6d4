"""Schedules and slot claims in the database: exactly-once slots across many workers.

Tables (migration 0003; defined in :mod:`narrator.state.tables`):

* ``schedules`` — one row per schedule: name (unique), file, vars, recurrence
  (``every_seconds`` or ``cron`` + ``tz``), ``catch_up``, ``paused``, and the
  bookkeeping the worker needs: ``next_due_at`` (the earliest slot not yet
  claimed), ``running_slot`` (set while a slot runs — the overlap guard) and
  the last run's slot, time, status and run id.
  Since migration 0004 a row also keeps the narrative it runs:
  ``narrative_text``, ``narrative_files`` (nested files, relative path → text)
  and ``narrative_hash``; a worker parses those, never the file on its disk.
  Rows added before keep ``NULL`` there and run ``file`` from the disk.
* ``schedule_slots`` — one row per claimed slot, primary key
  ``(schedule_id, scheduled_for)``: status, worker id, ``lease_expires_at``,
  run id, attempts.

Claiming a slot is one write transaction: lock the schedule row (``SELECT …
FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` makes the
transaction the only writer), re-check that it is due and idle, ``INSERT`` the
slot row (``ON CONFLICT DO NOTHING`` on the unique key: a slot can be inserted
once, ever), and advance ``next_due_at`` with a conditional ``UPDATE``. A
worker renews its lease while the slot runs; a slot whose lease expired (its
worker died) is taken over by a conditional ``UPDATE`` that only one worker
can win.

An idle worker tick costs :meth:`ScheduleStore.due_work`: two ``SELECT``\\ s,
whatever the number of schedules (both use an index on a timestamp column).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, Row

from narrator.errors import UsageError, did_you_mean
from narrator.scheduler import CatchUp, Recurrence, check_catch_up, decide, run_id_for
from narrator.state.gateway import Gateway
from narrator.state.tables import schedule_slots, schedules

if TYPE_CHECKING:
    from narrator.parser.stored import StoredNarrative

__all__ = [
    "Claim",
    "ScheduleRecord",
    "ScheduleStore",
    "count_queries",
    "schedule_slots",
    "schedules",
]

_s = schedules.c
_c = schedule_slots.c


@dataclass(frozen=True)
class ScheduleRecord:
    id: int
    name: str
    uid: str
    file: str
    vars: dict[str, str]
    recurrence: Recurrence
    catch_up: CatchUp
    paused: bool
    created_at: datetime
    next_due_at: datetime
    running_slot: datetime | None = None
    last_slot_at: datetime | None = None
    last_run_at: datetime | None = None
    last_status: str | None = None
    last_run_id: str | None = None
    narrative_text: str | None = None  # None: added before narratives were stored
    narrative_files: dict[str, str] | None = None
    narrative_hash: str | None = None
    narrative_name: str | None = None  # [narrative.NAME] of a file with several

    @property
    def stored(self) -> StoredNarrative | None:
        """What was scheduled, or None for a schedule that runs its file from the disk."""
        if self.narrative_text is None:
            return None
        # the parser only when a stored schedule runs: `schedule list` starts without it
        from narrator.parser.stored import StoredNarrative

        return StoredNarrative(
            self.narrative_text, dict(self.narrative_files or {}), self.narrative_name
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "file": self.file,
            "every": self.recurrence.every,
            "cron": self.recurrence.cron,
            "tz": self.recurrence.tz,
            "catch_up": self.catch_up,
            "paused": self.paused,
            "vars": self.vars,
            "created_at": self.created_at,
            "next_run": None if self.paused else self.next_due_at,
            "running_slot": self.running_slot,
            "last_slot": self.last_slot_at,
            "last_run": self.last_run_at,
            "last_status": self.last_status,
            "last_run_id": self.last_run_id,
            "stored": self.narrative_text is not None,
            "narrative_hash": self.narrative_hash,
            "nested_files": sorted(self.narrative_files or {}),
            "narrative": self.narrative_name,
        }


@dataclass(frozen=True)
class Claim:
    """A slot this worker holds: run ``schedule``'s narrative with ``run_id``."""

    schedule: ScheduleRecord
    scheduled_for: datetime
    run_id: str
    attempts: int
    worker_id: str
    resumed: bool = False  # taken over from a worker whose lease expired


@dataclass
class DueWork:
    """What one tick found: schedules with a due slot, and slots with expired leases."""

    schedules: list[ScheduleRecord] = field(default_factory=list)
    expired: list[tuple[int, datetime]] = field(default_factory=list)
    # when the next thing can become due: the earliest future slot of an idle, unpaused
    # schedule, or the earliest lease of a running slot (None: nothing scheduled)
    next_wake: datetime | None = None

    def __bool__(self) -> bool:
        return bool(self.schedules or self.expired)


def _record(row: Row[Any]) -> ScheduleRecord:
    m = row._mapping
    return ScheduleRecord(
        id=int(m["id"]),
        name=m["name"],
        uid=m["uid"],
        file=m["file"],
        vars=dict(json.loads(m["vars"]) if m["vars"] else {}),
        recurrence=Recurrence(
            anchor=m["created_at"], every=m["every_seconds"], cron=m["cron"], tz=m["tz"]
        ),
        catch_up=check_catch_up(m["catch_up"]),
        paused=bool(m["paused"]),
        created_at=m["created_at"],
        next_due_at=m["next_due_at"],
        running_slot=m["running_slot"],
        last_slot_at=m["last_slot_at"],
        last_run_at=m["last_run_at"],
        last_status=m["last_status"],
        last_run_id=m["last_run_id"],
        narrative_text=m["narrative_text"],
        narrative_files=(
            dict(json.loads(m["narrative_files"])) if m["narrative_files"] is not None else None
        ),
        narrative_hash=m["narrative_hash"],
        narrative_name=m["narrative_name"],
    )


def _narrative_values(narrative: StoredNarrative | None) -> dict[str, Any]:
    if narrative is None:
        return {
            "narrative_text": None,
            "narrative_files": None,
            "narrative_hash": None,
            "narrative_name": None,
        }
    return {
        "narrative_text": narrative.text,
        "narrative_files": json.dumps(narrative.files, sort_keys=True, ensure_ascii=False),
        "narrative_hash": narrative.hash,
        "narrative_name": narrative.narrative,
    }


class ScheduleStore:
    """The schedules repository over narrator's :class:`Gateway` (SQLite or PostgreSQL)."""

    def __init__(self, gateway: Gateway) -> None:
        self._gw = gateway

    # ------------------------------------------------------------------ management

    def add(
        self,
        name: str,
        file: str,
        recurrence: Recurrence,
        *,
        catch_up: CatchUp,
        vars_: Mapping[str, str] | None = None,
        narrative: StoredNarrative | None = None,
    ) -> ScheduleRecord:
        """Add a schedule that runs ``narrative`` (stored in the row); a UsageError when
        the name is taken."""
        values = {
            "name": name,
            "uid": secrets.token_hex(6),
            "file": file,
            "vars": json.dumps(dict(vars_ or {}), sort_keys=True),
            "every_seconds": recurrence.every,
            "cron": recurrence.cron,
            "tz": recurrence.tz,
            "catch_up": catch_up,
            "paused": False,
            "created_at": recurrence.anchor,
            "next_due_at": recurrence.first_slot(),
            **_narrative_values(narrative),
        }
        stmt = (
            self._insert(schedules)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["name"])
            .returning(_s.id)
        )

        def write(conn: Connection) -> bool:
            return conn.execute(stmt).first() is not None

        if not self._gw.write(write):
            raise UsageError(
                f"a schedule named '{name}' already exists",
                hint=f"pick another --name, replace it (add `--name {name} --replace`), "
                f"or `narrator schedule remove {name}` first",
            )
        record = self.get(name)
        assert record is not None
        return record

    def replace(
        self,
        name: str,
        file: str,
        recurrence: Recurrence,
        *,
        catch_up: CatchUp,
        vars_: Mapping[str, str] | None = None,
        narrative: StoredNarrative | None = None,
    ) -> ScheduleRecord:
        """Add the schedule, or update the one of that name in place.

        The row keeps its id, uid and slot history (a slot that ran never runs
        again), its paused flag and its last run. When the recurrence (every,
        cron, tz) is unchanged its anchor and next slot stay too; otherwise the
        new recurrence starts from ``recurrence.anchor``.
        """
        current = self.get(name)
        if current is None:
            return self.add(
                name, file, recurrence, catch_up=catch_up, vars_=vars_, narrative=narrative
            )
        values: dict[str, Any] = {
            "file": file,
            "vars": json.dumps(dict(vars_ or {}), sort_keys=True),
            "catch_up": catch_up,
            **_narrative_values(narrative),
        }
        old = current.recurrence
        if (old.every, old.cron, old.tz) != (recurrence.every, recurrence.cron, recurrence.tz):
            values.update(
                every_seconds=recurrence.every,
                cron=recurrence.cron,
                tz=recurrence.tz,
                created_at=recurrence.anchor,
                next_due_at=recurrence.first_slot(),
            )
        stmt = sa.update(schedules).where(_s.id == current.id).values(**values)
        self._gw.write(lambda c: c.execute(stmt))
        return self.require(name)

    def refresh(self, name: str, file: str, narrative: StoredNarrative) -> ScheduleRecord:
        """Store ``narrative`` (read from ``file`` now) as what NAME runs from its next slot."""
        record = self.require(name)
        stmt = (
            sa.update(schedules)
            .where(_s.id == record.id)
            .values(file=file, **_narrative_values(narrative))
        )
        self._gw.write(lambda c: c.execute(stmt))
        return self.require(name)

    def get(self, name: str) -> ScheduleRecord | None:
        stmt = sa.select(schedules).where(_s.name == name)
        row = self._gw.read(lambda c: c.execute(stmt).first())
        return None if row is None else _record(row)

    def require(self, name: str) -> ScheduleRecord:
        record = self.get(name)
        if record is None:
            names = [r.name for r in self.all()]
            raise UsageError(
                f"no schedule named '{name}'",
                hint=did_you_mean(name, names) or "`narrator schedule list` shows the schedules",
            )
        return record

    def all(self) -> list[ScheduleRecord]:
        stmt = sa.select(schedules).order_by(_s.name)
        return [_record(r) for r in self._gw.read(lambda c: c.execute(stmt).fetchall())]

    def remove(self, name: str) -> None:
        record = self.require(name)

        def write(conn: Connection) -> None:
            conn.execute(sa.delete(schedule_slots).where(_c.schedule_id == record.id))
            conn.execute(sa.delete(schedules).where(_s.id == record.id))

        self._gw.write(write)

    def set_paused(self, name: str, paused: bool, now: datetime) -> ScheduleRecord:
        """Pause or resume. Resuming applies the catch-up policy to slots missed while paused."""
        record = self.require(name)
        values: dict[str, Any] = {"paused": paused}
        resuming = not paused and record.paused and record.next_due_at <= now
        if resuming and record.catch_up != "all":
            latest = record.recurrence.latest_at_or_before(now)
            if latest is not None and latest > record.next_due_at:
                values["next_due_at"] = latest
        stmt = sa.update(schedules).where(_s.id == record.id).values(**values)
        self._gw.write(lambda c: c.execute(stmt))
        return self.require(name)

    def slots(self, name: str) -> list[dict[str, Any]]:
        """The claimed slots of one schedule, oldest first (for tests and `list --json`)."""
        record = self.require(name)
        stmt = (
            sa.select(schedule_slots).where(_c.schedule_id == record.id).order_by(_c.scheduled_for)
        )
        rows = self._gw.read(lambda c: c.execute(stmt).fetchall())
        return [dict(r._mapping) for r in rows]

    # ------------------------------------------------------------------ worker

    def due_work(self, now: datetime, limit: int = 20) -> DueWork:
        """One idle tick: three indexed SELECTs, independent of the number of schedules —
        what is due, which leases expired, and when the next of either falls due (so an
        idle worker sleeps until then instead of polling)."""
        idle = (_s.paused == sa.false(), _s.running_slot.is_(None))
        due = sa.select(schedules).where(_s.next_due_at <= now, *idle).order_by(_s.next_due_at)
        expired = (
            sa.select(_c.schedule_id, _c.scheduled_for)
            .where(_c.lease_expires_at < now, _c.status == "running")
            .order_by(_c.lease_expires_at)
            .limit(limit)
        )
        wake = sa.select(
            sa.select(sa.func.min(_s.next_due_at))
            .where(_s.next_due_at > now, *idle)
            .scalar_subquery(),
            sa.select(sa.func.min(_c.lease_expires_at))
            .where(_c.lease_expires_at >= now, _c.status == "running")
            .scalar_subquery(),
        )

        def read(conn: Connection) -> DueWork:
            work = DueWork([_record(r) for r in conn.execute(due.limit(limit)).fetchall()])
            work.expired = [(int(r[0]), r[1]) for r in conn.execute(expired).fetchall()]
            times = [t for t in conn.execute(wake).one() if t is not None]
            work.next_wake = min(times) if times else None
            return work

        return self._gw.read(read)

    def claim(self, schedule_id: int, now: datetime, worker_id: str, lease: float) -> Claim | None:
        """Claim the slot that is due for this schedule now; None if another worker was first."""

        def write(conn: Connection) -> Claim | None:
            select = sa.select(schedules).where(
                _s.id == schedule_id,
                _s.next_due_at <= now,
                _s.paused == sa.false(),
                _s.running_slot.is_(None),
            )
            if self._gw.is_postgres:
                select = select.with_for_update(skip_locked=True)
            row = conn.execute(select).first()
            if row is None:
                return None
            record = _record(row)
            decision = decide(record.recurrence, record.next_due_at, now, record.catch_up)
            advance = sa.update(schedules).where(
                _s.id == schedule_id,
                _s.next_due_at == record.next_due_at,
                _s.running_slot.is_(None),
            )
            if decision.run is None:
                conn.execute(advance.values(next_due_at=decision.next_due))
                return None
            run_id = run_id_for(record.uid, decision.run)
            inserted = conn.execute(
                self._insert(schedule_slots)
                .values(
                    schedule_id=schedule_id,
                    scheduled_for=decision.run,
                    status="running",
                    worker_id=worker_id,
                    lease_expires_at=now + timedelta(seconds=lease),
                    run_id=run_id,
                    attempts=1,
                    claimed_at=now,
                )
                .on_conflict_do_nothing(index_elements=["schedule_id", "scheduled_for"])
                .returning(_c.run_id)
            ).first()
            if inserted is None:  # already claimed once: never again; just move on
                conn.execute(advance.values(next_due_at=decision.next_due))
                return None
            updated = conn.execute(
                advance.values(next_due_at=decision.next_due, running_slot=decision.run)
            ).rowcount
            if updated != 1:  # pragma: no cover - the row lock makes this impossible
                raise RuntimeError("schedule row changed under its lock")
            return Claim(record, decision.run, run_id, 1, worker_id)

        return self._gw.write(write)

    def reclaim(
        self, schedule_id: int, scheduled_for: datetime, now: datetime, worker_id: str, lease: float
    ) -> Claim | None:
        """Take over a running slot whose lease expired; only one worker can win."""

        def write(conn: Connection) -> Claim | None:
            where = (
                _c.schedule_id == schedule_id,
                _c.scheduled_for == scheduled_for,
                _c.status == "running",
                _c.lease_expires_at < now,
            )
            if self._gw.is_postgres:
                locked = conn.execute(
                    sa.select(_c.run_id).where(*where).with_for_update(skip_locked=True)
                ).first()
                if locked is None:
                    return None
            updated = conn.execute(
                sa.update(schedule_slots)
                .where(*where)
                .values(
                    worker_id=worker_id,
                    lease_expires_at=now + timedelta(seconds=lease),
                    attempts=_c.attempts + 1,
                )
            ).rowcount
            if updated != 1:
                return None
            slot = conn.execute(
                sa.select(_c.run_id, _c.attempts).where(
                    _c.schedule_id == schedule_id, _c.scheduled_for == scheduled_for
                )
            ).one()
            row = conn.execute(sa.select(schedules).where(_s.id == schedule_id)).one()
            return Claim(_record(row), scheduled_for, slot[0], int(slot[1]), worker_id, True)

        return self._gw.write(write)

    def renew(self, claim: Claim, now: datetime, lease: float) -> bool:
        """Extend the lease; False when this worker no longer holds the slot."""
        stmt = (
            sa.update(schedule_slots)
            .where(*self._mine(claim))
            .values(lease_expires_at=now + timedelta(seconds=lease))
        )
        return bool(self._gw.write(lambda c: c.execute(stmt).rowcount) == 1)

    def release(self, claim: Claim, now: datetime) -> bool:
        """Give the slot back unfinished (SIGTERM): another worker resumes it at once."""
        stmt = sa.update(schedule_slots).where(*self._mine(claim)).values(lease_expires_at=now)
        return bool(self._gw.write(lambda c: c.execute(stmt).rowcount) == 1)

    def complete(self, claim: Claim, status: str, now: datetime) -> bool:
        """Record the slot's outcome and free the schedule for its next slot."""

        def write(conn: Connection) -> bool:
            done = conn.execute(
                sa.update(schedule_slots)
                .where(*self._mine(claim))
                .values(status=status, finished_at=now, lease_expires_at=None)
            ).rowcount
            if done != 1:
                return False
            conn.execute(
                sa.update(schedules)
                .where(_s.id == claim.schedule.id, _s.running_slot == claim.scheduled_for)
                .values(
                    running_slot=None,
                    last_slot_at=claim.scheduled_for,
                    last_run_at=now,
                    last_status=status,
                    last_run_id=claim.run_id,
                )
            )
            return True

        return self._gw.write(write)

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _mine(claim: Claim) -> tuple[Any, ...]:
        return (
            _c.schedule_id == claim.schedule.id,
            _c.scheduled_for == claim.scheduled_for,
            _c.worker_id == claim.worker_id,
            _c.status == "running",
        )

    def _insert(self, table: sa.Table) -> Any:
        return self._gw.insert(table)


@contextmanager
def count_queries(engine: Engine) -> Iterator[list[str]]:
    """Collect the SQL statements ``engine`` executes inside the block (benchmarks, tests)."""
    seen: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)
