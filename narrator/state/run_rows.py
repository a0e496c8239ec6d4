"""Run journal rows as :class:`~narrator.protocols.RunRecord` (no SQLAlchemy).

The SQL journal (:mod:`narrator.state.journal`) and the read-only ``runs list``
(:mod:`narrator.state.peek`) decode a ``runs`` row here, so the two agree. A row is
anything with the columns as attributes, timestamps already aware datetimes.
"""

from __future__ import annotations

import json
from typing import Any

from narrator.protocols import RunOwner, RunRecord

__all__ = ["RUN_COLUMNS", "load_json", "run_record"]

# the columns of ``runs`` (tables.py), in table order: what ``SELECT *`` returns
RUN_COLUMNS = (
    "run_id",
    "narrative",
    "source",
    "status",
    "summary",
    "error",
    "started_at",
    "finished_at",
    "owner_host",
    "owner_pid",
    "owner_token",
    "lease_expires_at",
)


def load_json(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def run_record(row: Any, acts: tuple[Any, ...] = ()) -> RunRecord:
    return RunRecord(
        run_id=row.run_id,
        narrative=row.narrative,
        source=row.source,
        status=row.status,
        started_at=row.started_at,
        finished_at=row.finished_at,
        error=row.error,
        summary=load_json(row.summary) or {},
        acts=acts,
        owner=RunOwner(row.owner_host, row.owner_pid, row.owner_token)
        if row.owner_token is not None
        else None,
        lease_expires_at=row.lease_expires_at,
    )
