"""Content tables in the state database: :class:`SqlContent` over ``content_rows``.

SQLite and PostgreSQL through the :class:`~narrator.state.gateway.Gateway` every
repository shares, so ``Database.unit_of_work()`` covers an act's inserts with
its journal row. Where/order text is never SQL here: it arrives parsed
(:mod:`narrator.content.where`) and becomes bound expressions
(:mod:`narrator.state.content_where`).

Taking rows is one write transaction: on SQLite one conditional
``UPDATE … SET claimed_by WHERE id IN (SELECT … LIMIT n) AND claimed_by IS NULL``
under the database's write lock (``BEGIN IMMEDIATE``); on PostgreSQL
``SELECT id … LIMIT n FOR UPDATE SKIP LOCKED`` then the same conditional UPDATE of
those ids, so a second worker skips the locked rows instead of waiting for them.
Either way two workers never claim one row (tests/state/test_content_store.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

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
from narrator.errors import StateError
from narrator.protocols import JSON
from narrator.state.content_sqlite import (
    ROW_COLUMNS,
    compiled,
    row_from_tuple,
    sqlite_insert,
    sqlite_known_hashes,
    sqlite_rows,
)
from narrator.state.content_where import condition_sql, field_equals, json_path, order_sql
from narrator.state.gateway import Gateway, driver_connection
from narrator.state.tables import content_rows

__all__ = ["SqlContent"]

_C = content_rows.c
_ROW_COLUMNS = ROW_COLUMNS
_INSERT_NAMES: tuple[str, ...] = ("table_name", "fields", "status", "narrative", "run_id")
_INSERT_NAMES += ("act", "model", "content_hash")
_row = row_from_tuple
_CHUNK = 500  # bound parameters per IN (…): far below SQLite's and PostgreSQL's limits


def _dump(item: Mapping[str, JSON]) -> str:
    return json.dumps(item, ensure_ascii=False, separators=(",", ":"))


def _run_claims(run_id: str) -> ColumnElement[bool]:
    """Claims of one run: ``claimed_by`` starts with ``RUN_ID/`` (an index range)."""
    prefix = run_id + "/"
    return sa.and_(_C.claimed_by >= prefix, _C.claimed_by < run_id + "0")  # "0" follows "/"


class SqlContent:
    """A :class:`~narrator.content.ContentStore` on ``content_rows``."""

    def __init__(self, gateway: Gateway) -> None:
        self._gw = gateway
        self._pg = gateway.is_postgres

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
        checked = [p[0] for p in prepared]
        hashes = [p[1] for p in prepared]
        if dedupe not in (None, "hash"):
            json_path(dedupe.split("."))  # refuses a name SQL could not quote
        if not checked:
            return []

        def tx(conn: Connection) -> list[ContentRow]:
            keep = self._fresh(conn, table, checked, hashes, dedupe)
            if not keep:
                return []
            now = self._gw.clock()
            values = [
                (
                    table,
                    _dump(checked[i]),
                    status,
                    provenance.narrative,
                    provenance.run_id,
                    provenance.act,
                    provenance.model,
                    hashes[i],
                )
                for i in keep
            ]
            if self._gw.is_sqlite:
                ids = sqlite_insert(driver_connection(conn), values, now)
            else:
                names = _INSERT_NAMES
                params = [
                    {**dict(zip(names, v, strict=True)), "created_at": now, "updated_at": now}
                    for v in values
                ]
                stmt = sa.insert(content_rows).returning(_C.id, sort_by_parameter_order=True)
                ids = [int(r[0]) for r in conn.execute(stmt, params)]
            return [
                ContentRow(
                    table=table,
                    id=row_id,
                    fields=checked[i],
                    status=status,
                    narrative=provenance.narrative,
                    run_id=provenance.run_id,
                    act=provenance.act,
                    model=provenance.model,
                    created_at=now,
                    updated_at=now,
                    content_hash=hashes[i],
                )
                for row_id, i in zip(ids, keep, strict=True)
            ]

        return self._gw.write(tx)

    def _fresh(
        self,
        conn: Connection,
        table: str,
        items: list[dict[str, JSON]],
        hashes: list[str],
        dedupe: str | None,
    ) -> list[int]:
        """Indexes of the items to store: all, or those not already in the table."""
        if dedupe is None:
            return list(range(len(items)))
        if dedupe == "hash":
            known: set[object] = set()
            if self._gw.is_sqlite:
                known.update(sqlite_known_hashes(driver_connection(conn), table, hashes))
            unique = [] if self._gw.is_sqlite else sorted(set(hashes))
            for start in range(0, len(unique), _CHUNK):
                stmt = sa.select(_C.content_hash).where(
                    _C.table_name == table, _C.content_hash.in_(unique[start : start + _CHUNK])
                )
                known.update(r[0] for r in conn.execute(stmt))
            keys: list[object] = list(hashes)
        else:
            path = dedupe.split(".")
            values = [field_value(item, path) for item in items]
            keys = [dedupe_key(v) for v in values]
            known = self._field_keys(conn, table, path, values)
        out: list[int] = []
        for i, key in enumerate(keys):
            if key is not None and key in known:
                continue
            if key is not None:
                known.add(key)
            out.append(i)
        return out

    def _field_keys(
        self, conn: Connection, table: str, path: list[str], values: list[JSON]
    ) -> set[object]:
        """The dedupe keys the table already holds among ``values`` (one scan of the
        table's rows; only the matches come back when there are up to 200 scalars)."""
        if self._pg:
            keys = [sa.bindparam(None, k, type_=sa.Text, unique=True) for k in path]
            text = sa.func.json_extract_path_text(_C.fields, *keys, type_=sa.Text)
            kind = sa.func.json_typeof(sa.func.json_extract_path(_C.fields, *keys))
        else:
            spelled = sa.bindparam(None, json_path(path), type_=sa.Text, unique=True)
            text = sa.func.json_extract(_C.fields, spelled)
            kind = sa.func.json_type(_C.fields, spelled)
        stmt = sa.select(kind, text).where(_C.table_name == table)
        present = [v for v in values if v is not None]
        if not present:
            return set()
        distinct = {repr(v): v for v in present}  # repr keeps 1, 1.0 and True apart
        if len(distinct) <= 200 and all(isinstance(v, str | int | float | bool) for v in present):
            matched = [field_equals(path, v, postgres=self._pg) for v in distinct.values()]
            stmt = stmt.where(sa.or_(*matched))
        known: set[object] = set()
        for kind_name, value in conn.execute(stmt):
            key = _typed_key(kind_name, value)
            if key is not None:
                known.add(key)
        return known

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

        def tx(conn: Connection) -> list[ContentRow]:
            stmt = (
                sa.select(*_ROW_COLUMNS)
                .where(_C.table_name == table, self._where(where))
                .order_by(_C.id)
                .limit(limit)
            )
            if self._pg:
                stmt = stmt.with_for_update()
            rows = [_row(r) for r in conn.execute(stmt)]
            if not rows:
                return []
            now = self._gw.clock()
            changes: dict[str, Any] = {"updated_at": now}
            if status is not None:
                changes["status"] = status
            if set_message:
                changes["message_id"] = message_id
            out: list[ContentRow] = []
            params: list[dict[str, Any]] = []
            for row in rows:
                merged = {**row.fields, **fields}
                params.append(
                    {"b_id": row.id, "b_fields": _dump(merged)}
                    | {f"b_{k}": v for k, v in changes.items()}
                )
                out.append(
                    replace(
                        row,
                        fields=merged,
                        updated_at=now,
                        status=changes.get("status", row.status),
                        message_id=changes.get("message_id", row.message_id),
                    )
                )
            targets = {
                k: sa.bindparam(f"b_{k}", type_=getattr(_C, k).type) for k in ["fields", *changes]
            }
            stmt_u = sa.update(content_rows).where(_C.id == sa.bindparam("b_id")).values(targets)
            conn.execute(stmt_u, params)
            return out

        return self._gw.write(tx)

    def delete(self, table: str, where: Condition | None, *, limit: int | None = None) -> int:
        chosen = (
            sa.select(_C.id)
            .where(_C.table_name == table, self._where(where))
            .order_by(_C.id)
            .limit(limit)
        )
        stmt = sa.delete(content_rows).where(_C.id.in_(chosen.scalar_subquery()))
        return int(self._gw.write(lambda c: c.execute(stmt).rowcount))

    def set_status(self, table: str, ids: Sequence[int], status: str) -> int:
        wanted = sorted({int(i) for i in ids})

        def tx(conn: Connection) -> int:
            count, now = 0, self._gw.clock()
            for start in range(0, len(wanted), _CHUNK):
                stmt = (
                    sa.update(content_rows)
                    .where(_C.table_name == table, _C.id.in_(wanted[start : start + _CHUNK]))
                    .values(status=status, updated_at=now)
                )
                count += conn.execute(stmt).rowcount
            return count

        return self._gw.write(tx)

    def replace_fields(self, table: str, row_id: int, fields: Mapping[str, JSON]) -> ContentRow:
        item = validate_item(table, fields)

        def tx(conn: Connection) -> ContentRow:
            now = self._gw.clock()
            stmt = (
                sa.update(content_rows)
                .where(_C.table_name == table, _C.id == row_id)
                .values(fields=_dump(item), updated_at=now)
                .returning(*_ROW_COLUMNS)
            )
            row = conn.execute(stmt).first()
            if row is None:
                raise StateError(
                    f"content table {table!r} has no row {row_id}",
                    hint=f"list the rows with: narrator content list {table}",
                )
            return _row(row)

        return self._gw.write(tx)

    def import_rows(self, rows: Iterable[Mapping[str, JSON]]) -> int:
        records = [read_record(r) for r in rows]

        def tx(conn: Connection) -> int:
            known: dict[str, set[object]] = {}
            params: list[dict[str, Any]] = []
            now = self._gw.clock()
            for rec in records:
                if rec.table not in known:
                    stmt = sa.select(_C.content_hash).where(_C.table_name == rec.table)
                    known[rec.table] = {r[0] for r in conn.execute(stmt)}
                if rec.content_hash in known[rec.table]:
                    continue
                known[rec.table].add(rec.content_hash)
                params.append(
                    {
                        "table_name": rec.table,
                        "fields": _dump(rec.fields),
                        "status": rec.status,
                        "narrative": rec.provenance.narrative,
                        "run_id": rec.provenance.run_id,
                        "act": rec.provenance.act,
                        "model": rec.provenance.model,
                        "content_hash": rec.content_hash,
                        "message_id": rec.message_id,
                        "created_at": rec.created_at or now,
                        "updated_at": rec.updated_at or rec.created_at or now,
                    }
                )
            if params:
                conn.execute(sa.insert(content_rows), params)
            return len(params)

        return self._gw.write(tx)

    # ------------------------------------------------------------------ claims
    def take(self, query: Query, claimant: str) -> list[ContentRow]:
        mine = sa.and_(
            _C.table_name == query.table, _C.claimed_by == claimant, self._where(query.where)
        )

        def tx(conn: Connection) -> list[ContentRow]:
            want = query.limit
            if want is not None:
                held = conn.execute(sa.select(sa.func.count()).where(mine)).scalar_one()
                want = max(want - int(held), 0)
            if want is None or want > 0:
                self._claim(conn, query, claimant, want)
            stmt = sa.select(*_ROW_COLUMNS).where(mine)
            stmt = stmt.order_by(*order_sql(query.order, postgres=self._pg))
            return [_row(r) for r in conn.execute(stmt)]

        return self._gw.write(tx)

    def _claim(self, conn: Connection, query: Query, claimant: str, want: int | None) -> None:
        free = (
            sa.select(_C.id)
            .where(
                _C.table_name == query.table,
                _C.claimed_by.is_(None),
                self._where(query.where),
            )
            .limit(want if query.sample is None else min(want or query.sample, query.sample))
        )
        if query.sample is not None:
            free = free.order_by(sa.func.random())
        else:
            free = free.order_by(*order_sql(query.order, postgres=self._pg))
        chosen: Any = free.scalar_subquery()
        if self._pg:
            # lock the rows first: an IN (subquery … SKIP LOCKED) may be re-scanned per
            # outer row and skip the rows this very statement updated, claiming more
            locked = conn.execute(free.with_for_update(skip_locked=True)).scalars().all()
            if not locked:
                return
            chosen = list(locked)
        stmt = (
            sa.update(content_rows)
            .where(_C.id.in_(chosen), _C.claimed_by.is_(None))
            .values(claimed_by=claimant, claimed_at=self._gw.clock(), claimed_status=_C.status)
        )
        conn.execute(stmt)

    def release(self, run_id: str, *, consumed: bool) -> int:
        return self._settle(_run_claims(run_id), consumed)

    def release_claimants(
        self, claimants: Sequence[str], *, consumed: bool, table: str | None = None
    ) -> int:
        wanted, count = sorted(set(claimants)), 0
        for start in range(0, len(wanted), _CHUNK):  # a long carousel: many claimants
            mine: ColumnElement[bool] = _C.claimed_by.in_(wanted[start : start + _CHUNK])
            if table is not None:
                mine = sa.and_(mine, _C.table_name == table)
            count += self._settle(mine, consumed)
        return count

    def claims(self, *, table: str | None = None, run_id: str | None = None) -> list[ClaimCount]:
        who = sa.and_(
            _C.claimed_by.is_not(None),
            sa.true() if run_id is None else _run_claims(run_id),
            sa.true() if table is None else _C.table_name == table,
        )
        stmt = (
            sa.select(_C.claimed_by, _C.table_name, sa.func.count())
            .where(who)
            .group_by(_C.claimed_by, _C.table_name)
            .order_by(_C.claimed_by, _C.table_name)
        )
        found = self._gw.read(lambda c: c.execute(stmt).all())
        return [ClaimCount(str(by), str(name), int(n)) for by, name, n in found]

    def _settle(self, mine: ColumnElement[bool], consumed: bool) -> int:
        """Clear the claims ``mine`` selects; ``consumed``: unchanged rows become taken."""
        cleared: dict[str, Any] = {"claimed_by": None, "claimed_at": None, "claimed_status": None}

        def tx(conn: Connection) -> int:
            count = 0
            if consumed:
                same = sa.and_(mine, _C.status == _C.claimed_status)
                stmt = (
                    sa.update(content_rows)
                    .where(same)
                    .values(status=CLAIM_CONSUMED, updated_at=self._gw.clock(), **cleared)
                )
                count += conn.execute(stmt).rowcount
            count += conn.execute(sa.update(content_rows).where(mine).values(**cleared)).rowcount
            return count

        return self._gw.write(tx)

    def delete_claimed(self, run_id: str) -> int:
        stmt = sa.delete(content_rows).where(_run_claims(run_id))
        return int(self._gw.write(lambda c: c.execute(stmt).rowcount))

    # ------------------------------------------------------------------ reading
    def select(self, query: Query) -> list[ContentRow]:
        if self._gw.is_sqlite:  # the hot path: compiled once per query, rows from tuples
            sql, params = compiled(
                repr(query), lambda: self._select(query), self._gw.engine.dialect
            )
            return self._gw.driver(lambda raw: sqlite_rows(raw, sql, params))
        stmt = self._select(query)
        return self._gw.read(lambda c: [_row(r) for r in c.execute(stmt)])

    def _select(self, query: Query) -> sa.Select[Any]:
        where = sa.and_(_C.table_name == query.table, self._where(query.where))
        if query.sample is not None:
            drawn = sa.select(_C.id).where(where).order_by(sa.func.random()).limit(query.sample)
            where = _C.id.in_(drawn.scalar_subquery())
        return (
            sa.select(*_ROW_COLUMNS)
            .where(where)
            .order_by(*order_sql(query.order, postgres=self._pg))
            .offset(query.offset or None)
            .limit(query.limit)
        )

    def get(self, table: str, row_id: int) -> ContentRow | None:
        stmt = sa.select(*_ROW_COLUMNS).where(_C.table_name == table, _C.id == row_id)

        def read(conn: Connection) -> ContentRow | None:
            row = conn.execute(stmt).first()
            return None if row is None else _row(row)

        return self._gw.read(read)

    def tables(self) -> list[TableSummary]:
        stmt = (
            sa.select(_C.table_name, _C.status, sa.func.count(), sa.func.max(_C.updated_at))
            .group_by(_C.table_name, _C.status)
            .order_by(_C.table_name, _C.status)
        )
        out: dict[str, TableSummary] = {}
        for name, status, count, last in self._gw.read(lambda c: c.execute(stmt).all()):
            got = out.setdefault(name, TableSummary(name, 0, {}, None))
            last_time = _as_time(last)
            newest = (
                got.last_update if got.last_update and got.last_update >= last_time else last_time
            )
            out[name] = TableSummary(
                name, got.rows + int(count), {**got.by_status, status: int(count)}, newest
            )
        return list(out.values())

    def export_rows(self, table: str | None) -> Iterator[ContentRow]:
        """Every row (of one table), by table and id, read in pages of 1000."""
        after: tuple[str, int] = ("", 0)
        while True:
            stmt = sa.select(*_ROW_COLUMNS).order_by(_C.table_name, _C.id).limit(1000)
            if table is not None:
                stmt = stmt.where(_C.table_name == table, _C.id > after[1])
            else:
                stmt = stmt.where(
                    sa.or_(
                        _C.table_name > after[0],
                        sa.and_(_C.table_name == after[0], _C.id > after[1]),
                    )
                )
            page = self._gw.read(partial(_rows, stmt))
            yield from page
            if len(page) < 1000:
                return
            after = (page[-1].table, page[-1].id)

    # ------------------------------------------------------------------ helpers
    def _where(self, condition: Condition | None) -> ColumnElement[bool]:
        return condition_sql(condition, postgres=self._pg)


def _rows(stmt: sa.Select[Any], conn: Connection) -> list[ContentRow]:
    return [_row(r) for r in conn.execute(stmt)]


def _typed_key(kind: str | None, value: Any) -> tuple[str, Any] | None:
    """A dedupe key from a JSON type name (either dialect's) and the extracted value."""
    if kind in (None, "null"):
        return None
    if kind in ("true", "false", "boolean"):
        return ("b", kind == "true" or value in (True, "true"))
    if kind in ("integer", "real", "number"):
        return ("n", float(value))
    if kind in ("text", "string"):
        return ("s", value)
    parsed = json.loads(value) if isinstance(value, str) else value
    return dedupe_key(parsed)


def _as_time(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    from narrator.state.tables import from_micros  # max() over micros returns the integer

    return from_micros(int(value))
