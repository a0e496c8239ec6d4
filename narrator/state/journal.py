"""The SQL run journal: one row per run, one per act (upserted on ``(run_id, seq)``).

A run row also names its owner (host, pid, start token) and a lease the owner
renews; :meth:`SqlRunJournal.take_over` changes the owner with one conditional
UPDATE, so of two processes resuming one run only one proceeds.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from narrator.errors import InvalidValue
from narrator.protocols import ActRecord, RunOwner, RunRecord, RunStatus
from narrator.state.gateway import Gateway, upsert
from narrator.state.run_rows import load_json as _load
from narrator.state.run_rows import run_record as _run
from narrator.state.tables import run_acts, runs, to_micros


def _dump(what: str, value: Any) -> str | None:
    if value is None:
        return None
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError):
        raise InvalidValue(
            f"{what} is not JSON-serialisable", hint="journal outputs must be plain JSON data"
        ) from None


def _act(row: Row[Any]) -> ActRecord:
    return ActRecord(
        run_id=row.run_id,
        seq=row.seq,
        name=row.name,
        status=row.status,
        iteration=row.iteration,
        output=_load(row.output),
        error=row.error,
        started_at=row.started_at,
        finished_at=row.finished_at,
        input=_load(row.input),
    )


class SqlRunJournal:
    """Implements :class:`narrator.protocols.RunJournal` on the database."""

    def __init__(self, gateway: Gateway) -> None:
        self._gw = gateway
        self._act_upsert = upsert(gateway, run_acts, ["run_id", "seq"])
        self._run_insert = sa.insert(runs)

    def start_run(
        self,
        run_id: str,
        narrative: str,
        source: str,
        summary: Mapping[str, Any],
        *,
        owner: RunOwner | None = None,
        lease_expires_at: datetime | None = None,
    ) -> None:
        params = {
            "run_id": run_id,
            "narrative": narrative,
            "source": source,
            "status": "running",
            "summary": _dump(f"summary of run {run_id}", dict(summary)),
            "error": None,
            "started_at": self._gw.clock(),
            "finished_at": None,
            "owner_host": owner.host if owner else None,
            "owner_pid": owner.pid if owner else None,
            "owner_token": owner.token if owner else None,
            "lease_expires_at": lease_expires_at,
        }
        self._gw.write(lambda c: c.execute(self._run_insert, params))

    def renew_lease(self, run_id: str, token: str, expires_at: datetime) -> bool:
        stmt = (
            sa.update(runs)
            .where(runs.c.run_id == run_id, runs.c.owner_token == token)
            .values(lease_expires_at=expires_at)
        )
        return bool(self._gw.write(lambda c: c.execute(stmt).rowcount))

    def take_over(
        self,
        run_id: str,
        *,
        expected_token: str | None,
        expected_status: RunStatus,
        owner: RunOwner,
        lease_expires_at: datetime,
    ) -> bool:
        token_is = (
            runs.c.owner_token.is_(None)
            if expected_token is None
            else runs.c.owner_token == expected_token
        )
        stmt = (
            sa.update(runs)
            .where(runs.c.run_id == run_id, runs.c.status == expected_status, token_is)
            .values(
                status="running",
                finished_at=None,
                owner_host=owner.host,
                owner_pid=owner.pid,
                owner_token=owner.token,
                lease_expires_at=lease_expires_at,
            )
        )
        return bool(self._gw.write(lambda c: c.execute(stmt).rowcount))

    def record_act(self, record: ActRecord) -> None:
        """Insert or update the act row identified by (run_id, seq) — one statement."""
        self.record_acts([record])

    def record_acts(self, records: Sequence[ActRecord]) -> None:
        """``record_act`` for each row, sent together (the engine: an act's row and the
        next act's ``running`` row, one round trip on PostgreSQL)."""
        params = [_act_params(r) for r in records]
        if not params:
            return
        if self._gw.is_sqlite:  # the hot path of every act: straight to the driver
            self._gw.driver(lambda raw: _sqlite_act_upsert(raw, params), write=True)
            return
        self._gw.write(
            lambda c: c.execute(self._act_upsert, params[0] if len(params) == 1 else params)
        )

    def finish_run(
        self,
        run_id: str,
        status: RunStatus,
        *,
        error: str | None = None,
        summary: Mapping[str, Any] | None = None,
    ) -> None:
        values: dict[str, Any] = {
            "status": status,
            "error": error,
            "finished_at": self._gw.clock(),
        }
        if summary is not None:
            values["summary"] = _dump(f"summary of run {run_id}", dict(summary))
        stmt = sa.update(runs).where(runs.c.run_id == run_id).values(**values)
        self._gw.write(lambda c: c.execute(stmt))

    def get_run(self, run_id: str) -> RunRecord | None:
        """The run with its acts in ``seq`` order, or None."""

        def read(conn: Connection) -> RunRecord | None:
            row = conn.execute(sa.select(runs).where(runs.c.run_id == run_id)).first()
            if row is None:
                return None
            acts = conn.execute(
                sa.select(run_acts).where(run_acts.c.run_id == run_id).order_by(run_acts.c.seq)
            )
            return _run(row, tuple(_act(a) for a in acts))

        return self._gw.read(read)

    def list_runs(
        self, limit: int = 50, *, statuses: Collection[str] | None = None
    ) -> list[RunRecord]:
        """Newest first, without their acts (``get_run`` has them)."""
        stmt = sa.select(runs).order_by(runs.c.started_at.desc(), runs.c.run_id.desc()).limit(limit)
        if statuses is not None:
            stmt = stmt.where(runs.c.status.in_(list(statuses)))
        return self._gw.read(lambda c: [_run(r) for r in c.execute(stmt)])

    def match_run_ids(self, prefix: str, limit: int = 2) -> list[str]:
        """Run ids starting with ``prefix`` (``LIKE 'prefix%'`` with the prefix escaped)."""
        column = runs.c.run_id
        stmt = (
            sa.select(column)
            .where(column.startswith(prefix.lower(), autoescape=True))
            .order_by(column)
            .limit(limit)
        )
        return self._gw.read(lambda c: [str(r[0]) for r in c.execute(stmt)])


_SQLITE_ACT_UPSERT = (
    "INSERT INTO run_acts (run_id, seq, name, iteration, status, output, error, "
    "started_at, finished_at, input) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (run_id, seq) DO UPDATE SET name = excluded.name, "
    "iteration = excluded.iteration, status = excluded.status, output = excluded.output, "
    "error = excluded.error, started_at = excluded.started_at, "
    "finished_at = excluded.finished_at, input = excluded.input"
)


def _act_params(record: ActRecord) -> dict[str, Any]:
    return {
        "run_id": record.run_id,
        "seq": record.seq,
        "name": record.name,
        "iteration": record.iteration,
        "status": record.status,
        "output": _dump(f"output of act {record.name!r}", record.output),
        "error": record.error,
        "started_at": record.started_at,
        "finished_at": record.finished_at,
        "input": _dump(f"input of act {record.name!r}", record.input),
    }


def _sqlite_act_row(params: dict[str, Any]) -> tuple[Any, ...]:
    started, finished = params["started_at"], params["finished_at"]
    return (
        params["run_id"],
        params["seq"],
        params["name"],
        params["iteration"],
        params["status"],
        params["output"],
        params["error"],
        None if started is None else to_micros(_aware(started)),
        None if finished is None else to_micros(_aware(finished)),
        params["input"],
    )


def _sqlite_act_upsert(raw: Any, params: list[dict[str, Any]]) -> None:
    """The same upsert as the portable statement; timestamps as microseconds (tables.Timestamp)."""
    if len(params) == 1:
        raw.execute(_SQLITE_ACT_UPSERT, _sqlite_act_row(params[0]))
    else:
        raw.executemany(_SQLITE_ACT_UPSERT, [_sqlite_act_row(p) for p in params])


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
