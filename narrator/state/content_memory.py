"""Content tables in memory: :class:`MemoryContent` (``run --ephemeral``, tests).

The same semantics as the SQL store (``narrator/state/content.py``): typed
comparisons, ordering and claims all come from :mod:`narrator.content`, so the
two cannot drift apart on what a ``where`` selects. One lock makes every method
atomic, as the SQL store's transactions do.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from narrator.content.claims import ClaimCount
from narrator.content.condition import Condition
from narrator.content.model import (
    CLAIM_CONSUMED,
    DEFAULT_STATUS,
    ContentRow,
    Provenance,
    Query,
    TableSummary,
    dedupe_key,
    field_value,
    prepare_item,
    read_record,
    split_values,
    validate_item,
    validate_table,
)
from narrator.content.where import matches, sort_rows
from narrator.errors import StateError
from narrator.protocols import JSON
from narrator.state.base import utcnow

__all__ = ["MemoryContent"]


@dataclass
class _Claim:
    claimant: str
    status: str  # the row's status when claimed: release(consumed) leaves changed ones


def _owned(claimant: str | None, run_id: str) -> bool:
    return claimant is not None and claimant.startswith(run_id + "/")


class MemoryContent:
    """A :class:`~narrator.content.ContentStore` in a dict."""

    def __init__(self, clock: Callable[[], datetime] = utcnow, seed: int | None = None) -> None:
        self._clock = clock
        self._rows: dict[int, ContentRow] = {}
        self._claims: dict[int, _Claim] = {}
        self._next_id = 1
        self._lock = threading.RLock()
        self._random = random.Random(seed)

    # ------------------------------------------------------------------ writing
    def insert(
        self,
        table: str,
        items: Sequence[Mapping[str, JSON]],
        provenance: Provenance,
        *,
        dedupe: str | None = None,
        status: str = DEFAULT_STATUS,
    ) -> list[ContentRow]:
        validate_table(table)
        prepared = [prepare_item(table, item) for item in items]
        with self._lock:
            seen = self._seen(table, dedupe)
            now = self._clock()
            stored: list[ContentRow] = []
            for item, digest in prepared:
                key = self._dedupe_value(item, digest, dedupe)
                if key is not None and key in seen:
                    continue
                if key is not None:
                    seen.add(key)
                row = ContentRow(
                    table=table,
                    id=self._next_id,
                    fields=item,
                    status=status,
                    narrative=provenance.narrative,
                    run_id=provenance.run_id,
                    act=provenance.act,
                    model=provenance.model,
                    created_at=now,
                    updated_at=now,
                    content_hash=digest,
                )
                self._rows[row.id] = row
                self._next_id += 1
                stored.append(row)
            return stored

    @staticmethod
    def _dedupe_value(item: Mapping[str, JSON], digest: str, dedupe: str | None) -> object:
        if dedupe is None:
            return None
        if dedupe == "hash":
            return digest
        return dedupe_key(field_value(item, dedupe.split(".")))

    def _seen(self, table: str, dedupe: str | None) -> set[object]:
        if dedupe is None:
            return set()
        return {
            key
            for row in self._table(table)
            if (key := self._dedupe_value(row.fields, row.content_hash or "", dedupe)) is not None
        }

    def update(
        self,
        table: str,
        where: Condition | None,
        values: Mapping[str, JSON],
        *,
        status: str | None = None,
        message_id: str | None = None,
        limit: int | None = None,
    ) -> list[ContentRow]:
        fields, status, message_id = split_values(values, status, message_id)
        set_message = message_id is not None or "message_id" in values
        with self._lock:
            chosen = [r for r in self._table(table) if matches(where, r)][:limit]
            now = self._clock()
            out = []
            for row in chosen:
                new = replace(
                    row,
                    fields={**row.fields, **fields},
                    status=status if status is not None else row.status,
                    message_id=message_id if set_message else row.message_id,
                    updated_at=now,
                )
                self._rows[row.id] = new
                out.append(new)
            return out

    def delete(self, table: str, where: Condition | None, *, limit: int | None = None) -> int:
        with self._lock:
            chosen = [r for r in self._table(table) if matches(where, r)][:limit]
            for row in chosen:
                self._drop(row.id)
            return len(chosen)

    def set_status(self, table: str, ids: Sequence[int], status: str) -> int:
        with self._lock:
            now, count = self._clock(), 0
            for row_id in ids:
                row = self._rows.get(row_id)
                if row is not None and row.table == table:
                    self._rows[row_id] = replace(row, status=status, updated_at=now)
                    count += 1
            return count

    def replace_fields(self, table: str, row_id: int, fields: Mapping[str, JSON]) -> ContentRow:
        item = validate_item(table, fields)
        with self._lock:
            row = self.get(table, row_id)
            if row is None:
                raise _missing(table, row_id)
            new = replace(row, fields=item, updated_at=self._clock())
            self._rows[row_id] = new
            return new

    def import_rows(self, rows: Iterable[Mapping[str, JSON]]) -> int:
        records = [read_record(r) for r in rows]
        with self._lock:
            count = 0
            hashes: dict[str, set[str | None]] = {}
            for rec in records:
                known = hashes.setdefault(
                    rec.table, {r.content_hash for r in self._table(rec.table)}
                )
                if rec.content_hash in known:
                    continue
                known.add(rec.content_hash)
                now = self._clock()
                row = ContentRow(
                    table=rec.table,
                    id=self._next_id,
                    fields=rec.fields,
                    status=rec.status,
                    narrative=rec.provenance.narrative,
                    run_id=rec.provenance.run_id,
                    act=rec.provenance.act,
                    model=rec.provenance.model,
                    created_at=rec.created_at or now,
                    updated_at=rec.updated_at or rec.created_at or now,
                    content_hash=rec.content_hash,
                    message_id=rec.message_id,
                )
                self._rows[row.id] = row
                self._next_id += 1
                count += 1
            return count

    # ------------------------------------------------------------------ claims
    def take(self, query: Query, claimant: str) -> list[ContentRow]:
        with self._lock:
            mine = [r for r in self._table(query.table) if r.claimed_by == claimant]
            held = [r for r in mine if matches(query.where, r)]
            want = None if query.limit is None else max(query.limit - len(held), 0)
            free = [
                r
                for r in self._table(query.table)
                if r.claimed_by is None and matches(query.where, r)
            ]
            if query.sample is not None:
                free = self._random.sample(free, min(query.sample, len(free)))
            chosen = sort_rows(free, query.order)[:want]
            for row in chosen:
                self._claims[row.id] = _Claim(claimant, row.status)
                self._rows[row.id] = replace(row, claimed_by=claimant)
            taken = held + [self._rows[r.id] for r in chosen]
            return sort_rows(taken, query.order)

    def release(self, run_id: str, *, consumed: bool) -> int:
        with self._lock:
            count = 0
            for row_id, claim in list(self._claims.items()):
                if not _owned(claim.claimant, run_id):
                    continue
                self._settle(row_id, claim, consumed)
                count += 1
            return count

    def claims(self, *, table: str | None = None, run_id: str | None = None) -> list[ClaimCount]:
        with self._lock:
            counts: dict[tuple[str, str], int] = {}
            for row_id, claim in self._claims.items():
                row = self._rows[row_id]
                if table is not None and row.table != table:
                    continue
                if run_id is not None and not _owned(claim.claimant, run_id):
                    continue
                key = (claim.claimant, row.table)
                counts[key] = counts.get(key, 0) + 1
        return [ClaimCount(who, name, n) for (who, name), n in sorted(counts.items())]

    def release_claimants(
        self, claimants: Sequence[str], *, consumed: bool, table: str | None = None
    ) -> int:
        wanted = set(claimants)
        with self._lock:
            count = 0
            for row_id, claim in list(self._claims.items()):
                row = self._rows[row_id]
                if claim.claimant not in wanted or (table is not None and row.table != table):
                    continue
                self._settle(row_id, claim, consumed)
                count += 1
            return count

    def _settle(self, row_id: int, claim: _Claim, consumed: bool) -> None:
        row = self._rows[row_id]
        status = CLAIM_CONSUMED if consumed and row.status == claim.status else row.status
        changed = status != row.status
        self._rows[row_id] = replace(
            row,
            claimed_by=None,
            status=status,
            updated_at=self._clock() if changed else row.updated_at,
        )
        del self._claims[row_id]

    def delete_claimed(self, run_id: str) -> int:
        with self._lock:
            owned = [i for i, c in self._claims.items() if _owned(c.claimant, run_id)]
            for row_id in owned:
                self._drop(row_id)
            return len(owned)

    # ------------------------------------------------------------------ reading
    def select(self, query: Query) -> list[ContentRow]:
        with self._lock:
            rows = [r for r in self._table(query.table) if matches(query.where, r)]
            if query.sample is not None:
                rows = self._random.sample(rows, min(query.sample, len(rows)))
        rows = sort_rows(rows, query.order)[query.offset :]
        return rows if query.limit is None else rows[: query.limit]

    def get(self, table: str, row_id: int) -> ContentRow | None:
        row = self._rows.get(row_id)
        return row if row is not None and row.table == table else None

    def tables(self) -> list[TableSummary]:
        with self._lock:
            summaries: dict[str, TableSummary] = {}
            for row in self._rows.values():
                got = summaries.get(row.table) or TableSummary(row.table, 0, {}, None)
                by_status = dict(got.by_status)
                by_status[row.status] = by_status.get(row.status, 0) + 1
                last = got.last_update
                summaries[row.table] = TableSummary(
                    row.table,
                    got.rows + 1,
                    by_status,
                    row.updated_at if last is None or row.updated_at > last else last,
                )
            return [summaries[name] for name in sorted(summaries)]

    def export_rows(self, table: str | None) -> Iterator[ContentRow]:
        with self._lock:
            rows = [r for r in self._rows.values() if table is None or r.table == table]
        yield from sorted(rows, key=lambda r: (r.table, r.id))

    # ------------------------------------------------------------------ helpers
    def _table(self, table: str) -> list[ContentRow]:
        return [r for r in self._rows.values() if r.table == table]

    def _drop(self, row_id: int) -> None:
        self._rows.pop(row_id, None)
        self._claims.pop(row_id, None)


def _missing(table: str, row_id: int) -> StateError:
    return StateError(
        f"content table {table!r} has no row {row_id}",
        hint=f"list the rows with: narrator content list {table}",
    )
