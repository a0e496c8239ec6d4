"""``narrator content release``: settling the content claims of runs no process runs.

A plain function over a :class:`~narrator.content.model.ContentStore` and the run
journal; the pure rule (which claims go back, which are consumed) is
:func:`narrator.content.claims.settle`, the CLI (``cli/content_cmd.py``) only wires
and renders. A run whose claims are settled here is first marked so in its journal
summary (``claims_released_at``), by the same compare-and-set on the run's owner
that a resume makes, and can no longer be resumed: its earlier iterations' rows are
back in the pool or ``taken``, so a resume that re-used its journalled picks could
post a row another run now holds (:func:`narrator.runs.check_resumable` refuses it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from narrator.clock import SystemClock
from narrator.content.claims import RELEASED, ClaimCount, settle
from narrator.content.model import ContentStore
from narrator.errors import RunNotFound
from narrator.leases import new_owner, owner_gone, pid_alive, this_host
from narrator.ownership import RunBusy
from narrator.protocols import RunJournal, RunRecord

__all__ = ["RunClaims", "release_claims", "release_reason"]


@dataclass(frozen=True)
class RunClaims:
    """One run's claimed rows as ``content release`` found them, and what became of them.

    ``state``: the run's status as people see it (``abandoned`` for a running run
    whose process is gone; ``gone`` when the journal has no such run). ``live``: a
    process may still run it, so its claims were left alone.
    """

    run_id: str
    state: str
    rows: int
    tables: tuple[str, ...]
    live: bool = False
    back: int = 0  # rows returned to the pool
    consumed: int = 0  # rows kept as taken: their iteration may have posted them
    owner: str | None = None  # "pid 12 on host-a" for a live run


def release_reason(
    record: RunRecord | None, now: datetime, *, host: str, alive: Callable[[int], bool]
) -> str | None:
    """Why a run's claims may be settled now — its status as people see it, ``gone``
    when it is not in the journal — or None while a process may still run it or be
    about to resume it (its owner's lease is live and, on this host, its pid alive)."""
    if record is None:
        return "gone"
    if not owner_gone(record.owner, record.lease_expires_at, now, host=host, alive=alive):
        return None
    return "abandoned" if record.status == "running" else record.status


def release_claims(
    store: ContentStore,
    journal: RunJournal,
    run_ref: str | None = None,
    *,
    table: str | None = None,
    now: datetime | None = None,
    host: str | None = None,
    alive: Callable[[int], bool] = pid_alive,
    sandbox: bool = False,
) -> list[RunClaims]:
    """Give back the rows claimed by runs no process runs (``run_ref``: by that run only).

    Without ``run_ref``: every run holding claims (of ``table``) is looked up in the
    journal; a run whose owner is gone — it failed, was interrupted or abandoned, or
    is not in the journal any more — has its claims settled
    (:func:`narrator.content.claims.settle`: rows go back to the pool, except a row
    whose iteration may have posted it, which becomes ``taken``); a live run is
    reported and left alone. With ``run_ref`` (an id or a unique prefix): that run,
    refused while it runs with a live owner.
    """
    when = now or SystemClock().now()
    where = host or this_host()
    if run_ref is not None:
        record, run_id = _release_target(store, journal, run_ref, table, sandbox)
        held = store.claims(table=table, run_id=run_id)
        reason = release_reason(record, when, host=where, alive=alive)
        if reason is None and record is not None and record.status == "running":
            raise RunBusy(
                f"run {run_id} is running ({_owner(record)}); its claims are in use",
                hint="wait for it to finish or stop it (Ctrl-C); a stopped run's claims "
                "come back with `narrator resume` or this command",
            )
        return [_release_run(store, journal, record, run_id, reason, held, table, when)]
    by_run: dict[str, list[ClaimCount]] = {}
    for claim in store.claims(table=table):
        by_run.setdefault(claim.run_id, []).append(claim)
    out: list[RunClaims] = []
    for run_id, held in by_run.items():
        record = journal.get_run(run_id)
        reason = release_reason(record, when, host=where, alive=alive)
        if reason is None:
            out.append(
                RunClaims(
                    run_id,
                    _status(record),
                    sum(c.rows for c in held),
                    _tables(held),
                    live=True,
                    owner=_owner(record),
                )
            )
            continue
        out.append(_release_run(store, journal, record, run_id, reason, held, table, when))
    return out


def _status(record: RunRecord | None) -> str:
    return "gone" if record is None else record.status


def _owner(record: RunRecord | None) -> str:
    owner = record.owner if record is not None else None
    return f"pid {owner.pid} on {owner.host}" if owner else "another process"


def _tables(held: Sequence[ClaimCount]) -> tuple[str, ...]:
    return tuple(sorted({c.table for c in held}))


def _release_target(
    store: ContentStore, journal: RunJournal, run_ref: str, table: str | None, sandbox: bool
) -> tuple[RunRecord | None, str]:
    """The run ``run_ref`` names: a journal run, or the exact id of claims whose run the
    journal no longer has."""
    from narrator.runs import find_run

    try:
        record = find_run(journal, run_ref, sandbox=sandbox)
    except RunNotFound:
        if store.claims(table=table, run_id=run_ref):
            return None, run_ref
        raise
    return record, record.run_id


def _settle_run(
    store: ContentStore,
    run_id: str,
    record: RunRecord | None,
    state: str,
    held: Sequence[ClaimCount],
    table: str | None,
) -> RunClaims:
    finished = record is not None and record.status == "done"
    settled = settle([c.claimant for c in held], record.acts if record else (), finished=finished)
    back = store.release_claimants(settled.back, consumed=False, table=table)
    consumed = store.release_claimants(settled.consumed, consumed=True, table=table)
    rows = sum(c.rows for c in held)
    return RunClaims(run_id, state, rows, _tables(held), back=back, consumed=consumed)


def _release_run(
    store: ContentStore,
    journal: RunJournal,
    record: RunRecord | None,
    run_id: str,
    reason: str | None,
    held: Sequence[ClaimCount],
    table: str | None,
    when: datetime,
) -> RunClaims:
    """Settle one run's claims — after journalling it released, so that it never resumes.
    A run that a resume took over since it was read is left alone (live)."""
    unfinished = record is not None and record.status != "done" and bool(held)
    marked = record is not None and RELEASED in record.summary  # a release cut off before
    if (
        unfinished
        and not marked
        and record is not None
        and not _mark_released(journal, record, when)
    ):
        rows = sum(c.rows for c in held)
        return RunClaims(run_id, "running", rows, _tables(held), live=True, owner="a resume")
    return _settle_run(store, run_id, record, reason or _status(record), held, table)


def _mark_released(journal: RunJournal, record: RunRecord, when: datetime) -> bool:
    """End an unfinished run ``failed`` (so no worker resumes its slot) with the reason and
    ``claims_released_at`` (so ``narrator resume`` refuses it). First the run is taken
    over as its owner was read — a compare-and-set on the owner's token, the same one a
    resume makes — so a resume and a release of one run never both go ahead: False when
    the resume came first."""
    owner = record.owner
    took = journal.take_over(
        record.run_id,
        expected_token=owner.token if owner is not None else None,
        expected_status=record.status,
        owner=new_owner(),
        lease_expires_at=when,  # expired at once: a crash right here leaves it abandoned
    )
    if not took:
        return False
    summary = {**record.summary, RELEASED: when.isoformat()}
    was = record.error or ("abandoned" if record.status == "running" else record.status)
    error = f"{was}; its content claims were released by `narrator content release`"
    journal.finish_run(record.run_id, "failed", error=error, summary=summary)
    return True
